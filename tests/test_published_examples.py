"""The usage examples of the published ``sentrial`` 0.6.0 run unchanged (issue 26).

Each example below is quoted as published (its README on PyPI, or a module's
docstring) and runs in a fresh interpreter against a local server that takes
the examples' literal key ``sentrial_live_xxx``; the model SDKs reach the LLM
stand-in through their own environment variables (``OPENAI_BASE_URL``,
``ANTHROPIC_BASE_URL``). Names an example uses without defining them
(``user_message``, the crew's agents, ``session_id``) come from a short
prelude; what the example says happens next (a span emitted, the agent
called) from a short epilogue. What was stored is then read back.

Examples not here, and why: the FastAPI one (FastAPI is not a dependency of
ours), the AutoGen and legacy Gemini ones (their packages live in
``.venv-legacy``: ``tests/test_legacy_integrations.py``), ``configure`` with
``api_url="https://api.sentrial.com"`` (it would send to the real service),
and docstrings whose code is placeholders (``Crew(agents=[...])``,
``ChatOpenAI(...)``), which cannot run as written in 0.6.0 either.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sentrial._server import LocalServer

from .conftest import Reader

KEY = "sentrial_live_xxx"
QUESTION = "How do I reset my password?"


@dataclass
class Example:
    source: str  # where 0.6.0 publishes it
    code: str  # as published
    prelude: str = ""
    epilogue: str = ""
    env: dict[str, str] = field(default_factory=dict)


Check = Callable[[list[dict[str, Any]], Reader, str], None]
"""What an example stored (its sessions), a reader for the rest, and its stdout."""


# -- the published README (PyPI long description) --------------------------------

README_OPENAI = Example(
    "README, Quick Start, Option 1: OpenAI",
    """
from sentrial import wrap_openai, configure, begin
from openai import OpenAI

configure(api_key="sentrial_live_xxx")
client = wrap_openai(OpenAI())  # ← That's it!

with begin(user_id="user_123", event="chat", input=user_message) as session:
    response = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": user_message}]
    )
    # ✔️ Automatically tracked: model, tokens, cost, latency
    session.set_output(response.choices[0].message.content)
""",
    prelude=f"user_message = {QUESTION!r}",
)

README_ANTHROPIC = Example(
    "README, Quick Start, Option 1: Anthropic",
    """
from sentrial import wrap_anthropic, configure, begin
from anthropic import Anthropic

configure(api_key="sentrial_live_xxx")
client = wrap_anthropic(Anthropic())

with begin(user_id="user_123", event="chat", input=user_message) as session:
    response = client.messages.create(
        model="claude-sonnet-4-20250514",
        max_tokens=1024,
        messages=[{"role": "user", "content": user_message}]
    )
    session.set_output(response.content[0].text)
""",
    prelude=f"user_message = {QUESTION!r}",
)

README_DECORATORS = Example(
    "README, Quick Start, Option 2: decorators",
    '''
from sentrial import tool, session, configure

configure(api_key="sentrial_live_xxx")

@tool("search_web")
def search_web(query: str) -> dict:
    """Tool calls are automatically tracked"""
    return {"results": [...]}

@tool("get_weather")
def get_weather(city: str) -> dict:
    return {"temp": 72, "condition": "sunny"}

@session("my-agent")
def run_agent(user_id: str, message: str) -> str:
    """Session boundary - tracks input/output automatically"""
    results = search_web(message)
    weather = get_weather("San Francisco")
    return f"Found {len(results)} results. Weather: {weather}"

# Run it - everything is tracked!
run_agent(user_id="user_123", message="What's happening today?")
''',
)

README_LANGCHAIN = Example(
    "README, Quick Start, Option 4: LangChain",
    '''
from langchain_openai import ChatOpenAI
from langchain_core.tools import tool
from sentrial import SentrialClient, create_agent_with_sentrial

client = SentrialClient(api_key="sentrial_live_xxx")
llm = ChatOpenAI(model="gpt-4o")

@tool
def my_tool(query: str) -> str:
    """Search for information."""
    return f"Results for: {query}"

# create_agent_with_sentrial handles ALL LangChain versions!
agent = create_agent_with_sentrial(
    llm=llm,
    tools=[my_tool],
    client=client,
    agent_name="support-agent",
    user_id="user_123",
)

result = agent("How do I reset my password?")
print(result)
''',
)

README_LANGGRAPH = Example(
    "README, Option 4, manual setup (LangChain 1.0+)",
    """
