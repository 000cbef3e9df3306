"""Resident memory per open idle stream through Wharf.

Starts a tiny upstream on 127.0.0.1 that answers each streamed chat with its headers and one SSE event, then
stays silent (an idle stream); starts `wharf serve` (release build) in front of it; opens N client streams,
reads the first event of each, and compares Wharf's VmRSS before and with the N streams open. Bounded: every
wait has a timeout, and everything it started is stopped by pid at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

EVENT = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        writer.write(b"%x\r\n%s\r\n" % (len(EVENT), EVENT))
        await writer.drain()
        await asyncio.sleep(120)
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def open_stream(port: int, key: str) -> asyncio.StreamWriter:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = b'{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}'
    writer.write(
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer %s\r\n"
        b"content-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (key.encode(), len(body), body)
    )
    await writer.drain()
    data = b""
    while b"data:" not in data:
        chunk = await asyncio.wait_for(reader.read(4096), 10)
        if not chunk:
            raise RuntimeError("stream closed early")
        data += chunk
    return writer


async def main(bin_path: str, streams: int) -> None:
    server = await asyncio.start_server(upstream, "127.0.0.1", 0, limit=1 << 20)
    up_port = server.sockets[0].getsockname()[1]
    data = tempfile.mkdtemp(prefix="wharf-idle-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
    env.update({"WHARF_DATA_DIR": data, "WHARF_LOG_LEVEL": "warning", "WHARF_THREADS": "1",
                "WHARF_UPSTREAM_READ_TIMEOUT_MS": "300000"})
    run = lambda *a: subprocess.run([bin_path, *a], env=env, check=True, capture_output=True, text=True).stdout
    run("user", "create", "--email", "idle@example.com", "--password", "idle streams pw")
    run("credit", "grant", "--user", "idle@example.com", "--amount", "1000")
    key = run("key", "create", "--user", "idle@example.com").strip()
    run("channel", "add", "--name", "idle", "--provider", "openai-compatible", "--base-url",
        f"http://127.0.0.1:{up_port}/v1", "--api-key", "x", "--models", "gpt-4o-mini")
    run("price", "set", "--model", "gpt-4o-mini", "--input", "0.1", "--output", "0.1")
    port = free_port()
    proc = subprocess.Popen([bin_path, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                await asyncio.sleep(0.1)
        # Warm up: a few streams so pools and caches exist before the baseline reading.
        warm = [await open_stream(port, key) for _ in range(20)]
        for w in warm:
            w.close()
        await asyncio.sleep(1)
        before = rss_kib(proc.pid)
        writers = []
        for i in range(0, streams, 100):
            writers += await asyncio.gather(*(open_stream(port, key) for _ in range(min(100, streams - i))))
        await asyncio.sleep(1)
        during = rss_kib(proc.pid)
        per = (during - before) * 1024 / streams
        print(f"idle streams: {streams}; wharf VmRSS before {before} KiB, with streams open {during} KiB; "
              f"{per / 1024:.1f} KiB per idle stream (includes the gateway's upstream connection per stream)")
        for w in writers:
            w.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--streams", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(asyncio.wait_for(main(args.bin, args.streams), 300))
