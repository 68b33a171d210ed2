"""``GET /api/sessions/{id}/diagnosis``: a failed session against the most
similar successful one of its agent."""

from __future__ import annotations

from typing import Any

import httpx

from .test_signals import DONE, _tool, http, record

__all__ = ["http"]  # the fixture


def _decision(reasoning: str, confidence: float) -> dict[str, Any]:
    return {"eventType": "llm_decision", "reasoning": reasoning, "confidence": confidence}


def test_failed_session_against_its_most_similar_success(http: httpx.Client) -> None:
    good = [_tool("lookup", {"id": 1}), _decision("refund it", 0.9), _tool("refund", {"id": 1})]
    record(http, "sess_ok", agent="support", events=good, end=DONE)
    record(  # less similar: a different path
        http, "sess_other_ok", agent="support", events=[_tool("faq", {})], end=DONE
    )
    bad = [
        _tool("lookup", {"id": 1}),
        _decision("escalate: the order looks odd", 0.4),
        _tool("escalate", {"id": 1}, error="queue full"),
        _tool("escalate", {"id": 1}, error="queue full"),
    ]
    record(http, "sess_bad", agent="support", events=bad, end={"status": "failed"})
    response = http.get("/api/sessions/sess_bad/diagnosis")
    assert response.status_code == 200, response.text
    d = response.json()
    first = d["firstFailure"]
    assert (first["index"], first["step"]) == (2, "tool_call:escalate")
    assert first["input"] == {"id": 1}
    assert first["error"] == {"message": "queue full", "type": "ToolError"}
    assert d["lastDecision"]["reasoning"] == "escalate: the order looks odd"
    assert d["lastDecision"]["index"] == 1
    assert d["retries"] == [{"step": "tool_call:escalate", "count": 1}]
    assert d["loops"] == []
    comparison = d["comparison"]
    assert comparison["sessionId"] == "sess_ok"
    assert comparison["divergesAt"] == 2
    assert [(s["this"], s["other"], s["same"]) for s in comparison["steps"]] == [
        ("tool_call:lookup", "tool_call:lookup", True),
        ("llm_decision", "llm_decision", True),
        ("tool_call:escalate", "tool_call:refund", False),
        ("tool_call:escalate", None, False),
    ]
    types = {e["type"]: e["steps"] for e in d["byStepType"]}
    assert types == {"tool_call": 3, "llm_decision": 1}
    text = http.get("/api/sessions/sess_bad/diagnosis", params={"format": "text"})
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text == d["text"]
    assert "First failing step: #2 tool_call:escalate" in text.text
    assert "diverges at step #2" in text.text
    # Deterministic: asked again, the same answer.
    assert http.get("/api/sessions/sess_bad/diagnosis").json() == d


def test_diagnosis_edges(http: httpx.Client) -> None:
    record(http, "sess_alone", agent="solo", events=[_tool("a", {})], end=DONE)
    d = http.get("/api/sessions/sess_alone/diagnosis").json()
    assert d["firstFailure"] is None and d["comparison"] is None
    assert "No failing step." in d["text"]
    missing = http.get("/api/sessions/sess_nope/diagnosis")
    assert missing.status_code == 404 and "sess_nope" in missing.json()["message"]
    bad = http.get("/api/sessions/sess_alone/diagnosis", params={"format": "xml"})
    assert bad.status_code == 400 and "format" in bad.json()["message"]
