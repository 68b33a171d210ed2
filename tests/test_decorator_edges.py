"""Decorated generators a consumer stops early: recorded as what they did, not as failures."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncGenerator, Generator, Iterator
from pathlib import Path

import openai
import pytest

import sentrial
from sentrial._server import ASGIThread, LocalServer, create_llm_app

from .conftest import Reader


@pytest.fixture
def configured(sentrial_server: LocalServer, tmp_path: Path) -> Iterator[sentrial.SentrialClient]:
    client = sentrial.configure(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    yield client
    client.close()


@sentrial.tool
def numbers(n: int) -> Generator[int, None, None]:
    yield from range(n)


@sentrial.tool
async def anumbers(n: int) -> AsyncGenerator[int, None]:
    for i in range(n):
        yield i


@sentrial.tool
def fails_to_clean_up(n: int) -> Generator[int, None, None]:
    try:
        yield from range(n)
    finally:
        raise ValueError("cleanup failed")


@sentrial.tool
async def afails_to_clean_up(n: int) -> AsyncGenerator[int, None]:
    try:
        for i in range(n):
            yield i
    finally:
        raise ValueError("cleanup failed")


@sentrial.session("streaming-agent")
def reply(user_id: str, message: str) -> Generator[str, None, None]:
    yield "Hel"
    yield "lo"
    yield "!"


@sentrial.session("async-streaming-agent")
async def areply(user_id: str, message: str) -> AsyncGenerator[str, None]:
    yield "Hel"
    yield "lo"
    yield "!"


def _tool_records(reader: Reader, session_id: str) -> list[tuple[object, ...]]:
    return [
        (e["toolName"], e["toolInput"], e.get("toolOutput"), e.get("toolError"))
        for e in reader.events(session_id)
    ]


def test_tool_generator_stopped_early_records_what_it_yielded(
    configured: sentrial.SentrialClient, reader: Reader
) -> None:
    with sentrial.begin(user_id="u", event="early-stop") as interaction:
        taken = []
        for x in numbers(10):
            taken.append(x)
            if x == 2:
                break  # the loop drops the generator: CPython closes it here
        closed = numbers(10)
        assert next(closed) == 0
        closed.close()
        thrown = numbers(10)
        assert [next(thrown), next(thrown)] == [0, 1]
        with pytest.raises(GeneratorExit):
            thrown.throw(GeneratorExit)
        untouched = numbers(10)
        untouched.close()  # closed before it started: never called, so not recorded
    assert taken == [0, 1, 2]
    assert configured.flush(10)
    assert _tool_records(reader, interaction.session_id) == [
        ("numbers", {"n": 10}, {"result": [0, 1, 2]}, None),
        ("numbers", {"n": 10}, {"result": [0]}, None),
        ("numbers", {"n": 10}, {"result": [0, 1]}, None),
    ]


def test_async_tool_generator_stopped_early_records_what_it_yielded(
    configured: sentrial.SentrialClient, reader: Reader
) -> None:
    async def drive() -> None:
        closed = anumbers(10)
        assert [await closed.__anext__(), await closed.__anext__()] == [0, 1]
        await closed.aclose()
        thrown = anumbers(10)
        assert await thrown.__anext__() == 0
        with pytest.raises(GeneratorExit):
            await thrown.athrow(GeneratorExit)

    with sentrial.begin(user_id="u", event="early-stop") as interaction:
        asyncio.run(drive())
    assert configured.flush(10)
    assert _tool_records(reader, interaction.session_id) == [
        ("anumbers", {"n": 10}, {"result": [0, 1]}, None),
        ("anumbers", {"n": 10}, {"result": [0]}, None),
    ]


def test_a_generator_failing_as_it_is_closed_is_still_a_failure(
    configured: sentrial.SentrialClient, reader: Reader
) -> None:
    async def drive() -> None:
        agen = afails_to_clean_up(3)
        assert await agen.__anext__() == 0
        with pytest.raises(ValueError, match=r"^cleanup failed$"):
            await agen.aclose()

    with sentrial.begin(user_id="u", event="early-stop") as interaction:
        gen = fails_to_clean_up(3)
        assert next(gen) == 0
        with pytest.raises(ValueError, match=r"^cleanup failed$"):
            gen.close()
        asyncio.run(drive())
    assert configured.flush(10)
    records = _tool_records(reader, interaction.session_id)
    assert [(name, output) for name, _, output, _ in records] == [
        ("fails_to_clean_up", None),
        ("afails_to_clean_up", None),
    ]
    errors = [error for _, _, _, error in records]
    assert [(e["type"], e["message"]) for e in errors] == [  # type: ignore[index]
        ("ValueError", "cleanup failed"),
        ("ValueError", "cleanup failed"),
    ]


def test_session_generator_closed_early_completes_the_session(
    configured: sentrial.SentrialClient, reader: Reader
) -> None:
    gen = reply("sync-user", "hi")
    assert next(gen) == "Hel"
    gen.close()  # e.g. the client disconnected after the first chunk

    async def drive() -> None:
        agen = areply("async-user", "hi")
        assert [await agen.__anext__(), await agen.__anext__()] == ["Hel", "lo"]
        await agen.aclose()

    asyncio.run(drive())
    assert configured.flush(10)
    sessions = {s["userId"]: s for s in reader.sessions()}
    assert sorted(sessions) == ["async-user", "sync-user"]
    assert [
        (s["agentName"], s["status"], s.get("failureReason"), s["assistantOutput"])
        for s in (sessions["sync-user"], sessions["async-user"])
    ] == [
        ("streaming-agent", "completed", None, '["Hel"]'),
        ("async-streaming-agent", "completed", None, '["Hel","lo"]'),
    ]


def test_an_llm_stream_closed_early_follows_the_same_rule(
    configured: sentrial.SentrialClient, reader: Reader
) -> None:
    with ASGIThread(create_llm_app()) as llm:
        wrapped = sentrial.wrap_openai(
            openai.OpenAI(api_key="sk-test", base_url=llm.url + "/v1", max_retries=0)
        )
        with sentrial.begin(user_id="u", event="early-stop") as interaction:
            stream = wrapped.chat.completions.create(
                model="gpt-4o",
                messages=[{"role": "user", "content": "How do I reset my password?"}],
                stream=True,
            )
            first = next(iter(stream))  # the consumer took one chunk and stopped
            # The stream's iterator is closed when the stream is collected (it is
            # part of a reference cycle in the SDK, hence gc.collect()).
            del stream
            gc.collect()
    assert first.choices[0].delta.content is not None
    assert configured.flush(10)
    (event,) = reader.events(interaction.session_id)
    assert (event["eventType"], event.get("toolError")) == ("llm_call", None)
    assert event["output"] == first.choices[0].delta.content
