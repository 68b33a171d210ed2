"""wrap_openai / wrap_anthropic with the real SDKs over real HTTP to a local stand-in."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import anthropic
import openai
import pytest

import sentrial

from .conftest import Reader


def _openai(llm: str) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=llm + "/v1", max_retries=0)


def _anthropic(llm: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key="sk-ant-test", base_url=llm, max_retries=0)


def _only_llm_event(reader: Reader, session_id: str) -> dict[str, Any]:
    (event,) = [e for e in reader.events(session_id) if e["eventType"] == "llm_call"]
    return event


MESSAGES: Any = [
    {"role": "system", "content": "You are support."},
    {"role": "user", "content": "How do I reset my password?"},
]


INCLUDE_USAGE: Any = {"include_usage": True}

# Known prices (USD per million tokens, from the providers' price lists), written
# here rather than computed with sentrial's own cost functions.
GPT_4O = {"input": 2.50, "output": 10.00}
GPT_4O_MINI = {"input": 0.15, "output": 0.60}
SONNET_4_6 = {"input": 3.00, "output": 15.00, "cache_read": 0.30, "cache_write": 3.75}
HAIKU_4_5 = {"input": 1.00, "output": 5.00}


def _usd(price: dict[str, float], **tokens: int) -> float:
    return sum(price[kind] * count for kind, count in tokens.items()) / 1_000_000


RATE_LIMITED: Any = [{"role": "user", "content": "[ratelimit]"}]


def test_openai_chat_completion(llm: str, client: sentrial.SentrialClient, reader: Reader) -> None:
    plain = _openai(llm).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    wrapped_client = sentrial.wrap_openai(_openai(llm))
    with sentrial.begin(user_id="u", event="support") as interaction:
        result = wrapped_client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    # Exactly what the unwrapped client returns.
    assert type(result) is type(plain)
    assert result.choices[0].message.content == plain.choices[0].message.content
    assert result.usage == plain.usage
    assert client.flush(10)
    event = _only_llm_event(reader, interaction.session_id)
    assert event["model"] == "gpt-4o" and event["provider"] == "openai"
    assert event["input"] == MESSAGES
    assert event["output"] == plain.choices[0].message.content
    assert plain.usage is not None
    assert event["promptTokens"] == plain.usage.prompt_tokens
    assert event["completionTokens"] == plain.usage.completion_tokens
    assert event["durationMs"] > 0
    # The stand-in's count: 16 + 27 characters of messages, 74 of reply (4 a token).
    assert (event["promptTokens"], event["completionTokens"]) == (13, 18)
    expected = _usd(GPT_4O, input=13, output=18)
    assert expected == pytest.approx(0.0002125)
    assert event["estimatedCost"] == pytest.approx(expected, rel=1e-9)
    session = reader.session(interaction.session_id)
    assert session["estimatedCost"] == pytest.approx(expected, rel=1e-9)
    assert session["promptTokens"] == 13 and session["completionTokens"] == 18


def test_openai_streaming_keeps_the_stream(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_openai(_openai(llm))
    with sentrial.begin(user_id="u", event="support") as interaction:
        stream = wrapped.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
            stream_options=INCLUDE_USAGE,
        )
        assert isinstance(stream, openai.Stream)
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert "Reset password" in text
    assert client.flush(10)
    event = _only_llm_event(reader, interaction.session_id)
    assert event["output"] == text and event["model"] == "gpt-4o-mini"
    assert (event["promptTokens"], event["completionTokens"]) == (13, 18)
    assert event["estimatedCost"] == pytest.approx(_usd(GPT_4O_MINI, input=13, output=18), rel=1e-9)


def test_openai_errors_pass_through_and_are_recorded(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_openai(_openai(llm))
    with sentrial.begin(user_id="u", event="support") as interaction:
        with pytest.raises(openai.InternalServerError):
            wrapped.chat.completions.create(model="gpt-error", messages=MESSAGES)
        with pytest.raises(openai.RateLimitError):
            wrapped.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "[ratelimit]"}]
            )
    assert client.flush(10)
    errors = [e for e in reader.events(interaction.session_id) if e["eventType"] == "llm_call"]
    assert [e["toolError"]["type"] for e in errors] == ["InternalServerError", "RateLimitError"]


def test_openai_async_and_async_streaming(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    async def scenario() -> str:
        wrapped = sentrial.wrap_openai(
            openai.AsyncOpenAI(api_key="sk", base_url=llm + "/v1", max_retries=0)
        )
        with sentrial.begin(user_id="u", event="async-support") as interaction:
            result = await wrapped.chat.completions.create(model="gpt-4o", messages=MESSAGES)
            assert result.choices[0].message.content
            stream = await wrapped.chat.completions.create(
                model="gpt-4o",
                messages=MESSAGES,
                stream=True,
                stream_options=INCLUDE_USAGE,
            )
            assert isinstance(stream, openai.AsyncStream)
            async for _ in stream:
                pass
        return interaction.session_id

    sid = asyncio.run(scenario())
    assert client.flush(10)
    events = [e for e in reader.events(sid) if e["eventType"] == "llm_call"]
    assert [(e["promptTokens"], e["completionTokens"]) for e in events] == [(13, 18)] * 2
    assert [e["estimatedCost"] for e in events] == [pytest.approx(0.0002125, rel=1e-9)] * 2
    assert events[0]["output"] == events[1]["output"].strip()


def test_anthropic_messages_with_cache_reads(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_anthropic(_anthropic(llm))
    system = "You are a careful support agent. " * 20
    with sentrial.begin(user_id="u", event="claude-agent") as interaction:
        message = wrapped.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=200,
            system=system,
            messages=[{"role": "user", "content": "I need a refund"}],
        )
    assert isinstance(message, anthropic.types.Message)
    assert client.flush(10)
    event = _only_llm_event(reader, interaction.session_id)
    usage = message.usage
    cache_read = usage.cache_read_input_tokens or 0
    assert (usage.input_tokens, cache_read, usage.output_tokens) == (5, 165, 16)
    # Anthropic counts cache reads apart; recorded prompt tokens include them.
    assert event["promptTokens"] == 170 and event["completionTokens"] == 16
    assert event["cachedTokens"] == 165
    assert event["input"][0] == {"role": "system", "content": system}
    assert event["output"].startswith("I have started your refund")
    expected = _usd(SONNET_4_6, input=5, cache_read=165, output=16)
    assert expected == pytest.approx(0.0003045)
    assert event["estimatedCost"] == pytest.approx(expected, rel=1e-9)


def test_anthropic_cache_writes_are_priced_as_writes(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_anthropic(_anthropic(llm))
    policies = "Policies: " + "refunds within 30 days. " * 40
    system: Any = [
        {"type": "text", "text": policies, "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Answer briefly."},
    ]
    with sentrial.begin(user_id="u", event="claude-agent") as interaction:
        message = wrapped.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=200,
            system=system,
            messages=[{"role": "user", "content": "I need a refund"}],
        )
    usage = message.usage
    assert (usage.input_tokens, usage.cache_creation_input_tokens) == (5, 242)
    assert (usage.cache_read_input_tokens, usage.output_tokens) == (3, 16)
    assert client.flush(10)
    event = _only_llm_event(reader, interaction.session_id)
    assert event["promptTokens"] == 5 + 242 + 3 and event["cachedTokens"] == 3
    # 242 tokens written at the cache-write price, not the input price.
    expected = _usd(SONNET_4_6, input=5, cache_write=242, cache_read=3, output=16)
    assert expected == pytest.approx(0.0011634)
    assert event["estimatedCost"] == pytest.approx(expected, rel=1e-9)
    session = reader.session(interaction.session_id)
    assert session["estimatedCost"] == pytest.approx(expected, rel=1e-9)
    assert (session["promptTokens"], session["completionTokens"]) == (250, 16)


def test_openai_responses_create_records_output_and_cost(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_openai(_openai(llm))
    with sentrial.begin(user_id="u", event="support") as interaction:
        response = wrapped.responses.create(
            model="gpt-4o", input="I need a refund", instructions="Be brief."
        )
    reply = "I have started your refund; it will arrive within 5 business days."
    assert response.output_text == reply
    assert client.flush(10)
    event = _only_llm_event(reader, interaction.session_id)
    assert event["input"] == "I need a refund" and event["output"] == reply
    assert (event["model"], event["provider"]) == ("gpt-4o", "openai")
    assert (event["promptTokens"], event["completionTokens"]) == (8, 16)
    assert event["estimatedCost"] == pytest.approx(_usd(GPT_4O, input=8, output=16), rel=1e-9)


def test_openai_tool_call_output_is_recorded(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_openai(_openai(llm))
    tools: Any = [
        {
            "type": "function",
            "function": {
                "name": "search",
                "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
            },
        }
    ]
    asked: Any = [{"role": "user", "content": "Look it up [tool search query=refunds]"}]
    with sentrial.begin(user_id="u", event="support") as interaction:
        result = wrapped.chat.completions.create(model="gpt-4o", messages=asked, tools=tools)
    assert result.choices[0].finish_reason == "tool_calls"
    assert client.flush(10)
    event = _only_llm_event(reader, interaction.session_id)
    assert event["output"] == {
        "content": None,
        "tool_calls": [{"name": "search", "arguments": '{"query": "refunds"}'}],
    }
    assert (event["promptTokens"], event["completionTokens"]) == (12, 16)
    assert event["estimatedCost"] == pytest.approx(_usd(GPT_4O, input=12, output=16), rel=1e-9)


def test_anthropic_streaming_sync_and_async(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_anthropic(_anthropic(llm))
    with sentrial.begin(user_id="u", event="claude-agent") as interaction:
        stream = wrapped.messages.create(
            model="claude-haiku-4-5",
            max_tokens=100,
            stream=True,
            messages=[{"role": "user", "content": "password?"}],
        )
        assert isinstance(stream, anthropic.Stream)
        kinds = [event.type for event in stream]
        assert kinds[0] == "message_start" and kinds[-1] == "message_stop"

        async def use_async() -> None:
            aclient = sentrial.wrap_anthropic(
                anthropic.AsyncAnthropic(api_key="k", base_url=llm, max_retries=0)
            )
            async_stream = await aclient.messages.create(
                model="claude-haiku-4-5",
                max_tokens=100,
                stream=True,
                messages=[{"role": "user", "content": "password?"}],
            )
            async for _ in async_stream:
                pass
            with pytest.raises(anthropic.InternalServerError):
                await aclient.messages.create(
                    model="claude-error", max_tokens=10, messages=[{"role": "user", "content": "x"}]
                )

        asyncio.run(use_async())
    assert client.flush(10)
    events = [e for e in reader.events(interaction.session_id) if e["eventType"] == "llm_call"]
    assert len(events) == 3
    for streamed in events[:2]:
        assert streamed["output"].strip().startswith("Open Settings")
        assert (streamed["promptTokens"], streamed["completionTokens"]) == (4, 18)
        expected = _usd(HAIKU_4_5, input=4, output=18)
        assert streamed["estimatedCost"] == pytest.approx(expected, rel=1e-9)
    assert events[2]["toolError"]["type"] == "InternalServerError"


def test_outside_a_session_nothing_is_tracked_unless_asked(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    sentrial.wrap_openai(_openai(llm)).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert client.flush(10) and reader.sessions() == []
    asked = sentrial.wrap_openai(_openai(llm), track_outside_session=True)
    asked.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert client.flush(10)
    (session,) = reader.sessions()
    assert session["agentName"] == "openai-calls" and session["status"] == "completed"
    assert session["eventCount"] == 1
    assert session["estimatedCost"] == pytest.approx(0.0002125, rel=1e-9)


def test_tracking_failures_never_reach_the_caller(
    llm: str, client: sentrial.SentrialClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("tracking is broken")

    monkeypatch.setattr(sentrial.SentrialClient, "track_llm_call", broken)
    wrapped = sentrial.wrap_openai(_openai(llm))
    with sentrial.begin(user_id="u", event="support"):
        result = wrapped.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert result.choices[0].message.content


def test_wrapping_twice_is_harmless(llm: str) -> None:
    raw = _openai(llm)
    once = sentrial.wrap_openai(raw)
    create = once.chat.completions.create
    assert sentrial.wrap_openai(once) is raw and once.chat.completions.create is create


def test_a_stream_closed_by_its_consumer_is_recorded_at_once(
    client: sentrial.SentrialClient, reader: Reader, llm: str
) -> None:
    wrapped = sentrial.wrap_openai(_openai(llm))
    gc.disable()  # recorded by close(), not when the collector finds the stream
    try:
        with sentrial.begin(user_id="u", event="closed-stream") as interaction:
            with wrapped.chat.completions.create(
                model="gpt-4o", messages=MESSAGES, stream=True
            ) as stream:
                first = next(iter(stream))  # one chunk, then the `with` closes the stream
            with wrapped.chat.completions.create(
                model="gpt-4o", messages=MESSAGES, stream=True
            ) as unread:
                pass  # closed before reading anything: the call still happened
        assert client.flush(10) is True
        events = reader.events(interaction.session_id)
    finally:
        gc.enable()
    assert [(e["eventType"], e.get("toolError")) for e in events] == [("llm_call", None)] * 2
    assert events[0]["output"] == first.choices[0].delta.content
    assert stream is not None and unread is not None  # both still referenced, never collected


def test_an_async_stream_closed_by_its_consumer_is_recorded_at_once(
    client: sentrial.SentrialClient, reader: Reader, llm: str
) -> None:
    wrapped = sentrial.wrap_openai(
        openai.AsyncOpenAI(api_key="sk-test", base_url=llm + "/v1", max_retries=0)
    )

    async def read_one() -> Any:
        with sentrial.begin(user_id="u", event="closed-async-stream") as interaction:
            stream = await wrapped.chat.completions.create(
                model="gpt-4o", messages=MESSAGES, stream=True
            )
            async with stream:
                first = await stream.__aiter__().__anext__()
            # Read back while the loop runs: asyncio.run() closes pending async
            # generators as it ends, which would record the call anyway.
            assert client.flush(10) is True
            events = reader.events(interaction.session_id)
        assert stream is not None  # still referenced, never collected
        return events, first

    gc.disable()
    try:
        events, first = asyncio.run(read_one())
    finally:
        gc.enable()
    assert [(e["eventType"], e.get("toolError")) for e in events] == [("llm_call", None)]
    assert events[0]["output"] == first.choices[0].delta.content
