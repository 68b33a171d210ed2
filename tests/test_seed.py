"""The documented usage (tests/seed/) runs unchanged against the local server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sentrial
from sentrial._server import ASGIThread, LocalServer, create_llm_app

from .conftest import Reader

SEED = Path(__file__).parent / "seed"
DOCS_KEY = "sentrial_live_xxx"  # the key the documentation's code uses


def _run(name: str, namespace: dict[str, Any]) -> dict[str, Any]:
    code = compile((SEED / name).read_text(), str(SEED / name), "exec")
    exec(code, namespace)
    return namespace


@pytest.fixture
def docs_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalServer]:
    """A local server taking the docs' key; the docs' code finds it through the env."""
    with LocalServer(api_keys=[DOCS_KEY]) as server, ASGIThread(create_llm_app()) as llm:
        monkeypatch.setenv("SENTRIAL_API_URL", server.url)
        monkeypatch.setenv("SENTRIAL_SPOOL_DIR", str(tmp_path))
        monkeypatch.setenv("OPENAI_BASE_URL", llm.url + "/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-local-standin")
        yield server


class Agent:
    def run(self, text: str) -> str:
        if "crash" in text:
            raise RuntimeError("model unavailable")
        return f"answer to {text}"


class Database:
    def search(self, query: str) -> list[str]:
        if query == "bad":
            raise LookupError("index offline")
        return [f"doc about {query}"]


class Email:
    def send(self, to: str, subject: str, body: str) -> dict[str, str]:
        return {"status": "queued", "to": to}


def test_basic_pattern(docs_server: LocalServer) -> None:
    ns = _run("basic_pattern.py", {"your_agent": Agent()})
    assert ns["handle_request"]("How do I reset?", "user_1") == "answer to How do I reset?"
    with pytest.raises(RuntimeError):
        ns["handle_request"]("crash please", "user_2")
    assert sentrial.flush(10)
    sessions = {s["userId"]: s for s in Reader(docs_server).sessions()}
    ok, failed = sessions["user_1"], sessions["user_2"]
    assert ok["agentName"] == "chat_request" and ok["status"] == "completed"
    assert ok["userInput"] == "How do I reset?"
    assert ok["assistantOutput"] == "answer to How do I reset?"
    assert ok["estimatedCost"] == 0.023 and ok["durationMs"] >= 0
    assert failed["status"] == "failed" and failed["failureReason"] == "model unavailable"
    sentrial.get_client().close()


def test_full_control_pattern_and_tracked_tool(docs_server: LocalServer) -> None:
    def calculate_cost(usage: Any) -> float | None:
        return sentrial.calculate_openai_cost(
            "gpt-4o", usage.prompt_tokens, usage.completion_tokens
        )

    db = Database()
    ns = _run("full_control.py", {"search_database": db.search, "calculate_cost": calculate_cost})
    client = ns["client"]
    answer = ns["handle_request"]("How do I reset my password?", "user_3")
    assert "Reset password" in answer

    # The decorator pattern, around a session of the same client.
    session_id = client.create_session(name="tools", agent_name="tool-agent", user_id="user_4")
    tools = _run(
        "tracked_tool.py",
        {"client": client, "session_id": session_id, "database": db, "email_service": Email()},
    )
    assert tools["search_database"]("refunds") == ["doc about refunds"]
    with pytest.raises(LookupError):
        tools["search_database"]("bad")
    assert tools["send_email"]("a@b.c", "Hi", "Body")["status"] == "queued"
    client.complete_session(session_id=session_id, success=True)
    assert client.flush(10)

    reader = Reader(docs_server)
    sessions = {s["userId"]: s for s in reader.sessions()}
    full = sessions["user_3"]
    assert full["agentName"] == "my-custom-agent" and full["status"] == "completed"
    assert full["name"] == "Request: How do I reset my password?..."
    assert full["metadata"] == {"source": "api"}
    assert full["promptTokens"] > 0 and full["completionTokens"] > 0
    assert full["estimatedCost"] == pytest.approx(
        sentrial.calculate_openai_cost("gpt-4o", full["promptTokens"], full["completionTokens"])
    )
    decision, search = reader.events(full["id"])
    assert decision["eventType"] == "llm_decision"
    assert decision["alternativesConsidered"] == ["direct_response", "clarify_question"]
    assert search["toolName"] == "search_database"
    assert search["toolOutput"] == {"results": ["doc about How do I reset my password?"]}

    events = reader.events(sessions["user_4"]["id"])
    assert [e["toolName"] for e in events] == ["search_database", "search_database", "send_email"]
    assert events[0]["toolInput"] == {"args": ["refunds"], "kwargs": {}}
    assert events[0]["toolOutput"] == {"result": ["doc about refunds"]}
    assert events[1]["toolOutput"] == {"error": "index offline"}
    assert events[2]["toolInput"]["args"] == ["a@b.c", "Hi", "Body"]
    client.close()
