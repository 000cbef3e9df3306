"""Stdlib-only fakes of two payment gateways for Wharf's end-to-end tests, each an http.server in a thread on
127.0.0.1 (port 0), speaking the real wire protocol (see /work/shared/research/payments.md §1 and §3).

FakeEpay (Epay v1, MD5 key):
  POST|GET /submit.php     checks pid and the signature of Wharf's page-pay form, then shows a cashier page with a
                           visible "Pay" button (#pay); a bad form gets 400 and an error page
  POST     /pay            the payer clicks "Pay": the order is paid, the signed notify is sent server-to-server
                           (GET notify_url?params, as the v1 server does), and, once Wharf answered `success`, the
                           browser is sent (303) to return_url with the same signed parameters
  GET      /api.php?act=order&pid=&key=&out_trade_no=   the query API (JSON, status 1 = paid)

FakeStripe (the parts of the Stripe API a Checkout top-up uses):
  POST /v1/checkout/sessions        form-encoded with bracket keys; Bearer auth; Idempotency-Key honoured
  GET  /v1/checkout/sessions/{id}
  POST /v1/refunds                  payment_intent + amount; updates the charge's cumulative amount_refunded
  GET  /c/pay/{id}                  the hosted checkout page the payer's browser is sent to
Events are built by the test (``event``) and signed with the official stripe package.
"""

from __future__ import annotations

import hashlib
import html
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"
NOTIFY_TIMEOUT_S = 15.0


def epay_sign(params: dict[str, str], key: str) -> str:
    """Epay v1: lowercase md5 of `k=v&...` over every non-empty parameter but sign/sign_type, sorted by key, raw
    values, with the merchant key appended directly."""
    text = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type") and v != "")
    return hashlib.md5((text + key).encode("utf-8")).hexdigest()


