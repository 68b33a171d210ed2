"""Every integration that takes a client works with every kind of client (issue 26).

``AsyncSentrialClient`` (its methods are coroutines), a user's subclass of it
whose ``async def`` overrides must see the calls, and a user's subclass of
``SentrialClient`` with overrides of its own: each runs the integration's real
package end to end against the local server (the LLM stand-in where a model is
called) with ``RuntimeWarning`` turned into an error, so a coroutine left
un-awaited anywhere fails the test. What was stored is read back.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI
from opentelemetry.sdk.trace import TracerProvider
from pydantic import SecretStr

import sentrial
from sentrial._server import LocalServer
from sentrial.autogen import SentrialAutogenHandler
from sentrial.crewai import track_crew
from sentrial.langchain import SentrialCallbackHandler
from sentrial.otel import SentrialSpanProcessor
from sentrial.wrappers import wrap_openai

from .conftest import Reader
from .test_integrations_autogen import _team
from .test_integrations_crewai import LLM, Agent, Crew

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

TRACKING = (
    "create_session",
    "track_tool_call",
    "track_decision",
    "track_error",
    "track_llm_call",
    "complete_session",
)


class AsyncSubclass(sentrial.AsyncSentrialClient):
    """A user's async client: every tracking method overridden (below), awaited by us."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []


