"""CrewAI: ``SentrialCrewHandler`` and ``track_crew``, on a real crew and on shapes.

The real tests run CrewAI 1.15.30 (``requirements/crewai-nodeps.txt``, installed
with ``--no-deps`` by the Makefile: a plain ``pip install crewai`` took 76 s and
1014 MB and pins ``openai==2.54.0`` and ``pydantic==2.12.5`` against our locked
3.57.0 and 2.14.4; these 13 packages are 98 MB and run with the locked ones):
a ``Crew`` whose agent has two tools, its LLM at the offline stand-in, telemetry
off, its files under the test's directory. The stand-in answers a user turn
holding ``[call:NAME {json}]`` with that tool call, so each task makes one
native tool call, which CrewAI reports on its event bus only (``step_callback``
gets the ``AgentFinish`` alone).

The shape tests feed objects with CrewAI's public names and fields
(``AgentAction``, ``AgentFinish``, ``TaskOutput``, ``CrewOutput``) to the paths
a crew without the event bus takes (objects without agent ids, older CrewAI,
ReAct steps through ``step_callback``).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import sentrial
import sentrial.crewai
from sentrial._server import LocalServer
from sentrial.integrations.crewai import SentrialCrewHandler, track_crew
from sentrial.testing import llm_stand_in

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


# -- a real crew ------------------------------------------------------------------

# gpt-4o-mini's list prices, USD per token: $0.15 / 1M input, $0.60 / 1M output.
INPUT_PRICE, OUTPUT_PRICE = 0.15e-6, 0.60e-6

WEATHER_TASK = 'Weather in Paris? [call:get_weather {"city": "Paris"}]'
ALERTS_TASK = 'Alerts for Atlantis? [call:get_alerts {"city": "Atlantis"}]'


# Hosts this process resolves or connects to while ``_watching`` (audit events).
_hosts: list[str] = []
_watching: list[bool] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _watching and _watching[0] and event in ("socket.connect", "socket.getaddrinfo"):
        target = args[1] if event == "socket.connect" else args
        _hosts.append(str(target[0]) if isinstance(target, tuple) else str(target))


@pytest.fixture
def offline() -> Iterator[list[str]]:
    """The hosts resolved or connected to during the test (an audit hook, added once)."""
    if not _watching:
        sys.addaudithook(_audit)
        _watching.append(False)
    _hosts.clear()
    _watching[0] = True
    yield _hosts
    _watching[0] = False


@pytest.fixture
def real_crew(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Builds a real two-task ``Crew`` (one agent, two tools) whose LLM is the stand-in."""
    for name, value in {
        "CREWAI_DISABLE_TELEMETRY": "true",
        "OTEL_SDK_DISABLED": "true",
        "CREWAI_TRACING_ENABLED": "false",
        "HOME": str(tmp_path / "home"),  # CrewAI keeps a key and a kickoff db there
        "XDG_DATA_HOME": str(tmp_path / "home" / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / "config"),
    }.items():
        monkeypatch.setenv(name, value)
    from crewai import LLM, Agent, Crew, Task
    from crewai.tools import tool

    @tool("get_weather")
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"Sunny in {city}"

    @tool("get_alerts")
    def get_alerts(city: str) -> str:
        """The weather alerts of a city."""
        raise ValueError(f"no alerts for {city}")

    with llm_stand_in() as url:

        def make(**crew_options: Any) -> Any:
            llm = LLM(model="gpt-4o-mini", base_url=f"{url}/v1", api_key="sk-stand-in")
            agent = Agent(
                role="Forecaster",
                goal="Tell the weather",
                backstory="A meteorologist",
                llm=llm,
                tools=[get_weather, get_alerts],
            )
            tasks = [
                Task(description=WEATHER_TASK, expected_output="The weather", agent=agent),
                Task(description=ALERTS_TASK, expected_output="The alerts", agent=agent),
            ]
            tasks[0].name, tasks[1].name = "forecast", "alerts"
            return Crew(agents=[agent], tasks=tasks, **crew_options)

        yield make


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # CrewAI's own
@pytest.mark.filterwarnings("ignore:function callbacks cannot be serialized:UserWarning")
def test_a_real_crew_records_its_llm_and_tool_calls(
    offline: list[str],  # first: it watches CrewAI's import too
    client: sentrial.SentrialClient,
    reader: Reader,
    real_crew: Callable[..., Any],
) -> None:
    theirs: list[str] = []
    crew = real_crew(step_callback=lambda step: theirs.append(type(step).__name__))
    sid = client.create_session("Weather", "weather-crew", "u1")
    handler = sentrial.crewai.SentrialCrewHandler(client, sid)
    assert handler.wrap_crew(crew) is crew
    result = crew.kickoff()
    assert result.raw == "Echo: Error executing tool: no alerts for Atlantis"
    assert theirs == ["AgentFinish", "AgentFinish"]  # no AgentAction for native tool calls
    assert client.flush(10)

    events = reader.events(sid)
    assert [(e["eventType"], e.get("toolName")) for e in events] == [
        ("llm_call", None),
        ("tool_call", "get_weather"),
        ("llm_call", None),
        ("llm_decision", None),
        ("tool_call", "task: forecast"),
        ("llm_call", None),
        ("tool_call", "get_alerts"),
        ("llm_call", None),
        ("llm_decision", None),
        ("tool_call", "task: alerts"),
    ]
    calls = [e for e in events if e["eventType"] == "llm_call"]
    weather, alerts = events[1], events[6]
    assert (weather["toolInput"], weather["toolOutput"]) == (
        {"city": "Paris"},
        {"value": "Sunny in Paris"},
    )
    assert weather["metadata"] == {"agent": "Forecaster", "task": "forecast", "from_cache": False}
    assert (alerts["toolInput"], alerts["toolError"]) == (
        {"city": "Atlantis"},
        {"message": "no alerts for Atlantis"},
    )
    assert "toolOutput" not in alerts
    # The stand-in counts tokens as len(text) // 4: the prompt's messages (+ 3), and
    # "Echo: <the last message>" as the completion, also of a tool call.
    tokens = [(c["promptTokens"], c["completionTokens"]) for c in calls]
    assert tokens == [(74, 51), (78, 5), (91, 51), (103, 12)]
    assert [c["model"] for c in calls] == ["gpt-4o-mini"] * 4
    assert [c["metadata"]["call_type"] for c in calls] == ["tool_call", "llm_call"] * 2
    assert [c["metadata"]["task"] for c in calls] == ["forecast", "forecast", "alerts", "alerts"]
    costs = [p * INPUT_PRICE + c * OUTPUT_PRICE for p, c in tokens]
    assert [c["estimatedCost"] for c in calls] == pytest.approx(costs)
    assert calls[0]["output"] == [
        {
            "id": "call_standin_get_weather",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ]
    assert calls[1]["output"] == "Echo: Sunny in Paris"
    assert [m["role"] for m in calls[0]["input"]] == ["system", "user"]
    assert WEATHER_TASK in calls[0]["input"][1]["content"]
    assert calls[1]["input"][-1] == {
        "role": "tool",
        "content": "Sunny in Paris",
        "tool_call_id": "call_standin_get_weather",
        "name": "get_weather",
    }

    # CrewAI's own sum agrees, and no second llm_call repeats it.
    usage = result.token_usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (346, 119)
    session = reader.session(sid)
    assert session["status"] == "completed"
    assert (session["promptTokens"], session["completionTokens"]) == (346, 119)
    assert session["estimatedCost"] == pytest.approx(sum(costs))
    assert session["assistantOutput"] == "Echo: Error executing tool: no alerts for Atlantis"
    summary = handler.get_usage_summary()
    assert (summary["steps"], summary["tasks"], summary["total_tokens"]) == (2, 2, 465)
    assert summary["estimated_cost"] == pytest.approx(sum(costs))

    # CrewAI leaves the callbacks on the agents and tasks: a later crew reusing
    # them adds nothing to the completed session.
    again = type(crew)(agents=crew.agents, tasks=crew.tasks)
    assert again.kickoff().raw == "Echo: Error executing tool: no alerts for Atlantis"
    assert theirs == ["AgentFinish"] * 4
    assert client.flush(10)
    assert len(reader.events(sid)) == 10
    assert offline and set(offline) == {"127.0.0.1"}  # the stand-in and our server only


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # CrewAI's own
def test_track_crew_around_a_real_crew(
    client: sentrial.SentrialClient, reader: Reader, real_crew: Callable[..., Any]
) -> None:
    """Without ``wrap_crew`` the crew's ``token_usage`` is the one ``llm_call``."""

    @sentrial.crewai.track_crew(client, agent_name="weather-crew", model="gpt-4o-mini")
    def forecast() -> Any:
        return real_crew().kickoff()

    assert forecast().raw == "Echo: Error executing tool: no alerts for Atlantis"
    assert client.flush(10)
    (session,) = reader.sessions()
    assert (session["name"], session["status"]) == ("weather-crew: forecast", "completed")
    (llm,) = reader.events(session["id"])
    assert (llm["eventType"], llm["model"], llm["metadata"]) == (
        "llm_call",
        "gpt-4o-mini",
        {"source": "crewai token_usage"},
    )
    assert (llm["promptTokens"], llm["completionTokens"]) == (346, 119)
    assert llm["estimatedCost"] == pytest.approx(346 * INPUT_PRICE + 119 * OUTPUT_PRICE)
    assert session["estimatedCost"] == pytest.approx(346 * INPUT_PRICE + 119 * OUTPUT_PRICE)


OLD_CREWAI_APP = """
import logging, sys
import sentrial
from sentrial.crewai import SentrialCrewHandler
from tests.test_integrations_crewai import LLM, AgentFinish, CrewOutput, UsageMetrics

if sys.argv[1] == "missing":
    sys.modules["crewai"] = None  # type: ignore[assignment]  # import crewai fails
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

class Agent:  # a real crew's agents have ids: these make the handler look for the bus
    def __init__(self) -> None:
        self.id, self.llm = "a1", LLM("gpt-4o-mini")

class Crew:
    def __init__(self) -> None:
        self.agents, self.step_callback, self.task_callback = [Agent()], None, None

    def kickoff(self) -> CrewOutput:
        self.step_callback(AgentFinish(thought="done", output="ok", text="Final"))
        return CrewOutput(raw="ok", tasks_output=[], token_usage=UsageMetrics(
            prompt_tokens=100, completion_tokens=10))

client = sentrial.SentrialClient(sys.argv[2], sys.argv[3], spool_dir=sys.argv[4])
for user in ("u1", "u2"):
    crew = Crew()
    SentrialCrewHandler(client, client.create_session("s", "old-crew", user)).wrap_crew(crew)
    print(crew.kickoff().raw)
client.close()
"""


@pytest.mark.parametrize("crewai", ["missing", "0.30.0"])
def test_a_crewai_without_the_event_bus_runs_the_crew(
    crewai: str, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    """An app whose ``crewai`` is missing or lacks ``crewai.events``: the crew runs,
    its callbacks and ``token_usage`` are recorded, and an old crewai warns once."""
    old = tmp_path / "old" / "crewai"
    old.mkdir(parents=True)
    (old / "__init__.py").write_text(f'__version__ = "{crewai}"\n')
    root = Path(__file__).resolve().parents[1]
    server = [sentrial_server.url, sentrial_server.api_key, str(tmp_path / "spool")]
    result = subprocess.run(
        [sys.executable, "-c", OLD_CREWAI_APP, crewai, *server],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(old.parent), str(root)])},
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, "ok\nok\n"), result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
    assert warnings == (
        []
        if crewai == "missing"
        else [
            "WARNING sentrial: crewai 0.30.0 has no event bus sentrial knows; its LLM calls "
            "and native tool calls are not recorded (the crew runs as usual)"
        ]
    )
    sessions = reader.sessions()
    assert sorted(s["userId"] for s in sessions) == ["u1", "u2"]
    for session in sessions:
        assert (session["status"], session["promptTokens"]) == ("completed", 100)
        events = reader.events(session["id"])
        assert [e["eventType"] for e in events] == ["llm_decision", "llm_call"]