from langgraph.prebuilt import create_react_agent
from sentrial.langchain import SentrialCallbackHandler

agent = create_react_agent(llm, tools)
handler = SentrialCallbackHandler(client, session_id)

result = agent.invoke(
    {"messages": [("user", query)]},
    config={"callbacks": [handler]}
)
""",
    prelude=f"""
from langchain_openai import ChatOpenAI
from sentrial import SentrialClient
client = SentrialClient(api_key="sentrial_live_xxx")
llm = ChatOpenAI(model="gpt-4o")
tools = []
query = {QUESTION!r}
session_id = client.create_session(name="graph", agent_name="lg-agent", user_id="user_9")
""",
    epilogue="handler.finish(success=True)",
)

README_CREWAI = Example(
    "README, Quick Start, Option 5: CrewAI",
    """
from crewai import Agent, Task, Crew
from sentrial import SentrialClient
from sentrial.crewai import SentrialCrewHandler

client = SentrialClient(api_key="sentrial_live_xxx")
session_id = client.create_session(name="Research Crew", agent_name="crewai-research")
handler = SentrialCrewHandler(client, session_id)

crew = Crew(
    agents=[researcher, writer],
    tasks=[research_task, write_task],
    step_callback=handler.on_step,
    task_callback=handler.on_task_complete,
)

result = crew.kickoff(inputs={"topic": "AI agents"})
handler.finish(success=True, output=str(result))
""",
    prelude="""
import os
from crewai import Agent, Task, LLM
llm = LLM(model="gpt-4o-mini", base_url=os.environ["OPENAI_BASE_URL"], api_key="sk-t")
researcher = Agent(role="Researcher", goal="Find information", backstory="Careful.", llm=llm)
writer = Agent(role="Writer", goal="Write content", backstory="Clear.", llm=llm)
research_task = Task(description="Research {topic}", expected_output="Notes", agent=researcher)
write_task = Task(description="Write about {topic}", expected_output="A text", agent=writer)
""",
    epilogue="""
import json
client.flush(10)
print(json.dumps({"dropped": client.stats()["dropped"], "output": str(result)}))
""",
)

EMIT_SPAN = """
from opentelemetry import trace as _trace
with _trace.get_tracer("app").start_as_current_span(
    "chat gpt-4o",
    attributes={
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 5,
    },
):
    pass
_trace.get_tracer_provider().shutdown()
"""

README_OTEL_SETUP = Example(
    "README, Quick Start, Option 7: OpenTelemetry",
    """
from sentrial.otel import setup_otel_tracing

# One line setup
setup_otel_tracing(
    api_key="sentrial_live_xxx",
    project="my-ai-app"
)

# Now ANY OTel-instrumented library sends traces to Sentrial!
# Works with: opentelemetry-instrumentation-openai, traceloop, etc.
""",
    epilogue=EMIT_SPAN,
)

README_OTEL_PROCESSOR = Example(
    "README, Option 7: add to an existing OTel setup",
    """
from opentelemetry.sdk.trace import TracerProvider
from sentrial.otel import SentrialSpanProcessor

provider = TracerProvider()
provider.add_span_processor(SentrialSpanProcessor(
    api_key="sentrial_live_xxx",
    project="my-ai-app"
))
""",
    epilogue="from opentelemetry import trace\ntrace.set_tracer_provider(provider)\n" + EMIT_SPAN,
)

README_BEGIN = Example(
    "README, API Reference, Context Manager",
    """
from sentrial import begin

with begin(
    user_id="user_123",           # Required: for user analytics
    event="agent_name",           # Required: groups sessions
    input="user message",         # Optional: captured as session input
) as session:
    # Track tool calls
    session.track_tool_call(
        tool_name="search",
        tool_input={"query": "..."},
        tool_output={"results": [...]}
    )

    # Track decisions/reasoning
    session.track_decision(
        reasoning="Choosing to search because...",
        confidence=0.9
    )

    # Set output
    session.set_output("Final response to user")
""",
)

README_ASYNC = Example(
    "README, API Reference, Async Client",
    """
