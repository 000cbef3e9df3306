#!/usr/bin/env python3
"""Costs that grow with data (issue 11, finding 10), measured against a real `wharf serve` on SQLite.

Fills a fresh data directory with AUDIT_ROWS keyed audit rows (hashed here exactly as Wharf hashes them, with a
known master key) and USAGE_ROWS request-log rows for one account, starts the server on 127.0.0.1, signs in as that
account (an admin), and times:
  - GET /admin/audit, four views 3 s apart (each checks the new rows; the whole chain is walked in the background);
  - POST /console/keys with --other-keys keys of another account stored, and how long until the new key is served;
  - GET /console/usage.csv (streamed by keyset), with the server's peak RSS (VmHWM) before and after.

Usage: python3 Scripts/console-scale.py [--wharf .build/debug/wharf] [--audit-rows 50000] [--usage-rows 100000]
                                        [--other-keys 5000]
Bounded: the server is stopped (SIGTERM, by its pid) at the end, whatever happens.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

import requests

MASTER = bytes(range(32))
EMAIL, PASSWORD = "scale@example.com", "scale password 1234"


def hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def field_bytes(fields: list[str]) -> bytes:
    out = b""
    for f in fields:
        b = f.encode()
        out += str(len(b)).encode() + b":" + b
    return out


def keyed_hash(prev: str, seq: int, created: int, actor: str | None, action: str, target: str | None, detail: str) -> str:
    key = hkdf(MASTER, b"wharf", b"wharf audit chain v1")
    key_id = hashlib.sha256(MASTER).hexdigest()[:8]
    mac = hmac.new(key, field_bytes([prev, str(seq), str(created), actor or "-", action, target or "-", detail]),
                   hashlib.sha256).hexdigest()
    return f"k1.{key_id}.{mac}"


def anchor_line(seq: int, head: str) -> str:
    key = hkdf(MASTER, b"wharf", b"wharf audit anchor v1")
    key_id = hashlib.sha256(MASTER).hexdigest()[:8]
    mac = hmac.new(key, f"{seq}|{head}".encode(), hashlib.sha256).hexdigest()
    return f"v1 {key_id} {seq} {head} {mac}\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_hwm_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wharf", default=".build/debug/wharf")
    ap.add_argument("--audit-rows", type=int, default=50_000)
    ap.add_argument("--usage-rows", type=int, default=100_000)
    ap.add_argument("--other-keys", type=int, default=5_000)
    args = ap.parse_args()
    wharf = os.path.abspath(args.wharf)
    data = tempfile.mkdtemp(prefix="wharf-scale-")
    env = dict(os.environ, WHARF_DATA_DIR=data, WHARF_MASTER_KEY=MASTER.hex(), WHARF_LOG_LEVEL="warning")
    server = None
    try:
        subprocess.run([wharf, "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([wharf, "admin", "create", "--email", EMAIL, "--password", PASSWORD], env=env, check=True,
                       capture_output=True)
        db = sqlite3.connect(os.path.join(data, "wharf.sqlite"))
        user_id = db.execute("SELECT id FROM users WHERE email = ?", (EMAIL,)).fetchone()[0]
        seq, prev = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        rows = []
        now = int(time.time() * 1000)
        for i in range(args.audit_rows):
            seq += 1
            detail = f"amount={i}"
            h = keyed_hash(prev, seq, now + i, user_id, "credit.adjust", user_id, detail)
            rows.append((seq, now + i, user_id, "credit.adjust", user_id, detail, prev, h))
            prev = h
        db.executemany("INSERT INTO audit_log (seq, created_at, actor_id, action, target, detail, prev_hash, hash) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        usage = [(f"req_{i:08d}", now - i * 10, user_id, "key_scale", "gpt-4o-mini", None, "chat", 12, 34, 0, 7,
                  120, None, "ok", 0, None) for i in range(args.usage_rows)]
        db.executemany("INSERT INTO usage_records (id, created_at, user_id, key_id, model, channel_id, endpoint, "
                       "prompt_tokens, completion_tokens, cached_tokens, cost, latency_ms, ttft_ms, status, stream, "
                       "client_ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", usage)
        other = "usr_scale_other"
        db.execute("INSERT INTO users (id, email, email_normalized, username, username_normalized, password_hash, "
                   "role, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'x', 'user', 'active', ?, ?)",
                   (other, "other@example.com", "other@example.com", "other", "other", now, now))
        db.execute("INSERT INTO wallets (user_id, balance, currency, updated_at) VALUES (?, 0, 'USD', ?)", (other, now))
        keys = [(f"key_other_{i:06d}", other, f"k{i}", hashlib.sha256(f"sk-other-{i}".encode()).hexdigest(),
                 "sk-oth", "active", "[]", "[]", 0, now) for i in range(args.other_keys)]
        db.executemany("INSERT INTO api_keys (id, user_id, name, key_hash, display_prefix, status, allowed_models, "
                       "allowed_ips, spent, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", keys)
        db.commit()
        db.close()
        with open(os.path.join(data, "audit-anchor"), "w") as f:
            f.write(anchor_line(seq, prev))
        port = free_port()
        server = subprocess.Popen([wharf, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        origin = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(f"{origin}/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        s = requests.Session()
        page = s.get(f"{origin}/login", timeout=10).text
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        r = s.post(f"{origin}/login", data={"email": EMAIL, "password": PASSWORD, "_csrf": csrf}, timeout=30,
                   allow_redirects=False)
        assert r.status_code == 303, r.status_code
        print(f"audit rows: {seq}; usage rows: {args.usage_rows}; binary: {args.wharf}")
        for label in ["first view", "view 2", "view 3", "view 4"]:
            t = time.perf_counter()
            body = s.get(f"{origin}/admin/audit", timeout=120).text
            ok = "verified" in body
            full = re.search(r"<p class=\"muted\">([^<]*)</p>", body)
            print(f"GET /admin/audit {label}: {(time.perf_counter() - t) * 1000:.0f} ms (chain ok: {ok}; {full.group(1) if full else ''})")
            time.sleep(3)
        page = s.get(f"{origin}/console/keys", timeout=30).text
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        t = time.perf_counter()
        page = s.post(f"{origin}/console/keys", data={"name": "fresh", "_csrf": csrf}, timeout=30).text
        created = time.perf_counter() - t
        secret = re.search(r"(sk-[A-Za-z0-9_-]{40,})", page).group(1)
        while time.perf_counter() - t < 30:
            r = requests.get(f"{origin}/v1/models", headers={"authorization": f"Bearer {secret}"}, timeout=10)
            if r.status_code == 200:
                break
            time.sleep(0.02)
        print(f"POST /console/keys with {args.other_keys} other keys stored: {created * 1000:.0f} ms; "
              f"the key is served {(time.perf_counter() - t) * 1000:.0f} ms after the request")
        before = vm_hwm_kib(server.pid)
        t = time.perf_counter()
        r = s.get(f"{origin}/console/usage.csv", timeout=300, stream=True)
        size = lines = 0
        for chunk in r.iter_content(65536):
            size += len(chunk)
            lines += chunk.count(b"\n")
        elapsed = time.perf_counter() - t
        print(f"GET /console/usage.csv: {elapsed:.2f} s, {size / 1e6:.1f} MB, {lines - 1} rows; "
              f"server peak RSS {before / 1024:.0f} MiB before, {vm_hwm_kib(server.pid) / 1024:.0f} MiB after")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    random.seed(1)
    main()
