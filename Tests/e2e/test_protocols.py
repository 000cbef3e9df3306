"""The Anthropic Messages API in and out, and Gemini out, end to end.

The official ``anthropic`` SDK (and the ``openai`` SDK, and raw HTTP where exact bytes matter) talk to the real
``wharf`` binary, whose three channels point at the stub upstream speaking OpenAI, Anthropic and Gemini:

    claude-stub*   an Anthropic channel: Anthropic clients are relayed byte for byte, OpenAI clients translated
    gemini-stub*   a Gemini channel: every client translated
    gpt-4o-mini    an OpenAI-compatible channel: Anthropic clients translated

Each charge is asserted to the micro-unit against the policy (README, "Billing policy"): the provider's usage at the
model's price, cache reads and writes at their own rates, and for a cut stream the input reported plus the estimate
of the text produced. The prompt must never reach a client's error or the server's log.
"""

from __future__ import annotations

import json
import math
import socket
import time
from decimal import Decimal
from typing import Iterator

import anthropic
import openai
import pytest
import requests

from conftest import (
    PROMPT,
    UPSTREAM_KEY,
    USER_EMAIL,
    USER_PASSWORD,
    WHARF_BIN,
    Wharf,
    _child_env,
    serve_and_check_log,
)
from stub_providers import ANTHROPIC_USAGE, GEMINI_USAGE
from stub_upstream import StubServer