from sentrial import AsyncSentrialClient

client = AsyncSentrialClient(api_key="...")

async with await client.begin(user_id="...", event="...") as session:
    await session.track_tool_call(...)
    session.set_output("...")

# Don't forget to close when done
await client.close()
""",
)

# -- module docstrings -------------------------------------------------------------

DOC_OTEL_PROCESSOR = Example(
    "sentrial.otel.SentrialSpanProcessor docstring",
    """
from opentelemetry.sdk.trace import TracerProvider
from sentrial.otel import SentrialSpanProcessor

provider = TracerProvider()
provider.add_span_processor(SentrialSpanProcessor(
    project="my-ai-project"
))
trace.set_tracer_provider(provider)

# Now any OTel-instrumented LLM library sends traces to Sentrial!
""",
    prelude="from opentelemetry import trace",
    epilogue=EMIT_SPAN,
)

DOC_SETUP_OTEL = Example(
    "sentrial.otel.setup_otel_tracing docstring",
    """
from sentrial.otel import setup_otel_tracing

setup_otel_tracing(project="my-ai-app")

# Now any OTel-instrumented code sends traces to Sentrial!
""",
    epilogue=EMIT_SPAN,
)

DOC_WRAPPERS = Example(
    "sentrial.wrappers module docstring",
    """
from openai import OpenAI
from sentrial import wrap_openai, configure

configure(api_key="sentrial_live_xxx")

client = wrap_openai(OpenAI())

# All calls are now automatically tracked!
response = client.chat.completions.create(
    model="gpt-4o",
    messages=[{"role": "user", "content": "Hello!"}]
)
""",
    epilogue="assert response.choices[0].message.content",
)

DOC_CLAUDE_CODE = Example(
    "sentrial.claude_code module docstring (the issue's form: the loop body is `...`;"
    " 0.6.0's `print(message.type)` fails on the SDK's typed messages, which have no"
    " `type`)",
    """
from claude_agent_sdk import query
from sentrial import AsyncSentrialClient
from sentrial.claude_code import wrap_claude_agent

client = AsyncSentrialClient(api_key="sentrial_live_xxx")

tracked_query = wrap_claude_agent(query, client=client, default_agent="my-agent")

async for message in tracked_query(prompt="Fix the tests"):
    # Messages pass through unchanged
    ...
""",
    # The CLI's place is taken by the scripted one of the Claude tests, through
    # the SDK's public transport argument.
    prelude="""
import functools, claude_agent_sdk
from tests.test_integrations_claude_agent import ScriptedCLI, turn
claude_agent_sdk.query = functools.partial(claude_agent_sdk.query, transport=ScriptedCLI(turn()))
""",
    epilogue="await client.close()",
)


TOOLS = """
from langchain_core.tools import tool

