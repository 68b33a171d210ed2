"""Signals: what went right or wrong in a session, by deterministic heuristics.

When a session reaches ``completed`` or ``failed`` (from the SDK, a batch or
an OTLP export), and again whenever something is written to it after that (a
late event, a late update), the server classifies it and stores its signals
``{id, sessionId, agentName, type, source, name, detail, createdAt}`` with
``source: "heuristic"``. Re-classifying replaces the session's heuristic
signals (a signal whose detail did not change keeps its id and createdAt):
doing it twice changes nothing.

The heuristics (thresholds in :class:`Thresholds`):

negative
    ``failed_session``: the session's status is ``failed``.
    ``tool_error``: one or more events carry a ``toolError`` (a failed tool or
    model call); the detail counts them and quotes the first.
    ``error_event``: one or more ``error`` events.
    ``loop``: the same tool called with the same input ``loop_repeats`` (3)
    or more times.
    ``retry_storm``: ``retry_storm_calls`` (3) or more calls of a tool that
    follow a failed call of the same tool.
    ``duration_outlier``, ``cost_outlier``, ``tokens_outlier``: the value is
    above the 95th percentile (nearest rank) of the same value over the
    agent's previous ``history`` (50) finished sessions, once at least
    ``min_history`` (20) of them have it.
    ``empty_output``: a ``completed`` session whose ``assistantOutput`` is
    blank, or missing while it recorded a ``userInput`` (a question with no
    answer).
    ``low_confidence``: an ``llm_decision`` with ``confidence`` below
    ``low_confidence`` (0.5); the detail names the lowest.
    ``abandoned``: a session still ``active`` whose last activity (its start
    or its latest event, by the client's clocks) is older than
    ``abandoned_after_s`` (30 minutes). Checked every ``sweep_every_s`` (60 s)
    by the worker and before every ``GET /api/signals``, over at most
    ``sweep_limit`` (2,000) such sessions, newest first; finishing the session
    later replaces it with the signals of its terminal status.

positive
    ``clean_success``: ``completed``, no negative signal, no retried call,
    and an ``estimatedCost`` at or under the median cost of the agent's
    previous finished sessions (at least ``min_median_history`` (5) of them
    with a cost). Only when all of it holds: a session without a cost is never
    called cheap.

Classification never runs on an ingest request: the store tells
:class:`Classifier` which sessions a commit finished (:meth:`Storage.watch`),
and one worker thread classifies them once writes pause for 0.5 s (or at the
latest 5 s after the first of them), each session once however many writes
named it meanwhile; the events' fields are taken out by SQLite, which runs
without the GIL. Reading signals first classifies whatever is still pending,
so a read always sees the store's latest writes.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

from . import _json
from ._storage import (
    TERMINAL,
    Storage,
    StorageError,
    _encode_cursor,
    _session_filters,
    iso,
)

logger = logging.getLogger("sentrial.server")

SOURCE = "heuristic"
TYPES = ("negative", "positive", "neutral")

_TABLES = (
    """CREATE TABLE IF NOT EXISTS signals (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    agent_name TEXT NOT NULL,
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    name TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_us INTEGER NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS signals_by_time ON signals (created_us DESC, seq DESC)",
    "CREATE INDEX IF NOT EXISTS signals_by_session ON signals (session_id, source)",
    "CREATE INDEX IF NOT EXISTS signals_by_agent ON signals (agent_name, created_us DESC)",
)

# The events of one session read for its classification (its first ones).
MAX_EVENTS = 10_000


@dataclass(frozen=True)
class Thresholds:
    """The heuristics' numbers (documented in the module docstring)."""

    loop_repeats: int = 3
    retry_storm_calls: int = 3
    history: int = 50
    min_history: int = 20
    min_median_history: int = 5
    low_confidence: float = 0.5
    abandoned_after_s: float = 1800.0
    sweep_every_s: float = 60.0
    sweep_limit: int = 2000


