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
    assert llm_event["promptTokens"] > 0 and llm_event["completionTokens"] > 0
    assert llm_event["provider"] == "openai"
    assert llm_event["estimatedCost"] == pytest.approx(
        sentrial.calculate_cost(
            "gpt-4o-mini", llm_event["promptTokens"], llm_event["completionTokens"]
        )
    )
    assert session["estimatedCost"] == pytest.approx(llm_event["estimatedCost"])


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
