"""Wharf's /v1 API as the official `openai` Python SDK sees it, against a stub OpenAI upstream.

Every request carries the same distinctive prompt, so the privacy scenarios at the end can prove it
was never written to the server log or the data directory.
"""

from __future__ import annotations

import json
import math
import re
import time
import urllib.request
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openai
import pytest

if TYPE_CHECKING:
    from conftest import Wharf

CHAT_MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
STUB_REPLY = "Hello from stub"


def messages(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"Say hello. {prompt}"}]


def stub_last(wharf: Wharf) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{wharf.stub.port}/_last", timeout=5) as response:
        return json.loads(response.read())


def assert_nothing_leaks(error: openai.APIStatusError, wharf: Wharf) -> None:
    """The error a client sees names neither the prompt, nor the upstream, nor its key."""
    shown = " ".join([str(error), error.message, error.response.text])
    for name, forbidden in (
        ("the prompt text", wharf.prompt),
        ("the upstream address", "127.0.0.1"),
        ("the upstream key", wharf.upstream_key),
    ):
        assert forbidden not in shown, f"the error returned to the client contains {name}: {shown!r}"


def assert_openai_error_shape(error: openai.APIStatusError) -> dict[str, Any]:
    body = error.response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    assert isinstance(body["error"].get("message"), str), body
    assert isinstance(body["error"].get("type"), str), body
    return body["error"]


def read_balance(wharf: Wharf) -> Decimal:
    out = wharf.balance()
    assert re.fullmatch(r"-?\d+(\.\d+)?\n?", out), f"`wharf credit balance` must print a plain decimal, got {out!r}"
    try:
        return Decimal(out.strip())
    except InvalidOperation as error:  # pragma: no cover - the regex above already guards this
        raise AssertionError(f"not a decimal: {out!r}") from error


# ---- relaying ---------------------------------------------------------------------------------------


def test_a_non_streaming_chat_completion_returns_the_upstream_reply_and_its_usage(
    client: openai.OpenAI, wharf: Wharf
) -> None:
    completion = client.chat.completions.create(model=CHAT_MODEL, messages=messages(wharf.prompt))

    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == STUB_REPLY
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 12
    assert completion.usage.completion_tokens == 5
    assert completion.usage.total_tokens == 17


def test_a_streaming_chat_completion_assembles_the_reply_from_deltas_and_hides_usage_the_client_did_not_ask_for(
    client: openai.OpenAI, wharf: Wharf
) -> None:
    stream = client.chat.completions.create(model=CHAT_MODEL, messages=messages(wharf.prompt), stream=True)
    chunks = list(stream)

    assert chunks, "the stream carried no chunk"
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    text = "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)
    assert text == STUB_REPLY
    assert any(choice.finish_reason == "stop" for chunk in chunks for choice in chunk.choices)
    usage_chunks = [chunk for chunk in chunks if not chunk.choices and chunk.usage is not None]
    assert usage_chunks == [], "the gateway must strip the usage chunk when the client did not request it"


def test_a_streaming_chat_completion_with_include_usage_ends_with_the_usage_chunk(
    client: openai.OpenAI, wharf: Wharf
) -> None:
    stream = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=messages(wharf.prompt),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    text = "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)
    assert text == STUB_REPLY
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.total_tokens) == (12, 5, 17)


def test_embeddings_return_one_vector_per_input_in_both_encodings(client: openai.OpenAI, wharf: Wharf) -> None:
    # The SDK asks for base64 by default and decodes it itself; "float" is the plain JSON form.
    as_base64 = client.embeddings.create(model=EMBEDDING_MODEL, input=[wharf.prompt, "second"])
    as_float = client.embeddings.create(model=EMBEDDING_MODEL, input=wharf.prompt, encoding_format="float")

    assert [item.index for item in as_base64.data] == [0, 1]
    for item in as_base64.data:
        assert len(item.embedding) == 3
        assert all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(item.embedding, [0.1, 0.2, 0.3]))
    assert as_float.data[0].embedding == [0.1, 0.2, 0.3]
    assert as_float.usage.prompt_tokens == 4
    assert as_float.usage.total_tokens == 4


def test_a_legacy_completion_returns_the_upstream_text(client: openai.OpenAI, wharf: Wharf) -> None:
    completion = client.completions.create(model=CHAT_MODEL, prompt=f"Say hello. {wharf.prompt}")

    assert completion.choices[0].text == STUB_REPLY
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 12
    assert completion.usage.completion_tokens == 5


def test_the_model_list_contains_the_models_of_the_channel(client: openai.OpenAI) -> None:
    model_ids = {model.id for model in client.models.list()}

    assert CHAT_MODEL in model_ids


# ---- errors -----------------------------------------------------------------------------------------