@dataclass(frozen=True)
class Signal:
    type: str
    name: str
    detail: str


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        kind, message = error.get("type"), error.get("message")
        text = f"{kind}: {message}" if kind and message else str(message or kind or "error")
        return text[:300]
    return str(error)[:300]


def failed(event: dict[str, Any]) -> bool:
    """Whether an event is a failing step: an ``error`` event or one with a toolError."""
    return event.get("eventType") == "error" or bool(event.get("toolError"))


def step_name(event: dict[str, Any]) -> str:
    """What a step is called in a sequence: its tool (or model), else its type."""
    kind = str(event.get("eventType") or "event")
    if kind == "llm_call":
        return f"llm:{event.get('model') or 'unknown'}"
    tool = event.get("toolName")
    return f"{kind}:{tool}" if tool else kind


def retries(events: list[dict[str, Any]]) -> dict[str, int]:
    """Per tool, the calls that follow a failed call of the same tool."""
    last_failed: dict[str, bool] = {}
    out: dict[str, int] = {}
    for event in events:
        if event.get("eventType") not in ("tool_call", "llm_call"):
            continue
        tool = step_name(event)
        if last_failed.get(tool):
            out[tool] = out.get(tool, 0) + 1
        last_failed[tool] = bool(event.get("toolError"))
    return out


def loops(events: list[dict[str, Any]], repeats: int) -> dict[str, int]:
    """Tools called with one same input ``repeats`` or more times: the largest count each."""
    seen: dict[tuple[str, str], int] = {}
    for event in events:
        if event.get("eventType") != "tool_call" or not event.get("toolName"):
            continue
        tool_input = event.get("toolInput")
        text = tool_input if isinstance(tool_input, str) else _json.canonical({"i": tool_input})
        key = (str(event["toolName"]), text)
        seen[key] = seen.get(key, 0) + 1
    out: dict[str, int] = {}
    for (tool, _), count in seen.items():
        if count >= repeats:
            out[tool] = max(out.get(tool, 0), count)
    return out


def classify(
    session: dict[str, Any],
    events: list[dict[str, Any]],
    history: list[dict[str, Any]],
    limits: Thresholds,
) -> list[Signal]:
    """The signals of one finished session, from its record, its events (in
    order) and the agent's previous finished sessions (newest first; each with
    ``durationMs``, ``cost``, ``tokens``). Pure: the same input, the same list."""
    out: list[Signal] = []
    if session["status"] == "failed":
        reason = session.get("failureReason")
        out.append(Signal("negative", "failed_session", str(reason or "the session failed")))
    tool_errors = [e for e in events if e.get("toolError") and e.get("eventType") != "error"]
    if tool_errors:
        first = tool_errors[0]
        out.append(
            Signal(
                "negative",
                "tool_error",
                f"{len(tool_errors)} failed call(s); first: {step_name(first)}:"
                f" {_error_text(first['toolError'])}",
            )
        )
    error_events = [e for e in events if e.get("eventType") == "error"]
    if error_events:
        first = error_events[0]
        text = _error_text(first.get("toolError") or first.get("reasoning") or "error")
        out.append(
            Signal("negative", "error_event", f"{len(error_events)} error event(s); first: {text}")
        )
    for tool, count in sorted(loops(events, limits.loop_repeats).items()):
        out.append(Signal("negative", "loop", f"{tool} called {count} times with the same input"))
    retried = retries(events)
    storm = {t: n for t, n in retried.items() if n >= limits.retry_storm_calls}
    if storm:
        text = ", ".join(f"{t} retried {n} times" for t, n in sorted(storm.items()))
        out.append(Signal("negative", "retry_storm", f"{text} after errors"))
    values = {
        "duration": _number(session.get("durationMs")),
        "cost": _number(session.get("estimatedCost")),
        "tokens": _number(session.get("totalTokens")),
    }
    for name, key in (("duration", "durationMs"), ("cost", "cost"), ("tokens", "tokens")):
        value = values[name]
        past = [v for h in history if (v := _number(h.get(key))) is not None]
        if value is None or len(past) < limits.min_history:
            continue
        p95 = _percentile(past, 0.95)
        if value > p95:
            out.append(
                Signal(
                    "negative",
                    f"{name}_outlier",
                    f"{name} {value:g} above the agent's p95 {p95:g}"
                    f" over its previous {len(past)} sessions",
                )
            )
    if session["status"] == "completed":
        output = session.get("assistantOutput")
        blank = isinstance(output, str) and not output.strip()
        if blank or (output is None and session.get("userInput")):
            out.append(Signal("negative", "empty_output", "completed without an assistant output"))
    unsure = [
        (c, e)
        for e in events
        if e.get("eventType") == "llm_decision"
        and (c := _number(e.get("confidence"))) is not None
        and c < limits.low_confidence
    ]
    if unsure:
        confidence, event = min(unsure, key=lambda pair: pair[0])
        reasoning = str(event.get("reasoning") or "")[:200]
        out.append(
            Signal(
                "negative",
                "low_confidence",
                f"decision at confidence {confidence:g} (below {limits.low_confidence:g}):"
                f" {reasoning}",
            )
        )
    if session["status"] == "completed" and not out and not retried:
        cost = values["cost"]
        costs = [v for h in history if (v := _number(h.get("cost"))) is not None]
        if cost is not None and len(costs) >= limits.min_median_history:
            median = _percentile(costs, 0.5)
            if cost <= median:
                out.append(
                    Signal(
                        "positive",
                        "clean_success",
                        f"completed first try, no errors, cost {cost:g} at or under the"
                        f" agent's median {median:g}",
                    )
                )
    return out


