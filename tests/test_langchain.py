"""The LangChain callback handler with real langchain-core + ChatOpenAI over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

import sentrial
from sentrial._server import ASGIThread, LocalServer, create_llm_app
from sentrial.integrations.langchain import SentrialCallbackHandler

from .conftest import Reader


@tool
def lookup_order(order_id: str) -> str:
    """Find an order's status."""
    if order_id == "missing":
        raise ValueError("no such order")
    return f"order {order_id}: shipped"


@pytest.fixture
def chain(sentrial_server: LocalServer, tmp_path: Path) -> Iterator[Any]:
    with ASGIThread(create_llm_app()) as llm:
        sentrial.configure(
            api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
        )
        model = ChatOpenAI(
            model="gpt-4o-mini",
            base_url=llm.url + "/v1",
            api_key=SecretStr("sk-test"),
            max_retries=0,
        )
        prompt = ChatPromptTemplate.from_messages(
            [("system", "You are support."), ("user", "{question} ({order})")]
        )

        def with_order(inputs: dict[str, str]) -> dict[str, str]:
            return {**inputs, "order": lookup_order.invoke({"order_id": inputs["order_id"]})}

        yield RunnableLambda(with_order) | prompt | model
        sentrial.get_client().close()


def test_chain_becomes_a_session_with_events(chain: Any, reader: Reader) -> None:
    handler = SentrialCallbackHandler(agent_name="support-chain", user_id="u42")
    result = chain.invoke(
        {"question": "Where is my refund?", "order_id": "A1"}, config={"callbacks": [handler]}
    )
    assert "refund" in result.content
    assert sentrial.flush(10)
    (session,) = reader.sessions()
    assert session["agentName"] == "support-chain" and session["userId"] == "u42"
    assert session["status"] == "completed"
    events = reader.events(session["id"])
    kinds = [(e["eventType"], e.get("toolName") or e.get("model")) for e in events]
    assert kinds == [("tool_call", "lookup_order"), ("llm_call", "gpt-4o-mini")]
    tool_event, llm_event = events
    assert tool_event["toolOutput"] == {"result": "order A1: shipped"}
    assert (llm_event["promptTokens"], llm_event["completionTokens"]) == (16, 16)
    assert llm_event["provider"] == "openai"
    # gpt-4o-mini: $0.15 per million input and $0.60 per million output tokens.
    expected = (16 * 0.15 + 16 * 0.60) / 1_000_000
    assert llm_event["estimatedCost"] == pytest.approx(expected, rel=1e-9)
    assert session["estimatedCost"] == pytest.approx(expected, rel=1e-9)


def test_failing_chain_marks_the_session_failed(chain: Any, reader: Reader) -> None:
    handler = SentrialCallbackHandler(agent_name="support-chain")
    with pytest.raises(ValueError, match="no such order"):
        chain.invoke({"question": "Where?", "order_id": "missing"}, config={"callbacks": [handler]})
    assert sentrial.flush(10)
    (session,) = reader.sessions()
    assert session["status"] == "failed"
    assert session["failureReason"] == "ValueError: no such order"
    (event,) = reader.events(session["id"])
    assert event["toolName"] == "lookup_order" and event["toolError"]["type"] == "ValueError"


def test_inside_begin_the_chain_joins_the_session(chain: Any, reader: Reader) -> None:
    handler = SentrialCallbackHandler()
    with sentrial.begin(user_id="u", event="outer-agent") as interaction:
        chain.invoke({"question": "Hi", "order_id": "B2"}, config={"callbacks": [handler]})
    assert sentrial.flush(10)
    (session,) = reader.sessions()
    assert session["id"] == interaction.session_id and session["eventCount"] == 2


# -- the published handler: SentrialCallbackHandler(client, session_id, ...) ----------

ORDER_REPLY = "I have started your refund; it will arrive within 5 business days."
# Stand-in token rule (a quarter of the characters): system "You are support." 4,
# user "Where is my refund? (order A1: shipped)" 9, plus 3 per request; reply 16.
PROMPT_TOKENS, COMPLETION_TOKENS = 16, 16


def _gpt4o_mini_cost(prompt: int, completion: int) -> float:
    value = sentrial.calculate_cost("gpt-4o-mini", prompt, completion)
    assert value is not None and value > 0
    return value


def test_published_handler_records_into_its_session_and_finishes_with_totals(
    chain: Any, reader: Reader, capsys: pytest.CaptureFixture[str]
) -> None:
    from sentrial.langchain import SentrialCallbackHandler as Published

    assert Published is SentrialCallbackHandler
    client = sentrial.get_client()
    session_id = client.create_session(name="refund run", agent_name="lc-agent", user_id="u7")
    handler = Published(client, session_id, True, True)  # published positional order
    handler.set_input("Where is my refund?")
    result = chain.invoke(
        {"question": "Where is my refund?", "order_id": "A1"}, config={"callbacks": [handler]}
    )
    assert result.content == ORDER_REPLY
    cost = _gpt4o_mini_cost(PROMPT_TOKENS, COMPLETION_TOKENS)
    summary = handler.get_usage_summary()
    assert summary == {
        "llm_calls": 1,
        "total_prompt_tokens": PROMPT_TOKENS,
        "total_completion_tokens": COMPLETION_TOKENS,
        "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
        "total_cost": pytest.approx(cost, rel=1e-12),
        "model": "gpt-4o-mini",
        "duration_ms": summary["duration_ms"],
    }
    assert handler.total_cost == pytest.approx(cost, rel=1e-12)
    record = handler.finish(success=True, custom_metrics={"quality": 4.5})
    assert record["id"] == session_id and record["status"] == "completed"
    assert sentrial.flush(10)
    (session,) = reader.sessions()  # no session of its own: the given one
    assert session["id"] == session_id and session["status"] == "completed"
    assert session["userInput"] == "Where is my refund?"
    assert session["assistantOutput"] == ORDER_REPLY
    assert (session["promptTokens"], session["completionTokens"]) == (16, 16)
    assert session["estimatedCost"] == pytest.approx(cost, rel=1e-9)
    assert session["customMetrics"] == {"quality": 4.5}
    kinds = [
        (e["eventType"], e.get("toolName") or e.get("model")) for e in reader.events(session_id)
    ]
    assert kinds == [("tool_call", "lookup_order"), ("llm_call", "gpt-4o-mini")]
    printed = capsys.readouterr().out  # verbose=True prints its steps, as published
    assert "[Sentrial] User input set: Where is my refund?" in printed
    assert "[Sentrial] LLM call: 16 in, 16 out" in printed