class SyncSubclass(sentrial.SentrialClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []


def _async_override(name: str) -> Any:
    async def override(self: AsyncSubclass, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(name)
        await asyncio.sleep(0)  # a real coroutine, suspended once
        return await getattr(sentrial.AsyncSentrialClient, name)(self, *args, **kwargs)

    return override


def _sync_override(name: str) -> Any:
    def override(self: SyncSubclass, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(name)
        return getattr(sentrial.SentrialClient, name)(self, *args, **kwargs)

    return override


for _name in TRACKING:
    setattr(AsyncSubclass, _name, _async_override(_name))
    setattr(SyncSubclass, _name, _sync_override(_name))


KINDS: dict[str, type[Any]] = {
    "AsyncSentrialClient": sentrial.AsyncSentrialClient,
    "async subclass": AsyncSubclass,
    "sync subclass": SyncSubclass,
}


def done(value: Any) -> Any:
    """What a published example does with a call's result: awaits it when async."""
    return asyncio.run(value) if inspect.iscoroutine(value) else value


@pytest.fixture(params=list(KINDS))
def any_client(
    request: pytest.FixtureRequest, sentrial_server: LocalServer, tmp_path: Path
) -> Iterator[Any]:
    made = KINDS[request.param](
        sentrial_server.url, sentrial_server.api_key, spool_dir=str(tmp_path / "spool")
    )
    yield made
    done(made.close())


def _settled(client: Any, reader: Reader, *expected: str) -> dict[str, Any]:
    """Flushes, checks the overrides saw ``expected`` calls, returns the one session."""
    assert done(client.flush(10)) is True
    assert client.stats()["dropped"] == {}
    seen = getattr(client, "calls", None)
    if seen is not None:
        assert set(expected) <= set(seen), seen
    (session,) = reader.sessions()
    return session


def test_langchain_handler(any_client: Any, reader: Reader, llm: str) -> None:
    model = ChatOpenAI(
        model="gpt-4o-mini", base_url=llm + "/v1", api_key=SecretStr("sk-t"), max_retries=0
    )
    chain = ChatPromptTemplate.from_messages([("user", "{question}")]) | model
    session_id = done(any_client.create_session(name="lc", agent_name="lc", user_id="u1"))
    handler = SentrialCallbackHandler(any_client, session_id)
    chain.invoke({"question": "Where is my refund?"}, config={"callbacks": [handler]})
    handler.finish(success=True)
    session = _settled(any_client, reader, "track_llm_call", "complete_session")
    assert session["status"] == "completed" and session["promptTokens"] > 0
    assert [e["eventType"] for e in reader.events(session["id"])] == ["llm_call"]


def test_langchain_handler_with_its_own_sessions(any_client: Any, reader: Reader, llm: str) -> None:
    model = ChatOpenAI(
        model="gpt-4o-mini", base_url=llm + "/v1", api_key=SecretStr("sk-t"), max_retries=0
    )
    handler = SentrialCallbackHandler(any_client, agent_name="chain")
    model.invoke("Hello", config={"callbacks": [handler]})
    session = _settled(any_client, reader, "create_session", "complete_session")
    assert session["agentName"] == "chain" and session["status"] == "completed"


def test_crewai_track_crew(any_client: Any, reader: Reader) -> None:
    @track_crew(any_client, agent_name="crew", model="gpt-4o-mini")
    def research(topic: str) -> Any:
        return Crew([Agent("R", LLM("gpt-4o-mini"))]).kickoff(inputs={"topic": topic})

    research("AI")
    session = _settled(any_client, reader, "create_session", "complete_session")
    assert session["agentName"] == "crew" and session["status"] == "completed"
    assert reader.events(session["id"])


def test_autogen_handler(any_client: Any, reader: Reader) -> None:
    session_id = done(any_client.create_session("Weather", "autogen-team", "u3"))
    handler = SentrialAutogenHandler(any_client, session_id)
    asyncio.run(handler.run_team(_team(), "Weather in Paris?"))
    handler.finish(success=True)
    session = _settled(any_client, reader, "track_llm_call", "track_tool_call", "complete_session")
    assert session["status"] == "completed" and session["promptTokens"] == 470
    assert len(reader.events(session["id"])) == 6


def test_otel_span_processor(any_client: Any, reader: Reader) -> None:
    provider = TracerProvider()
    processor = SentrialSpanProcessor(project="otel", client=any_client)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span("invoke_agent bot", attributes={"user.id": "u4"}),
        tracer.start_as_current_span(
            "chat gpt-4o",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.usage.input_tokens": 10,
                "gen_ai.usage.output_tokens": 5,
                "gen_ai.output.messages": json.dumps([{"role": "assistant", "content": "hi"}]),
            },
        ),
    ):
        pass
    assert processor.force_flush(10_000) is True
    provider.shutdown()
    session = _settled(any_client, reader, "create_session", "track_llm_call", "complete_session")
    assert session["agentName"] == "otel" and session["status"] == "completed"
    assert (session["promptTokens"], session["completionTokens"]) == (10, 5)


def test_openai_agents_processor(any_client: Any, reader: Reader, llm: str) -> None:
    from agents import Agent as OpenAIAgent
    from agents import OpenAIChatCompletionsModel, Runner, set_trace_processors
    from agents.tracing.processors import default_processor

    from sentrial.integrations.openai_agents import SentrialTracingProcessor

    processor = SentrialTracingProcessor(any_client, agent_name="bot")
    set_trace_processors([processor])  # type: ignore[list-item]
    try:
        model = OpenAIChatCompletionsModel(
            model="gpt-4o",
            openai_client=openai.AsyncOpenAI(api_key="sk-t", base_url=llm + "/v1", max_retries=0),
        )
        Runner.run_sync(OpenAIAgent(name="A", instructions="Be brief.", model=model), "Hello")
        processor.force_flush()
    finally:
        set_trace_processors([default_processor()])
    session = _settled(any_client, reader, "create_session", "track_llm_call", "complete_session")
    assert session["agentName"] == "bot" and session["status"] == "completed"


@pytest.mark.parametrize("sdk", ["OpenAI", "AsyncOpenAI"])
def test_wrap_openai(any_client: Any, reader: Reader, llm: str, sdk: str) -> None:
    messages = [{"role": "user", "content": "Hello"}]
    if sdk == "OpenAI":
        wrapped = wrap_openai(
            openai.OpenAI(api_key="sk-t", base_url=llm + "/v1", max_retries=0),
            sentrial_client=any_client,
            track_outside_session=True,
        )
        wrapped.chat.completions.create(model="gpt-4o", messages=messages)  # type: ignore[arg-type]
    else:
        awrapped = wrap_openai(
            openai.AsyncOpenAI(api_key="sk-t", base_url=llm + "/v1", max_retries=0),
            sentrial_client=any_client,
            track_outside_session=True,
        )
        asyncio.run(awrapped.chat.completions.create(model="gpt-4o", messages=messages))  # type: ignore[arg-type]
    session = _settled(any_client, reader, "create_session", "track_llm_call", "complete_session")
    assert session["agentName"] == "openai-calls" and session["status"] == "completed"
    assert session["promptTokens"] > 0 and session["estimatedCost"] > 0


def test_wrappers_in_a_session_context_of_the_client(
    any_client: Any, reader: Reader, llm: str
) -> None:
    """As published: ``set_session_context(session_id, client)``, then a
    wrapped client's calls go to that session through that client."""
    from sentrial.wrappers import clear_session_context, set_session_context

    session_id = done(any_client.create_session(name="ctx", agent_name="ctx", user_id="u5"))
    set_session_context(session_id, any_client)
    try:
        wrapped = wrap_openai(openai.OpenAI(api_key="sk-t", base_url=llm + "/v1", max_retries=0))
        wrapped.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "Hello"}],
        )
    finally:
        clear_session_context()
    done(any_client.complete_session(session_id=session_id, success=True))
    session = _settled(any_client, reader, "track_llm_call", "complete_session")
    assert session["id"] == session_id and session["status"] == "completed"
    (call,) = reader.events(session_id)
    assert call["eventType"] == "llm_call" and call["promptTokens"] > 0


class FailingOverride(sentrial.AsyncSentrialClient):
    async def track_llm_call(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        await asyncio.sleep(0)
        raise RuntimeError("my override broke")


def test_a_failing_override_is_counted_and_the_chain_runs(
    sentrial_server: LocalServer, tmp_path: Path, reader: Reader, llm: str
) -> None:
    client = FailingOverride(sentrial_server.url, sentrial_server.api_key, spool_dir=str(tmp_path))
    model = ChatOpenAI(
        model="gpt-4o-mini", base_url=llm + "/v1", api_key=SecretStr("sk-t"), max_retries=0
    )
    handler = SentrialCallbackHandler(client, agent_name="chain")
    answer = model.invoke("Hello", config={"callbacks": [handler]})
    assert answer.content  # the app got its answer
    # flush says False: something tracked was dropped (the failed call, counted)
    assert asyncio.run(client.flush(10)) is False
    assert client.stats()["dropped"] == {"internal_error": 1}
    (session,) = reader.sessions()
    assert session["status"] == "completed" and reader.events(session["id"]) == []
    asyncio.run(client.close())
