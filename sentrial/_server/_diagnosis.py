"""The diagnosis of one session: what failed first, what led to it, and how it
differs from the most similar session of the same agent that succeeded.

Deterministic and local (no LLM): the same store gives the same diagnosis.

- ``firstFailure``: the first failing step (an ``error`` event, or any event
  with a ``toolError``), with its input and error.
- ``lastDecision``: the last ``llm_decision`` before it (its reasoning,
  confidence, alternatives).
- ``loops`` and ``retries``: as the signals count them (:mod:`._signals`).
- ``byStepType``: per event type, steps, time and cost; a step's time is its
  ``durationMs`` when it has one, else the time to the next step (the last:
  to the session's end).
- ``comparison``: among the agent's latest ``CANDIDATES`` (50) completed
  sessions (other than this one; their first ``CANDIDATE_STEPS`` (1,000)
  steps), the one whose step sequence is most similar
  (:class:`difflib.SequenceMatcher` ratio; ties: the newest), the two
  sequences side by side and ``divergesAt``, the first index where they
  differ (None when equal).
- ``text``: all of it for a person.
"""

from __future__ import annotations

import difflib
import sqlite3
from itertools import zip_longest
from typing import Any

from . import _json
from ._signals import MAX_EVENTS, Thresholds, failed, loops, retries, step_name
from ._storage import Storage, _to_us

CANDIDATES = 50
CANDIDATE_STEPS = 1000


def _events(db: sqlite3.Connection, session_id: str) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT id, ts_us, body FROM events WHERE session_id = ? ORDER BY ts_us, seq LIMIT ?",
        (session_id, MAX_EVENTS),
    ).fetchall()
    return [{**_json.loads(r["body"]), "id": r["id"], "_ts": r["ts_us"]} for r in rows]


def _step_names(db: sqlite3.Connection, session_id: str) -> list[str]:
    """A candidate's step sequence, its first ``CANDIDATE_STEPS`` steps: only the
    fields a step's name needs, taken out by SQLite."""
    rows = db.execute(
        "SELECT json_extract(body, '$.eventType', '$.toolName', '$.model')"
        " FROM events WHERE session_id = ? ORDER BY ts_us, seq LIMIT ?",
        (session_id, CANDIDATE_STEPS),
    ).fetchall()
    names = []
    for (packed,) in rows:
        kind, tool, model = _json.loads(packed)
        names.append(step_name({"eventType": kind, "toolName": tool, "model": model}))
    return names


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    return float(value)


def _by_type(events: list[dict[str, Any]], end_us: int | None) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for index, event in enumerate(events):
        kind = str(event.get("eventType") or "event")
        own = event.get("durationMs")
        if isinstance(own, (int, float)) and not isinstance(own, bool):
            spent = float(own)
        else:
            following = events[index + 1]["_ts"] if index + 1 < len(events) else end_us
            spent = max(0.0, (following - event["_ts"]) / 1000) if following else 0.0
        entry = out.setdefault(kind, {"type": kind, "steps": 0, "durationMs": 0.0, "cost": 0.0})
        entry["steps"] += 1
        entry["durationMs"] += spent
        entry["cost"] += _number(event.get("estimatedCost"))
    return sorted(out.values(), key=lambda e: (-e["durationMs"], e["type"]))


def _step(event: dict[str, Any], index: int) -> dict[str, Any]:
    return {
        "index": index,
        "eventId": event["id"],
        "step": step_name(event),
        "eventType": event.get("eventType"),
        "toolName": event.get("toolName"),
        "input": event.get("toolInput") if "toolInput" in event else event.get("input"),
        "error": event.get("toolError") or (event.get("reasoning") if failed(event) else None),
        "timestamp": event.get("timestamp"),
    }


def divergence(left: list[str], right: list[str]) -> int | None:
    """The first index where two step sequences differ; None when they are equal."""
    for index, (a, b) in enumerate(zip_longest(left, right)):
        if a != b:
            return index
    return None


