"""Signals: sessions that should and should not raise each heuristic, stored
exactly, from the SDK's wire format and from OTLP; the listing's filters and pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sentrial._server import LocalServer

NOW = datetime.now(UTC)


def _at(minutes_ago: float) -> str:
    """Minutes before now, when called: not before the module's import, which
    a busy run of the suite may do minutes earlier (then "abandoned for 120
    minutes" read 122)."""
    moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with (
        LocalServer(":memory:") as server,
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {server.api_key}"}
        ) as client,
    ):
        yield client


def _tool(name: str, tool_input: dict[str, Any], error: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": "tool_call",
        "toolName": name,
        "toolInput": tool_input,
        "toolOutput": {} if error else {"ok": True},
    }
    if error:
        event["toolError"] = {"message": error, "type": "ToolError"}
    return event


def record(
    http: httpx.Client,
    sid: str,
    *,
    agent: str = "bot",
    events: list[dict[str, Any]] = (),  # type: ignore[assignment]
    end: dict[str, Any] | None = None,
    started: str | None = None,
) -> None:
    """One session through the batch endpoint: its events, then its end (if any)."""
    ops: list[dict[str, Any]] = [
        {
            "op": "createSession",
            "body": {
                "id": sid,
                "name": sid,
                "agentName": agent,
                "userId": "u",
                "startedAt": started or _at(10),
            },
        }
    ]
    for index, event in enumerate(events):
        body = {"id": f"evt_{sid}_{index}", "sessionId": sid, "timestamp": _at(9 - index / 100)}
        ops.append({"op": "createEvent", "body": {**body, **event}})
    if end is not None:
        ops.append({"op": "updateSession", "sessionId": sid, "body": end})
    results = http.post("/api/sdk/batch", json={"operations": ops}).json()["results"]
    assert all(r["status"] == 200 for r in results), results


