"""OpenAI Agents SDK: real agents (``openai-agents``) run against the LLM stand-in
through ``OpenAIChatCompletionsModel``; the tracing processor records each run
into the local server, read back here."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from agents import (
    Agent,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    Runner,
    function_tool,
    set_trace_processors,
)
from agents.tracing.processors import default_processor

import sentrial
from sentrial.integrations.openai_agents import SentrialTracingProcessor, track_openai_agents

from .conftest import Reader


@pytest.fixture
def processor(client: sentrial.SentrialClient) -> Iterator[SentrialTracingProcessor]:
    """Ours only (no export to OpenAI's tracing backend from a test); the
    SDK's default processor is put back afterwards."""
    ours = SentrialTracingProcessor(client, agent_name="weather-bot", user_id="user_1")
    set_trace_processors([ours])  # type: ignore[list-item]
    yield ours
    set_trace_processors([default_processor()])


def _model(llm: str) -> OpenAIChatCompletionsModel:
    return OpenAIChatCompletionsModel(
        model="gpt-4o",
        openai_client=openai.AsyncOpenAI(api_key="sk-test", base_url=llm + "/v1", max_retries=0),
    )


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}, 21C"


def _cost(events: list[dict[str, Any]]) -> float:
    total = 0.0
    for e in events:
        cost = sentrial.calculate_cost(
            "gpt-4o", e["promptTokens"], e["completionTokens"], provider="openai"
        )
        assert cost is not None and cost > 0
        total += cost
    return total


def test_a_run_with_a_tool_call_is_one_session(
    llm: str, client: sentrial.SentrialClient, processor: SentrialTracingProcessor, reader: Reader
) -> None:
    agent = Agent(
        name="Weather agent", instructions="Use tools.", tools=[get_weather], model=_model(llm)
    )
    result = Runner.run_sync(agent, 'What is the weather? [call:get_weather {"city": "Paris"}]')
    assert result.final_output == "Echo: Sunny in Paris, 21C"
    assert client.flush(10)

    (session,) = reader.sessions()
    assert session["name"] == "Agent workflow" and session["agentName"] == "weather-bot"
    assert session["userId"] == "user_1" and session["status"] == "completed"
    events = reader.events(session["id"])
    kinds = [(e["eventType"], e.get("toolName") or e.get("model")) for e in events]
    assert sorted(kinds, key=str) == sorted(
        [
            ("llm_call", "gpt-4o"),
            ("tool_call", "get_weather"),
            ("llm_call", "gpt-4o"),
            ("llm_decision", None),
        ],
        key=str,
    )
    (tool,) = [e for e in events if e["eventType"] == "tool_call"]
    assert tool["toolInput"] == {"city": "Paris"}
    assert tool["toolOutput"] == {"value": "Sunny in Paris, 21C"}  # a string, wrapped
    (decision,) = [e for e in events if e["eventType"] == "llm_decision"]
    assert decision["reasoning"] == "agent Weather agent ran"
    assert decision["metadata"]["tools"] == ["get_weather"]
    calls = [e for e in events if e["eventType"] == "llm_call"]
    assert [e["provider"] for e in calls] == ["openai", "openai"]
    assert all(e["promptTokens"] > 0 and e["completionTokens"] > 0 for e in calls)
    assert calls[0]["output"][0]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert calls[-1]["output"] == "Echo: Sunny in Paris, 21C"
    assert calls[-1]["input"][-1] == {
        "content": "Sunny in Paris, 21C",
        "role": "tool",
        "tool_call_id": "call_standin_get_weather",
    }
    assert session["promptTokens"] == sum(e["promptTokens"] for e in calls)
    assert session["estimatedCost"] == pytest.approx(_cost(calls))
    assert {e["traceId"] for e in events} == {tool["traceId"]}