_STEP_FIELDS = (
    "eventType",
    "toolName",
    "toolError",
    "confidence",
    "reasoning",
    "model",
)


def _steps(db: sqlite3.Connection, session_id: str) -> list[dict[str, Any]]:
    """The fields of a session's events the heuristics read, in order: taken out
    by SQLite (which runs without the GIL), so classifying a session barely
    competes with ingest for the interpreter."""
    # One json_extract of the small fields (the body parsed once, into a small
    # array) and the input as SQLite's JSON text of it: the stored body is
    # canonical, so equal inputs have equal texts and Python never parses them.
    rows = db.execute(
        f"SELECT json_extract(body, {', '.join(repr('$.' + f) for f in _STEP_FIELDS)}),"
        " json_extract(body, '$.toolInput')"
        " FROM events WHERE session_id = ? ORDER BY ts_us, seq LIMIT ?",
        (session_id, MAX_EVENTS),
    ).fetchall()
    out = []
    for packed, tool_input in rows:
        event = dict(zip(_STEP_FIELDS, _json.loads(packed), strict=True))
        event["toolInput"] = None if tool_input is None else str(tool_input)
        out.append(event)
    return out


def _signal_id(session_id: str, name: str) -> str:
    digest = hashlib.sha256(f"{session_id}\x1f{SOURCE}\x1f{name}".encode()).hexdigest()
    return "sig_" + digest[:24]


