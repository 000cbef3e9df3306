#!/usr/bin/env python3
"""Memory of the server under pipelined refused requests from clients that never read (issue 10, finding 6).

Starts `wharf serve` (loopback, a fresh data directory), then opens CONNECTIONS connections that each write
MIB_PER_CONNECTION MiB of pipelined keyless API calls (each one refused with 401) as fast as the server takes them,
and never read a byte. It samples the server's resident memory (VmRSS) every 100 ms for the whole run and stops by
itself after SECONDS. The bound it checks: the server's RSS grows by less than BOUND_MIB over its idle size, however
much the clients send, because the server stops reading a connection whose answers are not taken, closes one that is
refused 32 times in a row, and bounds what it buffers per connection.

Usage: python3 Scripts/pipelined-refusals-rss.py [--bin .build/debug/wharf] [--connections 50] [--mib 8]
                                                  [--seconds 20] [--bound-mib 64]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUEST = b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flood(port: int, total: int, deadline: float, sent: list[int], index: int) -> None:
    """Writes `total` bytes of pipelined requests on one connection, never reading; stops at the deadline or when
    the server closes the connection."""
    chunk = REQUEST * (65536 // len(REQUEST))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(0.5)
            while sent[index] < total and time.monotonic() < deadline:
                try:
                    sent[index] += s.send(chunk)
                except socket.timeout:
                    continue  # the server is not reading: keep the pressure on until the deadline
    except OSError:
        pass  # closed by the server: what it should do to a client that keeps being refused


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(ROOT / ".build" / "debug" / "wharf"))
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--mib", type=int, default=8, help="MiB each connection tries to send")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--bound-mib", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
        env["WHARF_DATA_DIR"] = str(Path(tmp) / "data")
        port = free_port()
        log = open(Path(tmp) / "server.log", "wb")
        server = subprocess.Popen([args.bin, "serve", "--host", "127.0.0.1", "--port", str(port)], stdout=log,
                                  stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start")
                    time.sleep(0.2)
            time.sleep(1)
            idle = rss_kib(server.pid)
            sent = [0] * args.connections
            stop = time.monotonic() + args.seconds
            threads = [threading.Thread(target=flood, args=(port, args.mib << 20, stop, sent, i), daemon=True)
                       for i in range(args.connections)]
            for t in threads:
                t.start()
            peak = idle
            while time.monotonic() < stop:
                peak = max(peak, rss_kib(server.pid))
                time.sleep(0.1)
            for t in threads:
                t.join(timeout=5)
            time.sleep(1)
            after = rss_kib(server.pid)
            growth_mib = (peak - idle) / 1024
            print(f"clients: {args.connections} connections, {sum(sent) / (1 << 20):.1f} MiB of pipelined refused "
                  f"requests sent (tried {args.connections * args.mib} MiB), never read")
            print(f"server RSS: idle {idle / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB (+{growth_mib:.1f} MiB), "
                  f"after {after / 1024:.1f} MiB; bound +{args.bound_mib} MiB")
            alive = server.poll() is None
            print(f"server still running: {alive}")
            if not alive or growth_mib >= args.bound_mib:
                raise SystemExit("FAILED: the server's memory passed the bound (or it died)")
            print("ok")
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
            log.close()


if __name__ == "__main__":
    main()