def signals(http: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = http.get("/api/signals", params=query)
        assert response.status_code == 200, response.text
        out += response.json()["data"]
        cursor = response.json()["nextCursor"]
        if cursor is None:
            return out


def names(http: httpx.Client, sid: str) -> set[str]:
    return {s["name"] for s in signals(http, sessionId=sid)}


DONE = {"status": "completed", "assistantOutput": "done"}


def test_failed_session_with_tool_errors_and_error_events(http: httpx.Client) -> None:
    record(
        http,
        "sess_fail",
        events=[
            _tool("lookup", {"id": 1}, error="db timed out"),
            {"eventType": "error", "toolError": {"message": "gave up", "type": "Fatal"}},
        ],
        end={"status": "failed", "failureReason": "could not look up"},
    )
    stored = {s["name"]: s for s in signals(http, sessionId="sess_fail")}
    assert set(stored) == {"failed_session", "tool_error", "error_event"}
    assert stored["failed_session"]["detail"] == "could not look up"
    assert "tool_call:lookup: ToolError: db timed out" in stored["tool_error"]["detail"]
    assert stored["error_event"]["detail"] == "1 error event(s); first: Fatal: gave up"
    for signal in stored.values():
        assert signal["type"] == "negative" and signal["source"] == "heuristic"
        assert signal["agentName"] == "bot" and signal["sessionId"] == "sess_fail"
        assert signal["id"].startswith("sig_") and signal["createdAt"].endswith("Z")


def test_loop_needs_three_identical_calls(http: httpx.Client) -> None:
    same = _tool("search", {"q": "refund"})
    record(http, "sess_loop", events=[same, same, same], end=DONE)
    record(http, "sess_twice", events=[same, same, _tool("search", {"q": "other"})], end=DONE)
    loop = signals(http, sessionId="sess_loop")
    assert [(s["name"], s["detail"]) for s in loop] == [
        ("loop", "search called 3 times with the same input")
    ]
    assert names(http, "sess_twice") == set()


def test_retry_storm_after_errors(http: httpx.Client) -> None:
    bad = _tool("pay", {"n": 1}, error="503")
    record(
        http,
        "sess_storm",
        events=[
            bad,
            _tool("pay", {"n": 2}, "503"),
            _tool("pay", {"n": 3}, "503"),
            _tool("pay", {}),
        ],
        end=DONE,
    )
    record(http, "sess_two_retries", events=[bad, _tool("pay", {"n": 2}, "503"), _tool("pay", {})])
    http.patch("/api/sdk/sessions/sess_two_retries", json=DONE).raise_for_status()
    assert names(http, "sess_storm") == {"tool_error", "retry_storm"}
    (storm,) = [s for s in signals(http, sessionId="sess_storm") if s["name"] == "retry_storm"]
    assert storm["detail"] == "tool_call:pay retried 3 times after errors"
    assert names(http, "sess_two_retries") == {"tool_error"}


def _history(http: httpx.Client, agent: str, count: int) -> None:
    for i in range(count):
        record(
            http,
            f"sess_{agent}_{i}",
            agent=agent,
            started=_at(100 - i),
            end={**DONE, "durationMs": 1000 + i, "estimatedCost": 0.01, "totalTokens": 100},
        )


def test_outliers_against_the_agents_own_history(http: httpx.Client) -> None:
    _history(http, "steady", 20)
    _history(http, "young", 19)
    slow = {**DONE, "durationMs": 90_000, "estimatedCost": 0.01, "totalTokens": 5000}
    record(http, "sess_slow", agent="steady", end=slow)
    record(http, "sess_young_slow", agent="young", end=slow)
    stored = {s["name"]: s["detail"] for s in signals(http, sessionId="sess_slow")}
    assert set(stored) == {"duration_outlier", "tokens_outlier"}
    assert stored["duration_outlier"] == (
        "duration 90000 above the agent's p95 1018 over its previous 20 sessions"
    )
    # 19 sessions: too few to judge an outlier (and its cost is the median's)
    assert names(http, "sess_young_slow") == {"clean_success"}


def test_empty_output(http: httpx.Client) -> None:
    record(http, "sess_blank", end={"status": "completed", "assistantOutput": "  "})
    record(http, "sess_unanswered", end={"status": "completed", "userInput": "where is A1?"})
    record(http, "sess_quiet", end={"status": "completed"})  # no question, no answer
    assert names(http, "sess_blank") == {"empty_output"}
    assert names(http, "sess_unanswered") == {"empty_output"}
    assert names(http, "sess_quiet") == set()


def test_low_confidence_decision(http: httpx.Client) -> None:
    def decision(confidence: float) -> dict[str, Any]:
        return {"eventType": "llm_decision", "reasoning": "maybe A", "confidence": confidence}

    record(http, "sess_unsure", events=[decision(0.9), decision(0.3), decision(0.4)], end=DONE)
    record(http, "sess_sure", events=[decision(0.5), decision(0.8)], end=DONE)
    (unsure,) = signals(http, sessionId="sess_unsure")
    assert unsure["name"] == "low_confidence"
    assert unsure["detail"] == "decision at confidence 0.3 (below 0.5): maybe A"
    assert names(http, "sess_sure") == set()


def test_clean_success_only_under_the_median_cost(http: httpx.Client) -> None:
    for i, cost in enumerate([0.01, 0.02, 0.03, 0.04, 0.05]):
        record(
            http,
            f"sess_h{i}",
            agent="shop",
            started=_at(60 - i),
            end={**DONE, "estimatedCost": cost},
        )
    record(http, "sess_cheap", agent="shop", end={**DONE, "estimatedCost": 0.03})
    record(http, "sess_dear", agent="shop", end={**DONE, "estimatedCost": 0.04})
    record(http, "sess_nocost", agent="shop", end=DONE)
    (cheap,) = signals(http, sessionId="sess_cheap")
    assert (cheap["type"], cheap["name"]) == ("positive", "clean_success")
    assert names(http, "sess_dear") == set()
    assert names(http, "sess_nocost") == set()
    # The first sessions had too little history for a median.
    assert names(http, "sess_h0") == set()


def test_abandoned_sessions_and_finishing_them_later(http: httpx.Client) -> None:
    record(http, "sess_gone", started=_at(120))
    record(http, "sess_busy", started=_at(120), events=[{"eventType": "state_change"}])
    http.post(
        "/api/sdk/events",
        json={"sessionId": "sess_busy", "eventType": "state_change", "timestamp": _at(1)},
    ).raise_for_status()
    record(http, "sess_new", started=_at(5))
    (gone,) = signals(http, sessionId="sess_gone")
    assert (gone["type"], gone["name"]) == ("negative", "abandoned")
    assert gone["detail"] == "active with no activity for 120 minutes"
    assert names(http, "sess_busy") == set()
    assert names(http, "sess_new") == set()
    http.patch("/api/sdk/sessions/sess_gone", json={"status": "failed"}).raise_for_status()
    assert names(http, "sess_gone") == {"failed_session"}


def test_late_events_reclassify_idempotently(http: httpx.Client) -> None:
    record(http, "sess_late", end=DONE)
    assert names(http, "sess_late") == set()
    http.post(
        "/api/sdk/events",
        json={"sessionId": "sess_late", "eventType": "error", "reasoning": "late crash"},
    ).raise_for_status()
    first = signals(http, sessionId="sess_late")
    assert [(s["name"], s["detail"]) for s in first] == [
        ("error_event", "1 error event(s); first: late crash")
    ]
    # Another write that changes nothing: the same signal, same id and time.
    http.patch("/api/sdk/sessions/sess_late", json={"status": "completed"}).raise_for_status()
    assert signals(http, sessionId="sess_late") == first


def _attr(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "value": value}


def test_traces_from_otlp_are_classified(http: httpx.Client) -> None:
    trace = "0af7651916cd43dd8448eb211c80319c"
    start = int((NOW - timedelta(minutes=3)).timestamp() * 1e9)

    def span(span_id: str, parent: str | None, name: str, **extra: Any) -> dict[str, Any]:
        body = {
            "traceId": trace,
            "spanId": span_id,
            "name": name,
            "kind": 1,
            "startTimeUnixNano": start,
            "endTimeUnixNano": start + 500_000_000,
            "attributes": extra.pop("attributes", []),
            **extra,
        }
        if parent:
            body["parentSpanId"] = parent
        return body

    tool_attrs = [
        _attr("gen_ai.operation.name", {"stringValue": "execute_tool"}),
        _attr("gen_ai.tool.name", {"stringValue": "lookup_order"}),
    ]
    spans = [
        span(
            "a" * 16,
            None,
            "invoke_agent",
            status={"code": 2, "message": "agent gave up"},
            attributes=[_attr("gen_ai.operation.name", {"stringValue": "invoke_agent"})],
        ),
        span(
            "b" * 16,
            "a" * 16,
            "tool",
            attributes=tool_attrs,
            status={"code": 2, "message": "timeout"},
        ),
    ]
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [_attr("service.name", {"stringValue": "otel-bot"})]},
                "scopeSpans": [{"spans": spans}],
            }
        ]
    }
    http.post("/api/otel/v1/traces", json=body).raise_for_status()
    stored = signals(http, agentName="otel-bot")
    # The failed root span is an error event of its own (a span's error).
    assert {s["name"] for s in stored} == {"failed_session", "tool_error", "error_event"}
    assert {s["detail"] for s in stored if s["name"] == "failed_session"} == {"agent gave up"}


