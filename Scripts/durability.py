#!/usr/bin/env python3
"""Durability of charges under load, against the real `wharf` binary, on SQLite (default) or PostgreSQL.

Scenarios (all by default; bounded in time, loopback only, stop only the processes they start):
  sigterm   SIGTERM under load: every answered request is billed, nothing twice, exit 0.
  kill9     ten kill -9 cycles under load: `ledger verify` green after each, nothing billed twice, and the
            requests answered but not billed per kill at most what was answered in the last flush interval
            (plus the requests in flight).
  poison    a user deleted underneath the server (its usage rows can no longer be written): a bystander's
            charges are all written, the victim's are kept on disk and reported, the shutdown is clean.
  pgkill    (PostgreSQL only) every database connection of the server killed, five times, under load:
            nothing lost, clean shutdown.

Every request costs the same known amount (the stub reports 12 prompt and 5 completion tokens; prices 1 and 2
per million: 22 micro-units), so the balance after a run must equal start - 22 x (usage records), exactly.

Usage: python3 Scripts/durability.py [--postgres URL] [--bin .build/debug/wharf] [scenario ...]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
from stub_upstream import StubServer  # noqa: E402

COST = 22  # micro-units per request (see above)
START = 1_000_000_000  # 1000.000000 credit
FLUSH_MS = 100


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """A data directory (and maybe a PostgreSQL URL) with the CLI and one server at a time."""

    def __init__(self, binary: str, root: Path, postgres: str | None) -> None:
        self.binary = binary
        self.root = root
        self.data = root / "data"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
        self.env.update({"WHARF_DATA_DIR": str(self.data), "WHARF_USAGE_FLUSH_MS": str(FLUSH_MS),
                         "WHARF_LOG_LEVEL": os.environ.get("DURABILITY_LOG_LEVEL", "notice"), "WHARF_KEY_RPM": "1000000"})
        if postgres:
            self.env["WHARF_DATABASE_URL"] = postgres
            self.env["WHARF_MASTER_KEY"] = "cd" * 32
        self.postgres = postgres
        self.server: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.logs: list[Path] = []

    def cli(self, *args: str, check: bool = True) -> str:
        result = subprocess.run([self.binary, *args], capture_output=True, text=True, env=self.env, timeout=120)
        if check and result.returncode != 0:
            raise SystemExit(f"`wharf {' '.join(args)}` failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def start(self) -> None:
        self.port = free_port()
        log = self.root / f"server-{len(self.logs)}.log"
        self.logs.append(log)
        with open(log, "wb") as out:
            self.server = subprocess.Popen([self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                           stdout=out, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"the server exited at start:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start within 60 s")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.server is not None
        self.server.send_signal(sig)
        try:
            return self.server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
            raise SystemExit("the server did not stop within 60 s of the signal")

    def sql(self, query: str) -> list[tuple]:
        if self.postgres:
            out = subprocess.run(["psql", self.postgres.split("?")[0], "-At", "-F", "\t", "-c", query],
                                 capture_output=True, text=True, timeout=60)
            if out.returncode != 0:
                raise SystemExit(f"psql failed: {out.stderr}")
            return [tuple(line.split("\t")) for line in out.stdout.splitlines() if line]
        with sqlite3.connect(self.data / "wharf.sqlite", timeout=30) as db:
            return list(db.execute(query))

    def records(self, user_id: str) -> int:
        return int(self.sql(f"SELECT COUNT(*) FROM usage_records WHERE user_id = '{user_id}' AND cost > 0")[0][0])

    def balance(self, email: str) -> int:
        text = self.cli("credit", "balance", "--user", email)
        whole, _, frac = text.partition(".")
        return int(whole) * 1_000_000 + int((frac + "000000")[:6])


class Load:
    """Threads sending chat requests with one key; counts what was answered, with the time of each answer."""

    def __init__(self, port: int, key: str, threads: int = 6) -> None:
        self.port = port
        self.key = key
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.answered: list[float] = []
        self.failed = 0
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self) -> None:
        body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "durability"}]}).encode()
        while not self.stopping.is_set():
            request = urllib.request.Request(f"http://127.0.0.1:{self.port}/v1/chat/completions", data=body,
                                             headers={"Authorization": f"Bearer {self.key}",
                                                      "Content-Type": "application/json"})
            with self.lock:
                self.sent += 1
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    answer.read()
                    ok = answer.status == 200
            except (OSError, urllib.error.HTTPError):
                ok = False
            with self.lock:
                if ok:
                    self.answered.append(time.monotonic())
                else:
                    self.failed += 1
            if not ok:
                time.sleep(0.05)

    def start(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=15)


def setup(node: Node, stub: StubServer, emails: list[str]) -> dict[str, tuple[str, str]]:
    """Migrates, adds the channel and price, and creates each user with START credit and a key."""
    node.cli("migrate")
    node.cli("channel", "add", "--name", "stub", "--provider", "openai-compatible", "--base-url", stub.base_url,
             "--api-key", "upstream-key", "--models", "gpt-4o-mini", check=False)
    node.cli("price", "set", "--model", "gpt-4o-mini", "--input", "1", "--output", "2")
    users = {}
    for email in emails:
        node.cli("user", "create", "--email", email, "--password", "a long password 1")
        node.cli("credit", "grant", "--user", email, "--amount", str(START // 1_000_000))
        key = node.cli("key", "create", "--user", email)
        user_id = node.sql(f"SELECT id FROM users WHERE email = '{email}'")[0][0]
        users[email] = (str(user_id), key)
    return users


def check_books(node: Node, email: str, user_id: str, answered: int, sent: int, label: str) -> int:
    """Every answered request billed, none twice, the balance exact, the ledger verified."""
    records = node.records(user_id)
    balance = node.balance(email)
    verify = subprocess.run([node.binary, "ledger", "verify"], capture_output=True, text=True, env=node.env)
    print(f"  {label}: answered {answered}, sent {sent}, usage records {records}, balance {balance} "
          f"(expected {START - COST * records}), ledger verify: {verify.stdout.strip() or verify.stderr.strip()}")
    assert balance == START - COST * records, "the balance is not start - cost x records"
    assert records <= sent, "more records than requests sent: billed twice"
    assert verify.returncode == 0, "ledger verify failed"
    return records


def scenario_sigterm(node: Node, stub: StubServer) -> None:
    users = setup(node, stub, ["load@example.com"])
    user_id, key = users["load@example.com"]
    node.start()
    load = Load(node.port, key).start()
    time.sleep(4)
    code = node.stop(signal.SIGTERM)
    load.stop()
    print(f"  exit status {code}")
    assert code == 0, "SIGTERM did not end in a clean exit"
    records = check_books(node, "load@example.com", user_id, len(load.answered), load.sent, "sigterm")
    assert records >= len(load.answered), f"{len(load.answered) - records} answered requests were not billed"
    assert not (node.data / "unwritten-usage.jsonl").exists(), "charges were left on disk with the database up"


def scenario_kill9(node: Node, stub: StubServer) -> None:
    users = setup(node, stub, ["kill@example.com"])
    user_id, key = users["kill@example.com"]
    answered_total = 0
    sent_total = 0
    worst = 0
    for cycle in range(1, 11):
        before = node.records(user_id)
        node.start()
        load = Load(node.port, key).start()
        time.sleep(1.5)
        node.server.kill()  # SIGKILL
        node.server.wait()
        load.stop()
        answered_total += len(load.answered)
        sent_total += load.sent
        billed = node.records(user_id) - before
        lost = len(load.answered) - billed
        last = load.answered[-1] if load.answered else 0
        recent = sum(1 for t in load.answered if t >= last - FLUSH_MS / 1000)
        allowed = recent + len(load.threads)
        worst = max(worst, lost)
        check_books(node, "kill@example.com", user_id, answered_total, sent_total, f"kill -9 #{cycle}")
        print(f"    this kill: {len(load.answered)} answered, {billed} billed, {lost} unbilled "
              f"(answered in the last flush interval: {recent}, in flight at most {len(load.threads)})")
        assert lost <= allowed, "more lost than one flush interval of answers"
    print(f"  ten kills: at most {worst} answered requests unbilled per kill")


def scenario_poison(node: Node, stub: StubServer) -> None:
    users = setup(node, stub, ["bystander@example.com", "victim@example.com"])
    by_id, by_key = users["bystander@example.com"]
    victim_id, victim_key = users["victim@example.com"]
    node.start()
    bystander = Load(node.port, by_key, threads=3).start()
    victim = Load(node.port, victim_key, threads=3).start()
    time.sleep(1.5)
    # The victim's account disappears underneath the server (a copy is kept, to bring it back below).
    node.sql(f"CREATE TABLE saved_victim AS SELECT * FROM users WHERE id = '{victim_id}'")
    if node.postgres:
        node.sql(f"ALTER TABLE usage_records DISABLE TRIGGER ALL; ALTER TABLE users DISABLE TRIGGER ALL; "
                 f"DELETE FROM users WHERE id = '{victim_id}'; ALTER TABLE users ENABLE TRIGGER ALL; "
                 f"ALTER TABLE usage_records ENABLE TRIGGER ALL")
    else:
        with sqlite3.connect(node.data / "wharf.sqlite", timeout=30) as db:
            db.execute("PRAGMA foreign_keys = OFF")
            db.execute("DELETE FROM users WHERE id = ?", (victim_id,))
    victim_before = len(victim.answered)
    time.sleep(3)
    code = node.stop(signal.SIGTERM)
    bystander.stop()
    victim.stop()
    print(f"  exit status {code}")
    assert code == 0, "the shutdown was not clean"
    records = check_books(node, "bystander@example.com", by_id, len(bystander.answered), bystander.sent,
                          "bystander")
    assert records >= len(bystander.answered), "a bystander's answered request was not billed"
    kept = node.data / "unwritten-usage.jsonl"
    kept_rows = [json.loads(line) for line in kept.read_text().splitlines()] if kept.exists() else []
    kept_victim = sum(1 for row in kept_rows if row["userID"] == victim_id)
    after = len(victim.answered) - victim_before
    log = node.logs[-1].read_text()
    reported = "usage writer stopped with charges unwritten: kept on disk, written at the next start" in log
    print(f"  victim: {after} answered after the deletion, {kept_victim} of their charges kept on disk; "
          f"the shutdown log reports it: {reported}")
    assert kept_victim >= after, "a victim's charge was dropped instead of kept"
    assert reported
    # The account comes back; the next start writes the kept charges, each once.
    node.sql("INSERT INTO users SELECT * FROM saved_victim")
    node.start()
    code = node.stop(signal.SIGTERM)
    assert code == 0
    assert not kept.exists(), "the kept charges were not all written at the next start"
    victim_records = check_books(node, "victim@example.com", victim_id, len(victim.answered), victim.sent,
                                 "victim after the restart")
    assert victim_records >= len(victim.answered), "a victim's answered request was never billed"


def scenario_pgkill(node: Node, stub: StubServer) -> None:
    users = setup(node, stub, ["pg@example.com"])
    user_id, key = users["pg@example.com"]
    node.start()
    load = Load(node.port, key).start()
    database = node.postgres.split("?")[0].rsplit("/", 1)[1]
    for _ in range(5):
        time.sleep(1)
        node.sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' "
                 f"AND pid <> pg_backend_pid()")
    time.sleep(2)
    # The one-server lock survived the kills (its session was cut too, and taken again): a second server stops.
    second = subprocess.Popen([node.binary, "serve", "--host", "127.0.0.1", "--port", str(free_port())],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env={**node.env, "WHARF_DATA_DIR": str(node.root / "b")})
    try:
        _, err = second.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=30)
        raise SystemExit("a second server started after the kills: the lock was lost")
    print(f"  a second server after the kills: exit {second.returncode}: {err.strip()[:100]}")
    assert second.returncode == 2 and "another wharf server" in err
    with urllib.request.urlopen(f"http://127.0.0.1:{node.port}/healthz", timeout=5) as alive:
        assert alive.status == 200, "the first server stopped after the kills"
    code = node.stop(signal.SIGTERM)
    load.stop()
    print(f"  exit status {code}")
    assert "another server now holds the lock" not in node.logs[-1].read_text(), "the lock was reported lost"
    if code != 0:
        text = node.logs[-1].read_text(errors="replace")
        at = max(text.find("Fatal error"), 0)
        print("\n".join(text[:at].splitlines()[-25:]))
        print(text[at:at + 300])
    assert code == 0
    kept = node.data / "unwritten-usage.jsonl"
    if kept.exists():
        # A call cut at shutdown left charges on disk: the next start writes them.
        print(f"  {len(kept.read_text().splitlines())} charges kept on disk at shutdown; starting again to write them")
        node.start()
        assert node.stop(signal.SIGTERM) == 0
        assert not kept.exists(), "the kept charges were not written at the next start"
    records = check_books(node, "pg@example.com", user_id, len(load.answered), load.sent, "pgkill")
    assert records >= len(load.answered), f"{len(load.answered) - records} answered requests were not billed"


SCENARIOS = {"sigterm": scenario_sigterm, "kill9": scenario_kill9, "poison": scenario_poison,
             "pgkill": scenario_pgkill}


def fresh_postgres_database(url: str) -> str:
    """A new database beside the one in `url` (dropped by the caller), so scenarios start empty."""
    name = f"wharf_dur_{os.getpid()}_{int(time.time() * 1000) % 100000}"
    subprocess.run(["psql", url.split("?")[0], "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (("?" + query) if query else ""), name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="a PostgreSQL URL (a fresh database is created beside it per scenario)")
    parser.add_argument("--bin", default=str(ROOT / ".build" / "debug" / "wharf"))
    parser.add_argument("scenarios", nargs="*")
    args = parser.parse_args()
    chosen = args.scenarios or [s for s in SCENARIOS if s != "pgkill" or args.postgres]
    for name in chosen:
        print(f"== {name} ({'postgresql' if args.postgres else 'sqlite'})")
        with tempfile.TemporaryDirectory() as tmp, StubServer(api_key="upstream-key") as stub:
            # A killed server resets the stub's connections: expected here, not worth a traceback.
            stub.httpd.handle_error = lambda *_: None
            url, db = (None, None)
            if args.postgres:
                url, db = fresh_postgres_database(args.postgres)
            try:
                node = Node(args.bin, Path(tmp), url)
                SCENARIOS[name](node, stub)
            finally:
                if os.environ.get("DURABILITY_KEEP_LOGS"):
                    keep = Path(os.environ["DURABILITY_KEEP_LOGS"]) / name
                    keep.mkdir(parents=True, exist_ok=True)
                    for log in Path(tmp).glob("server-*.log"):
                        (keep / log.name).write_bytes(log.read_bytes())
                if db:
                    subprocess.run(["psql", args.postgres.split("?")[0], "-c", f"DROP DATABASE IF EXISTS {db}"],
                                   capture_output=True)
        print(f"   {name}: ok")


if __name__ == "__main__":
    main()