def signed_query(params: dict[str, str], key: str) -> str:
    """The query string a v1 server appends to notify_url / return_url: sorted params (PHP urlencode), then sign."""
    query = urllib.parse.urlencode(sorted(params.items()))
    return f"{query}&sign={epay_sign(params, key)}&sign_type=MD5"


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 in a daemon thread; ``close()`` stops it."""

    name = "fake"

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                owner._dispatch(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                owner._dispatch(self, "POST")

        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((HOST, 0), Handler)
        self.httpd.daemon_threads = True
        self.port: int = self.httpd.server_address[1]
        self.base_url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name=self.name, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def _dispatch(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urllib.parse.urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        try:
            status, headers, payload = self.handle(method, parts.path, parts.query, dict(h.headers.items()), body)
        except Exception as error:  # a bug in the fake must show, not hang the test
            status, headers, payload = 500, {"Content-Type": "text/plain"}, f"fake error: {error!r}".encode()
        h.send_response(status)
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError


def _html(status: int, title: str, body: str) -> tuple[int, dict[str, str], bytes]:
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        '<style>body{font-family:sans-serif;margin:3rem auto;max-width:36rem}button{font-size:1.4rem;'
        "padding:.6rem 2.4rem;background:#1677ff;color:#fff;border:0;border-radius:6px}</style></head>"
        f"<body>{body}</body></html>"
    )
    return status, {"Content-Type": "text/html; charset=utf-8"}, page.encode()


def _json(status: int, value: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(value).encode()


# ---- Epay --------------------------------------------------------------------------------------------


class FakeEpay(_Server):
    """An Epay v1 merchant platform for one merchant (`pid`, `key`). ``orders`` by out_trade_no; ``notifies`` holds
    (url, status, reply) of every notify sent; ``queries`` the out_trade_no of every act=order call."""

    name = "fake-epay"

    def __init__(self, pid: str, key: str) -> None:
        self.pid, self.key = pid, key
        self.orders: dict[str, dict[str, Any]] = {}
        self.notifies: list[tuple[str, int, str]] = []
        self.queries: list[str] = []
        self.rejected: list[str] = []
        self._trade = 0
        super().__init__()

    def notify_params(self, out_trade_no: str) -> dict[str, str]:
        """What the v1 server signs in its notify for a paid order."""
        order = self.orders[out_trade_no]
        f = order["form"]
        return {
            "pid": self.pid, "trade_no": order["trade_no"], "out_trade_no": out_trade_no, "type": f["type"],
            "name": f["name"], "money": f["money"], "trade_status": "TRADE_SUCCESS",
        }  # fmt: skip

    def mark_paid(self, out_trade_no: str) -> None:
        """The payer paid, but no notify is sent (a gateway without its retry cron)."""
        with self.lock:
            order = self.orders[out_trade_no]
            if not order["paid"]:
                self._trade += 1
                order["paid"], order["trade_no"] = True, f"2026{int(time.time())}{self._trade:04d}"

    def send_notify(self, out_trade_no: str) -> tuple[int, str]:
        """GET notify_url?<signed params> like the v1 server's do_notify; returns (status, reply body)."""
        url = self.orders[out_trade_no]["form"]["notify_url"]
        full = url + ("&" if "?" in url else "?") + signed_query(self.notify_params(out_trade_no), self.key)
        try:
            with urllib.request.urlopen(full, timeout=NOTIFY_TIMEOUT_S) as response:
                status, reply = response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            status, reply = error.code, error.read().decode(errors="replace")
        with self.lock:
            self.notifies.append((full, status, reply))
        return status, reply

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        form = dict(urllib.parse.parse_qsl(body.decode() if method == "POST" else query, keep_blank_values=True))
        if path == "/submit.php":
            return self._submit(form)
        if path == "/pay" and method == "POST":
            return self._pay(form.get("out_trade_no", ""))
        if path == "/api.php":
            return self._query(dict(urllib.parse.parse_qsl(query, keep_blank_values=True)))
        return _html(404, "Not found", "<h1>Not found</h1>")

    def _submit(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        missing = [k for k in ("pid", "type", "out_trade_no", "notify_url", "return_url", "name", "money", "sign")
                   if not form.get(k)]  # fmt: skip
        problem = (
            f"missing {', '.join(missing)}" if missing
            else "wrong pid" if form["pid"] != self.pid
            else "sign_type is not MD5" if form.get("sign_type", "MD5") != "MD5"
            else "签名校验失败 (bad signature)" if form["sign"] != epay_sign(form, self.key)
            else ""
        )  # fmt: skip
        if problem:
            with self.lock:
                self.rejected.append(problem)
            return _html(400, "Epay error", f'<h1 id="cashier-error">{html.escape(problem)}</h1>')
        with self.lock:
            self.orders.setdefault(form["out_trade_no"], {"form": form, "paid": False, "trade_no": ""})
        e = {k: html.escape(v) for k, v in form.items()}
        return _html(
            200,
            "Fake Epay cashier",
            f'<h1 id="cashier-title">Fake Epay cashier</h1><p id="cashier-name">{e["name"]}</p>'
            f'<p>Order <code id="cashier-order">{e["out_trade_no"]}</code> via <span id="cashier-type">{e["type"]}'
            f'</span></p><p>Amount: ¥<strong id="cashier-money">{e["money"]}</strong></p>'
            f'<form method="post" action="/pay"><input type="hidden" name="out_trade_no" value="{e["out_trade_no"]}">'
            '<button type="submit" id="pay">Pay</button></form>',
        )

    def _pay(self, out_trade_no: str) -> tuple[int, dict[str, str], bytes]:
        if out_trade_no not in self.orders:
            return _html(404, "Epay error", "<h1>unknown order</h1>")
        self.mark_paid(out_trade_no)
        status, reply = self.send_notify(out_trade_no)
        if status != 200 or reply != "success":
            text = html.escape(f"notify answered {status} {reply[:200]!r}")
            return _html(502, "Epay error", f'<h1 id="cashier-error">{text}</h1>')
        form = self.orders[out_trade_no]["form"]
        back = form["return_url"] + "?" + signed_query(self.notify_params(out_trade_no), self.key)
        return 303, {"Location": back}, b""

    def _query(self, q: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if q.get("act") != "order" or q.get("pid") != self.pid or q.get("key") != self.key:
            return _json(200, {"code": -1, "msg": "KEY校验失败"})
        no = q.get("out_trade_no", "")
        with self.lock:
            self.queries.append(no)
            order = self.orders.get(no)
        if order is None:
            return _json(200, {"code": -1, "msg": "订单号不存在"})
        f = order["form"]
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        return _json(200, {
            "code": 1, "msg": "查询订单号成功！", "trade_no": order["trade_no"], "out_trade_no": no,
            "type": f["type"], "pid": self.pid, "addtime": now, "endtime": now if order["paid"] else "",
            "name": f["name"], "money": f["money"], "status": 1 if order["paid"] else 0, "param": "", "buyer": "",
        })  # fmt: skip


# ---- Stripe ------------------------------------------------------------------------------------------


def _stripe_error(status: int, message: str, kind: str = "invalid_request_error") -> tuple[int, dict[str, str], bytes]:
    return _json(status, {"error": {"type": kind, "message": message}})


class FakeStripe(_Server):
    """Stripe's Checkout Session and Refund endpoints for one secret key. ``sessions``, ``charges`` and
    ``disputes`` by id; ``requests`` holds (method, path, headers, form) of every /v1 call."""

    name = "fake-stripe"

    def __init__(self, secret_key: str) -> None:
        self.secret_key = secret_key
        self.sessions: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        self._idempotent: dict[str, tuple[dict[str, str], tuple[int, dict[str, str], bytes]]] = {}
        super().__init__()

    @staticmethod
    def new_id(prefix: str) -> str:
        return f"{prefix}_test_{secrets.token_hex(12)}"

    def complete(self, session_id: str) -> dict[str, Any]:
        """The payer paid on the checkout page: the session is complete and paid, with a payment intent and charge."""
        with self.lock:
            session = self.sessions[session_id]
            intent, charge_id = self.new_id("pi"), self.new_id("ch")
            session.update(status="complete", payment_status="paid", payment_intent=intent)
            self.charges[charge_id] = {
                "id": charge_id, "object": "charge", "amount": session["amount_total"],
                "amount_captured": session["amount_total"], "amount_refunded": 0, "captured": True,
                "currency": session["currency"], "livemode": False, "metadata": dict(session["metadata"]),
                "paid": True, "payment_intent": intent, "refunded": False, "status": "succeeded",
            }  # fmt: skip
            return json.loads(json.dumps(session))

    def charge_of(self, intent: str) -> dict[str, Any]:
        with self.lock:
            return json.loads(json.dumps(next(c for c in self.charges.values() if c["payment_intent"] == intent)))

    def dispute(self, intent: str, status: str, dispute_id: str | None = None) -> dict[str, Any]:
        """A dispute object for the charge of `intent` over its amount not refunded."""
        charge = self.charge_of(intent)
        return {
            "id": dispute_id or self.new_id("dp"), "object": "dispute", "charge": charge["id"],
            "payment_intent": intent, "amount": charge["amount"] - charge["amount_refunded"],
            "currency": charge["currency"], "livemode": False, "reason": "fraudulent", "status": status,
        }  # fmt: skip

    @staticmethod
    def event(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> str:
        """A webhook payload as Stripe sends it (the exact bytes that get signed)."""
        return json.dumps({
            "id": event_id or FakeStripe.new_id("evt"), "object": "event", "api_version": "2024-06-20",
            "created": int(time.time()), "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "type": event_type, "data": {"object": obj},
        }, separators=(",", ":"))  # fmt: skip

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if path.startswith("/c/pay/"):
            session = self.sessions.get(path.removeprefix("/c/pay/"))
            if session is None:
                return _html(404, "Checkout", "<h1>Something went wrong</h1>")
            amount = f'{session["amount_total"] / 100:.2f} {session["currency"].upper()}'
            return _html(200, "Fake Stripe Checkout", f'<h1 id="checkout-title">Pay {html.escape(amount)}</h1>')
        if not path.startswith("/v1/"):
            return _stripe_error(404, "Unrecognized request URL")
        lower = {k.lower(): v for k, v in headers.items()}
        form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        with self.lock:
            self.requests.append((method, path, lower, form))
        if lower.get("authorization") != f"Bearer {self.secret_key}":
            return _stripe_error(401, "Invalid API Key provided", "authentication_error")
        key = lower.get("idempotency-key")
        if method == "POST" and key:
            with self.lock:
                seen = self._idempotent.get(f"{path} {key}")
            if seen is not None:
                return seen[1] if seen[0] == form else _stripe_error(400, "Keys for idempotent requests can only "
                                                                          "be used with the same parameters")
        answer = self._route(method, path, form)
        if method == "POST" and key and answer[0] == 200:
            with self.lock:
                self._idempotent[f"{path} {key}"] = (form, answer)
        return answer

    def _route(self, method: str, path: str, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(form)
        if method == "GET" and path.startswith("/v1/checkout/sessions/"):
            with self.lock:
                session = self.sessions.get(path.removeprefix("/v1/checkout/sessions/"))
            return _json(200, session) if session else _stripe_error(404, "No such checkout.session")
        if method == "POST" and path == "/v1/refunds":
            return self._refund(form)
        return _stripe_error(404, "Unrecognized request URL")

    def _create_session(self, f: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        prefix = "line_items[0][price_data]"
        try:
            unit, quantity = int(f[f"{prefix}[unit_amount]"]), int(f.get("line_items[0][quantity]", "1"))
            currency, expires_at = f[f"{prefix}[currency]"], int(f.get("expires_at") or time.time() + 86400)
        except (KeyError, ValueError) as error:
            return _stripe_error(400, f"Invalid or missing parameter: {error}")
        now = int(time.time())
        if f.get("mode") != "payment" or not now + 1800 - 5 <= expires_at <= now + 86400:
            return _stripe_error(400, "mode must be payment; expires_at must be 30 minutes to 24 hours away")
        session_id = self.new_id("cs")
        session = {
            "id": session_id, "object": "checkout.session", "amount_subtotal": unit * quantity,
            "amount_total": unit * quantity, "cancel_url": f.get("cancel_url"),
            "client_reference_id": f.get("client_reference_id"), "created": now, "currency": currency,
            "expires_at": expires_at, "livemode": False, "metadata": {
                k[len("metadata["):-1]: v for k, v in f.items() if k.startswith("metadata[")
            }, "mode": "payment", "payment_intent": None, "payment_status": "unpaid", "status": "open",
            "success_url": f.get("success_url"), "url": f"{self.base_url}/c/pay/{session_id}",
        }  # fmt: skip
        with self.lock:
            self.sessions[session_id] = session
        return _json(200, session)

    def _refund(self, f: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            charge = next((c for c in self.charges.values() if c["payment_intent"] == f.get("payment_intent")), None)
            if charge is None:
                return _stripe_error(404, "No such payment_intent")
            amount = int(f.get("amount") or charge["amount"] - charge["amount_refunded"])
            if amount <= 0 or charge["amount_refunded"] + amount > charge["amount"]:
                return _stripe_error(400, "Refund amount is greater than unrefunded amount on charge")
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            refund = {
                "id": self.new_id("re"), "object": "refund", "amount": amount, "charge": charge["id"],
                "currency": charge["currency"], "payment_intent": charge["payment_intent"], "status": "succeeded",
                "metadata": {k[len("metadata["):-1]: v for k, v in f.items() if k.startswith("metadata[")},
            }  # fmt: skip
        return _json(200, refund)
