"""The website and console in a real browser (headless Chromium driven by Selenium) against a real `wharf serve`,
as a person would use them: sign up, confirm the email, sign in, create a key, call the API with the official
openai SDK, find the request in the log and on the dashboard, sign out; the same pages in Simplified Chinese;
forms without their CSRF token; hostile input; the admin area and its address allowlist.

Screenshots (1280x900, English) of the main pages go to docs/screenshots/ when WHARF_UPDATE_SCREENSHOTS=1, else to
a temporary directory.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Iterator

import openai
import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from browser_support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    CHANNEL_NAME,
    MODEL,
    WINDOW,
    MailSink,
    alert_text,
    choose_cookies,
    create_key,
    fill,
    fit_window,
    heading,
    html_lang,
    http_session,
    mail_text,
    new_browser,
    page_error,
    path_of,
    register,
    requests_chart_bars,
    set_raw,
    sign_in,
    sign_out,
    start_console_server,
    stop_console_server,
    submit,
    table_rows,
    user_exists,
    wait_for,
    wait_for_usage_row,
)
from conftest import REPO_ROOT, Wharf, free_port
from stub_upstream import StubServer

PASSWORD = "a long browser password"
MAIL_DELIVERY_SOURCES = REPO_ROOT / "Sources" / "WharfServer" / "Mail"
SCRIPT = "<script>alert(1)</script>"
SQL = "' OR 1=1 --"
FORM_TAIL = "password=aaaaaaaaaaaa&age=on&policy=on"


# ---- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(stub: StubServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wharf]:
    """A server without SMTP: sign-up needs no email confirmation."""
    server = start_console_server(
        tmp_path_factory.mktemp("console"), stub, {"WHARF_REQUIRE_EMAIL_VERIFICATION": "false"}
    )
    try:
        yield server
    finally:
        stop_console_server(server)


@pytest.fixture()
def browser_zh() -> Iterator[WebDriver]:
    driver = new_browser("zh-CN")
    try:
        yield driver
    finally:
        driver.quit()


# ---- helpers -----------------------------------------------------------------------------------------


def call_chat(origin: str, api_key: str, timeout: float = 20.0) -> openai.types.chat.ChatCompletion:
    """One chat completion with the new key; a key or credit made a moment ago may take a reload (about 1 s)
    to reach the relay, so 401/402/403/429 (unknown key, no credit yet) are retried until `timeout`."""
    client = openai.OpenAI(base_url=f"{origin}/v1", api_key=api_key, max_retries=0, timeout=30.0)
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "Hello from the browser test"}], max_tokens=16
            )
        except openai.APIStatusError as error:
            if error.status_code not in (401, 402, 403, 429) or time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def first_request_shows_in_console(
    driver: WebDriver, server: Wharf, email_address: str, key_name: str, *, stored_no: str
) -> None:
    """Create a key in the browser, grant credit with the CLI, call the API with the openai SDK, then find the
    request in the log and on the dashboard."""
    origin = server.origin
    secret = create_key(driver, origin, key_name)
    assert re.fullmatch(r"sk-[A-Za-z0-9_\-]+", secret), "the new key is shown once, in full"
    assert any(row[0] == key_name for row in table_rows_of_keys(driver)), "the new key is listed"
    server.cli("credit", "grant", "--user", email_address, "--amount", "5")

    completion = call_chat(origin, secret)
    assert completion.choices[0].message.content == "Hello from stub"

    row = wait_for_usage_row(driver, origin, MODEL)
    assert row[2] == key_name, row
    # time, model, key, status, region, prompt, cache read, cache write, completion, reasoning, cost, latency,
    # content stored
    assert row[4] == "unknown", f"the region column says {row[4]!r}"
    assert row[12] == stored_no, f"the content-stored column says {row[12]!r}"
    assert int(row[5]) == completion.usage.prompt_tokens and int(row[8]) == completion.usage.completion_tokens, row
    assert (row[6], row[7], row[9]) == ("0", "0", "0"), row

    driver.get(f"{origin}/console")
    assert int(driver.find_element(By.ID, "requests-30d").text) >= 1
    bars = requests_chart_bars(driver)
    assert len(bars) == 30, f"30 days in the requests chart, got {len(bars)}"
    assert max(bars.values()) >= 1, f"no non-zero bar in the requests chart: {bars}"


def table_rows_of_keys(driver: WebDriver) -> list[list[str]]:
    rows = driver.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    return [[c.text.strip() for c in r.find_elements(By.TAG_NAME, "td")] for r in rows]


def signed_out_console_redirects_to_login(driver: WebDriver, origin: str) -> None:
    driver.get(f"{origin}/console")
    assert path_of(driver).startswith("/login"), f"/console after sign-out went to {path_of(driver)}"
    assert driver.find_elements(By.ID, "login-submit")


def post_raw(driver: WebDriver, origin: str, path: str, body: str) -> requests.Response:
    """POSTs `body` as-is (application/x-www-form-urlencoded; each character of `body` is sent as one byte, so
    "\u00ff" is the raw byte 0xFF) with the browser's cookies; `{csrf}` in the body becomes the current page's CSRF
    token. (Not with fetch() from the page: the site's Content-Security-Policy rightly forbids it.)"""
    token = driver.find_element(By.CSS_SELECTOR, "input[name='_csrf']").get_attribute("value") or ""
    return http_session(driver).post(
        origin + path,
        data=body.replace("{csrf}", requests.utils.quote(token, safe="")).encode("latin-1"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
        timeout=10,
    )


def no_script_ran(driver: WebDriver) -> None:
    assert alert_text(driver) is None, "an injected script opened an alert"
    assert driver.execute_script("return document.scripts.length") == 0, "the page has a <script> element"


# ---- a. a new user in English, email confirmation included --------------------------------------------


@pytest.mark.skipif(
    not MAIL_DELIVERY_SOURCES.is_dir(),
    reason="SMTP delivery of the outbox (Sources/WharfServer/Mail) is not in this checkout yet: no mail would arrive",
)
def test_a_new_user_confirms_their_email_creates_a_key_and_finds_their_first_request(
    stub: StubServer, tmp_path_factory: pytest.TempPathFactory, browser: WebDriver
) -> None:
    sink = MailSink().start()
    port = free_port()
    server = start_console_server(
        tmp_path_factory.mktemp("console-mail"),
        stub,
        {
            "WHARF_SMTP_HOST": "127.0.0.1",
            "WHARF_SMTP_PORT": str(sink.port),
            "WHARF_SMTP_SECURITY": "none",
            "WHARF_SMTP_FROM": "Wharf <no-reply@example.com>",
            "WHARF_PUBLIC_URL": f"http://127.0.0.1:{port}",
        },
        port=port,
    )
    try:
        origin, address = server.origin, "erin@example.com"
        register(browser, origin, email_address=address, username="erin", password=PASSWORD)
        assert html_lang(browser) == "en"
        assert heading(browser) == "Check your email", page_error(browser)

        # Not confirmed yet: sign-in is refused with a clear message.
        browser.get(f"{origin}/login")
        fill(browser, {"email": address, "password": PASSWORD})
        submit(browser, "login-submit")
        assert path_of(browser).startswith("/login"), path_of(browser)
        assert "Confirm your email first" in browser.find_element(By.CSS_SELECTOR, "main .error").text

        message = sink.wait_for(address)
        text = mail_text(message)
        links = re.findall(rf"{re.escape(origin)}/verify\?token=[A-Za-z0-9_\-]+", text)
        assert links, f"no {origin}/verify?token=... link in the mail {message.get('Subject')!r}"
        browser.get(links[0])
        assert heading(browser) == "Email confirmed", page_error(browser)
        # The link is single-use.
        browser.get(links[0])
        assert "Something went wrong" in heading(browser)

        sign_in(browser, origin, address, PASSWORD)
        first_request_shows_in_console(browser, server, address, "first key", stored_no="no")
        sign_out(browser)
        signed_out_console_redirects_to_login(browser, origin)
    finally:
        stop_console_server(server)
        sink.stop()


# ---- b. Simplified Chinese -----------------------------------------------------------------------------


def test_b_sign_up_sign_in_and_key_pages_speak_simplified_chinese(site: Wharf, browser_zh: WebDriver) -> None:
    origin, driver, address = site.origin, browser_zh, "lin@example.com"
    # Chromium asks for zh-CN (Accept-Language): no ?lang= needed.
    driver.get(f"{origin}/")
    assert html_lang(driver) == "zh-CN"
    driver.get(f"{origin}/register")
    assert html_lang(driver) == "zh-CN"
    assert heading(driver) == "创建账户"
    assert driver.find_element(By.ID, "register-submit").text == "注册"

    register(driver, origin, email_address=address, username="lin_2026", password=PASSWORD)
    assert html_lang(driver) == "zh-CN"
    driver.get(f"{origin}/login")
    assert heading(driver) == "登录"
    assert driver.find_element(By.ID, "login-submit").text == "登录"
    sign_in(driver, origin, address, PASSWORD)

    driver.get(f"{origin}/console/keys")
    assert html_lang(driver) == "zh-CN"
    assert heading(driver) == "API 密钥"
    assert driver.find_element(By.ID, "create-key").text == "创建密钥"
    assert driver.find_element(By.ID, "logout").text == "退出登录"
    first_request_shows_in_console(driver, site, address, "我的密钥", stored_no="否")
    assert heading(driver) == "概览"
    driver.get(f"{origin}/console/usage")
    assert heading(driver) == "请求日志"

    # ?lang=en switches a signed-in user's pages to English.
    driver.get(f"{origin}/console/keys?lang=en")
    assert html_lang(driver) == "en" and heading(driver) == "API keys"
    driver.get(f"{origin}/console/keys?lang=zh-CN")
    assert heading(driver) == "API 密钥"
    sign_out(driver)
    signed_out_console_redirects_to_login(driver, origin)


# ---- c. CSRF -----------------------------------------------------------------------------------------


def test_c_a_form_posted_without_its_csrf_token_is_refused_with_403(site: Wharf, browser: WebDriver) -> None:
    origin = site.origin
    browser.get(f"{origin}/contact")
    http = http_session(browser)
    assert "wharf_csrf" in http.cookies, "signed out, the CSRF token travels in the wharf_csrf cookie"
    form = {"email": "csrf@example.com", "subject": "no token", "message": "hello"}

    for extra in ({}, {"_csrf": ""}, {"_csrf": "forged-token-0000000000000000000000000"}):
        answer = http.post(f"{origin}/contact", data={**form, **extra}, allow_redirects=False, timeout=10)
        assert answer.status_code == 403, (extra, answer.status_code)
        assert "did not come from this site" in answer.text

    # Signed in: the session's token, not the signed-out cookie, is required.
    sign_in(browser, origin, ADMIN_EMAIL, ADMIN_PASSWORD)
    http = http_session(browser)
    answer = http.post(f"{origin}/console/keys", data={"name": "csrf-less"}, allow_redirects=False, timeout=10)
    assert answer.status_code == 403
    answer = http.post(f"{origin}/logout", data={"x": "1"}, allow_redirects=False, timeout=10)
    assert answer.status_code == 403
    browser.get(f"{origin}/console/keys")
    assert "csrf-less" not in browser.page_source, "a key was created by a form without its token"
    assert path_of(browser) == "/console/keys", "the session survived the forged sign-out"

    # The same form with the page's token goes through: the 403s above were about the token only.
    token = browser.find_element(By.CSS_SELECTOR, "main input[name='_csrf']").get_attribute("value")
    answer = http.post(f"{origin}/console/keys", data={"name": "with-token", "_csrf": token}, timeout=10)
    assert answer.status_code == 200 and 'id="new-key-secret"' in answer.text
    sign_out(browser)


# ---- d. hostile input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, fields, message",
    [
        ("script in username", {"username": SCRIPT}, "The username must be 3 to 32"),
        ("5000-char username", {"username": "u" * 5000}, "The username must be 3 to 32"),
        ("SQL in username", {"username": SQL}, "The username must be 3 to 32"),
        ("SQL in email", {"email": SQL}, "Enter a valid email address"),
        ("script in email", {"email": f"{SCRIPT}@example.com"}, "Enter a valid email address"),
        ("5000-char email", {"email": "e" * 5000 + "@example.com"}, "Enter a valid email address"),
        ("script in phone", {"phone": SCRIPT}, "Enter a phone number"),
    ],
)
def test_d_hostile_sign_up_input_is_refused_with_a_clear_error_shown_escaped_and_stored_nowhere(
    site: Wharf, browser: WebDriver, case: str, fields: dict[str, str], message: str
) -> None:
    origin = site.origin
    values = {"email": "mallory@example.com", "username": "mallory", "password": PASSWORD, **fields}
    browser.get(f"{origin}/register")
    set_raw(browser, values)
    for box in ("age", "policy"):
        browser.find_element(By.CSS_SELECTOR, f"main input[name='{box}']").click()
    submit(browser, "register-submit", bypass_validation=True)

    no_script_ran(browser)
    error = browser.find_element(By.CSS_SELECTOR, "main .error").text
    assert message.lower() in error.lower(), f"{case}: error {error!r}"
    # What was typed comes back in the form as text (escaped in the HTML), never as markup.
    for name in ("email", "username", "phone"):
        shown = browser.find_element(By.CSS_SELECTOR, f"main [name='{name}']").get_attribute("value")
        assert shown == values.get(name, ""), f"{case}: the {name} field came back as {shown[:80]!r}"

    # The raw answer: 400, not 500, hostile text escaped.
    answer = post_raw(browser, origin, "/register", "_csrf={csrf}&" + "&".join(
        f"{k}={requests.utils.quote(v, safe='')}" for k, v in {**values, "age": "on", "policy": "on"}.items()
    ))
    assert answer.status_code == 400, f"{case}: {answer.status_code}"
    assert SCRIPT not in answer.text, f"{case}: the script tag came back unescaped"
    policy = answer.headers.get("Content-Security-Policy", "")
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy, f"no script-blocking CSP: {policy!r}"
    if SCRIPT in "".join(fields.values()):
        assert "&lt;script&gt;" in answer.text or "&#60;script&#62;" in answer.text

    assert not user_exists(site, values["email"]), f"{case}: a user was stored"
    assert not user_exists(site, "mallory@example.com")


@pytest.mark.parametrize(
    "case, body",
    [
        ("invalid UTF-8 in a field", "_csrf={csrf}&email=a%40example.com&username=%FF%FEab&" + FORM_TAIL),
        ("a lone continuation byte", "_csrf={csrf}&email=b%40example.com&username=abc%80&" + FORM_TAIL),
        ("invalid UTF-8 in a field name", "_csrf={csrf}&%C3%28=1&email=c%40example.com"),
        ("broken percent escape", "_csrf={csrf}&email=d%40example.com&username=%G1%&password=aaaaaaaaaaaa"),
        ("raw bytes outside escapes", "_csrf={csrf}&email=e%40example.com&username=\u00ff\u00fe&password=aaaaaaaaaaaa"),
    ],
)
def test_d_invalid_utf8_form_bodies_get_a_clear_400_never_a_500(
    site: Wharf, browser: WebDriver, case: str, body: str
) -> None:
    browser.get(f"{site.origin}/register")
    answer = post_raw(browser, site.origin, "/register", body)
    assert answer.status_code == 400, f"{case}: status {answer.status_code}"
    text = answer.text
    assert "could not be read" in text or 'role="alert"' in text, f"{case}: no clear error in the page"
    for address in ("a@example.com", "b@example.com", "c@example.com", "d@example.com", "e@example.com"):
        assert not user_exists(site, address), f"{case}: a user was stored"


def test_d_hostile_contact_messages_are_escaped_for_the_admin_and_overlong_ones_rejected(
    site: Wharf, browser: WebDriver
) -> None:
    origin = site.origin
    # A long, hostile subject (over the 200-character limit) is refused and stored nowhere.
    browser.get(f"{origin}/contact")
    set_raw(browser, {"email": "eve@example.com", "subject": SCRIPT + "x" * 5000, "message": "too long subject"})
    submit(browser, bypass_validation=True)
    no_script_ran(browser)
    assert "longer than allowed" in browser.find_element(By.CSS_SELECTOR, "main .error").text

    # A hostile but well-formed message is accepted, and shown to staff as text.
    browser.get(f"{origin}/contact")
    hostile_message = f"{SQL}; DROP TABLE users; -- \u4f60\u597d"
    fill(browser, {"email": "eve@example.com", "subject": SCRIPT, "message": hostile_message})
    submit(browser)
    no_script_ran(browser)
    assert heading(browser) == "Message received", page_error(browser)

    # SQL in the sign-in form is just a wrong email.
    browser.get(f"{origin}/login")
    set_raw(browser, {"email": SQL, "password": SQL})
    submit(browser, "login-submit", bypass_validation=True)
    assert path_of(browser).startswith("/login")
    assert browser.find_element(By.CSS_SELECTOR, "main .error").text

    sign_in(browser, origin, ADMIN_EMAIL, ADMIN_PASSWORD)
    browser.get(f"{origin}/admin/support")
    no_script_ran(browser)
    subjects = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "main article.card h2")]
    assert SCRIPT in subjects, f"the hostile subject is shown as text: {subjects}"
    assert not any("too long subject" in c.text for c in browser.find_elements(By.CSS_SELECTOR, "main article.card")), (
        "the rejected message was stored"
    )
    bodies = [p.text for p in browser.find_elements(By.CSS_SELECTOR, "main article.card p.pre")]
    assert hostile_message in bodies, bodies
    raw = http_session(browser).get(f"{origin}/admin/support", timeout=10).text
    assert SCRIPT not in raw and ("&lt;script&gt;" in raw or "&#60;script&#62;" in raw)
    # The users table is still there after the SQL fragments.
    browser.get(f"{origin}/admin/users")
    assert ADMIN_EMAIL in browser.page_source
    sign_out(browser)