STARTING_CREDIT = "5"
CLAUDE_FAULTS = ["fail-500", "fail-429", "overloaded", "too-long", "cut", "slow", "zero-delta", "no-delta-usage"]
GEMINI_FAULTS = ["fail-500", "fail-429", "overloaded", "too-long", "cut", "slow"]
TOOLS = [
    {
        "name": "get_weather",
        "description": "The weather in a city.",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]

# Prices per million tokens, in the operator's currency. A token at 3.00/M costs 3 micro-units.
CLAUDE_PRICE = {"input": 3, "output": 15, "cache_read": Decimal("0.30"), "cache_write": Decimal("3.75")}
GEMINI_PRICE = {"input": Decimal("1.25"), "output": 10, "cache_read": Decimal("0.125")}
GPT_PRICE = {"input": 1, "output": 2}


def micros(value: str) -> int:
    return int(Decimal(value.strip()) * 1_000_000)


def cost(uncached: int, output: int, price: dict, cache_read: int = 0, cache_write: int = 0) -> int:
    """The policy's charge in micro-units: every bucket at its rate, one rounding up on the total."""
    exact = (
        Decimal(uncached) * Decimal(price["input"])
        + Decimal(cache_read) * Decimal(price.get("cache_read", price["input"]))
        + Decimal(cache_write) * Decimal(price.get("cache_write", price["input"]))
        + Decimal(output) * Decimal(price["output"])
    )
    return math.ceil(exact)


# What the stub reports, billed: Anthropic's input_tokens exclude both cache fields.
CLAUDE_COST = cost(
    ANTHROPIC_USAGE["input_tokens"],
    ANTHROPIC_USAGE["output_tokens"],
    CLAUDE_PRICE,
    cache_read=ANTHROPIC_USAGE["cache_read_input_tokens"],
    cache_write=ANTHROPIC_USAGE["cache_creation_input_tokens"],
)
# Gemini's promptTokenCount includes the cached tokens; thoughts are output.
GEMINI_COST = cost(
    GEMINI_USAGE["promptTokenCount"] - GEMINI_USAGE["cachedContentTokenCount"],
    GEMINI_USAGE["candidatesTokenCount"] + GEMINI_USAGE["thoughtsTokenCount"],
    GEMINI_PRICE,
    cache_read=GEMINI_USAGE["cachedContentTokenCount"],
)
GPT_COST = cost(12, 5, GPT_PRICE)
COSTS = {"claude-stub": CLAUDE_COST, "gemini-stub": GEMINI_COST, "gpt-4o-mini": GPT_COST}


@pytest.fixture(scope="module")
def gateway(stub: StubServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wharf]:
    root = tmp_path_factory.mktemp("wharf-protocols")
    data_dir = root / "data"
    data_dir.mkdir()
    instance = Wharf(bin=WHARF_BIN, data_dir=data_dir, log_path=root / "server.log", env=_child_env(data_dir), stub=stub)
    instance.cli("migrate")
    instance.cli("user", "create", "--email", USER_EMAIL, "--password", USER_PASSWORD)
    instance.cli("credit", "grant", "--user", USER_EMAIL, "--amount", STARTING_CREDIT)
    instance.api_key = instance.cli("key", "create", "--user", USER_EMAIL, "--name", "sdk").stdout.strip()
    origin = stub.base_url.removesuffix("/v1")
    claude_models = ["claude-stub"] + [f"claude-stub-{f}" for f in CLAUDE_FAULTS]
    gemini_models = ["gemini-stub"] + [f"gemini-stub-{f}" for f in GEMINI_FAULTS]
    # The Anthropic base URL as the SDK takes it, with the /v1 some operators add; Gemini's bare origin.
    instance.cli(
        "channel", "add", "--name", "anthropic", "--provider", "anthropic", "--base-url", stub.base_url,
        "--api-key", UPSTREAM_KEY, "--models", ",".join(claude_models), "--capabilities", "chat",
    )  # fmt: skip
    instance.cli(
        "channel", "add", "--name", "gemini", "--provider", "gemini", "--base-url", origin,
        "--api-key", UPSTREAM_KEY, "--models", ",".join(gemini_models), "--capabilities", "chat",
    )  # fmt: skip
    instance.cli(
        "channel", "add", "--name", "openai", "--provider", "openai-compatible", "--base-url", stub.base_url,
        "--api-key", UPSTREAM_KEY, "--models", "gpt-4o-mini",
    )  # fmt: skip
    for model in claude_models:
        instance.cli(
            "price", "set", "--model", model, "--input", "3.00", "--output", "15.00",
            "--cache-read", "0.30", "--cache-write", "3.75",
        )  # fmt: skip
    for model in gemini_models:
        instance.cli(
            "price", "set", "--model", model, "--input", "1.25", "--output", "10.00", "--cache-read", "0.125",
        )  # fmt: skip
    instance.cli("price", "set", "--model", "gpt-4o-mini", "--input", "1.00", "--output", "2.00")
    # One model on two dialects: an OpenAI-compatible channel first, an Anthropic one behind it.
    instance.cli(
        "channel", "add", "--name", "mixed-openai", "--provider", "openai-compatible", "--base-url", stub.base_url,
        "--api-key", UPSTREAM_KEY, "--models", "mixed-model", "--priority", "1",
    )  # fmt: skip
    instance.cli(
        "channel", "add", "--name", "mixed-anthropic", "--provider", "anthropic", "--base-url", stub.base_url,
        "--api-key", UPSTREAM_KEY, "--models", "mixed-model", "--capabilities", "chat",
    )  # fmt: skip
    instance.cli("price", "set", "--model", "mixed-model", "--input", "1.00", "--output", "2.00")
    yield from serve_and_check_log(instance, cwd=root)


def claude(gateway: Wharf, **kwargs) -> anthropic.Anthropic:
    """The SDK as Claude Code configures it: ANTHROPIC_BASE_URL is the origin, the key a Bearer token."""
    options = {"auth_token": gateway.api_key, "api_key": None}
    options.update(kwargs)
    return anthropic.Anthropic(base_url=gateway.origin, max_retries=0, timeout=30.0, **options)


def balance(gateway: Wharf) -> int:
    return micros(gateway.balance())


def settled(gateway: Wharf, before: int, expected_charge: int) -> int:
    """Waits for the batched writer (it settles within a second or two) and returns the charge."""
    deadline = time.monotonic() + 10
    charged = before - balance(gateway)
    while charged != expected_charge and time.monotonic() < deadline:
        time.sleep(0.3)
        charged = before - balance(gateway)
    return charged


def new_key(gateway: Wharf, *args: str) -> str:
    """Creates a key with `wharf key create` and waits until the running server's snapshot knows it."""
    key = gateway.cli("key", "create", *args).stdout.strip()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if requests.get(f"{gateway.origin}/v1/models", headers={"x-api-key": key}, timeout=5).status_code != 401:
            break
        time.sleep(0.2)
    return key


def user_message(text: str = PROMPT) -> list[dict]:
    return [{"role": "user", "content": f"Say hello. {text}"}]


# ---- Anthropic clients ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model,text,charge",
    [
        ("claude-stub", "Hello from claude", CLAUDE_COST),
        ("gemini-stub", "Hello from gemini", GEMINI_COST),
        ("gpt-4o-mini", "Hello from stub", GPT_COST),
    ],
)
def test_messages_create_on_every_provider_is_billed_exactly_its_usage(gateway: Wharf, model, text, charge):
    before = balance(gateway)
    message = claude(gateway).messages.create(model=model, max_tokens=64, messages=user_message())
    assert message.type == "message" and message.role == "assistant"
    assert message.content[0].type == "text" and message.content[0].text == text
    assert message.stop_reason == "end_turn"
    assert settled(gateway, before, charge) == charge


