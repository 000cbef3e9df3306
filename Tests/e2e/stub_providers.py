"""Anthropic Messages and Gemini generateContent, as the stub upstream speaks them (stdlib only).

Used by ``stub_upstream.StubHandler``: ``POST /v1/messages`` (and ``/v1/messages/count_tokens``) is answered in
Anthropic's wire format (``x-api-key``; SSE ``event:``/``data:`` pairs from ``message_start`` to ``message_stop``),
``POST /v1beta/models/{model}:generateContent`` and ``:streamGenerateContent?alt=sse`` in Gemini's
(``x-goog-api-key``; SSE ``data:`` events with no terminator). Usage figures are fixed so tests can assert exact
charges, cache reads and writes included.

Behaviour by model name (the upstream name the gateway sends):
  *-fail-500    500 in the provider's error shape, echoing the prompt (must never reach a client or a log)
  *-fail-429    429 rate limit, with retry-after
  *-overloaded  529 overloaded_error (Anthropic) / 503 UNAVAILABLE (Gemini)
  *-too-long    400 "prompt is too long: 226360 tokens > 200000 maximum" (Anthropic) /
                400 INVALID_ARGUMENT with the same phrase (Gemini)
  *-cut         a stream that stops after the first text, without its terminal event
  *-slow        a stream with 0.3 s between events
  *-zero-delta  a stream whose message_delta repeats the input fields as zeros
  *-no-delta-usage  a stream whose message_delta carries no usage
A request with tools whose last message is not a tool result gets a tool call (get_weather, {"city": "Paris"});
after a tool result the answer is text.
"""

from __future__ import annotations

import json
import time
from typing import Any

ANTHROPIC_TEXT = ["Hello", " from", " claude"]
GEMINI_TEXT = ["Hello", " from", " gemini"]
TOOL_ARGS = {"city": "Paris"}

# Anthropic usage: input_tokens excludes both cache fields.
ANTHROPIC_USAGE = {
    "input_tokens": 10,
    "cache_creation_input_tokens": 100,
    "cache_read_input_tokens": 1000,
    "output_tokens": 20,
}
# Gemini usage: promptTokenCount includes cachedContentTokenCount; thoughts are output.
GEMINI_USAGE = {
    "promptTokenCount": 30,
    "candidatesTokenCount": 7,
    "thoughtsTokenCount": 5,
    "cachedContentTokenCount": 10,
    "totalTokenCount": 42,
}
COUNT_TOKENS = 42


def _compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _last_is_tool_result(messages: list[Any]) -> bool:
    if not messages:
        return False
    last = messages[-1]
    content = last.get("content") if isinstance(last, dict) else None
    if isinstance(content, list):
        return any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)
    return False


def _gemini_last_is_function_response(contents: list[Any]) -> bool:
    if not contents:
        return False
    parts = contents[-1].get("parts") if isinstance(contents[-1], dict) else None
    return isinstance(parts, list) and any(isinstance(p, dict) and "functionResponse" in p for p in parts)