def test_published_handler_without_llm_events_still_counts_cost(chain: Any, reader: Reader) -> None:
    from sentrial.langchain import SentrialCallbackHandler as Published

    client = sentrial.get_client()
    session_id = client.create_session(name="quiet", agent_name="lc-agent", user_id="u")
    handler = Published(client, session_id, track_llm_calls=False)
    chain.invoke({"question": "Where is my refund?", "order_id": "A1"}, {"callbacks": [handler]})
    handler.finish(success=False, failure_reason="judged wrong")
    assert sentrial.flush(10)
    session = reader.session(session_id)
    assert session["status"] == "failed" and session["failureReason"] == "judged wrong"
    assert session["estimatedCost"] == pytest.approx(_gpt4o_mini_cost(16, 16), rel=1e-9)
    assert [e["eventType"] for e in reader.events(session_id)] == ["tool_call"]
    # Without a session id there is nothing to finish.
    assert Published(client, None).finish() == {}


def test_create_agent_with_sentrial_runs_tools_and_records_a_session_per_query(
    sentrial_server: LocalServer, tmp_path: Path, reader: Reader
) -> None:
    from sentrial.langchain import create_agent_with_sentrial

    with ASGIThread(create_llm_app()) as llm:
        client = sentrial.SentrialClient(
            sentrial_server.url, sentrial_server.api_key, spool_dir=str(tmp_path)
        )
        model = ChatOpenAI(
            model="gpt-4o-mini",
            base_url=llm.url + "/v1",
            api_key=SecretStr("sk-test"),
            max_retries=0,
        )
        agent = create_agent_with_sentrial(model, [lookup_order], client, "order-agent", "u9")
        answer = agent("Where is it? [tool lookup_order order_id=A1]")
        assert answer == "Echo: order A1: shipped"
        assert client.flush(10)
        client.close()
    (session,) = reader.sessions()
    assert session["agentName"] == "order-agent" and session["userId"] == "u9"
    assert session["name"] == "order-agent: Where is it? [tool lookup_order order_id=A1]"
    assert session["status"] == "completed"
    assert session["userInput"] == "Where is it? [tool lookup_order order_id=A1]"
    assert session["assistantOutput"] == answer
    events = reader.events(session["id"])
    kinds = [(e["eventType"], e.get("toolName") or e.get("model")) for e in events]
    assert kinds == [
        ("llm_call", "gpt-4o-mini"),
        ("tool_call", "lookup_order"),
        ("llm_call", "gpt-4o-mini"),
    ]
    assert events[1]["toolInput"] == {"order_id": "A1"}
    assert events[1]["toolOutput"] == {"result": "order A1: shipped"}
    llm_calls = [e for e in events if e["eventType"] == "llm_call"]
    total = sum(_gpt4o_mini_cost(e["promptTokens"], e["completionTokens"]) for e in llm_calls)
    assert session["estimatedCost"] == pytest.approx(total, rel=1e-9)
    assert session["promptTokens"] == sum(e["promptTokens"] for e in llm_calls)


def test_agent_helpers_return_the_current_api_or_name_the_replacement() -> None:
    from langchain.agents import create_agent
    from langgraph.prebuilt import create_react_agent

    from sentrial import langchain as published

    assert published.get_react_agent() is create_react_agent
    assert published.LANGCHAIN_MAJOR_VERSION == 1
    assert published.LANGCHAIN_VERSION == "core-1.x"
    # LangChain 1.x removed AgentExecutor and create_openai_tools_agent.
    with pytest.raises(ImportError, match=r"create_agent.*langchain-classic"):
        published.get_agent_executor()
    with pytest.raises(ImportError, match=r"create_agent.*langchain-classic"):
        published.get_openai_tools_agent_creator()
    assert callable(create_agent)


def test_without_langchain_the_app_still_runs_with_one_warning() -> None:
    import subprocess
    import sys

    code = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.WARNING, format='%(message)s')\n"
        "sys.modules['langchain_core'] = None\n"
        "sys.modules['langchain'] = None\n"
        "sys.modules['langgraph'] = None\n"
        "from sentrial.langchain import SentrialCallbackHandler, get_react_agent\n"
        "handler = SentrialCallbackHandler(None, 'sid')\n"
        "print(handler.get_usage_summary()['llm_calls'])\n"
        "try:\n"
        "    get_react_agent()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.splitlines() == [
        "0",
        "No LangGraph agent constructor found: pip install langchain "
        "(langchain.agents.create_agent) or pip install langgraph.",
    ]
    assert out.stderr.splitlines() == [
        "sentrial: langchain-core is not installed; SentrialCallbackHandler records nothing "
        '(pip install "sentrial[langchain]")'
    ]