@tool
def my_tool1(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    return f"Sunny in {city}"

@tool
def my_tool2(query: str) -> str:
    \"\"\"Search for information.\"\"\"
    return f"Results for: {query}"
"""

DOC_CREATE_AGENT = Example(
    "sentrial.langchain.create_agent_with_sentrial docstring",
    """
from sentrial import SentrialClient, create_agent_with_sentrial
from langchain_openai import ChatOpenAI

client = SentrialClient()
llm = ChatOpenAI(model="gpt-4o")

agent = create_agent_with_sentrial(
    llm=llm,
    tools=[my_tool1, my_tool2],
    client=client,
    agent_name="my-agent",
)

result = agent("What's the weather?")
print(result)
""",
    prelude=TOOLS,
)

DOC_REACT_AGENT = Example(
    "sentrial.langchain.get_react_agent docstring",
    """
create_react_agent = get_react_agent()
agent = create_react_agent(model, tools)  # Note: different API than AgentExecutor!

# Use with Sentrial:
handler = SentrialCallbackHandler(client, session_id)
result = agent.invoke({"messages": [("user", query)]}, config={"callbacks": [handler]})
""",
    prelude=TOOLS
    + f"""
from langchain_openai import ChatOpenAI
from sentrial import SentrialClient
from sentrial.langchain import SentrialCallbackHandler, get_react_agent
client = SentrialClient()
model = ChatOpenAI(model="gpt-4o")
tools = [my_tool1, my_tool2]
query = {QUESTION!r}
session_id = client.create_session(name="react", agent_name="lg-agent", user_id="user_9")
""",
    epilogue="handler.finish(success=True)",
)

DOC_EXPERIMENT_CONTEXT = Example(
    "sentrial.context.get_experiment_context docstring (inside an experiment run)",
    """
from sentrial import get_experiment_context

ctx = get_experiment_context()
if ctx:
    print(f"Running variant: {ctx.variant_name}")
""",
    env={
        "SENTRIAL_EXPERIMENT_SYSTEM_PROMPT": "Be terse.",
        "SENTRIAL_EXPERIMENT_VARIANT": "variant_a",
    },
)


def _openai_chat(sessions: list[dict[str, Any]], reader: Reader, stdout: str) -> None:
    (session,) = sessions
    assert session["agentName"] == "chat" and session["userId"] == "user_123"
    assert session["status"] == "completed" and session["userInput"] == QUESTION
    (call,) = reader.events(session["id"])
    assert call["eventType"] == "llm_call" and call["promptTokens"] > 0
    assert call["estimatedCost"] > 0 and session["estimatedCost"] == call["estimatedCost"]
    assert session["assistantOutput"] and session["assistantOutput"] == call["output"]


def _decorated(sessions: list[dict[str, Any]], reader: Reader, stdout: str) -> None:
    (session,) = sessions
    assert session["agentName"] == "my-agent" and session["status"] == "completed"
    assert session["userId"] == "user_123"
    tools = [e["toolName"] for e in reader.events(session["id"])]
    assert tools == ["search_web", "get_weather"]
    assert session["assistantOutput"].startswith("Found 1 results. Weather:")


def _langchain(sessions: list[dict[str, Any]], reader: Reader, stdout: str) -> None:
    (session,) = sessions
    assert session["agentName"] == "support-agent" and session["userId"] == "user_123"
    assert session["status"] == "completed" and session["userInput"] == QUESTION
    kinds = [e["eventType"] for e in reader.events(session["id"])]
    assert "llm_call" in kinds and session["estimatedCost"] > 0


def _langgraph(sessions: list[dict[str, Any]], reader: Reader, stdout: str) -> None:
    (session,) = sessions
    assert session["agentName"] == "lg-agent" and session["status"] == "completed"
    (call,) = [e for e in reader.events(session["id"]) if e["eventType"] == "llm_call"]
    assert call["model"] == "gpt-4o" and session["promptTokens"] == call["promptTokens"] > 0


def _crew(sessions: list[dict[str, Any]], reader: Reader, stdout: str) -> None:
    # As published, this example calls ``create_session`` without the required
    # ``user_id``: 0.6.0 raises TypeError there, into the app. Here the crew
    # runs to its end; the refused call is counted (and logged once, naming
    # ``user_id``), and so is every operation of the session never created.
    report = json.loads(stdout.splitlines()[-1])
    assert report["output"]
    assert report["dropped"]["invalid_argument"] >= 1
    assert sessions == []


def _otel(agent: str) -> Check:
    def check(sessions: list[dict[str, Any]], reader: Reader, stdout: str) -> None:
        (session,) = sessions
        assert session["agentName"] == agent and session["status"] == "completed"
        assert (session["promptTokens"], session["completionTokens"]) == (10, 5)
        assert session["estimatedCost"] > 0

    return check


def _begin(sessions: list[dict[str, Any]], reader: Reader, stdout: str) -> None:
    (session,) = sessions
    assert session["agentName"] == "agent_name" and session["userInput"] == "user message"
    assert session["assistantOutput"] == "Final response to user"
    tool, decision = reader.events(session["id"])
    assert tool["toolName"] == "search" and tool["toolInput"] == {"query": "..."}
    assert decision["reasoning"] == "Choosing to search because..."
    assert decision["confidence"] == 0.9


def _async(sessions: list[dict[str, Any]], reader: Reader, stdout: str) -> None:
    # ``track_tool_call(...)`` passes Ellipsis as the tool name: kept as its text.
    (session,) = sessions
    assert session["agentName"] == "..." and session["status"] == "completed"
    assert session["assistantOutput"] == "..."
    (tool,) = reader.events(session["id"])
    assert tool["eventType"] == "tool_call" and "Ellipsis" in tool["toolName"]


def _my_agent(sessions: list[dict[str, Any]], reader: Reader, stdout: str) -> None:
    (session,) = sessions
    assert session["agentName"] == "my-agent" and session["status"] == "completed"
    assert session["userInput"] == "What's the weather?" and stdout.strip()
    assert "llm_call" in [e["eventType"] for e in reader.events(session["id"])]


def _variant(sessions: list[dict[str, Any]], reader: Reader, stdout: str) -> None:
    assert stdout == "Running variant: variant_a\n" and sessions == []


def _nothing_outside_a_session(sessions: list[dict[str, Any]], reader: Reader, stdout: str) -> None:
    assert sessions == []  # as published: LLM calls outside a session are not tracked


def _claude(sessions: list[dict[str, Any]], reader: Reader, stdout: str) -> None:
    (session,) = sessions
    assert session["name"] == "my-agent: Fix the tests" and session["status"] == "completed"
    assert session["estimatedCost"] == pytest.approx(0.0123)
    assert (session["promptTokens"], session["completionTokens"]) == (2500, 65)
    assert [e["toolName"] for e in reader.events(session["id"]) if e["toolName"]] == ["Read"]


EXAMPLES: dict[str, tuple[Example, Check]] = {
    "readme-openai": (README_OPENAI, _openai_chat),
    "readme-anthropic": (README_ANTHROPIC, _openai_chat),
    "readme-decorators": (README_DECORATORS, _decorated),
    "readme-langchain": (README_LANGCHAIN, _langchain),
    "readme-langgraph": (README_LANGGRAPH, _langgraph),
    "readme-crewai": (README_CREWAI, _crew),
    "readme-otel-setup": (README_OTEL_SETUP, _otel("my-ai-app")),
    "readme-otel-processor": (README_OTEL_PROCESSOR, _otel("my-ai-app")),
    "readme-begin": (README_BEGIN, _begin),
    "readme-async-client": (README_ASYNC, _async),
    "doc-otel-processor": (DOC_OTEL_PROCESSOR, _otel("my-ai-project")),
    "doc-setup-otel": (DOC_SETUP_OTEL, _otel("my-ai-app")),
    "doc-wrappers": (DOC_WRAPPERS, _nothing_outside_a_session),
    "doc-create-agent": (DOC_CREATE_AGENT, _my_agent),
    "doc-react-agent": (DOC_REACT_AGENT, _langgraph),
    "doc-experiment-context": (DOC_EXPERIMENT_CONTEXT, _variant),
    "doc-claude-code": (DOC_CLAUDE_CODE, _claude),
}


def _script(example: Example) -> str:
    body = "\n".join(
        part for part in (example.prelude, textwrap.dedent(example.code), example.epilogue) if part
    )
    if "await " not in body:
        return body
    # Top-level ``await`` / ``async for``, as the examples write it: run in a coroutine.
    return (
        "import asyncio\nasync def _example():\n"
        + textwrap.indent(body, "    ")
        + "\nasyncio.run(_example())\n"
    )


@pytest.fixture
def server(llm: str) -> Iterator[LocalServer]:
    with LocalServer(":memory:", api_keys=(KEY, "...")) as made:
        yield made


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_published_example_runs_unchanged(
    name: str, server: LocalServer, llm: str, tmp_path: Path
) -> None:
    example, check = EXAMPLES[name]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRIAL_", "OTEL_"))}
    env.update(
        SENTRIAL_API_URL=server.url,
        SENTRIAL_API_KEY=KEY,
        SENTRIAL_SPOOL_DIR=str(tmp_path / "spool"),
        OPENAI_BASE_URL=llm + "/v1",
        OPENAI_API_KEY="sk-example",
        ANTHROPIC_BASE_URL=llm,
        ANTHROPIC_API_KEY="sk-ant-example",
        HOME=str(tmp_path / "home"),  # CrewAI writes under the home directory
        CREWAI_DISABLE_TELEMETRY="true",
        OTEL_SDK_DISABLED="false",
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
        **example.env,
    )
    done = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", _script(example)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"{example.source}:\n{done.stderr[-4000:]}"
    assert "never awaited" not in done.stderr and "Traceback" not in done.stderr
    reader = Reader(server)
    check(reader.sessions(), reader, done.stdout)
