"""Streamed calls through wrap_openai / wrap_anthropic with cache reads and
writes: each token count and the cost, exactly, per provider (the real SDKs
over real HTTP to the LLM stand-in). The non-streamed twins are in
tests/test_integrations.py."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

import sentrial

from .conftest import Reader

# Known prices (USD per million tokens, from the providers' price lists),
# written here rather than computed with sentrial's own cost functions.
GPT_4O = {"input": 2.50, "cache_read": 1.25, "output": 10.00}
SONNET_4_6 = {"input": 3.00, "output": 15.00, "cache_read": 0.30, "cache_write": 3.75}


def _usd(price: dict[str, float], **tokens: int) -> float:
    return sum(price[kind] * count for kind, count in tokens.items()) / 1_000_000


def _only_llm_event(reader: Reader, session_id: str) -> dict[str, Any]:
    (event,) = [e for e in reader.events(session_id) if e["eventType"] == "llm_call"]
    return event


def test_openai_stream_with_cached_prompt_tokens(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_openai(
        openai.OpenAI(api_key="sk-test", base_url=llm + "/v1", max_retries=0)
    )
    # A long system prompt: the stand-in, like OpenAI, caches prompts of 1,024+
    # tokens in steps of 64.
    messages: Any = [
        {"role": "system", "content": "Policy: refunds within 30 days. " * 140},
        {"role": "user", "content": "How do I reset my password?"},
    ]
    with sentrial.begin(user_id="u", event="support") as interaction:
        stream = wrapped.chat.completions.create(
            model="gpt-4o",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
        )
        assert isinstance(stream, openai.Stream)
        chunks = list(stream)
    (usage,) = [c.usage for c in chunks if c.usage is not None]
    assert usage.prompt_tokens_details is not None
    cached = usage.prompt_tokens_details.cached_tokens or 0
    assert (usage.prompt_tokens, cached, usage.completion_tokens) == (1129, 1088, 18)
    assert client.flush(10)
    event = _only_llm_event(reader, interaction.session_id)
    assert (event["promptTokens"], event["completionTokens"]) == (1129, 18)
    assert event["cachedTokens"] == 1088
    # OpenAI counts cached tokens inside prompt_tokens, at half the input price.
    expected = _usd(GPT_4O, input=1129 - 1088, cache_read=1088, output=18)
    assert expected == pytest.approx(0.0016425)
    assert event["estimatedCost"] == pytest.approx(expected, rel=1e-9)
    session = reader.session(interaction.session_id)
    assert session["estimatedCost"] == pytest.approx(expected, rel=1e-9)
    assert (session["promptTokens"], session["completionTokens"]) == (1129, 18)


ANTHROPIC_SYSTEM: Any = [
    {
        "type": "text",
        "text": "Policies: " + "refunds within 30 days. " * 40,
        "cache_control": {"type": "ephemeral"},
    },
    {"type": "text", "text": "Answer briefly."},
]


def _check_anthropic(reader: Reader, session_id: str, text: str) -> None:
    event = _only_llm_event(reader, session_id)
    assert event["output"] == text and text.startswith("I have started your refund")
    # Anthropic counts cache reads and writes apart from input_tokens; the
    # recorded prompt tokens include both, cachedTokens the reads.
    assert (event["promptTokens"], event["completionTokens"]) == (5 + 242 + 3, 16)
    assert event["cachedTokens"] == 3
    expected = _usd(SONNET_4_6, input=5, cache_write=242, cache_read=3, output=16)
    assert expected == pytest.approx(0.0011634)
    assert event["estimatedCost"] == pytest.approx(expected, rel=1e-9)
    session = reader.session(session_id)
    assert session["estimatedCost"] == pytest.approx(expected, rel=1e-9)
    assert (session["promptTokens"], session["completionTokens"]) == (250, 16)


def test_anthropic_stream_with_cache_writes_and_reads(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_anthropic(
        anthropic.Anthropic(api_key="sk-ant-test", base_url=llm, max_retries=0)
    )
    with sentrial.begin(user_id="u", event="claude-agent") as interaction:
        stream = wrapped.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=200,
            system=ANTHROPIC_SYSTEM,
            messages=[{"role": "user", "content": "I need a refund"}],
            stream=True,
        )
        events = list(stream)
    (start,) = [e for e in events if e.type == "message_start"]
    usage = start.message.usage
    assert (usage.input_tokens, usage.cache_creation_input_tokens) == (5, 242)
    assert usage.cache_read_input_tokens == 3
    text = "".join(
        e.delta.text
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    assert client.flush(10)
    _check_anthropic(reader, interaction.session_id, text)


def test_anthropic_stream_helper_is_recorded_when_its_block_ends(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    """messages.stream(...) does not go through messages.create: its manager is
    recorded as its with-block ends, with the text read and the usage."""
    wrapped = sentrial.wrap_anthropic(
        anthropic.Anthropic(api_key="sk-ant-test", base_url=llm, max_retries=0)
    )
    with (
        sentrial.begin(user_id="u", event="claude-agent") as interaction,
        wrapped.messages.stream(
            model="claude-sonnet-4-6",
            max_tokens=200,
            system=ANTHROPIC_SYSTEM,
            messages=[{"role": "user", "content": "I need a refund"}],
        ) as stream,
    ):
        text = "".join(stream.text_stream)
        assert isinstance(stream, anthropic.MessageStream)
    assert text
    assert client.flush(10)
    _check_anthropic(reader, interaction.session_id, text)


def test_async_anthropic_stream_helper_is_recorded_when_its_block_ends(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    import asyncio

    wrapped = sentrial.wrap_anthropic(
        anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=llm, max_retries=0)
    )

    async def scenario() -> tuple[str, str]:
        with sentrial.begin(user_id="u", event="claude-agent") as interaction:
            async with wrapped.messages.stream(
                model="claude-sonnet-4-6",
                max_tokens=200,
                system=ANTHROPIC_SYSTEM,
                messages=[{"role": "user", "content": "I need a refund"}],
            ) as stream:
                text = "".join([t async for t in stream.text_stream])
        return interaction.session_id, text

    session_id, text = asyncio.run(scenario())
    assert text
    assert client.flush(10)
    _check_anthropic(reader, session_id, text)
