#!/usr/bin/env python3
"""Load on the payment callback path of a real `wharf serve` (loopback only, bounded, stops what it starts).

What a gateway's retry storm costs: one Epay order is topped up through the console and paid by one signed notify;
then, three runs each, N replays of that notify (verified, settle finds the order paid: nothing credited, an event
logged) and N forged notifies (refused at the signature; past 60 a minute per address no longer logged) are sent by
C concurrent keep-alive clients, after the same load on `/healthz` (what this Python client can drive at all). Prints requests per second and latency percentiles per run, the median and spread
of the three runs, and checks the balance moved exactly once.

    WHARF_BIN=.build/release/wharf python3 Scripts/payments-load.py [--requests 3000] [--clients 16]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

KEY = "load-test-merchant-key-0123456789"
PASSWORD = "a long load password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign(params: dict[str, str], key: str) -> str:
    text = "&".join(f"{k}={params[k]}" for k in sorted(params) if params[k] != "" and k not in ("sign", "sign_type"))
    return hashlib.md5((text + key).encode()).hexdigest()


def notify_query(order: str, key: str) -> str:
    params = {
        "pid": "1001", "trade_no": "T" + order, "out_trade_no": order, "type": "alipay",
        "name": "load", "money": "10.00", "trade_status": "TRADE_SUCCESS",
    }
    params["sign"] = sign(params, key)
    params["sign_type"] = "MD5"
    return urllib.parse.urlencode(params)


def run(wharf: list[str], env: dict[str, str], *args: str) -> str:
    return subprocess.run([*wharf, *args], env=env, capture_output=True, text=True, check=True, timeout=120).stdout


def blast(port: int, path: str, total: int, clients: int) -> tuple[float, list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    per = total // clients

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        seen: dict[int, int] = {}
        for _ in range(per):
            start = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            seen[response.status] = seen.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in seen.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    elapsed = time.perf_counter() - started
    return per * clients / elapsed, sorted(latencies), statuses


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    binary = os.environ.get("WHARF_BIN", ".build/release/wharf")
    import requests  # the e2e venv has it

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
        env.update(WHARF_DATA_DIR=f"{tmp}/data", WHARF_PUBLIC_URL=f"http://127.0.0.1:{port}", WHARF_LOG_LEVEL="error")
        wharf = [binary]
        run(wharf, env, "migrate")
        run(wharf, env, "user", "create", "--email", "load@example.com", "--password", PASSWORD)
        callback = run(
            wharf, env, "payment", "add", "--name", "epay", "--kind", "epay", "--gateway-url", "http://127.0.0.1:9",
            "--merchant-id", "1001", "--key", KEY, "--currency", "CNY", "--credit-per-unit", "0.5",
        ).strip()
        path = urllib.parse.urlparse(callback).path
        server = subprocess.Popen(
            [*wharf, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.2)
            s = requests.Session()
            page = s.get(f"http://127.0.0.1:{port}/login", timeout=10).text
            csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
            s.post(f"http://127.0.0.1:{port}/login", data={"_csrf": csrf, "email": "load@example.com",
                   "password": PASSWORD}, timeout=30, allow_redirects=False)
            page = s.get(f"http://127.0.0.1:{port}/console/billing", timeout=10).text
            csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
            form = s.post(f"http://127.0.0.1:{port}/console/billing/topup",
                          data={"_csrf": csrf, "gateway": "epay", "amount": "10"}, timeout=30).text
            order = re.search(r'name="out_trade_no" value="([^"]+)"', form).group(1)
            good = f"{path}?{notify_query(order, KEY)}"
            forged = f"{path}?{notify_query(order, 'not-the-key')}"
            first = requests.get(f"http://127.0.0.1:{port}{good}", timeout=10)
            assert first.status_code == 200 and first.text == "success", first.text
            scenarios = (
                ("GET /healthz (the client's ceiling, for comparison)", "/healthz"),
                ("replayed notify (already paid)", good),
                ("forged notify (bad signature)", forged),
            )
            for name, target in scenarios:
                rates = []
                for i in range(3):
                    rate, lat, statuses = blast(port, target, args.requests, args.clients)
                    rates.append(rate)
                    print(f"{name} run {i + 1}: {rate:,.0f} req/s, p50 {pct(lat, 0.5):.2f} ms, "
                          f"p99 {pct(lat, 0.99):.2f} ms, statuses {statuses}")
                print(f"{name}: median {statistics.median(rates):,.0f} req/s "
                      f"(spread {min(rates):,.0f}–{max(rates):,.0f})")
            balance = run(wharf, env, "credit", "balance", "--user", "load@example.com").strip()
            print(f"balance after all runs: {balance} (one credit of 5.000000 expected)")
            verify = run(wharf, env, "ledger", "verify").strip()
            print(f"ledger verify: {verify}")
        finally:
            os.kill(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(server.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