def test_an_invalid_api_key_is_rejected_with_401_invalid_api_key(wharf: Wharf) -> None:
    bad_client = wharf.client(api_key="sk-this-key-does-not-exist-0000000000")

    with pytest.raises(openai.AuthenticationError) as raised:
        bad_client.chat.completions.create(model=CHAT_MODEL, messages=messages(wharf.prompt))

    assert raised.value.status_code == 401
    assert raised.value.code == "invalid_api_key"
    assert_openai_error_shape(raised.value)


def test_an_unknown_model_is_rejected_with_404_model_not_found(client: openai.OpenAI, wharf: Wharf) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="no-such-model-e2e", messages=messages(wharf.prompt))

    assert raised.value.status_code == 404
    assert raised.value.code == "model_not_found"
    assert_openai_error_shape(raised.value)


def test_an_upstream_server_error_becomes_a_gateway_error_that_reveals_nothing_of_the_upstream(
    client: openai.OpenAI, wharf: Wharf
) -> None:
    with pytest.raises(openai.APIStatusError) as raised:
        client.chat.completions.create(model="fail-500", messages=messages(wharf.prompt))

    assert raised.value.status_code in (502, 503)
    assert_openai_error_shape(raised.value)
    assert_nothing_leaks(raised.value, wharf)


def test_an_upstream_rate_limit_becomes_an_error_that_reveals_nothing_of_the_upstream(
    client: openai.OpenAI, wharf: Wharf
) -> None:
    with pytest.raises(openai.APIStatusError) as raised:
        client.chat.completions.create(model="fail-429", messages=messages(wharf.prompt))

    assert raised.value.status_code in (429, 502, 503)
    assert_openai_error_shape(raised.value)
    assert_nothing_leaks(raised.value, wharf)


# ---- metering and forwarding ------------------------------------------------------------------------


def test_calls_are_charged_to_the_users_balance(client: openai.OpenAI, wharf: Wharf) -> None:
    client.chat.completions.create(model=CHAT_MODEL, messages=messages(wharf.prompt))

    # Ledger postings may be written in batches: give the writer a few seconds.
    deadline = time.monotonic() + 10
    balance = read_balance(wharf)
    while balance >= Decimal("5.000000") and time.monotonic() < deadline:
        time.sleep(0.5)
        balance = read_balance(wharf)

    assert balance < Decimal("5.000000"), f"no money was charged: balance is {balance}"
    # 12 input + 5 output tokens at $1 / $2 per million is $0.000022 a call: far above $4.99 here.
    assert balance > Decimal("4.99"), f"far too much was charged: balance is {balance}"


def test_the_upstream_receives_the_channel_key_and_the_requested_model_but_never_the_clients_key(
    client: openai.OpenAI, wharf: Wharf
) -> None:
    client.chat.completions.create(model=CHAT_MODEL, messages=messages(wharf.prompt))
    last = stub_last(wharf)

    assert last["path"].endswith("/chat/completions")
    assert last["headers"].get("authorization") == f"Bearer {wharf.upstream_key}"
    assert last["body"]["model"] == CHAT_MODEL
    assert wharf.api_key not in json.dumps(last), "the client's Wharf key was forwarded upstream"


# ---- privacy ----------------------------------------------------------------------------------------


def test_the_server_log_never_contains_the_prompt_or_any_key(client: openai.OpenAI, wharf: Wharf) -> None:
    # One more of each kind of call, including the failing one whose upstream body echoes the prompt.
    client.chat.completions.create(model=CHAT_MODEL, messages=messages(wharf.prompt))
    list(client.chat.completions.create(model=CHAT_MODEL, messages=messages(wharf.prompt), stream=True))
    with pytest.raises(openai.APIStatusError):
        client.chat.completions.create(model="fail-500", messages=messages(wharf.prompt))
    time.sleep(1.0)  # let buffered log lines reach the file

    log = wharf.server_log()
    assert log.strip(), "the server wrote no log at all"
    assert wharf.prompt not in log, "the server log contains the prompt text"
    assert wharf.upstream_key not in log, "the server log contains the upstream key"
    assert wharf.api_key not in log, "the server log contains the client's API key"


def test_the_data_directory_holds_neither_the_prompt_nor_any_key_in_clear(wharf: Wharf) -> None:
    # P2: content is never persisted. P4: upstream keys are encrypted at rest, API keys only hashed.
    forbidden = {
        "the prompt text": wharf.prompt.encode(),
        "the upstream key": wharf.upstream_key.encode(),
        "the client's API key": wharf.api_key.encode(),
    }
    found: list[str] = []
    for path in sorted(Path(wharf.data_dir).rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        found += [f"{path.relative_to(wharf.data_dir)}: {name}" for name, value in forbidden.items() if value in data]

    assert found == [], "found in the data directory: " + "; ".join(found)