@pytest.mark.parametrize(
    "model,text,charge",
    [
        ("claude-stub", "Hello from claude", CLAUDE_COST),
        ("gemini-stub", "Hello from gemini", GEMINI_COST),
        ("gpt-4o-mini", "Hello from stub", GPT_COST),
    ],
)
def test_messages_stream_on_every_provider_is_billed_exactly_its_usage(gateway: Wharf, model, text, charge):
    before = balance(gateway)
    with claude(gateway).messages.stream(model=model, max_tokens=64, messages=user_message()) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert streamed == text
    assert final.stop_reason == "end_turn"
    # Claude Code's context meter reads message_start: never zero.
    assert final.usage.input_tokens > 0
    assert settled(gateway, before, charge) == charge


def test_anthropic_usage_reaches_the_client_with_its_cache_fields(gateway: Wharf):
    before = balance(gateway)
    message = claude(gateway).messages.create(model="claude-stub", max_tokens=64, messages=user_message())
    assert message.usage.input_tokens == ANTHROPIC_USAGE["input_tokens"]
    assert message.usage.cache_read_input_tokens == ANTHROPIC_USAGE["cache_read_input_tokens"]
    assert message.usage.cache_creation_input_tokens == ANTHROPIC_USAGE["cache_creation_input_tokens"]
    translated = claude(gateway).messages.create(model="gemini-stub", max_tokens=64, messages=user_message())
    assert translated.usage.input_tokens == GEMINI_USAGE["promptTokenCount"] - GEMINI_USAGE["cachedContentTokenCount"]
    assert translated.usage.cache_read_input_tokens == GEMINI_USAGE["cachedContentTokenCount"]
    assert translated.usage.output_tokens == GEMINI_USAGE["candidatesTokenCount"] + GEMINI_USAGE["thoughtsTokenCount"]
    assert settled(gateway, before, CLAUDE_COST + GEMINI_COST) == CLAUDE_COST + GEMINI_COST


