#!/usr/bin/env python3
"""A stdlib-only stub of the OpenAI API, used as Wharf's upstream in end-to-end tests.

It speaks OpenAI's wire protocol (JSON bodies, SSE streams of ``data: {json}\\n\\n`` ending in
``data: [DONE]\\n\\n``, OpenAI-shaped error objects) on 127.0.0.1 only.

Endpoints:
  POST /v1/chat/completions   chat.completion / chat.completion.chunk stream ("Hello from stub")
  POST /v1/completions        text_completion (also streamed)
  POST /v1/embeddings         embedding list; honours encoding_format "float" and "base64"
  GET  /v1/models             model list
  POST /v1/messages           Anthropic Messages (and /v1/messages/count_tokens): see stub_providers.py
  POST /v1beta/models/M:generateContent, :streamGenerateContent?alt=sse   Gemini: see stub_providers.py
  GET  /_last                 the last /v1 request received: method, path, headers, body (test hook)
  GET  /_requests             every /v1 request received, oldest first (test hook)
  POST /_reset                forget recorded requests (test hook)

Fault modes, chosen by the requested model name:
  fail-500  -> HTTP 500, OpenAI server_error whose message echoes the prompt text (a gateway must
               never forward or log upstream error bodies verbatim; the echo makes a leak visible)
  fail-429  -> HTTP 429, OpenAI rate_limit_exceeded error with retry-after headers

Usage: python3 stub_upstream.py [--port N] [--api-key KEY] [--verbose]
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from stub_providers import ProviderStub

HOST = "127.0.0.1"
STUB_TEXT = "Hello from stub"
STREAM_PIECES = ["Hello", " from", " stub"]
EMBEDDING = [0.1, 0.2, 0.3]
SYSTEM_FINGERPRINT = "fp_stub0001"
DEFAULT_MODELS = ["gpt-4o-mini", "text-embedding-3-small", "fail-500", "fail-429"]


def _chat_usage() -> dict[str, Any]:
    return {
        "prompt_tokens": 12,
        "completion_tokens": 5,
        "total_tokens": 17,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _completion_usage() -> dict[str, Any]:
    return {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}


def _embedding_usage() -> dict[str, Any]:
    return {"prompt_tokens": 4, "total_tokens": 4}


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def prompt_text(body: Any) -> str:
    """Every piece of user-supplied text in a request body, joined with spaces."""
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for key in ("content", "text", "input", "prompt"):
                if key in value:
                    collect(value[key])

    for message in body.get("messages") or []:
        if isinstance(message, dict):
            collect(message.get("content"))
    collect(body.get("prompt"))
    collect(body.get("input"))
    return " ".join(p for p in parts if p)


def gemini_prompt_text(body: Any) -> str:
    """The user text of a Gemini request body."""
    parts: list[str] = []
    for content in body.get("contents") or []:
        for part in (content.get("parts") if isinstance(content, dict) else None) or []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
    return " ".join(parts)


class StubState:
    """What the stub has seen; shared by every handler thread."""

    def __init__(self, api_key: str | None = None, verbose: bool = False) -> None:
        self.api_key = api_key
        self.verbose = verbose
        self._lock = threading.Lock()
        self._requests: list[dict[str, Any]] = []

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(entry)

    def last(self) -> dict[str, Any] | None:
        with self._lock:
            return self._requests[-1] if self._requests else None

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()


class StubHandler(ProviderStub, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stub-openai/1.0"

    def version_string(self) -> str:
        return self.server_version

    # Set by make_server on a per-server subclass.
    state: StubState

    # ---- plumbing -------------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.state.verbose:
            sys.stderr.write("stub: %s - %s\n" % (self.address_string(), format % args))

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # trailers until the empty line
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += self.rfile.read(size)
                self.rfile.readline()  # CRLF after each chunk
            return bytes(data)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _common_headers(self) -> None:
        self.send_header("x-request-id", "req_" + secrets.token_hex(16))
        self.send_header("openai-organization", "stub-org")
        self.send_header("openai-processing-ms", "1")
        self.send_header("openai-version", "2020-10-01")

    def _send_json(self, status: int, obj: Any, extra_headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(obj, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self._common_headers()
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def _send_error(
        self,
        status: int,
        message: str,
        err_type: str,
        code: str | None,
        param: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self._send_json(
            status,
            {"error": {"message": message, "type": err_type, "param": param, "code": code}},
            extra_headers,
        )

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self._common_headers()
        self.end_headers()
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _send_event(self, obj: Any) -> None:
        self._write_chunk(b"data: " + _compact(obj) + b"\n\n")

    def _end_stream(self) -> None:
        self._write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # ---- routing --------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        path = self.path.split("?", 1)[0]
        if path == "/_last":
            self._send_json(200, self.state.last() or {})
        elif path == "/_requests":
            self._send_json(200, self.state.all())
        elif path == "/_health":
            self._send_json(200, {"status": "ok"})
        elif path == "/v1/models":
            if not self._authorized(record=None):
                return
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": m, "object": "model", "created": 1700000000, "owned_by": "stub"}
                        for m in DEFAULT_MODELS
                    ],
                },
            )
        else:
            self._not_found(path)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        path = self.path.split("?", 1)[0]
        raw = self._read_body()
        if path == "/_reset":
            self.state.reset()
            self._send_json(200, {"ok": True})
            return
        if not (path.startswith("/v1/") or path.startswith("/v1beta/")):
            self._not_found(path)
            return

        try:
            body: Any = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        self.state.record(
            {
                "method": "POST",
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "header_list": [[k, v] for k, v in self.headers.items()],
                "body": body if body is not None else raw.decode("utf-8", "replace"),
            }
        )
        if path.startswith("/v1/messages") and isinstance(body, dict):
            self.anthropic(path, body, prompt_text(body))
            return
        if path.startswith("/v1beta/models/") and isinstance(body, dict):
            query = self.path.split("?", 1)[1] if "?" in self.path else ""
            self.gemini(path, query, body, gemini_prompt_text(body))
            return
        if not self._authorized(record=body):
            return
        if not isinstance(body, dict):
            self._send_error(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
                "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
                "sent was not valid JSON.",
                "invalid_request_error",
                None,
            )
            return
        model = body.get("model")
        if not isinstance(model, str) or not model:
            self._send_error(400, "you must provide a model parameter", "invalid_request_error", None)
            return
        if model == "fail-500":
            self._send_error(
                500,
                "The server had an error while processing your request. Sorry about that! "
                f"(request was: {prompt_text(body)})",
                "server_error",
                None,
            )
            return
        if model == "fail-429":
            self._send_error(
                429,
                f"Rate limit reached for {model} in organization org-stub on requests per min (RPM): "
                "Limit 3, Used 3, Requested 1. Please try again in 20s.",
                "requests",
                "rate_limit_exceeded",
                extra_headers={
                    "retry-after": "1",
                    "x-ratelimit-limit-requests": "3",
                    "x-ratelimit-remaining-requests": "0",
                    "x-ratelimit-reset-requests": "1s",
                },
            )
            return

        if path == "/v1/chat/completions":
            self._chat(body, model)
        elif path == "/v1/completions":
            self._completions(body, model)
        elif path == "/v1/embeddings":
            self._embeddings(body, model)
        else:
            self._not_found(path)

    def _not_found(self, path: str) -> None:
        self._send_error(404, f"Invalid URL (POST {path})", "invalid_request_error", None)

    def _authorized(self, record: Any) -> bool:
        if self.state.api_key is None:
            return True
        auth = self.headers.get("Authorization", "")
        if auth == f"Bearer {self.state.api_key}":
            return True
        self._send_error(
            401,
            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            "invalid_api_key",
        )
        return False

    # ---- endpoints ------------------------------------------------------------------------------

    @staticmethod
    def _include_usage(body: dict[str, Any]) -> bool:
        options = body.get("stream_options")
        return isinstance(options, dict) and options.get("include_usage") is True

    def _chat_tool_call(self, body: dict[str, Any], model: str, completion_id: str, created: int) -> None:
        """A call of the first tool with {"city": "Paris"} (streamed as two argument fragments)."""
        name = body["tools"][0].get("function", {}).get("name", "tool")
        call_id = "call_stub01"
        if body.get("stream") is not True:
            self._send_json(
                200,
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": None,
                                "tool_calls": [
                                    {
                                        "id": call_id,
                                        "type": "function",
                                        "function": {"name": name, "arguments": '{"city": "Paris"}'},
                                    }
                                ],
                            },
                            "finish_reason": "tool_calls",
                        }
                    ],
                    "usage": _chat_usage(),
                },
            )
            return
        include_usage = self._include_usage(body)

        def chunk(delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
            return {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }

        self._start_stream()
        self._send_event(chunk({"role": "assistant", "content": None}, None))
        self._send_event(
            chunk(
                {"tool_calls": [{"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}]},
                None,
            )
        )
        for piece in ['{"city":', ' "Paris"}']:
            self._send_event(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}, None))
        self._send_event(chunk({}, "tool_calls"))
        if include_usage:
            self._send_event(
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": _chat_usage(),
                }
            )
        self._end_stream()

    def _chat(self, body: dict[str, Any], model: str) -> None:
        completion_id = "chatcmpl-" + secrets.token_hex(12)
        created = int(time.time())
        messages = body.get("messages") or []
        last_role = messages[-1].get("role") if messages and isinstance(messages[-1], dict) else None
        if body.get("tools") and last_role != "tool":
            self._chat_tool_call(body, model, completion_id, created)
            return
        if body.get("stream") is not True:
            self._send_json(
                200,
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": STUB_TEXT,
                                "refusal": None,
                                "annotations": [],
                            },
                            "logprobs": None,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": _chat_usage(),
                    "service_tier": "default",
                    "system_fingerprint": SYSTEM_FINGERPRINT,
                },
            )
            return

        include_usage = self._include_usage(body)

        def chunk(delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
            obj: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "service_tier": "default",
                "system_fingerprint": SYSTEM_FINGERPRINT,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            }
            if include_usage:
                obj["usage"] = None
            return obj

        self._start_stream()
        self._send_event(chunk({"role": "assistant", "content": "", "refusal": None}, None))
        for piece in STREAM_PIECES:
            self._send_event(chunk({"content": piece}, None))
        self._send_event(chunk({}, "stop"))
        if include_usage:
            self._send_event(
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "service_tier": "default",
                    "system_fingerprint": SYSTEM_FINGERPRINT,
                    "choices": [],
                    "usage": _chat_usage(),
                }
            )
        self._end_stream()

    def _completions(self, body: dict[str, Any], model: str) -> None:
        completion_id = "cmpl-" + secrets.token_hex(12)
        created = int(time.time())
        if body.get("stream") is not True:
            self._send_json(
                200,
                {
                    "id": completion_id,
                    "object": "text_completion",
                    "created": created,
                    "model": model,
                    "system_fingerprint": SYSTEM_FINGERPRINT,
                    "choices": [{"text": STUB_TEXT, "index": 0, "logprobs": None, "finish_reason": "stop"}],
                    "usage": _completion_usage(),
                },
            )
            return

        include_usage = self._include_usage(body)

        def chunk(text: str, finish_reason: str | None) -> dict[str, Any]:
            obj: dict[str, Any] = {
                "id": completion_id,
                "object": "text_completion",
                "created": created,
                "model": model,
                "system_fingerprint": SYSTEM_FINGERPRINT,
                "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish_reason}],
            }
            if include_usage:
                obj["usage"] = None
            return obj

        self._start_stream()
        for piece in STREAM_PIECES:
            self._send_event(chunk(piece, None))
        self._send_event(chunk("", "stop"))
        if include_usage:
            self._send_event(
                {
                    "id": completion_id,
                    "object": "text_completion",
                    "created": created,
                    "model": model,
                    "system_fingerprint": SYSTEM_FINGERPRINT,
                    "choices": [],
                    "usage": _completion_usage(),
                }
            )
        self._end_stream()

    def _embeddings(self, body: dict[str, Any], model: str) -> None:
        raw_input = body.get("input")
        inputs = raw_input if isinstance(raw_input, list) and raw_input and not isinstance(raw_input[0], int) else [
            raw_input
        ]
        encoding = body.get("encoding_format") or "float"
        if encoding not in ("float", "base64"):
            self._send_error(
                400,
                f"'{encoding}' is not one of ['float', 'base64'] - 'encoding_format'",
                "invalid_request_error",
                None,
                param="encoding_format",
            )
            return

        def vector() -> Any:
            if encoding == "base64":
                return base64.b64encode(struct.pack("<%df" % len(EMBEDDING), *EMBEDDING)).decode("ascii")
            return list(EMBEDDING)

        self._send_json(
            200,
            {
                "object": "list",
                "data": [{"object": "embedding", "index": i, "embedding": vector()} for i in range(len(inputs))],
                "model": model,
                "usage": _embedding_usage(),
            },
        )


class StubServer:
    """A running stub: ``port``, ``base_url`` (ends in /v1), ``state``; ``close()`` stops it."""

    def __init__(self, port: int = 0, api_key: str | None = None, verbose: bool = False) -> None:
        self.state = StubState(api_key=api_key, verbose=verbose)
        handler = type("BoundStubHandler", (StubHandler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer((HOST, port), handler)
        self.httpd.daemon_threads = True
        self.port: int = self.httpd.server_address[1]
        self.base_url = f"http://{HOST}:{self.port}/v1"
        self._thread: threading.Thread | None = None

    def start(self) -> "StubServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="stub-upstream", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "StubServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_stub(port: int = 0, api_key: str | None = None, verbose: bool = False) -> StubServer:
    """Start the stub in a background thread on 127.0.0.1 (port 0 = ephemeral)."""
    return StubServer(port=port, api_key=api_key, verbose=verbose).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = ephemeral)")
    parser.add_argument("--api-key", default=None, help="if set, require 'Authorization: Bearer KEY'")
    parser.add_argument("--verbose", action="store_true", help="log each request line to stderr")
    args = parser.parse_args(argv)
    server = StubServer(port=args.port, api_key=args.api_key, verbose=args.verbose)
    print(f"stub upstream listening on http://{HOST}:{server.port}/v1 port={server.port}", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