class ProviderStub:
    """Mixed into the stub's handler: needs _send_json, _start_stream, _write_chunk and wfile."""

    # ---- Anthropic ---------------------------------------------------------------------------------

    def anthropic(self, path: str, body: dict[str, Any], prompt: str) -> None:
        if self.headers.get("x-api-key") != self.state.api_key and self.state.api_key is not None:
            self._send_json(
                401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
            )
            return
        model = body.get("model", "")
        if not isinstance(body.get("messages"), list) or not isinstance(body.get("max_tokens", 0), int):
            # As Anthropic does: the request's shape is checked before anything runs.
            self._send_json(
                400,
                {"type": "error", "error": {"type": "invalid_request_error", "message": "messages: Input should be a valid list"}},
            )
            return
        if path.endswith("/count_tokens"):
            self._send_json(200, {"input_tokens": COUNT_TOKENS})
            return
        if model.endswith("-fail-500"):
            self._send_json(
                500, {"type": "error", "error": {"type": "api_error", "message": f"Internal error near: {prompt}"}}
            )
            return
        if model.endswith("-fail-429"):
            self._send_json(
                429,
                {"type": "error", "error": {"type": "rate_limit_error", "message": f"Rate limited: {prompt}"}},
                {"retry-after": "1"},
            )
            return
        if model.endswith("-overloaded"):
            self._send_json(529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
            return
        if model.endswith("-too-long"):
            self._send_json(
                400,
                {
                    "type": "error",
                    "error": {
                        "type": "invalid_request_error",
                        "message": f"prompt is too long: 226360 tokens > 200000 maximum ({prompt})",
                    },
                },
            )
            return
        tool_call = bool(body.get("tools")) and not _last_is_tool_result(body.get("messages") or [])
        if body.get("stream") is True:
            self._anthropic_stream(body, model, tool_call)
            return
        if tool_call:
            content = [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_stub01", "name": body["tools"][0]["name"], "input": TOOL_ARGS},
            ]
            stop = "tool_use"
        else:
            text = "The weather is sunny" if _last_is_tool_result(body.get("messages") or []) else "".join(ANTHROPIC_TEXT)
            content = [{"type": "text", "text": text}]
            stop = "end_turn"
        self._send_json(
            200,
            {
                "id": "msg_stub01",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": ANTHROPIC_USAGE,
            },
            {"request-id": "req_stub01"},
        )

    def _anthropic_event(self, name: str, obj: dict[str, Any]) -> None:
        self._write_chunk(b"event: " + name.encode() + b"\ndata: " + _compact(obj) + b"\n\n")

    def _anthropic_stream(self, body: dict[str, Any], model: str, tool_call: bool) -> None:
        self._start_stream()
        slow = model.endswith("-slow")
        start_usage = dict(ANTHROPIC_USAGE, output_tokens=1)
        self._anthropic_event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_stub01",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": start_usage,
                },
            },
        )
        self._anthropic_event("ping", {"type": "ping"})
        if tool_call:
            self._anthropic_event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "tool_use", "id": "toolu_stub01", "name": body["tools"][0]["name"], "input": {}},
                },
            )
            for piece in ['{"city":', ' "Paris"}']:
                self._anthropic_event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": piece}},
                )
            self._anthropic_event("content_block_stop", {"type": "content_block_stop", "index": 0})
            stop = "tool_use"
        else:
            self._anthropic_event(
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            )
            for n, piece in enumerate(ANTHROPIC_TEXT):
                if slow:
                    time.sleep(0.3)
                self._anthropic_event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
                )
                if model.endswith("-cut") and n == 0:
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                    return
            self._anthropic_event("content_block_stop", {"type": "content_block_stop", "index": 0})
            stop = "end_turn"
        delta: dict[str, Any] = {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}}
        if model.endswith("-zero-delta"):
            # As some Anthropic-compatible servers do: the input fields repeated as zeros next to the output.
            delta["usage"] = dict(ANTHROPIC_USAGE, input_tokens=0, cache_creation_input_tokens=0, cache_read_input_tokens=0)
        elif not model.endswith("-no-delta-usage"):
            delta["usage"] = ANTHROPIC_USAGE
        self._anthropic_event("message_delta", delta)
        self._anthropic_event("message_stop", {"type": "message_stop"})
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # ---- Gemini ------------------------------------------------------------------------------------

    def gemini(self, path: str, query: str, body: dict[str, Any], prompt: str) -> None:
        if self.headers.get("x-goog-api-key") != self.state.api_key and self.state.api_key is not None:
            self._send_json(401, {"error": {"code": 401, "message": "API key not valid.", "status": "UNAUTHENTICATED"}})
            return
        tail = path.rsplit("/", 1)[-1]
        model, _, method = tail.partition(":")
        if model.endswith("-fail-500"):
            self._send_json(500, {"error": {"code": 500, "message": f"Internal: {prompt}", "status": "INTERNAL"}})
            return
        if model.endswith("-fail-429"):
            self._send_json(
                429,
                {"error": {"code": 429, "message": f"Quota: {prompt}", "status": "RESOURCE_EXHAUSTED"}},
                {"retry-after": "1"},
            )
            return
        if model.endswith("-overloaded"):
            self._send_json(503, {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}})
            return
        if model.endswith("-too-long"):
            self._send_json(
                400,
                {
                    "error": {
                        "code": 400,
                        "message": f"The input token count ({prompt}) exceeds the maximum number of tokens allowed",
                        "status": "INVALID_ARGUMENT",
                    }
                },
            )
            return
        tool_call = bool(body.get("tools")) and not _gemini_last_is_function_response(body.get("contents") or [])
        name = None
        if tool_call:
            decls = body["tools"][0].get("functionDeclarations") or [{}]
            name = decls[0].get("name", "tool")
        # Gemini sends thought summaries only when asked (thinkingConfig.includeThoughts).
        thoughts = bool(((body.get("generationConfig") or {}).get("thinkingConfig") or {}).get("includeThoughts"))
        if method == "streamGenerateContent":
            self._gemini_stream(model, tool_call, name, "alt=sse" in query, thoughts)
            return
        if tool_call:
            parts: list[dict[str, Any]] = [{"functionCall": {"name": name, "args": TOOL_ARGS}}]
        else:
            text = "The weather is sunny" if _gemini_last_is_function_response(body.get("contents") or []) else "".join(GEMINI_TEXT)
            parts = ([{"text": "thinking...", "thought": True}] if thoughts else []) + [{"text": text}]
        self._send_json(
            200,
            {
                "candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}],
                "usageMetadata": GEMINI_USAGE,
                "modelVersion": model,
                "responseId": "gem_stub01",
            },
        )

    def _gemini_stream(self, model: str, tool_call: bool, name: str | None, sse: bool, thoughts: bool = False) -> None:
        self._start_stream()
        slow = model.endswith("-slow")

        def event(obj: dict[str, Any]) -> None:
            self._write_chunk(b"data: " + _compact(obj) + b"\r\n\r\n")

        def candidate(parts: list[dict[str, Any]], finish: str | None = None) -> dict[str, Any]:
            c: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
            if finish:
                c["finishReason"] = finish
            return c

        if tool_call:
            event(
                {
                    "candidates": [candidate([{"functionCall": {"name": name, "args": TOOL_ARGS}}], "STOP")],
                    "usageMetadata": GEMINI_USAGE,
                    "modelVersion": model,
                    "responseId": "gem_stub01",
                }
            )
        else:
            if thoughts:
                event({"candidates": [candidate([{"text": "thinking...", "thought": True}])], "modelVersion": model, "responseId": "gem_stub01"})
            for n, piece in enumerate(GEMINI_TEXT):
                if slow:
                    time.sleep(0.3)
                last = n == len(GEMINI_TEXT) - 1
                obj: dict[str, Any] = {
                    "candidates": [candidate([{"text": piece}], "STOP" if last else None)],
                    "modelVersion": model,
                    "responseId": "gem_stub01",
                }
                if last:
                    obj["usageMetadata"] = GEMINI_USAGE
                event(obj)
                if model.endswith("-cut") and n == 0:
                    break
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