def test_d_an_admin_replying_to_a_hostile_contact_message_changes_nothing_else(site: Wharf, browser: WebDriver) -> None:
    """Issue 11, finding 1: a message whose markup is joined to a Unicode Prepend character (U+0600) opened a form
    around the admin's own reply form, so "Send reply" set a model's price to 0. Escaping by scalar closes it."""
    origin = site.origin
    prices_before = site.cli("price", "list").stdout
    joined = "\u0600"
    attack = (
        f"{joined}<form action=/admin/prices method=post>{joined}<input name=model value={MODEL}>"
        f"{joined}<input name=input value=0>{joined}<input name=output value=0>"
    )
    subject = "Prepend probe " + str(int(time.time()))
    browser.get(f"{origin}/contact")
    fill(browser, {"email": "mallory@example.com", "subject": subject, "message": attack})
    submit(browser)
    assert heading(browser) == "Message received", page_error(browser)

    sign_in(browser, origin, ADMIN_EMAIL, ADMIN_PASSWORD)
    browser.get(f"{origin}/admin/support")
    no_script_ran(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, "form[action='/admin/prices']"), "the message made a form"
    card = next(
        c for c in browser.find_elements(By.CSS_SELECTOR, "main article.card")
        if c.find_element(By.CSS_SELECTOR, "h2").text == subject
    )
    assert attack in card.find_element(By.CSS_SELECTOR, "p.pre").text, "the message is shown as text, marks kept"
    card.find_element(By.CSS_SELECTOR, "textarea[name=reply]").send_keys("Thanks, we are looking into it.")
    card.find_element(By.CSS_SELECTOR, "form[action$='/reply'] button[type=submit]").click()
    wait_for(browser, lambda d: "notice=notice_reply_sent" in d.current_url, "the reply to be sent")
    assert site.cli("price", "list").stdout == prices_before, "the reply changed a price"
    sign_out(browser)


