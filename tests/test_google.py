"""wrap_google / wrap_llm with the real google-genai SDK over real HTTP to the local stand-in.

The stand-in's token rule (a quarter of the characters, at least 1) makes
every count below exact: "How do I reset my password?" is 6 tokens, the
system instruction "You are support." 4 (reported as implicitly cached and
included in the prompt count, as Gemini does), the password answer 18, and a
thinking budget adds 16 thinking tokens, billed as output.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import anthropic
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

import sentrial

from .conftest import Reader

QUESTION = "How do I reset my password?"
ANSWER = "Open Settings > Security and choose Reset password; the link lasts 1 hour."
REFUND = "I have started your refund; it will arrive within 5 business days."
CONFIG = types.GenerateContentConfig(
    system_instruction="You are support.",
    thinking_config=types.ThinkingConfig(thinking_budget=100),
)


def _gemini(llm: str) -> genai.Client:
    return genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=llm))


def _llm_events(reader: Reader, session_id: str) -> list[dict[str, Any]]:
    return [e for e in reader.events(session_id) if e["eventType"] == "llm_call"]


def _cost(model: str, prompt: int, completion: int, cached: int = 0) -> float:
    value = sentrial.calculate_cost(
        model, prompt, completion, cached_input_tokens=cached, provider="google"
    )
    assert value is not None and value > 0
    return value


def test_generate_content_tokens_cache_thinking_and_cost(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    unwrapped = _gemini(llm)  # held: a dropped genai.Client closes its connection pool
    plain = unwrapped.models.generate_content(
        model="gemini-2.5-flash", contents=QUESTION, config=CONFIG
    )
    wrapped = sentrial.wrap_google(_gemini(llm))
    with sentrial.begin(user_id="u", event="support") as interaction:
        result = wrapped.models.generate_content(
            model="gemini-2.5-flash", contents=QUESTION, config=CONFIG
        )
    # Exactly what the unwrapped client returns.
    assert type(result) is type(plain) and result.text == plain.text == ANSWER
    assert result.usage_metadata == plain.usage_metadata
    meta = result.usage_metadata
    assert meta is not None
    assert (meta.prompt_token_count, meta.candidates_token_count) == (10, 18)
    assert (meta.cached_content_token_count, meta.thoughts_token_count) == (4, 16)
    assert client.flush(10)
    (event,) = _llm_events(reader, interaction.session_id)
    assert event["model"] == "gemini-2.5-flash" and event["provider"] == "google"
    assert event["input"] == [
        {"role": "system", "content": "You are support."},
        {"role": "user", "content": QUESTION},
    ]
    assert event["output"] == ANSWER
    assert event["promptTokens"] == 10
    assert event["completionTokens"] == 18 + 16  # thinking is billed as output
    assert event["cachedTokens"] == 4
    assert event["durationMs"] > 0
    expected = _cost("gemini-2.5-flash", 10, 34, cached=4)
    # Cache reads are cheaper: the cached price differs from the uncached one.
    assert expected < _cost("gemini-2.5-flash", 10, 34)
    assert event["estimatedCost"] == pytest.approx(expected, rel=1e-9)
    session = reader.session(interaction.session_id)
    assert session["estimatedCost"] == pytest.approx(expected, rel=1e-9)
    assert (session["promptTokens"], session["completionTokens"]) == (10, 34)


def test_stream_passes_chunks_through_and_records_the_final_usage(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    unwrapped = _gemini(llm)
    plain = list(
        unwrapped.models.generate_content_stream(model="gemini-2.0-flash", contents="refund?")
    )
    wrapped = sentrial.wrap_google(_gemini(llm))
    with sentrial.begin(user_id="u", event="support") as interaction:
        chunks = list(
            wrapped.models.generate_content_stream(
                model="models/gemini-2.0-flash", contents=["refund?"]
            )
        )
    assert [c.text for c in chunks] == [c.text for c in plain]
    assert "".join(c.text or "" for c in chunks) == REFUND
    assert len(chunks) == len(REFUND.split(" ")) > 1
    assert client.flush(10)
    (event,) = _llm_events(reader, interaction.session_id)
    assert event["model"] == "gemini-2.0-flash"  # "models/" prefix dropped for pricing
    assert event["output"] == REFUND
    # Usage is cumulative per chunk: the last chunk's counts, not a sum.
    assert (event["promptTokens"], event["completionTokens"]) == (1, 16)
    assert event["estimatedCost"] == pytest.approx(_cost("gemini-2.0-flash", 1, 16), rel=1e-9)


def test_stream_closed_early_is_recorded_as_success(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_google(_gemini(llm))
    with sentrial.begin(user_id="u", event="support") as interaction:
        # The SDK returns a generator (typed as an Iterator); the consumer may close it.
        stream: Any = wrapped.models.generate_content_stream(
            model="gemini-2.0-flash", contents="refund"
        )
        first = next(stream)
        assert first.text == "I "
        stream.close()
    assert client.flush(10)
    (event,) = _llm_events(reader, interaction.session_id)
    assert event["output"] == "I " and event.get("toolError") is None
    assert event["completionTokens"] == 1


def test_async_client_and_async_stream(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    async def scenario() -> str:
        wrapped = sentrial.wrap_google(_gemini(llm))
        with sentrial.begin(user_id="u", event="async-support") as interaction:
            result = await wrapped.aio.models.generate_content(
                model="gemini-2.5-flash", contents=QUESTION
            )
            assert result.text == ANSWER
            stream = await wrapped.aio.models.generate_content_stream(
                model="gemini-2.5-flash", contents=QUESTION
            )
            text = "".join([chunk.text or "" async for chunk in stream])
            assert text == ANSWER
        return interaction.session_id

    sid = asyncio.run(scenario())
    assert client.flush(10)
    events = _llm_events(reader, sid)
    assert [e["output"] for e in events] == [ANSWER, ANSWER]
    assert [(e["promptTokens"], e["completionTokens"]) for e in events] == [(6, 18), (6, 18)]
    cost = _cost("gemini-2.5-flash", 6, 18)
    assert reader.session(sid)["estimatedCost"] == pytest.approx(2 * cost, rel=1e-9)


def test_chats_go_through_the_wrapped_models(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_google(_gemini(llm))
    with sentrial.begin(user_id="u", event="chat") as interaction:
        chat = wrapped.chats.create(model="gemini-2.5-flash")
        assert chat.send_message("refund please").text == REFUND
        assert chat.send_message(QUESTION).text == ANSWER
    assert client.flush(10)
    first, second = _llm_events(reader, interaction.session_id)
    assert first["input"] == [{"role": "user", "content": "refund please"}]
    # The second turn carries the history: user, model, user.
    assert [m["role"] for m in second["input"]] == ["user", "model", "user"]
    assert second["input"][1]["content"] == REFUND
    assert second["output"] == ANSWER


def test_errors_pass_through_and_are_recorded(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_google(_gemini(llm))
    with sentrial.begin(user_id="u", event="support") as interaction:
        with pytest.raises(genai_errors.ServerError):
            wrapped.models.generate_content(model="gemini-error", contents="x")
        with pytest.raises(genai_errors.ClientError) as limited:
            wrapped.models.generate_content(model="gemini-2.5-flash", contents="[ratelimit]")
        assert limited.value.code == 429

        async def failing_stream() -> None:
            stream = await wrapped.aio.models.generate_content_stream(
                model="gemini-error", contents="x"
            )
            with pytest.raises(genai_errors.ServerError):  # raised on iteration
                async for _ in stream:
                    pass

        asyncio.run(failing_stream())
    assert client.flush(10)
    events = _llm_events(reader, interaction.session_id)
    assert [e["toolError"]["type"] for e in events] == ["ServerError", "ClientError", "ServerError"]
    assert [e["model"] for e in events] == ["gemini-error", "gemini-2.5-flash", "gemini-error"]


def test_outside_a_session_only_when_asked(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    untracked = sentrial.wrap_google(_gemini(llm))
    untracked.models.generate_content(model="gemini-2.5-flash", contents=QUESTION)
    assert client.flush(10) and reader.sessions() == []
    asked = sentrial.wrap_google(_gemini(llm), track_without_session=True)
    asked.models.generate_content(model="gemini-2.5-flash", contents=QUESTION)
    assert client.flush(10)
    (session,) = reader.sessions()
    assert session["agentName"] == "google-calls" and session["status"] == "completed"
    assert session["eventCount"] == 1
    assert session["estimatedCost"] == pytest.approx(_cost("gemini-2.5-flash", 6, 18), rel=1e-9)


def test_wrapping_twice_is_harmless_and_unknown_objects_warn(
    llm: str, caplog: pytest.LogCaptureFixture
) -> None:
    raw = _gemini(llm)
    once = sentrial.wrap_google(raw)
    generate = once.models.generate_content
    assert sentrial.wrap_google(once) is raw and once.models.generate_content is generate
    thing = object()
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        assert sentrial.wrap_google(thing) is thing
    # Something else from the legacy SDK's module (its models are tracked: see
    # test_legacy_integrations.py, which runs the real google-generativeai).
    legacy_other = type("Part", (), {"__module__": "google.generativeai.protos"})()
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        assert sentrial.wrap_google(legacy_other) is legacy_other
    tail = "(left unchanged, its calls are not tracked)"
    assert [r.getMessage() for r in caplog.records if "wrap_google" in r.getMessage()] == [
        f"sentrial: wrap_google: {name} is not a google-genai Client nor a "
        f"google-generativeai GenerativeModel {tail}"
        for name in ("object", "Part")
    ]


def test_wrap_llm_detects_each_provider_sync_and_async(
    llm: str, client: sentrial.SentrialClient, reader: Reader, caplog: pytest.LogCaptureFixture
) -> None:
    oai = sentrial.wrap_llm(openai.OpenAI(api_key="sk", base_url=llm + "/v1", max_retries=0))
    claude = sentrial.wrap_llm(anthropic.Anthropic(api_key="k", base_url=llm, max_retries=0))
    gemini = sentrial.wrap_llm(_gemini(llm))
    aoai = sentrial.wrap_llm(openai.AsyncOpenAI(api_key="sk", base_url=llm + "/v1", max_retries=0))
    aclaude = sentrial.wrap_llm(anthropic.AsyncAnthropic(api_key="k", base_url=llm, max_retries=0))
    sync_gemini = _gemini(llm)  # its .aio is used alone below; the owner must stay alive
    agemini = sentrial.wrap_llm(sync_gemini.aio)
    user: Any = [{"role": "user", "content": QUESTION}]
    with sentrial.begin(user_id="u", event="multi") as interaction:
        oai.chat.completions.create(model="gpt-4o", messages=user)
        claude.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=user)
        gemini.models.generate_content(model="gemini-2.5-flash", contents=QUESTION)

        async def async_calls() -> None:
            await aoai.chat.completions.create(model="gpt-4o", messages=user)
            await aclaude.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=user)
            await agemini.models.generate_content(model="gemini-2.5-flash", contents=QUESTION)

        asyncio.run(async_calls())
    assert client.flush(10)
    events = _llm_events(reader, interaction.session_id)
    assert [e["provider"] for e in events] == ["openai", "anthropic", "google"] * 2
    assert all(e["output"] == ANSWER and e["estimatedCost"] > 0 for e in events)

    class Unknown:
        pass

    thing = Unknown()
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        assert sentrial.wrap_llm(thing) is thing
    (warning,) = [r.getMessage() for r in caplog.records if "wrap_llm" in r.getMessage()]
    assert "Unknown is not an OpenAI, Anthropic or Google client" in warning


def test_wrap_llm_provider_hint_for_compatible_clients(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    class CompatibleClient:  # an OpenAI-compatible client from another package
        def __init__(self) -> None:
            inner = openai.OpenAI(api_key="sk", base_url=llm + "/v1", max_retries=0)
            self.chat = inner.chat

    compatible = sentrial.wrap_llm(CompatibleClient(), provider="openai")
    with sentrial.begin(user_id="u", event="compat") as interaction:
        compatible.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    assert client.flush(10)
    (event,) = _llm_events(reader, interaction.session_id)
    assert event["provider"] == "openai" and event["output"] == "Echo: hi"