@pytest.mark.parametrize("model", ["claude-stub", "gemini-stub", "gpt-4o-mini"])
@pytest.mark.parametrize("stream", [False, True])
def test_tools_and_tool_results_round_trip(gateway: Wharf, model, stream):
    client = claude(gateway)
    before = balance(gateway)
    messages = [{"role": "user", "content": f"Weather in Paris? {PROMPT}"}]
    if stream:
        with client.messages.stream(model=model, max_tokens=64, messages=messages, tools=TOOLS) as s:
            first = s.get_final_message()
    else:
        first = client.messages.create(model=model, max_tokens=64, messages=messages, tools=TOOLS)
    assert first.stop_reason == "tool_use"
    calls = [block for block in first.content if block.type == "tool_use"]
    assert len(calls) == 1
    call = calls[0]
    assert call.name == "get_weather" and call.input == {"city": "Paris"}
    assert call.id and all(c.isalnum() or c in "_-" for c in call.id)
    messages += [
        {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny, 21 C"}]},
    ]
    second = client.messages.create(model=model, max_tokens=64, messages=messages, tools=TOOLS)
    text = "".join(block.text for block in second.content if block.type == "text")
    assert text in ("The weather is sunny", "Hello from stub")
    assert second.stop_reason == "end_turn"
    # Each of the two calls is billed the usage its provider reported, no more, no less.
    assert settled(gateway, before, 2 * COSTS[model]) == 2 * COSTS[model]
    # The tool result reached the upstream as its own dialect's tool result, with the id kept.
    sent = gateway.stub.state.last()["body"]
    if model == "claude-stub":
        assert sent["messages"][-1]["content"][0] == {"type": "tool_result", "tool_use_id": call.id, "content": "sunny, 21 C"}
    elif model == "gpt-4o-mini":
        assert sent["messages"][-1]["role"] == "tool" and sent["messages"][-1]["tool_call_id"] == call.id
    else:
        parts = sent["contents"][-1]["parts"]
        assert any(p.get("functionResponse", {}).get("name") == "get_weather" for p in parts)


@pytest.mark.parametrize("model", ["claude-stub", "gemini-stub", "gpt-4o-mini"])
def test_count_tokens_is_answered_unbilled_without_a_generating_call(gateway: Wharf, model):
    requests.post(f"{gateway.stub.base_url.removesuffix('/v1')}/_reset", timeout=5)
    before = balance(gateway)
    counted = claude(gateway).messages.count_tokens(
        model=model, messages=user_message(), system="You are terse.", tools=TOOLS
    )
    assert counted.input_tokens > 0
    without_tools = claude(gateway).messages.count_tokens(model=model, messages=user_message())
    assert counted.input_tokens > without_tools.input_tokens
    assert not any("count_tokens" not in r["path"] for r in gateway.stub.state.all())
    time.sleep(1.5)
    assert balance(gateway) == before


def test_a_claude_code_request_reaches_an_anthropic_channel_unchanged_but_for_the_model(gateway: Wharf):
    body = {
        "model": "claude-stub",
        "max_tokens": 32000,
        "stream": False,
        "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": PROMPT, "cache_control": {"type": "ephemeral"}}]}],
        "thinking": {"type": "adaptive"},
        "metadata": {"user_id": "user_abc_account_x_session_y"},
        "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
        "unknown_future_field": {"kept": [1, 2.50, "x"]},
    }
    raw = json.dumps(body, indent=1).encode()
    before = balance(gateway)
    betas = "claude-code-20250219,interleaved-thinking-2025-05-14,prompt-caching-scope-2026-01-05"
    answer = requests.post(
        f"{gateway.origin}/v1/messages?beta=true",
        data=raw,
        headers={
            "Authorization": f"Bearer {gateway.api_key}",
            "x-api-key": "sk-ant-a-real-provider-key-that-must-not-travel",
            "anthropic-version": "2023-06-01",
            "anthropic-beta": betas,
            "x-claude-code-session-id": "session-123",
            "content-type": "application/json",
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    seen = gateway.stub.state.last()
    assert seen["path"] == "/v1/messages"
    assert seen["body"] == body
    assert seen["headers"]["anthropic-version"] == "2023-06-01"
    assert seen["headers"]["anthropic-beta"] == betas
    assert seen["headers"]["x-api-key"] == UPSTREAM_KEY
    assert "authorization" not in seen["headers"]
    assert "x-claude-code-session-id" not in seen["headers"]
    assert settled(gateway, before, CLAUDE_COST) == CLAUDE_COST


def test_betas_are_not_sent_to_channels_of_other_dialects(gateway: Wharf):
    before = balance(gateway)
    claude(gateway, default_headers={"anthropic-beta": "claude-code-20250219"}).messages.create(
        model="gemini-stub", max_tokens=64, messages=user_message()
    )
    seen = gateway.stub.state.last()
    assert seen["path"].startswith("/v1beta/models/gemini-stub:generateContent")
    assert "anthropic-beta" not in seen["headers"] and "anthropic-version" not in seen["headers"]
    assert seen["headers"]["x-goog-api-key"] == UPSTREAM_KEY
    assert settled(gateway, before, GEMINI_COST) == GEMINI_COST


# ---- errors in Anthropic's shape -------------------------------------------------------------------------------


def test_a_bad_key_is_an_authentication_error_in_anthropic_shape(gateway: Wharf):
    with pytest.raises(anthropic.AuthenticationError) as raised:
        claude(gateway, auth_token="sk-not-a-wharf-key").messages.create(
            model="claude-stub", max_tokens=8, messages=user_message()
        )
    assert raised.value.status_code == 401
    assert raised.value.body["error"]["type"] == "authentication_error"
    # Both headers: the one with a Wharf key's shape is used (a client may send both).
    before = balance(gateway)
    answer = requests.post(
        f"{gateway.origin}/v1/messages",
        json={"model": "claude-stub", "max_tokens": 8, "messages": user_message()},
        # A real Anthropic key's length and prefix: it looks like any sk- key, but is not one of Wharf's.
        headers={"x-api-key": gateway.api_key, "authorization": "Bearer sk-ant-api03-" + "x" * 95},
        timeout=30,
    )
    assert answer.status_code == 200 and answer.json()["content"][0]["text"] == "Hello from claude"
    assert settled(gateway, before, CLAUDE_COST) == CLAUDE_COST


def test_each_error_class_reaches_the_anthropic_client(gateway: Wharf):
    client = claude(gateway)
    with pytest.raises(anthropic.NotFoundError) as raised:
        client.messages.create(model="no-such-model", max_tokens=8, messages=user_message())
    assert raised.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.messages.create(model="claude-stub", max_tokens=8, messages="not a list")  # type: ignore[arg-type]
    assert raised.value.body["error"]["type"] == "invalid_request_error"
    restricted = new_key(gateway, "--user", USER_EMAIL, "--name", "only-gpt", "--models", "gpt-4o-mini")
    with pytest.raises(anthropic.PermissionDeniedError) as raised:
        claude(gateway, auth_token=restricted).messages.create(
            model="claude-stub", max_tokens=8, messages=user_message()
        )
    assert raised.value.body["error"]["type"] == "permission_error"
    for model, error, kind in [
        ("claude-stub-fail-500", anthropic.InternalServerError, "api_error"),
        ("gemini-stub-fail-500", anthropic.InternalServerError, "api_error"),
        ("claude-stub-fail-429", anthropic.RateLimitError, "rate_limit_error"),
        ("gemini-stub-fail-429", anthropic.RateLimitError, "rate_limit_error"),
        ("claude-stub-overloaded", anthropic.InternalServerError, "overloaded_error"),
        ("gemini-stub-overloaded", anthropic.InternalServerError, "overloaded_error"),
    ]:
        before = balance(gateway)
        with pytest.raises(error) as raised:
            client.messages.create(model=model, max_tokens=8, messages=user_message())
        assert raised.value.body["error"]["type"] == kind, model
        assert PROMPT not in json.dumps(raised.value.body)
        assert settled(gateway, before, 0) == 0


def test_an_exhausted_balance_says_not_to_retry(gateway: Wharf):
    poor = "poor@example.com"
    gateway.cli("user", "create", "--email", poor, "--password", USER_PASSWORD)
    key = new_key(gateway, "--user", poor, "--name", "empty")
    answer = requests.post(
        f"{gateway.origin}/v1/messages",
        json={"model": "claude-stub", "max_tokens": 8, "messages": user_message()},
        headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
        timeout=30,
    )
    assert answer.status_code == 429
    assert answer.json()["type"] == "error" and answer.json()["error"]["type"] == "rate_limit_error"
    assert answer.headers["x-should-retry"] == "false"


@pytest.mark.parametrize("model", ["claude-stub-too-long", "gemini-stub-too-long"])
def test_context_overflow_keeps_its_allowlisted_phrase_and_nothing_else(gateway: Wharf, model):
    with pytest.raises(anthropic.BadRequestError) as raised:
        claude(gateway).messages.create(model=model, max_tokens=8, messages=user_message())
    body = raised.value.body
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert PROMPT not in json.dumps(body)
    if model.startswith("claude"):
        assert "prompt is too long: 226360 tokens > 200000 maximum" in body["error"]["message"]


# ---- faults on Anthropic and Gemini channels, billed per policy --------------------------------------------------


def raw_stream(gateway: Wharf, model: str) -> tuple[bytes, int]:
    """Streams a known body over /v1/messages; returns the bytes received and the body's length."""
    body = json.dumps(
        {"model": model, "max_tokens": 64, "stream": True, "messages": user_message()}, separators=(",", ":")
    ).encode()
    received = b""
    with requests.post(
        f"{gateway.origin}/v1/messages",
        data=body,
        headers={"x-api-key": gateway.api_key, "content-type": "application/json"},
        stream=True,
        timeout=30,
    ) as answer:
        assert answer.status_code == 200
        try:
            for piece in answer.iter_content(chunk_size=None):
                received += piece
        except requests.exceptions.ChunkedEncodingError:
            pass  # a cut stream closes without its last chunk
    return received, len(body)


def test_a_cut_anthropic_stream_bills_its_reported_input_and_the_text_produced(gateway: Wharf):
    before = balance(gateway)
    received, _ = raw_stream(gateway, "claude-stub-cut")
    assert b"event: error" in received and b"message_stop" not in received
    # message_start reported the input (10 uncached, 1000 read, 100 written); "Hello" is 2 estimated tokens (1 per 4
    # bytes, rounded up), more than the 1 output token message_start reported.
    expected = cost(10, 2, CLAUDE_PRICE, cache_read=1000, cache_write=100)
    assert settled(gateway, before, expected) == expected


def test_a_cut_gemini_stream_bills_the_prompt_estimate_and_the_text_produced(gateway: Wharf):
    before = balance(gateway)
    received, length = raw_stream(gateway, "gemini-stub-cut")
    assert b"event: error" in received and b"message_stop" not in received
    # No usage came: the prompt estimate (1 token per 3 bytes of the body) and "Hello" (5 bytes: 2 tokens, 1 per 4
    # bytes rounded up).
    expected = cost(math.ceil(length / 3), 2, GEMINI_PRICE)
    assert settled(gateway, before, expected) == expected


def test_a_message_delta_with_zeroed_input_fields_does_not_erase_the_input(gateway: Wharf):
    # Some Anthropic-compatible servers repeat input_tokens and the cache fields as 0 in message_delta: the input
    # message_start reported is still billed, whether the client speaks Anthropic's dialect or OpenAI's.
    before = balance(gateway)
    received, _ = raw_stream(gateway, "claude-stub-zero-delta")
    assert received.count(b"event: message_stop") == 1
    assert settled(gateway, before, CLAUDE_COST) == CLAUDE_COST
    client = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.api_key, max_retries=0, timeout=30)
    before = balance(gateway)
    chunks = list(
        client.chat.completions.create(
            model="claude-stub-zero-delta", messages=user_message(), stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[-1].usage.prompt_tokens == 1110
    assert settled(gateway, before, CLAUDE_COST) == CLAUDE_COST


def test_a_message_delta_without_usage_bills_the_text_produced_as_output(gateway: Wharf):
    before = balance(gateway)
    received, _ = raw_stream(gateway, "claude-stub-no-delta-usage")
    assert received.count(b"event: message_stop") == 1
    # message_start's input (10 uncached, 1000 read, 100 written), and as output the larger of its placeholder (1)
    # and "Hello from claude" (17 bytes: 5 tokens).
    expected = cost(10, 5, CLAUDE_PRICE, cache_read=1000, cache_write=100)
    assert settled(gateway, before, expected) == expected


@pytest.mark.parametrize("model,charge", [("claude-stub-slow", CLAUDE_COST), ("gemini-stub-slow", GEMINI_COST)])
def test_a_slow_stream_arrives_whole_and_is_billed_once(gateway: Wharf, model, charge):
    before = balance(gateway)
    received, _ = raw_stream(gateway, model)
    assert received.count(b"event: message_stop") == 1
    assert settled(gateway, before, charge) == charge


@pytest.mark.parametrize("model,charge", [("claude-stub-slow", CLAUDE_COST), ("gemini-stub-slow", GEMINI_COST)])
def test_a_client_that_hangs_up_still_pays_the_usage_the_upstream_reports(gateway: Wharf, model, charge):
    before = balance(gateway)
    body = json.dumps({"model": model, "max_tokens": 64, "stream": True, "messages": user_message()}).encode()
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as s:
        s.sendall(
            b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            + f"x-api-key: {gateway.api_key}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        seen = b""
        while b"message_start" not in seen:
            piece = s.recv(65536)
            assert piece, "the stream ended before message_start"
            seen += piece
    # The gateway drains the answer for its usage after the client left.
    assert settled(gateway, before, charge) == charge


# ---- OpenAI clients on Anthropic and Gemini channels -----------------------------------------------------------


@pytest.mark.parametrize("model", ["claude-stub", "gemini-stub"])
def test_the_openai_sdk_streams_from_anthropic_and_gemini_channels_with_usage(gateway: Wharf, model):
    client = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.api_key, max_retries=0, timeout=30)
    before = balance(gateway)
    chunks = list(
        client.chat.completions.create(
            model=model, messages=user_message(), stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ("Hello from claude" if model == "claude-stub" else "Hello from gemini")
    usage = chunks[-1].usage
    assert usage is not None and not chunks[-1].choices
    if model == "claude-stub":
        assert usage.prompt_tokens == 1110 and usage.prompt_tokens_details.cached_tokens == 1000
        assert usage.completion_tokens == 20
        charge = CLAUDE_COST
    else:
        assert usage.prompt_tokens == 30 and usage.prompt_tokens_details.cached_tokens == 10
        assert usage.completion_tokens == 12 and usage.completion_tokens_details.reasoning_tokens == 5
        charge = GEMINI_COST
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert settled(gateway, before, charge) == charge
    # Without include_usage, no usage chunk; the call is billed all the same.
    before = balance(gateway)
    plain = list(client.chat.completions.create(model=model, messages=user_message(), stream=True))
    assert all(c.usage is None for c in plain)
    assert settled(gateway, before, charge) == charge


@pytest.mark.parametrize("model", ["claude-stub", "gemini-stub"])
def test_the_openai_sdk_calls_tools_on_anthropic_and_gemini_channels(gateway: Wharf, model):
    client = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.api_key, max_retries=0, timeout=30)
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": TOOLS[0]["input_schema"]}}]
    before = balance(gateway)
    answer = client.chat.completions.create(model=model, messages=user_message(), tools=tools)
    call = answer.choices[0].message.tool_calls[0]
    assert answer.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}
    assert settled(gateway, before, COSTS[model]) == COSTS[model]


def test_model_discovery_answers_in_each_dialect(gateway: Wharf):
    anthropic_list = requests.get(
        f"{gateway.origin}/v1/models",
        headers={"x-api-key": gateway.api_key, "anthropic-version": "2023-06-01"},
        timeout=10,
    ).json()
    ids = [m["id"] for m in anthropic_list["data"]]
    assert "claude-stub" in ids and anthropic_list["has_more"] is False
    assert all(m["type"] == "model" for m in anthropic_list["data"])
    listed = claude(gateway).models.list()
    assert "gemini-stub" in [m.id for m in listed.data]
    openai_list = openai.OpenAI(base_url=gateway.base_url, api_key=gateway.api_key).models.list()
    assert "claude-stub" in [m.id for m in openai_list.data]


def test_a_request_the_translators_cannot_carry_still_reaches_a_channel_of_its_own_dialect(gateway: Wharf):
    # "n": 2 has no Anthropic equivalent; the OpenAI-compatible channel for the model takes it as it is.
    answer = requests.post(
        f"{gateway.base_url}/chat/completions",
        json={"model": "mixed-model", "n": 2, "messages": user_message()},
        headers={"authorization": f"Bearer {gateway.api_key}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert gateway.stub.state.last()["path"] == "/v1/chat/completions"