# ---- e. admin ------------------------------------------------------------------------------------------


def test_e_an_admin_signs_in_and_sees_the_channel_listed(site: Wharf, browser: WebDriver) -> None:
    origin = site.origin
    sign_in(browser, origin, ADMIN_EMAIL, ADMIN_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "header a[href='/admin']").click()
    wait_for(browser, lambda d: path_of(d).startswith("/admin/users"), "the admin area")
    browser.get(f"{origin}/admin/channels")
    assert heading(browser) == "Channels"
    rows = table_rows(browser, "channels")
    names = [row[0] for row in rows if row]
    assert CHANNEL_NAME in names, rows
    row = rows[names.index(CHANNEL_NAME)]
    assert MODEL in " ".join(row), row
    sign_out(browser)


def test_e_an_admin_outside_the_admin_allowlist_gets_403(
    stub: StubServer, tmp_path_factory: pytest.TempPathFactory, browser: WebDriver
) -> None:
    # 192.0.2.0/24 is a documentation range: the loopback browser is outside the list.
    server = start_console_server(
        tmp_path_factory.mktemp("console-allowlist"), stub, {"WHARF_ADMIN_ALLOWLIST": "192.0.2.0/24"}
    )
    try:
        origin = server.origin
        sign_in(browser, origin, ADMIN_EMAIL, ADMIN_PASSWORD)
        browser.get(f"{origin}/admin/users")
        assert "not reachable from your network address" in browser.find_element(By.TAG_NAME, "main").text
        http = http_session(browser)
        for path in ("/admin/users", "/admin/channels", "/admin/audit"):
            answer = http.get(origin + path, allow_redirects=False, timeout=10)
            assert answer.status_code == 403, (path, answer.status_code)
            assert ADMIN_EMAIL not in answer.text
        # The console itself still works for the same account.
        browser.get(f"{origin}/console")
        assert path_of(browser) == "/console"
    finally:
        stop_console_server(server)


