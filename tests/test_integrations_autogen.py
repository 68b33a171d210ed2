"""AutoGen AgentChat 0.7: ``SentrialAutogenHandler`` fed a team's stream.

``autogen-agentchat`` 0.7.5 cannot join the dev lock: its ``autogen-core``
pins ``protobuf~=5.29.3`` while the OpenTelemetry exporter stack
(langfuse, OTLP export) is locked at protobuf 7. So these tests build events
with AutoGen's public class names and fields (``TextMessage``,
``ToolCallRequestEvent``, ``ToolCallExecutionEvent``, ``HandoffMessage``,
``TaskResult``, ``RequestUsage``, ``FunctionCall``, ``FunctionExecutionResult``,
as listed by ``model_fields`` of 0.7.5) and a team whose ``run_stream`` yields
them; the handler is the real one, recording into a real local server. The
real package runs in tests/test_legacy_integrations.py (a test-only venv on
protobuf 5.29): a group chat with a tool on the LLM stand-in.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import sentrial
import sentrial.autogen
from sentrial._server import LocalServer
from sentrial.integrations.autogen import SentrialAutogenHandler

from .conftest import Reader


@dataclass
class RequestUsage:
    prompt_tokens: int
    completion_tokens: int


@dataclass
class FunctionCall:
    id: str
    arguments: str
    name: str


@dataclass
class FunctionExecutionResult:
    content: str
    name: str
    call_id: str
    is_error: bool | None = None


@dataclass
class TextMessage:
    source: str
    content: str
    models_usage: RequestUsage | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class ToolCallRequestEvent:
    source: str
    content: list[FunctionCall]
    models_usage: RequestUsage | None = None


@dataclass
class ToolCallExecutionEvent:
    source: str
    content: list[FunctionExecutionResult]
    models_usage: RequestUsage | None = None


@dataclass
class HandoffMessage:
    source: str
    target: str
    content: str
    models_usage: RequestUsage | None = None


@dataclass
class TaskResult:
    messages: list[Any]
    stop_reason: str | None = None


@dataclass
class OpenAIChatCompletionClient:
    _create_args: dict[str, Any]


@dataclass
class AssistantAgent:
    name: str
    _model_client: OpenAIChatCompletionClient


class RoundRobinGroupChat:
    """A team: ``run_stream(task=...)`` yields the task, messages, then a TaskResult."""

    def __init__(self, participants: list[AssistantAgent], script: list[Any]) -> None:
        self._participants = participants
        self.script = script
        self.tasks: list[str] = []

    async def run_stream(self, *, task: str) -> AsyncIterator[Any]:
        self.tasks.append(task)
        messages: list[Any] = [TextMessage(source="user", content=task)]
        yield messages[0]
        for item in self.script:
            await asyncio.sleep(0)
            messages.append(item)
            yield item
        yield TaskResult(messages=messages, stop_reason="Text 'TERMINATE' mentioned")


SCRIPT: list[Any] = [
    ToolCallRequestEvent(
        source="planner",
        content=[FunctionCall(id="call_1", arguments='{"city": "Paris"}', name="get_weather")],
        models_usage=RequestUsage(prompt_tokens=120, completion_tokens=18),
    ),
    ToolCallExecutionEvent(
        source="planner",
        content=[
            FunctionExecutionResult(content="Sunny, 21C", name="get_weather", call_id="call_1")
        ],
    ),
    ToolCallRequestEvent(
        source="planner",
        content=[FunctionCall(id="call_2", arguments='{"city": "Atlantis"}', name="get_weather")],
        models_usage=RequestUsage(prompt_tokens=150, completion_tokens=20),
    ),
    ToolCallExecutionEvent(
        source="planner",
        content=[
            FunctionExecutionResult(
                content="Error: unknown city", name="get_weather", call_id="call_2", is_error=True
            )
        ],
    ),
    HandoffMessage(source="planner", target="writer", content="Transferred to writer"),
    TextMessage(
        source="writer",
        content="Paris is sunny at 21C. TERMINATE",
        models_usage=RequestUsage(prompt_tokens=200, completion_tokens=12),
    ),
]


@pytest.fixture
def client(sentrial_server: LocalServer, tmp_path: Path) -> Iterator[sentrial.SentrialClient]:
    made = sentrial.SentrialClient(
        sentrial_server.url, sentrial_server.api_key, spool_dir=str(tmp_path)
    )
    yield made
    made.close()


def _team() -> RoundRobinGroupChat:
    return RoundRobinGroupChat(
        [
            AssistantAgent("planner", OpenAIChatCompletionClient({"model": "gpt-4o"})),
            AssistantAgent("writer", OpenAIChatCompletionClient({"model": "gpt-4o-mini"})),
        ],
        SCRIPT,
    )


def test_a_team_run_is_recorded(client: sentrial.SentrialClient, reader: Reader) -> None:
    sid = client.create_session("Weather", "autogen-team", "user_3")
    handler = sentrial.autogen.SentrialAutogenHandler(client, sid)
    team = _team()
    result = asyncio.run(handler.run_team(team, "Weather in Paris?"))
    assert isinstance(result, TaskResult) and team.tasks == ["Weather in Paris?"]
    handler.finish(success=True, custom_metrics={"turns": 3})
    handler.finish(success=False)  # once only
    assert client.flush(10)

    events = reader.events(sid)
    assert [(e["eventType"], e.get("toolName") or e.get("model")) for e in events] == [
        ("llm_call", "gpt-4o"),
        ("tool_call", "get_weather"),
        ("llm_call", "gpt-4o"),
        ("tool_call", "get_weather"),
        ("llm_decision", None),
        ("llm_call", "gpt-4o-mini"),
    ]
    ask, ok, _, failed, handoff, answer = events
    assert ask["output"] == [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    assert (ask["promptTokens"], ask["completionTokens"]) == (120, 18)
    assert ok["toolInput"] == {"city": "Paris"} and ok["toolOutput"] == {"value": "Sunny, 21C"}
    assert failed["toolInput"] == {"city": "Atlantis"}
    assert failed["toolError"]["message"] == "Error: unknown city"
    assert handoff["reasoning"] == "handoff from planner to writer"
    assert handoff["alternativesConsidered"] == ["writer"]
    assert answer["output"] == "Paris is sunny at 21C. TERMINATE"

    cost = sum(
        sentrial.calculate_cost(model, p, c) or 0.0
        for model, p, c in (("gpt-4o", 120, 18), ("gpt-4o", 150, 20), ("gpt-4o-mini", 200, 12))
    )
    assert cost > 0
    session = reader.session(sid)
    assert session["status"] == "completed"
    assert session["estimatedCost"] == pytest.approx(cost)
    assert (session["promptTokens"], session["completionTokens"]) == (470, 50)
    assert session["userInput"] == "Weather in Paris?"
    assert session["assistantOutput"] == "Paris is sunny at 21C. TERMINATE"
    assert session["customMetrics"] == {"turns": 3.0}
    summary = handler.get_usage_summary()
    assert summary["llm_calls"] == 3 and summary["tool_calls"] == 2
    assert summary["total_tokens"] == 520
    assert summary["estimated_cost"] == pytest.approx(cost)


def test_events_of_another_shape_are_skipped_not_raised(
    client: sentrial.SentrialClient, reader: Reader
) -> None:
    """A future AutoGen with other fields: fewer events, the run goes on."""
    sid = client.create_session("s", "a", "u")
    handler = SentrialAutogenHandler(client, sid, model="gpt-4o")

    @dataclass
    class ToolCallExecutionEvent:  # same name, no ``content`` list of results
        source: str
        content: int = 3

    async def stream() -> AsyncIterator[Any]:
        yield ToolCallExecutionEvent("x")
        yield TextMessage("bot", "hi", RequestUsage(10, 2))

    async def consume() -> list[Any]:
        return [e async for e in handler.track_stream(stream())]

    assert len(asyncio.run(consume())) == 2
    handler.finish(success=False, failure_reason="stopped")
    assert client.flush(10)
    (event,) = reader.events(sid)
    assert event["model"] == "gpt-4o" and event["promptTokens"] == 10
    assert reader.session(sid)["failureReason"] == "stopped"


def test_published_names_import_from_both_paths_without_frameworks() -> None:
    """The published top-level names and submodules of the five integrations,
    and ours under sentrial.integrations: importing them loads no framework."""
    code = """
