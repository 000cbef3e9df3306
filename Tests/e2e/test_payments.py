"""Payments end to end: a real `wharf serve` (its own data directory and port) with an Epay gateway and a Stripe
gateway added by `wharf payment add`, each pointed at a fake of the gateway on 127.0.0.1 (fake_gateways.py) that
speaks the real protocol.

- Stripe: a top-up in the console goes to the fake Checkout; webhooks signed by the official `stripe` package (pinned
  16.1.0) credit the order once, forged or stale ones are refused, and refunds and disputes take back exactly their
  share.
- Epay: in headless Chromium a user tops up on the billing page, pays on the fake cashier, and comes back to a paid
  receipt (screenshots billing.png and receipt.png); notifies are verified and credit once; a receipt whose notify
  never came asks the gateway's query API.
- Redemption codes: made by the CLI, redeemed once in the console, stored nowhere in clear.
- Secrets given to `wharf payment add` appear in neither the data directory, the server log nor `wharf payment list`.

Every balance is read with `wharf credit balance` and compared with a value worked out by hand in the test.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest
import requests
import stripe
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from browser_support import (
    WINDOW,
    _is_stale,
    choose_cookies,
    fit_window,
    new_browser,
    page_error,
    path_of,
    sign_in,
    stop_console_server,
    table_rows,
    wait_for,
)
from conftest import REPO_ROOT, WHARF_BIN, Wharf, _child_env, _start_serve, free_port
from fake_gateways import FakeEpay, FakeStripe, epay_sign, signed_query
from stub_upstream import StubServer

PASSWORD = "a long payments password"
EPAY_NAME, EPAY_PID = "epay-test", "1001"
STRIPE_NAME = "stripe-test"
# Distinctive per run, so that a search of the data directory and the log cannot miss or mistake them.
EPAY_KEY = "epaykey" + secrets.token_hex(16)
STRIPE_KEY = "sk_test_" + secrets.token_hex(16)
WEBHOOK_SECRET = "whsec_" + secrets.token_hex(16)
ORDER_RE = re.compile(r"W[0-9A-HJKMNP-TV-Z]{24}")
CODE_RE = re.compile(r"WHRF(-[0-9A-HJKMNP-TV-Z]{4}){7}")
PAY_SCRIPT = 'document.getElementById("pay-form").submit();'


@dataclass
class Payments:
    wharf: Wharf
    epay: FakeEpay
    stripe: FakeStripe
    callbacks: dict[str, str]
    codes: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def pay(stub: StubServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Payments]:
    """A Wharf with both gateways, set up by the CLI before `serve` starts; WHARF_PUBLIC_URL set for both, so the
    callback URL printed by `payment add` is the one the server answers on."""
    root = tmp_path_factory.mktemp("payments")
    data_dir = root / "data"
    data_dir.mkdir()
    port = free_port()
    env = _child_env(data_dir) | {
        "WHARF_PUBLIC_URL": f"http://127.0.0.1:{port}", "WHARF_REQUIRE_EMAIL_VERIFICATION": "false"
    }  # fmt: skip
    w = Wharf(bin=WHARF_BIN, data_dir=data_dir, log_path=root / "server.log", env=env, stub=stub, port=port)
    epay, fake_stripe = FakeEpay(EPAY_PID, EPAY_KEY), FakeStripe(STRIPE_KEY)
    try:
        w.cli("migrate")
        callbacks = {}
        for name, args in {
            EPAY_NAME: ["--kind", "epay", "--gateway-url", epay.base_url, "--merchant-id", EPAY_PID, "--key", EPAY_KEY,
                        "--currency", "CNY", "--credit-per-unit", "0.14", "--methods", "alipay,wxpay",
                        "--min-amount", "1", "--max-amount", "500"],
            STRIPE_NAME: ["--kind", "stripe", "--gateway-url", fake_stripe.base_url, "--key", STRIPE_KEY,
                          "--webhook-secret", WEBHOOK_SECRET, "--currency", "USD", "--credit-per-unit", "1"],
        }.items():  # fmt: skip
            out = w.cli("payment", "add", "--name", name, *args).stdout
            match = re.fullmatch(rf"({re.escape(w.origin)}/api/pay/[A-Za-z0-9_\-]+/notify)\n", out)
            assert match, f"`wharf payment add` must print only the callback URL, got {out!r}"
            callbacks[name] = match.group(1)
        _start_serve(w, cwd=root)
        instance = Payments(w, epay, fake_stripe, callbacks)
        yield instance
        stop_console_server(w)
        # Everything is on disk now: a last look for anything secret, in the whole log and data directory.
        found = leaks(w, secret_texts(instance.codes))
        if found:
            pytest.fail("after shutdown: " + "; ".join(found), pytrace=False)
    finally:
        if w.process is not None and w.process.poll() is None:
            stop_console_server(w)
        epay.close()
        fake_stripe.close()


# ---- helpers -----------------------------------------------------------------------------------------


def new_user(w: Wharf, email: str) -> None:
    w.cli("user", "create", "--email", email, "--password", PASSWORD)


def assert_balance(w: Wharf, email: str, expected: str, when: str) -> None:
    shown = w.cli("credit", "balance", "--user", email).stdout
    assert shown == expected + "\n", f"{when}: balance {shown.strip()!r}, expected {expected}"


def csrf_of(page: str) -> str:
    match = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert match, "no _csrf field in the page"
    return html.unescape(match.group(1))


def web_login(origin: str, email: str) -> requests.Session:
    """A signed-in `requests` session (the same form a browser posts)."""
    http = requests.Session()
    page = http.get(f"{origin}/login", timeout=10).text
    answer = http.post(
        f"{origin}/login", data={"_csrf": csrf_of(page), "email": email, "password": PASSWORD},
        allow_redirects=False, timeout=10,
    )  # fmt: skip
    assert answer.status_code in (302, 303) and answer.headers["Location"].startswith("/console"), (
        f"sign-in as {email}: {answer.status_code} {answer.headers.get('Location')}"
    )
    return http


def top_up(http: requests.Session, origin: str, gateway: str, method: str, amount: str) -> requests.Response:
    page = http.get(f"{origin}/console/billing", timeout=10).text
    form = {"_csrf": csrf_of(page), "gateway": gateway, "method": method, "amount": amount}
    return http.post(f"{origin}/console/billing/topup", data=form, allow_redirects=False, timeout=30)


def receipt_status(http: requests.Session, origin: str, order_no: str) -> str:
    page = http.get(f"{origin}/console/billing/orders/{order_no}", timeout=30)
    assert page.status_code == 200, f"receipt of {order_no}: {page.status_code}"
    match = re.search(r'id="receipt-status" data-status="([a-z_]+)"', page.text)
    assert match, f"no #receipt-status on the receipt of {order_no}"
    return match.group(1)


def stripe_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def post_webhook(url: str, payload: str, header: str | None) -> requests.Response:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return requests.post(url, data=payload.encode(), headers=headers, timeout=30)


def deliver(callback: str, payloads: list[str], w: Wharf, email: str, expected: str, when: str) -> None:
    """POSTs each payload, freshly signed, expecting 2xx and the same `expected` balance after every delivery."""
    for n, payload in enumerate(payloads, 1):
        answer = post_webhook(callback, payload, stripe_header(payload, WEBHOOK_SECRET))
        assert 200 <= answer.status_code < 300, f"{when}, delivery {n}: {answer.status_code} {answer.text[:200]}"
        assert_balance(w, email, expected, f"{when}, delivery {n}")


def secret_texts(codes: list[str]) -> dict[str, str]:
    """Everything that must never be stored or logged in clear: the gateway secrets, and each code as shown, without
    dashes, and as its 28 random characters."""
    found = {"the Epay key": EPAY_KEY, "the Stripe secret key": STRIPE_KEY, "the Stripe webhook secret": WEBHOOK_SECRET}
    for n, code in enumerate(codes):
        bare = code.replace("-", "")
        found |= {f"code {n}": code, f"code {n} without dashes": bare, f"code {n} body": bare.removeprefix("WHRF")}
    return found


def leaks(w: Wharf, texts: dict[str, str]) -> list[str]:
    """Which of `texts` (in any letter case) occur in any file of the data directory (SQLite WAL included) or in the
    server log, as 'what in where'."""
    files = [p for p in sorted(w.data_dir.rglob("*")) if p.is_file()] + [w.log_path]
    found = []
    for path in files:
        content = path.read_bytes().lower()
        for name, text in texts.items():
            if text.lower().encode() in content:
                found.append(f"{name} in {path.name}")
    return found


# ---- 1. Stripe ---------------------------------------------------------------------------------------


def test_stripe_checkout_webhooks_credit_once_and_refunds_and_disputes_take_back_exactly_their_share(
    pay: Payments,
) -> None:
    """A 10.00 USD top-up (1 credit per USD) goes to the fake Checkout with the right session parameters; only a
    completed-event signed with the endpoint secret within 300 s credits it, exactly once (replays and a new event id
    for the same session credit nothing); a 3.00 refund takes back 3, a dispute the remaining 7, a won dispute gives
    those 7 back once."""
    w, fake, email = pay.wharf, pay.stripe, "stripe.payer@example.com"
    callback = pay.callbacks[STRIPE_NAME]
    new_user(w, email)
    assert_balance(w, email, "0.000000", "a new user")
    http = web_login(w.origin, email)

    answer = top_up(http, w.origin, STRIPE_NAME, "card", "10.00")
    assert answer.status_code == 303, f"top-up answered {answer.status_code}: {answer.text[:300]}"
    location = answer.headers["Location"]
    session_id = location.rsplit("/", 1)[-1]
    assert location == fake.sessions[session_id]["url"], "Wharf sends the payer to the session's own url"
    checkout = requests.get(location, timeout=10)
    assert checkout.status_code == 200 and "Pay 10.00 USD" in checkout.text

    # What Wharf asked of Stripe.
    _, _, headers, form = next(r for r in fake.requests if r[:2] == ("POST", "/v1/checkout/sessions"))
    order_no = form["client_reference_id"]
    assert ORDER_RE.fullmatch(order_no), order_no
    assert headers["authorization"] == f"Bearer {STRIPE_KEY}" and headers.get("idempotency-key")
    expected = {"mode": "payment", "line_items[0][quantity]": "1", "line_items[0][price_data][unit_amount]": "1000",
                "line_items[0][price_data][currency]": "usd", "metadata[wharf_order_id]": order_no,
                "success_url": f"{w.origin}/console/billing/orders/{order_no}"}  # fmt: skip
    assert {k: form.get(k) for k in expected} == expected
    assert 1800 <= int(form["expires_at"]) - time.time() <= 86400

    # The official SDK reads the session back from the fake: the fake speaks Stripe.
    client = stripe.StripeClient(STRIPE_KEY, base_addresses={"api": fake.base_url}, max_network_retries=0)
    read = client.v1.checkout.sessions.retrieve(session_id)
    assert (read.client_reference_id, read.amount_total, read.currency, read.payment_status) == (
        order_no, 1000, "usd", "unpaid"
    )  # fmt: skip

    paid = fake.complete(session_id)
    intent = paid["payment_intent"]
    completed = FakeStripe.event("checkout.session.completed", paid)
    now = int(time.time())
    for header, why in [
        (stripe_header(completed, "whsec_" + secrets.token_hex(16)), "signed with another secret"),
        (stripe_header(completed, WEBHOOK_SECRET, now - 301), "signed 301 s ago"),
        (stripe_header(completed, WEBHOOK_SECRET, now + 400), "signed 400 s in the future"),
        (None, "no Stripe-Signature header"),
    ]:
        refused = post_webhook(callback, completed, header)
        assert refused.status_code == 400, f"a completed event {why}: {refused.status_code} {refused.text[:200]}"
        assert_balance(w, email, "0.000000", f"after a completed event {why}")

    header = stripe_header(completed, WEBHOOK_SECRET)
    stripe.WebhookSignature.verify_header(completed, header, WEBHOOK_SECRET, tolerance=300)  # the SDK agrees
    accepted = post_webhook(callback, completed, header)
    assert 200 <= accepted.status_code < 300, f"{accepted.status_code} {accepted.text[:200]}"
    assert_balance(w, email, "10.000000", "10.00 USD at 1 credit per USD")
    assert receipt_status(http, w.origin, order_no) == "paid"

    again = post_webhook(callback, completed, header)
    assert 200 <= again.status_code < 300, f"a replayed event: {again.status_code}"
    assert_balance(w, email, "10.000000", "after the same event again")
    other = FakeStripe.event("checkout.session.completed", paid)
    deliver(callback, [other], w, email, "10.000000", "the same session under another event id")

    # A 3.00 refund, made through the SDK; the charge in the event carries the cumulative amount_refunded.
    refund = client.v1.refunds.create(params={"payment_intent": intent, "amount": 300})
    assert (refund.status, refund.amount) == ("succeeded", 300)
    charge = fake.charge_of(intent)
    assert (charge["amount"], charge["amount_refunded"]) == (1000, 300)
    refunded = FakeStripe.event("charge.refunded", charge)
    deliver(callback, [refunded, refunded], w, email, "7.000000", "10 credited, 3.00 refunded")
    assert receipt_status(http, w.origin, order_no) == "partially_refunded"

    dispute = fake.dispute(intent, "needs_response")
    assert dispute["amount"] == 700
    created = FakeStripe.event("charge.dispute.created", dispute)
    deliver(callback, [created, created], w, email, "0.000000", "the 7 not refunded held back")
    assert receipt_status(http, w.origin, order_no) == "disputed"

    # A won dispute, delivered twice under two event ids: the 7 come back once.
    won = [FakeStripe.event("charge.dispute.closed", dict(dispute, status="won")) for _ in range(2)]
    deliver(callback, won, w, email, "7.000000", "the dispute won")
    assert receipt_status(http, w.origin, order_no) == "partially_refunded"


# ---- 2. Epay in the browser ----------------------------------------------------------------------------


def test_browser_epay_top_up_goes_to_the_cashier_and_comes_back_to_a_paid_receipt(
    pay: Payments, browser: WebDriver, screenshot_dir: Path
) -> None:
    """In Chromium: billing page -> Epay, 10 CNY -> the signed form auto-posts to the fake's submit.php -> "Pay" ->
    the fake's signed GET notify is answered `success` -> the browser lands on the receipt, paid; the billing page
    shows the new balance (10 CNY x 0.14 = 1.40) and the order as paid."""
    w, driver, email = pay.wharf, browser, "epay.payer@example.com"
    new_user(w, email)
    fit_window(driver)
    assert tuple(driver.execute_script("return [window.innerWidth, window.innerHeight]")) == WINDOW

    def shot(name: str) -> None:
        wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete", "page load")
        path = screenshot_dir / f"{name}.png"
        assert driver.save_screenshot(str(path)), path
        assert path.stat().st_size > 5000, f"{path} looks empty"

    choose_cookies(driver, w.origin)
    sign_in(driver, w.origin, email, PASSWORD)
    driver.get(f"{w.origin}/console/billing")
    Select(driver.find_element(By.CSS_SELECTOR, "select[name=gateway]")).select_by_value(EPAY_NAME)
    Select(driver.find_element(By.CSS_SELECTOR, "select[name=method]")).select_by_value("alipay")
    amount = driver.find_element(By.CSS_SELECTOR, "#topup input[name=amount]")
    amount.clear()
    amount.send_keys("10")
    driver.find_element(By.CSS_SELECTOR, "#topup button[type=submit]").click()

    wait_for(
        driver, lambda d: d.current_url.startswith(f"{pay.epay.base_url}/submit.php") and d.find_elements(By.ID, "pay"),
        "the fake Epay cashier (the hand-off form posts itself)",
    )  # fmt: skip
    assert not pay.epay.rejected, f"the fake refused Wharf's form: {pay.epay.rejected}"
    order_no = driver.find_element(By.ID, "cashier-order").text
    assert ORDER_RE.fullmatch(order_no), order_no
    assert driver.find_element(By.ID, "cashier-money").text == "10.00"
    assert driver.find_element(By.ID, "cashier-type").text == "alipay"
    sent = pay.epay.orders[order_no]["form"]
    assert sent["notify_url"] == pay.callbacks[EPAY_NAME]
    assert sent["return_url"] == f"{w.origin}/console/billing/orders/{order_no}"

    driver.find_element(By.ID, "pay").click()
    wait_for(driver, lambda d: path_of(d).startswith(f"/console/billing/orders/{order_no}"), "the receipt")
    url, status, reply = pay.epay.notifies[-1]
    assert url.startswith(pay.callbacks[EPAY_NAME] + "?") and (status, reply) == (200, "success"), (status, reply)
    assert driver.find_element(By.ID, "receipt-order").text == order_no
    assert driver.find_element(By.ID, "receipt-status").get_attribute("data-status") == "paid", page_error(driver)
    assert driver.find_element(By.ID, "receipt-amount").text == "10.00 CNY"
    assert driver.find_element(By.ID, "receipt-credit").text == "1.40"
    shot("receipt")
    assert_balance(w, email, "1.400000", "10 CNY at 0.14 credit per CNY")

    driver.get(f"{w.origin}/console/billing")
    assert driver.find_element(By.ID, "balance").text == "1.40"
    row = driver.find_element(By.CSS_SELECTOR, "#orders tbody tr")
    assert row.get_attribute("data-status") == "paid"
    link = row.find_element(By.CSS_SELECTOR, "td a")
    assert link.text == order_no and link.get_attribute("href").endswith(f"/console/billing/orders/{order_no}")
    assert any("1.40" in cells for cells in table_rows(driver, "ledger")), table_rows(driver, "ledger")
    shot("billing")


# ---- 2b. Epay notifies and the query API ---------------------------------------------------------------


def test_epay_notify_is_verified_credits_once_and_a_receipt_without_notify_asks_the_gateway(pay: Payments) -> None:
    """The hand-off page carries a form signed as Epay v1 signs (checked by an independent implementation) and a CSP
    that allows exactly its script and the gateway's origin; notifies signed with another key, for another pid or
    for an unknown order get 400 `fail`; a good one (POST form) credits 1.40, its replay (GET) nothing more. An order
    paid without a notify turns paid when its receipt is viewed (Wharf asks api.php?act=order)."""
    w, fake, email = pay.wharf, pay.epay, "epay.notify@example.com"
    callback = pay.callbacks[EPAY_NAME]
    new_user(w, email)
    http = web_login(w.origin, email)

    def start_order() -> str:
        answer = top_up(http, w.origin, EPAY_NAME, "wxpay", "10")
        assert answer.status_code == 200, f"Epay top-up answered {answer.status_code}"
        action = re.search(r'<form id="pay-form" method="post" action="([^"]+)">', answer.text)
        assert action and html.unescape(action.group(1)) == f"{fake.base_url}/submit.php", answer.text[:500]
        form_html = answer.text[action.end():answer.text.index("</form>", action.end())]
        fields = {html.unescape(k): html.unescape(v)
                  for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form_html)}  # fmt: skip
        assert set(fields) == {"pid", "type", "out_trade_no", "notify_url", "return_url", "name", "money", "sign",
                               "sign_type"}, sorted(fields)  # fmt: skip
        assert (fields["pid"], fields["type"], fields["money"], fields["sign_type"]) == (EPAY_PID, "wxpay", "10.00", "MD5")
        assert fields["sign"] == epay_sign(fields, EPAY_KEY), "the form's sign is not Epay v1's md5"
        policy = answer.headers["Content-Security-Policy"]
        script_hash = base64.b64encode(hashlib.sha256(PAY_SCRIPT.encode()).digest()).decode()
        assert f"'sha256-{script_hash}'" in policy and fake.base_url in policy and "unsafe-inline" not in policy
        cashier = requests.post(f"{fake.base_url}/submit.php", data=fields, timeout=10)  # what the browser posts
        assert cashier.status_code == 200 and 'id="pay"' in cashier.text, cashier.text[:300]
        return fields["out_trade_no"]

    order_no = start_order()
    fake.mark_paid(order_no)
    good = fake.notify_params(order_no)
    unknown = "W" + "".join(secrets.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(24))
    for query, why in [
        (signed_query(good, "not-the-merchant-key"), "signed with another key"),
        (signed_query(good | {"pid": "9999"}, EPAY_KEY), "for another pid"),
        (signed_query(good | {"out_trade_no": unknown}, EPAY_KEY), "for an unknown order"),
        (signed_query(good, EPAY_KEY).replace("money=10.00", "money=100.00"), "with the amount changed"),
    ]:
        answer = requests.get(f"{callback}?{query}", timeout=30)
        assert (answer.status_code, answer.text) == (400, "fail"), f"a notify {why}: {answer.status_code} {answer.text!r}"
        assert_balance(w, email, "0.000000", f"after a notify {why}")

    form = good | {"sign": epay_sign(good, EPAY_KEY), "sign_type": "MD5"}
    answer = requests.post(callback, data=form, timeout=30)
    assert (answer.status_code, answer.text) == (200, "success"), (answer.status_code, answer.text)
    assert_balance(w, email, "1.400000", "10 CNY at 0.14")
    replay = requests.get(f"{callback}?{signed_query(good, EPAY_KEY)}", timeout=30)
    assert (replay.status_code, replay.text) == (200, "success"), (replay.status_code, replay.text)
    assert_balance(w, email, "1.400000", "after the notify again")
    assert receipt_status(http, w.origin, order_no) == "paid"

    second = start_order()
    fake.mark_paid(second)
    assert receipt_status(http, w.origin, second) == "paid", "the receipt did not ask the gateway"
    assert second in fake.queries
    assert_balance(w, email, "2.800000", "two orders of 10 CNY at 0.14")


# ---- 3. redemption codes and secrets at rest ---------------------------------------------------------------


def test_a_code_redeems_once_in_the_console_and_no_code_or_secret_is_stored_or_logged_in_clear(
    pay: Payments, browser: WebDriver
) -> None:
    """`wharf code create --amount 2.5 --count 3` prints three codes; one redeemed in the console adds 2.50; the same
    code again (as printed, or lower case without dashes) is refused with an error and adds nothing. No code, and none
    of the gateway secrets, occurs in any file of the data directory or in the server log."""
    w, driver, email = pay.wharf, browser, "redeemer@example.com"
    new_user(w, email)
    out = w.cli("code", "create", "--amount", "2.5", "--count", "3").stdout
    codes = out.split()
    pay.codes.extend(codes)
    assert len(codes) == 3 == len(set(codes)) and out == "\n".join(codes) + "\n", out
    assert all(CODE_RE.fullmatch(c) for c in codes), codes

    choose_cookies(driver, w.origin)
    sign_in(driver, w.origin, email, PASSWORD)
    driver.get(f"{w.origin}/console/billing")

    def redeem(text: str) -> None:
        box = driver.find_element(By.CSS_SELECTOR, "#redeem input[name=code]")
        box.clear()
        box.send_keys(text)
        old = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(By.CSS_SELECTOR, "#redeem button[type=submit]").click()
        wait_for(driver, lambda d: _is_stale(old), "the redeem answer")
        wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete", "page load")

    redeem(codes[0])
    assert "notice=notice_redeemed" in driver.current_url, page_error(driver)
    assert driver.find_element(By.ID, "balance").text == "2.50"
    assert_balance(w, email, "2.500000", "one code of 2.5")

    for text in (codes[0], codes[0].replace("-", "").lower()):
        redeem(text)
        errors = driver.find_elements(By.CSS_SELECTOR, "main .error")
        assert errors and errors[0].text.strip(), f"redeeming {text[:9]}… again showed no error"
        assert "notice=notice_redeemed" not in driver.current_url
        assert driver.find_element(By.ID, "balance").text == "2.50"
        assert_balance(w, email, "2.500000", "after redeeming the used code again")

    # The search does read the database: the user's email is found in it.
    assert leaks(w, {"the email": email}), f"the search of {w.data_dir} finds nothing at all"
    found = leaks(w, secret_texts(codes))
    assert not found, "stored or logged in clear: " + "; ".join(found)


# ---- 4. the operator's list --------------------------------------------------------------------------------


def test_payment_list_names_each_gateway_and_never_a_secret(pay: Payments) -> None:
    """`wharf payment list` shows both gateways (kind, status, currency, merchant, callback URL) and none of the
    secrets; `disable` takes a gateway off the billing page and marks it so in the list, `enable` brings it back."""
    w = pay.wharf

    def listing() -> dict[str, dict[str, str]]:
        result = w.cli("payment", "list")
        for name, text in secret_texts([]).items():
            assert text not in result.stdout + result.stderr, f"`wharf payment list` shows {name}"
        lines = result.stdout.splitlines()
        header = lines[0].split("\t")
        assert header[:3] == ["NAME", "KIND", "STATUS"], header
        return {row[0]: dict(zip(header, row)) for row in (line.split("\t") for line in lines[1:])}

    rows = listing()
    assert set(rows) == {EPAY_NAME, STRIPE_NAME}, rows
    epay, stripe_row = rows[EPAY_NAME], rows[STRIPE_NAME]
    assert (epay["KIND"], epay["STATUS"], epay["CURRENCY"], epay["MERCHANT"]) == ("epay", "enabled", "CNY", EPAY_PID)
    assert (stripe_row["KIND"], stripe_row["STATUS"], stripe_row["CURRENCY"]) == ("stripe", "enabled", "USD")
    assert epay["CALLBACK_URL"] == pay.callbacks[EPAY_NAME] and stripe_row["CALLBACK_URL"] == pay.callbacks[STRIPE_NAME]

    email = "lister@example.com"
    new_user(w, email)
    http = web_login(w.origin, email)

    def offered() -> bool:
        return f'<option value="{EPAY_NAME}"' in http.get(f"{w.origin}/console/billing", timeout=10).text

    def wait_offered(expected: bool) -> None:
        deadline = time.monotonic() + 15
        while offered() != expected:
            assert time.monotonic() < deadline, f"the billing page still {'lacks' if expected else 'offers'} Epay"
            time.sleep(0.3)

    assert offered()
    w.cli("payment", "disable", "--name", EPAY_NAME)
    try:
        assert listing()[EPAY_NAME]["STATUS"] == "disabled"
        wait_offered(False)
    finally:
        w.cli("payment", "enable", "--name", EPAY_NAME)
    assert listing()[EPAY_NAME]["STATUS"] == "enabled"
    wait_offered(True)