# ---- screenshots -----------------------------------------------------------------------------------------


def test_screenshots_of_landing_dashboard_keys_request_log_and_admin_channels(
    site: Wharf, browser: WebDriver, screenshot_dir: Path
) -> None:
    origin, driver, address = site.origin, browser, "dana@example.com"
    fit_window(driver)
    size = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    assert tuple(size) == WINDOW, f"the page is {size[0]}x{size[1]}, not {WINDOW[0]}x{WINDOW[1]}"

    def shot(name: str) -> None:
        wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete", "page load")
        path = screenshot_dir / f"{name}.png"
        assert driver.save_screenshot(str(path)), path
        assert path.stat().st_size > 5000, f"{path} looks empty"

    choose_cookies(driver, origin)
    driver.get(f"{origin}/")
    shot("landing")

    register(driver, origin, email_address=address, username="dana", password=PASSWORD)
    sign_in(driver, origin, address, PASSWORD)
    first_request_shows_in_console(driver, site, address, "laptop", stored_no="no")
    shot("dashboard")
    driver.get(f"{origin}/console/keys")
    shot("keys")
    driver.get(f"{origin}/console/usage")
    shot("request-log")
    sign_out(driver)

    sign_in(driver, origin, ADMIN_EMAIL, ADMIN_PASSWORD)
    driver.get(f"{origin}/admin/channels")
    shot("admin-channels")
    sign_out(driver)