import sys
import sentrial
from sentrial import (LangfuseIntegration, LangfuseTraceContext, SentrialAutogenHandler,
    SentrialCrewHandler, TrackedClaudeClient, track_crew, wrap_claude_agent, wrap_claude_client)
from sentrial.langfuse_integration import LangfuseIntegration as L, LangfuseTraceContext as T
from sentrial.autogen import SentrialAutogenHandler as A, SentrialClient, calculate_cost
from sentrial.crewai import SentrialCrewHandler as C, track_crew as tc, calculate_cost as cc
from sentrial.claude_code import TrackedClaudeClient as K, wrap_claude_agent as w
from sentrial.claude_code import wrap_claude_client as wc
from sentrial.integrations.openai_agents import SentrialTracingProcessor, track_openai_agents
assert (L, T, A, C, tc, K, w, wc) == (LangfuseIntegration, LangfuseTraceContext,
    SentrialAutogenHandler, SentrialCrewHandler, track_crew, TrackedClaudeClient,
    wrap_claude_agent, wrap_claude_client)
assert SentrialClient is sentrial.SentrialClient and calculate_cost is cc
loaded = [m for m in ("langfuse", "agents", "claude_agent_sdk", "crewai", "autogen_agentchat",
    "opentelemetry.sdk") if m in sys.modules]
print(loaded)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