class SignalStore:
    """The ``signals`` table, beside the sessions of ``storage``."""

    def __init__(self, storage: Storage, limits: Thresholds | None = None) -> None:
        self.storage = storage
        self.limits = limits or Thresholds()
        with storage.transaction():
            for statement in _TABLES:
                storage._db.execute(statement)

    # -- classification ---------------------------------------------------

    def classify_session(self, session_id: str) -> None:
        """Replace the heuristic signals of one session by its classification now."""
        with self.storage._reading() as db:
            row = db.execute(
                "SELECT seq, agent_name, status, started_us FROM sessions WHERE id = ?",
                (session_id,),
            ).fetchone()
            if row is None or row["status"] not in TERMINAL:
                return
            session = self.storage._session_record(
                db.execute("SELECT * FROM sessions WHERE seq = ?", (row["seq"],)).fetchone()
            )
            events = _steps(db, session_id)
            history = self._history(db, row)
        signals = classify(session, events, history, self.limits)
        self._replace(session_id, row["agent_name"], row["status"], signals)

    def _history(self, db: sqlite3.Connection, row: sqlite3.Row) -> list[dict[str, Any]]:
        """The agent's previous finished sessions (by start), newest first."""
        found = db.execute(
            "SELECT duration_ms AS durationMs, json_extract(outcome, '$.estimatedCost') AS cost,"
            " json_extract(outcome, '$.totalTokens') AS tokens"
            " FROM sessions INDEXED BY sessions_by_agent_start"
            " WHERE agent_name = ? AND (started_us, seq) < (?, ?)"
            " AND status IN ('completed', 'failed')"
            " ORDER BY started_us DESC, seq DESC LIMIT ?",
            (row["agent_name"], row["started_us"], row["seq"], self.limits.history),
        )
        return [dict(r) for r in found.fetchall()]

    def _replace(self, session_id: str, agent: str, status: str, signals: list[Signal]) -> None:
        """Store ``signals`` as the session's heuristic ones, unless its status
        changed since they were worked out (what changed it queued it again)."""
        now = time.time_ns() // 1000
        db = self.storage._db
        with self.storage.transaction():
            current = db.execute("SELECT status FROM sessions WHERE id = ?", (session_id,))
            if (current.fetchone() or (None,))[0] != status:
                return
            kept = {
                r[0]: (r[1], r[2], r[3])
                for r in db.execute(
                    "SELECT id, detail, agent_name, created_us FROM signals"
                    " WHERE session_id = ? AND source = ?",
                    (session_id, SOURCE),
                )
            }
            wanted = {_signal_id(session_id, s.name): s for s in signals}
            stale = [(i,) for i in kept if i not in wanted]
            stale += [
                (i,)
                for i, s in wanted.items()
                if i in kept and (kept[i][0] != s.detail or kept[i][1] != agent)
            ]
            db.executemany("DELETE FROM signals WHERE id = ?", stale)
            db.executemany(
                "INSERT OR IGNORE INTO signals (id, session_id, agent_name, type, source, name,"
                " detail, created_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (i, session_id, agent, s.type, SOURCE, s.name, s.detail, now)
                    for i, s in wanted.items()
                ],
            )

    def sweep_abandoned(self) -> None:
        """Flag active sessions idle past the threshold; unflag those active again."""
        now = time.time_ns() // 1000
        cutoff = now - int(self.limits.abandoned_after_s * 1_000_000)
        with self.storage._reading() as db:
            rows = db.execute(
                "SELECT s.id, s.agent_name, s.started_us,"
                " (SELECT max(ts_us) FROM events WHERE session_id = s.id) AS last_event,"
                " (SELECT 1 FROM signals WHERE session_id = s.id AND name = 'abandoned') AS flagged"
                " FROM sessions AS s INDEXED BY sessions_by_status"
                " WHERE s.status = 'active' AND s.started_us < ?"
                " ORDER BY s.started_us DESC, s.seq DESC LIMIT ?",
                (cutoff, self.limits.sweep_limit),
            ).fetchall()
        for row in rows:
            last = max(row["started_us"], row["last_event"] or row["started_us"])
            idle = last < cutoff
            if idle and not row["flagged"]:
                minutes = (now - last) / 60_000_000
                detail = f"active with no activity for {minutes:.0f} minutes"
                abandoned = Signal("negative", "abandoned", detail)
                self._replace(row["id"], row["agent_name"], "active", [abandoned])
            elif not idle and row["flagged"]:
                self._replace(row["id"], row["agent_name"], "active", [])

    # -- reading ----------------------------------------------------------

    def list(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        type: str | None = None,
        source: str | None = None,
        agent_name: str | None = None,
        session_id: str | None = None,
        name: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first, filtered; keyset pages like the sessions list."""
        equal = {
            "type": type,
            "source": source,
            "agent_name": agent_name,
            "session_id": session_id,
            "name": name,
        }
        where, args = _session_filters(equal, since, until, cursor, time_column="created_us")
        sql = "SELECT * FROM signals"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_us DESC, seq DESC LIMIT ?"
        args.append(limit + 1)
        with self.storage._reading() as db:
            rows = db.execute(sql, args).fetchall()
        page = [_record(r) for r in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = _encode_cursor(last["created_us"], last["seq"])
        return page, next_cursor

    def negatives_per_day(self, days: int = 14) -> dict[str, dict[str, int]]:
        """Per agent, negative signals per UTC day (YYYY-MM-DD) of the last ``days``."""
        since = (time.time_ns() // 1000) - days * 86_400_000_000
        with self.storage._reading() as db:
            rows = db.execute(
                "SELECT agent_name, date(created_us / 1000000, 'unixepoch') AS day, count(*) AS n"
                " FROM signals WHERE type = 'negative' AND created_us >= ?"
                " GROUP BY agent_name, day ORDER BY agent_name, day",
                (since,),
            ).fetchall()
        out: dict[str, dict[str, int]] = {}
        for row in rows:
            out.setdefault(row["agent_name"], {})[row["day"]] = row["n"]
        return out


def _record(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "sessionId": row["session_id"],
        "agentName": row["agent_name"],
        "type": row["type"],
        "source": row["source"],
        "name": row["name"],
        "detail": row["detail"],
        "createdAt": iso(row["created_us"]),
    }


class Classifier:
    """The worker: sessions named by commits are classified off the request
    path, each once however many commits named it before the worker got to it.

    It yields to ingest: it starts once no commit named a session for
    ``quiet`` seconds, or once the oldest pending one waited ``max_lag``
    seconds (under steady ingest)."""

    def __init__(self, store: SignalStore, *, quiet: float = 0.5, max_lag: float = 5.0) -> None:
        self.store = store
        self._quiet, self._max_lag = quiet, max_lag
        self._pending: set[str] = set()
        self._first = self._last = 0.0  # monotonic times of the oldest and newest touch
        self._wake = threading.Condition()
        self._work = threading.Lock()  # one classification pass at a time
        self._closed = False
        self._last_sweep = 0.0
        self._thread = threading.Thread(target=self._run, name="sentrial-signals", daemon=True)
        self._thread.start()
        store.storage.watch(self)

    def touched(self, session_ids: set[str]) -> None:
        with self._wake:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._last = now
            self._pending |= session_ids
            self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(10)

    def flush(self, *, sweep: bool = True) -> None:
        """Classify everything pending (and sweep for abandoned sessions), now."""
        with self._work:
            self._pass(sweep=sweep)

    def _due(self) -> float:
        """Seconds until the next pass is due (0: now); under ``self._wake``."""
        now = time.monotonic()
        if self._pending:
            due = min(self._last + self._quiet, self._first + self._max_lag)
        else:
            due = self._last_sweep + self.store.limits.sweep_every_s
        return max(0.0, due - now)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._closed and (wait := self._due()) > 0:
                    self._wake.wait(wait)
                if self._closed:
                    return
            with self._work:
                try:
                    every = self.store.limits.sweep_every_s
                    self._pass(sweep=time.monotonic() - self._last_sweep >= every)
                except (sqlite3.ProgrammingError, StorageError):
                    return  # the store closed under us
                except Exception:
                    logger.exception("classifying sessions failed")

    def _pass(self, *, sweep: bool) -> None:
        with self._wake:
            batch, self._pending = self._pending, set()
        for session_id in sorted(batch):
            self.store.classify_session(session_id)
        if sweep:
            self._last_sweep = time.monotonic()
            self.store.sweep_abandoned()


def settle(storage: Storage, *, sweep: bool = True) -> None:
    """Classify now what ``storage``'s classifier (if any) still has pending,
    and with ``sweep`` look for abandoned sessions: a read of signals then sees
    every write before it. (The viewer's pages, redrawn every few seconds,
    leave the sweep to the worker's minute.)"""
    for watcher in list(storage._watchers):
        if isinstance(watcher, Classifier):
            watcher.flush(sweep=sweep)


def signal_store(storage: Storage) -> SignalStore:
    """The one :class:`SignalStore` of ``storage`` (its table made once)."""
    return storage.part(SignalStore)
