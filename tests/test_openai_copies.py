"""Clients made from a wrapped client (``with_options()``, ``copy()``) are wrapped too.

The OpenAI and Anthropic SDKs build a new client for ``client.with_options(...)``
(their idiom for a per-call timeout or retry count) and ``client.copy()``; calls
through it are recorded like calls through the wrapped client, with the same
settings. Real SDKs over real HTTP to the local LLM stand-in.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import openai

import sentrial

from .conftest import Reader

MESSAGES: Any = [{"role": "user", "content": "How do I reset my password?"}]


def _openai(llm: str) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=llm + "/v1", max_retries=0)


def _llm_calls(reader: Reader, session_id: str) -> list[tuple[str, str]]:
    return [
        (e["model"], e["provider"])
        for e in reader.events(session_id)
        if e["eventType"] == "llm_call"
    ]


def test_openai_with_options_and_copy_are_recorded(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_openai(_openai(llm))
    with sentrial.begin(user_id="u", event="copies") as interaction:
        wrapped.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        tuned = wrapped.with_options(timeout=20, max_retries=1)
        tuned.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        copied = wrapped.copy()
        copied.chat.completions.create(model="gpt-4.1", messages=MESSAGES)
        copy_of_copy = copied.with_options(timeout=5).copy()
        copy_of_copy.chat.completions.create(model="gpt-4.1-mini", messages=MESSAGES)
        result = tuned.responses.create(model="gpt-4o", input="reset my password")
    # The copies are the SDK's own, with the options asked for.
    assert type(tuned) is openai.OpenAI and tuned is not wrapped
    assert (tuned.timeout, tuned.max_retries) == (20, 1)
    assert (copy_of_copy.timeout, copy_of_copy.max_retries) == (5, 0)
    assert result.output_text
    assert client.flush(10)
    assert _llm_calls(reader, interaction.session_id) == [
        ("gpt-4o", "openai"),
        ("gpt-4o-mini", "openai"),
        ("gpt-4.1", "openai"),
        ("gpt-4.1-mini", "openai"),
        ("gpt-4o", "openai"),
    ]
    (responses_event,) = reader.events(interaction.session_id)[4:]
    assert responses_event["output"] == result.output_text


def test_async_openai_with_options_is_recorded(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    async def scenario() -> str:
        wrapped = sentrial.wrap_openai(
            openai.AsyncOpenAI(api_key="sk", base_url=llm + "/v1", max_retries=0)
        )
        with sentrial.begin(user_id="u", event="async-copies") as interaction:
            tuned = wrapped.with_options(timeout=20)
            assert type(tuned) is openai.AsyncOpenAI
            await tuned.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            await wrapped.copy().chat.completions.create(model="gpt-4.1", messages=MESSAGES)
        return interaction.session_id

    session_id = asyncio.run(scenario())
    assert client.flush(10)
    assert _llm_calls(reader, session_id) == [("gpt-4o-mini", "openai"), ("gpt-4.1", "openai")]


def test_copies_keep_the_wrap_settings(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    outside = sentrial.wrap_openai(_openai(llm), track_outside_session=True)
    outside.with_options(timeout=20).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert client.flush(10)
    (own,) = reader.sessions()
    assert (own["agentName"], own["status"], own["eventCount"]) == ("openai-calls", "completed", 1)

    with sentrial.begin(user_id="u", event="fixed-session") as fixed:
        pass
    pinned = sentrial.wrap_openai(_openai(llm), session_id=fixed.session_id)
    pinned.copy().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert client.flush(10)
    assert _llm_calls(reader, fixed.session_id) == [("gpt-4o-mini", "openai")]
    assert len(reader.sessions()) == 2  # no other session was opened


def test_wrapping_is_per_client_and_once(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    raw = _openai(llm)
    wrapped = sentrial.wrap_openai(sentrial.wrap_openai(raw))
    copy = wrapped.copy
    assert sentrial.wrap_openai(wrapped) is raw and wrapped.copy is copy
    plain = _openai(llm)
    with sentrial.begin(user_id="u", event="once") as interaction:
        wrapped.with_options(timeout=20).chat.completions.create(model="gpt-4o", messages=MESSAGES)
        # Other clients, and their copies, stay untouched.
        plain.with_options(timeout=20).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES
        )
        plain.copy().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert "copy" not in vars(plain) and "with_options" not in vars(plain)
    assert client.flush(10)
    assert _llm_calls(reader, interaction.session_id) == [("gpt-4o", "openai")]


def test_anthropic_with_options_and_copy_are_recorded(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    wrapped = sentrial.wrap_anthropic(
        anthropic.Anthropic(api_key="sk-ant-test", base_url=llm, max_retries=0)
    )
    with sentrial.begin(user_id="u", event="anthropic-copies") as interaction:
        tuned = wrapped.with_options(timeout=20, max_retries=1)
        tuned.messages.create(model="claude-haiku-4-5", max_tokens=64, messages=MESSAGES)
        wrapped.copy().messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=MESSAGES)

    async def scenario() -> None:
        awrapped = sentrial.wrap_anthropic(
            anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=llm, max_retries=0),
            session_id=sid,
        )
        await awrapped.with_options(timeout=20).messages.create(
            model="claude-opus-4-1", max_tokens=64, messages=MESSAGES
        )

    assert type(tuned) is anthropic.Anthropic and (tuned.timeout, tuned.max_retries) == (20, 1)
    sid = interaction.session_id
    asyncio.run(scenario())
    assert client.flush(10)
    assert _llm_calls(reader, sid) == [
        ("claude-haiku-4-5", "anthropic"),
        ("claude-sonnet-4-6", "anthropic"),
        ("claude-opus-4-1", "anthropic"),
    ]