def diagnose(storage: Storage, session_id: str) -> dict[str, Any]:
    """The diagnosis of one session (NotFound, 404, when there is none)."""
    with storage._reading() as db:
        row = storage._session_row(session_id, db)
        session = storage._session_record(row)
        events = _events(db, session_id)
        candidates = db.execute(
            "SELECT id FROM sessions INDEXED BY sessions_by_agent_start"
            " WHERE agent_name = ? AND status = 'completed' AND id != ?"
            " ORDER BY started_us DESC, seq DESC LIMIT ?",
            (row["agent_name"], session_id, CANDIDATES),
        ).fetchall()
        others = [(c["id"], _step_names(db, c["id"])) for c in candidates]
    steps = [step_name(e) for e in events]
    first_index = next((i for i, e in enumerate(events) if failed(e)), None)
    first = None if first_index is None else _step(events[first_index], first_index)
    before = events if first_index is None else events[:first_index]
    decision = next(
        (
            {
                "index": i,
                "eventId": e["id"],
                "reasoning": e.get("reasoning"),
                "confidence": e.get("confidence"),
                "alternatives": e.get("alternativesConsidered"),
            }
            for i, e in reversed(list(enumerate(before)))
            if e.get("eventType") == "llm_decision"
        ),
        None,
    )
    end = session.get("completedAt")
    end_us = _to_us(end, "completedAt") if isinstance(end, str) else None
    comparison = None
    best: tuple[float, int] | None = None
    for rank, (_, other_steps) in enumerate(others):
        ratio = difflib.SequenceMatcher(None, steps, other_steps, autojunk=False).ratio()
        if best is None or ratio > best[0]:
            best = (ratio, rank)
    if best is not None:
        other_id, other_steps = others[best[1]]
        comparison = {
            "sessionId": other_id,
            "similarity": round(best[0], 4),
            "divergesAt": divergence(steps, other_steps),
            "steps": [
                {"index": i, "this": a, "other": b, "same": a == b}
                for i, (a, b) in enumerate(zip_longest(steps, other_steps))
            ],
        }
    limits = Thresholds()
    result: dict[str, Any] = {
        "sessionId": session_id,
        "agentName": session["agentName"],
        "status": session["status"],
        "failureReason": session.get("failureReason"),
        "steps": len(events),
        "firstFailure": first,
        "lastDecision": decision,
        "loops": [
            {"tool": t, "count": n} for t, n in sorted(loops(events, limits.loop_repeats).items())
        ],
        "retries": [{"step": t, "count": n} for t, n in sorted(retries(events).items())],
        "byStepType": _by_type(events, end_us),
        "comparison": comparison,
    }
    result["text"] = as_text(result)
    return result


def _short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else _json.dumps(value).decode()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def as_text(d: dict[str, Any]) -> str:
    """The diagnosis for a person, one fact a line."""
    lines = [f"Session {d['sessionId']} ({d['agentName']}): {d['status']}, {d['steps']} steps"]
    if d["failureReason"]:
        lines.append(f"Failure reason: {d['failureReason']}")
    first = d["firstFailure"]
    if first is None:
        lines.append("No failing step.")
    else:
        lines.append(f"First failing step: #{first['index']} {first['step']}")
        if first["input"] is not None:
            lines.append(f"  input: {_short(first['input'])}")
        lines.append(f"  error: {_short(first['error'])}")
    decision = d["lastDecision"]
    if decision is not None:
        confidence = decision["confidence"]
        at = "" if confidence is None else f" (confidence {confidence})"
        lines.append(f"Last decision before it: #{decision['index']}{at}: {decision['reasoning']}")
    for loop in d["loops"]:
        lines.append(f"Loop: {loop['tool']} called {loop['count']} times with the same input")
    for retry in d["retries"]:
        lines.append(f"Retries: {retry['step']} retried {retry['count']} times after errors")
    if d["byStepType"]:
        lines.append("Time and cost by step type:")
        for entry in d["byStepType"]:
            lines.append(
                f"  {entry['type']}: {entry['steps']} steps,"
                f" {entry['durationMs']:.0f} ms, ${entry['cost']:.4f}"
            )
    comparison = d["comparison"]
    if comparison is None:
        lines.append("No successful session of this agent to compare with.")
    else:
        where = comparison["divergesAt"]
        lines.append(
            f"Most similar successful session: {comparison['sessionId']}"
            f" (similarity {comparison['similarity']:.2f});"
            + (" same steps" if where is None else f" diverges at step #{where}")
        )
        for step in comparison["steps"]:
            mark = " " if step["same"] else "≠"
            lines.append(
                f"  {mark} #{step['index']:<3} {step['this'] or '-':<32} {step['other'] or '-'}"
            )
    return "\n".join(lines) + "\n"
