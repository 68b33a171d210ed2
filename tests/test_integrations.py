"""wrap_openai / wrap_anthropic with the real SDKs over real HTTP to a local stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

import sentrial
from sentrial._server import ASGIThread, LocalServer, create_llm_app

from .conftest import Reader


@pytest.fixture(scope="module")
def llm() -> Iterator[str]:
    with ASGIThread(create_llm_app()) as server:
        yield server.url


@pytest.fixture
def client(sentrial_server: LocalServer, tmp_path: Path) -> Iterator[sentrial.SentrialClient]:
    configured = sentrial.configure(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    yield configured
    configured.close()


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
    expected = sentrial.calculate_cost(
        "gpt-4o", plain.usage.prompt_tokens, plain.usage.completion_tokens, provider="openai"
    )
    assert event["estimatedCost"] == pytest.approx(expected)
    session = reader.session(interaction.session_id)
    assert session["estimatedCost"] == pytest.approx(expected)
    assert session["promptTokens"] == plain.usage.prompt_tokens


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
    assert event["promptTokens"] > 0 and event["completionTokens"] > 0
    assert event["estimatedCost"] > 0


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
    assert len(events) == 2 and all(e["completionTokens"] > 0 for e in events)
    assert events[0]["output"] == events[1]["output"].strip()


def test_anthropic_messages_with_cache_reads(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_anthropic(_anthropic(llm))
    system = "You are a careful support agent. " * 20
    with sentrial.begin(user_id="u", event="claude-agent") as interaction:
        message = wrapped.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=200,
            system=system,
            messages=[{"role": "user", "content": "I need a refund"}],
        )
    assert isinstance(message, anthropic.types.Message)
    assert client.flush(10)
    event = _only_llm_event(reader, interaction.session_id)
    usage = message.usage
    cache_read = usage.cache_read_input_tokens or 0
    assert cache_read > 0
    # Anthropic counts cache reads apart; recorded prompt tokens include them.
    assert event["promptTokens"] == usage.input_tokens + cache_read
    assert event["cachedTokens"] == cache_read
    assert event["input"][0] == {"role": "system", "content": system}
    assert event["output"].startswith("I have started your refund")
    expected = sentrial.calculate_anthropic_cost(
        "claude-sonnet-4-5",
        usage.input_tokens + cache_read,
        usage.output_tokens,
        cached_input_tokens=cache_read,
    )
    assert event["estimatedCost"] == pytest.approx(expected)


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
        assert streamed["completionTokens"] > 1 and streamed["promptTokens"] > 0
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
    assert session["eventCount"] == 1 and session["estimatedCost"] > 0


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
