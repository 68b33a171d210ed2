"""CrewAI: ``SentrialCrewHandler`` and ``track_crew`` fed CrewAI's public objects.

CrewAI 1.15.30 is not in the dev lock: a fresh ``pip install crewai`` took
76 s and 1014 MB (chromadb, onnxruntime, tokenizers, ...), and it pins
``openai==2.54.0`` and ``pydantic==2.12.5`` against our locked 3.57.0 and
2.14.4. These tests therefore build objects with CrewAI's public class names
and fields (``AgentAction``: thought, tool, tool_input, text, result;
``AgentFinish``: thought, output, text; ``TaskOutput``; ``CrewOutput``:
raw, tasks_output, token_usage; ``UsageMetrics``), and a crew whose
``kickoff`` calls ``step_callback``/``task_callback`` as CrewAI does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import sentrial
import sentrial.crewai
from sentrial._server import LocalServer
from sentrial.integrations.crewai import SentrialCrewHandler, track_crew

from .conftest import Reader


@dataclass
class AgentAction:
    thought: str
    tool: str
    tool_input: str
    text: str
    result: str | None = None


@dataclass
class AgentFinish:
    thought: str
    output: Any
    text: str


@dataclass
class TaskOutput:
    description: str
    agent: str
    raw: str
    name: str | None = None
    expected_output: str | None = None
    summary: str | None = None
    tool_failures: int = 0


@dataclass
class UsageMetrics:
    total_tokens: int = 0
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0
    completion_tokens: int = 0
    successful_requests: int = 0


@dataclass
class CrewOutput:
    raw: str
    tasks_output: list[TaskOutput]
    token_usage: UsageMetrics


@dataclass
class LLM:
    model: str


@dataclass
class Agent:
    role: str
    llm: LLM


@dataclass
class Crew:
    agents: list[Agent]
    fail: bool = False
    step_callback: Callable[[Any], Any] | None = None
    task_callback: Callable[[Any], Any] | None = None
    seen: list[Any] = field(default_factory=list)

    def kickoff(self, inputs: dict[str, Any] | None = None) -> CrewOutput:
        topic = (inputs or {}).get("topic", "?")
        steps = [
            AgentAction(
                thought="I should search",
                tool="search",
                tool_input=f'{{"query": "{topic}"}}',
                text="Action: search",
                result="3 papers",
            ),
            AgentFinish(thought="I know enough", output="Summary of 3 papers", text="Final"),
        ]
        for step in steps:
            if self.step_callback:
                self.step_callback(step)
        if self.fail:
            raise RuntimeError("LLM quota exceeded")
        task = TaskOutput(
            description=f"Research {topic}",
            agent="Researcher",
            raw="Summary of 3 papers",
            name="research",
            expected_output="A summary",
        )
        if self.task_callback:
            self.task_callback(task)
        return CrewOutput(
            raw="Summary of 3 papers",
            tasks_output=[task],
            token_usage=UsageMetrics(
                total_tokens=1500, prompt_tokens=1200, completion_tokens=300, successful_requests=2
            ),
        )


@pytest.fixture
def client(sentrial_server: LocalServer, tmp_path: Path) -> Iterator[sentrial.SentrialClient]:
    made = sentrial.SentrialClient(
        sentrial_server.url, sentrial_server.api_key, spool_dir=str(tmp_path)
    )
    yield made
    made.close()


COST = sentrial.calculate_cost("gpt-4o-mini", 1200, 300)


def test_a_wrapped_crew_is_recorded(client: sentrial.SentrialClient, reader: Reader) -> None:
    sid = client.create_session("Research", "research-crew", "user_4")
    handler = sentrial.crewai.SentrialCrewHandler(client, sid)
    theirs: list[Any] = []
    crew = Crew([Agent("Researcher", LLM("gpt-4o-mini"))], step_callback=theirs.append)
    assert handler.wrap_crew(crew) is crew
    result = crew.kickoff(inputs={"topic": "agents"})
    assert result.raw == "Summary of 3 papers"
    assert [type(s).__name__ for s in theirs] == ["AgentAction", "AgentFinish"]  # still called
    assert client.flush(10)

    events = reader.events(sid)
    assert [(e["eventType"], e.get("toolName")) for e in events] == [
        ("tool_call", "search"),
        ("llm_decision", None),
        ("tool_call", "task: research"),
        ("llm_call", None),
    ]
    step, finish, task, llm = events
    assert step["toolInput"] == {"query": "agents"}
    assert step["toolOutput"] == {"value": "3 papers"}
    assert step["reasoning"] == "I should search"
    assert finish["reasoning"] == "I know enough"
    assert finish["metadata"] == {"output": "Summary of 3 papers"}
    assert task["toolInput"]["description"] == "Research agents"
    assert task["toolOutput"] == {"raw": "Summary of 3 papers"}
    assert llm["model"] == "gpt-4o-mini"
    assert (llm["promptTokens"], llm["completionTokens"]) == (1200, 300)
    assert COST is not None and llm["estimatedCost"] == pytest.approx(COST)
    session = reader.session(sid)
    assert session["status"] == "completed"
    assert session["estimatedCost"] == pytest.approx(COST)
    assert session["userInput"] == '{"topic": "agents"}'
    assert session["assistantOutput"] == "Summary of 3 papers"
    summary = handler.get_usage_summary()
    assert (summary["steps"], summary["tasks"], summary["total_tokens"]) == (2, 1, 1500)
    assert summary["estimated_cost"] == pytest.approx(COST)


def test_a_failing_kickoff_fails_the_session_and_raises(
    client: sentrial.SentrialClient, reader: Reader
) -> None:
    sid = client.create_session("Research", "research-crew", "u")
    crew = SentrialCrewHandler(client, sid).wrap_crew(Crew([Agent("R", LLM("gpt-4o"))], fail=True))
    with pytest.raises(RuntimeError, match="quota"):
        crew.kickoff(inputs={"topic": "x"})
    assert client.flush(10)
    session = reader.session(sid)
    assert session["status"] == "failed"
    assert session["failureReason"] == "RuntimeError: LLM quota exceeded"
    assert [e["eventType"] for e in reader.events(sid)] == ["tool_call", "llm_decision"]


def test_track_crew_decorator(client: sentrial.SentrialClient, reader: Reader) -> None:
    @track_crew(client, agent_name="research-crew", user_id="u8", model="gpt-4o-mini")
    def run_research(topic: str) -> CrewOutput:
        return Crew([Agent("R", LLM("gpt-4o-mini"))]).kickoff(inputs={"topic": topic})

    @sentrial.crewai.track_crew(client)
    async def run_async(topic: str) -> CrewOutput:
        return Crew([Agent("R", LLM("gpt-4o-mini"))]).kickoff(inputs={"topic": topic})

    assert run_research("AI").raw == "Summary of 3 papers"
    assert asyncio.run(run_async("ML")).raw == "Summary of 3 papers"
    assert client.flush(10)
    by_agent = {s["agentName"]: s for s in reader.sessions()}
    tracked = by_agent["research-crew"]
    assert tracked["name"] == "research-crew: run_research" and tracked["userId"] == "u8"
    assert tracked["status"] == "completed"
    assert tracked["estimatedCost"] == pytest.approx(COST)
    assert (tracked["promptTokens"], tracked["completionTokens"]) == (1200, 300)
    assert tracked["assistantOutput"] == "Summary of 3 papers"
    plain = by_agent["crewai"]
    assert plain["name"] == "crewai: run_async" and plain["userId"] == "anonymous"
    assert plain["promptTokens"] == 1200  # model not given: tokens, no price
    assert plain.get("estimatedCost") in (None, 0, 0.0)


def test_a_crew_of_another_shape_runs_untracked(
    client: sentrial.SentrialClient, caplog: pytest.LogCaptureFixture
) -> None:
    class Frozen:
        __slots__ = ()  # no callbacks, no kickoff: nothing to wrap

    frozen = Frozen()
    sid = client.create_session("s", "a", "u")
    assert SentrialCrewHandler(client, sid).wrap_crew(frozen) is frozen
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "sentrial: this Crew could not be tracked (it runs untracked)"
    ]


@dataclass
class ToolUsageFinishedEvent:
    tool_name: str
    tool_args: dict[str, Any] | str
    agent_role: str
    task_name: str
    started_at: datetime
    finished_at: datetime
    output: Any
    from_cache: bool = False


@dataclass
class ToolUsageErrorEvent:
    tool_name: str
    tool_args: dict[str, Any] | str
    agent_role: str
    task_name: str
    error: Any


def test_tool_events_of_the_event_bus(client: sentrial.SentrialClient, reader: Reader) -> None:
    """Native function calling reports tools on CrewAI's event bus only."""
    sid = client.create_session("s", "a", "u")
    handler = SentrialCrewHandler(client, sid)
    start = datetime(2026, 1, 1, 12, 0, 0)
    handler.on_tool_event(
        ToolUsageFinishedEvent(
            "get_weather",
            '{"city": "Paris"}',
            "Forecaster",
            "forecast",
            start,
            start + timedelta(milliseconds=250),
            "Sunny in Paris",
        )
    )
    handler.on_tool_event(
        ToolUsageErrorEvent("get_weather", {"city": "?"}, "Forecaster", "forecast", "no city")
    )
    assert client.flush(10)
    ok, failed = reader.events(sid)
    assert (ok["toolName"], ok["toolInput"], ok["toolOutput"]) == (
        "get_weather",
        {"city": "Paris"},
        {"value": "Sunny in Paris"},
    )
    assert ok["durationMs"] == pytest.approx(250)
    assert ok["metadata"] == {"agent": "Forecaster", "task": "forecast", "from_cache": False}
    assert failed["toolError"] == {"message": "no city"} and failed["toolInput"] == {"city": "?"}