def test_a_handoff_inside_a_sentrial_session(
    llm: str, client: sentrial.SentrialClient, processor: SentrialTracingProcessor, reader: Reader
) -> None:
    billing = Agent(name="Billing agent", instructions="Answer billing.", model=_model(llm))
    triage = Agent(
        name="Triage agent", instructions="Route.", handoffs=[billing], model=_model(llm)
    )
    with sentrial.begin(user_id="u9", event="support", input="refund") as interaction:
        result = Runner.run_sync(triage, "I want a refund [call:transfer_to_billing_agent]")
        interaction.set_output(result.final_output)
    assert result.last_agent is billing
    assert client.flush(10)
    (session,) = reader.sessions()  # the run joined the open session, none of its own
    assert session["id"] == interaction.session_id and session["agentName"] == "support"
    events = reader.events(interaction.session_id)
    decisions = sorted(e["reasoning"] for e in events if e["eventType"] == "llm_decision")
    assert decisions == [
        "agent Billing agent ran",
        "agent Triage agent ran",
        "handoff from Triage agent to Billing agent",
    ]
    (handoff,) = [e for e in events if "handoff" in (e.get("metadata") or {})]
    assert handoff["alternativesConsidered"] == ["Billing agent"]
    calls = [e for e in events if e["eventType"] == "llm_call"]
    assert len(calls) == 2
    assert session["estimatedCost"] == pytest.approx(_cost(calls))


def test_a_failing_model_call_fails_the_session(
    llm: str, client: sentrial.SentrialClient, processor: SentrialTracingProcessor, reader: Reader
) -> None:
    model = OpenAIChatCompletionsModel(
        model="gpt-error",
        openai_client=openai.AsyncOpenAI(api_key="sk", base_url=llm + "/v1", max_retries=0),
    )
    with pytest.raises(openai.InternalServerError):
        Runner.run_sync(Agent(name="Broken", model=model), "hi")
    assert client.flush(10)
    (session,) = reader.sessions()
    assert session["status"] == "failed"
    assert "stand-in api_error" in session["failureReason"]
    (call,) = [e for e in reader.events(session["id"]) if e["eventType"] == "llm_call"]
    assert call["model"] == "gpt-error" and "stand-in api_error" in call["toolError"]["message"]


def test_without_the_package_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "agents", None)  # as if not installed
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        assert track_openai_agents() is None
    assert [r.getMessage() for r in caplog.records] == [
        'sentrial: OpenAI Agents tracking needs `pip install "sentrial[openai-agents]"` '
        "(not tracked)"
    ]


def test_the_responses_api_model(
    llm: str, client: sentrial.SentrialClient, processor: SentrialTracingProcessor, reader: Reader
) -> None:
    """The SDK's default model class (OpenAIResponsesModel): response spans."""
    model = OpenAIResponsesModel(
        model="gpt-4o-mini",
        openai_client=openai.AsyncOpenAI(api_key="sk", base_url=llm + "/v1", max_retries=0),
    )
    agent = Agent(name="Support", instructions="Be brief.", model=model)
    result = Runner.run_sync(agent, "How do I reset my password?")
    assert client.flush(10)
    (session,) = reader.sessions()
    (call,) = [e for e in reader.events(session["id"]) if e["eventType"] == "llm_call"]
    assert call["model"] == "gpt-4o-mini" and call["provider"] == "openai"
    assert call["output"] == result.final_output
    usage = result.context_wrapper.usage
    assert (call["promptTokens"], call["completionTokens"]) == (
        usage.input_tokens,
        usage.output_tokens,
    )
    cost = sentrial.calculate_cost(
        "gpt-4o-mini", usage.input_tokens, usage.output_tokens, provider="openai"
    )
    assert cost and session["estimatedCost"] == pytest.approx(cost)
    assert call["input"] == [{"content": "How do I reset my password?", "role": "user"}]


def test_track_openai_agents_adds_next_to_the_default(
    llm: str, client: sentrial.SentrialClient, reader: Reader
) -> None:
    """Added to the SDK's processors (OpenAI's exporter, here replaced by a list
    that records what it is sent, stays)."""
    seen: list[str] = []

    class Recording(SentrialTracingProcessor):
        def on_trace_end(self, trace: Any) -> None:
            seen.append(trace.name)

    set_trace_processors([Recording(client)])  # type: ignore[list-item]
    try:
        ours = track_openai_agents(client, agent_name="tracked", user_id="u2")
        assert isinstance(ours, SentrialTracingProcessor)
        Runner.run_sync(Agent(name="A", model=_model(llm)), "hello")
    finally:
        set_trace_processors([default_processor()])
    assert seen == ["Agent workflow"]
    assert client.flush(10)
    sessions = {s["agentName"]: s for s in reader.sessions()}
    assert sessions["tracked"]["userId"] == "u2" and sessions["tracked"]["status"] == "completed"