def test_filters_and_pages(http: httpx.Client) -> None:
    for i in range(5):
        record(http, f"sess_f{i}", agent="pager", end={"status": "failed"})
    record(http, "sess_other", agent="other", end={"status": "failed"})
    paged = signals(http, agentName="pager", limit=2)
    assert sorted(s["sessionId"] for s in paged) == [f"sess_f{i}" for i in range(5)]
    assert len({s["id"] for s in paged}) == 5
    assert signals(http, type="positive") == []
    assert len(signals(http, type="negative", source="heuristic")) == 6
    assert signals(http, source="llm") == []
    assert signals(http, since=_at(-60)) == []  # an hour from now
    assert len(signals(http, since=_at(60))) == 6
    bad = http.get("/api/signals", params={"type": "awful"})
    assert bad.status_code == 400 and "type" in bad.json()["message"]
    bad = http.get("/api/signals", params={"agent": "pager"})
    assert bad.status_code == 400 and "agent" in bad.json()["message"]


def test_a_classification_outrun_by_a_status_change_is_not_stored() -> None:
    """The sweep read a session as active, then it finished: its late
    ``abandoned`` must not land over the finished session's signals."""
    from sentrial._server._signals import Signal, signal_store
    from sentrial._server._storage import Storage

    storage = Storage(":memory:")
    try:
        store = signal_store(storage)
        storage.create_session({"id": "sess_race", "name": "n", "agentName": "a", "userId": "u"})
        storage.update_session("sess_race", {"status": "failed"})
        store._replace("sess_race", "a", "active", [Signal("negative", "abandoned", "late")])
        assert store.list(session_id="sess_race")[0] == []
        store._replace("sess_race", "a", "failed", [Signal("negative", "failed_session", "x")])
        assert [s["name"] for s in store.list(session_id="sess_race")[0]] == ["failed_session"]
    finally:
        storage.close()
