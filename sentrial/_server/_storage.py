"""SQLite storage of the local server.

The HTTP layer only calls :class:`Storage` methods with bodies that already
passed the spec, and gets JSON-ready records (camelCase, as on the wire) back.
Another backend (PostgreSQL) would implement the same methods.

Records are kept as the canonical JSON of what the client sent, plus a few
indexed columns for filtering and ordering. Keeping the exact body is what
makes idempotent creation cheap: a repeated id is a replay when the canonical
bodies are equal, and a conflict otherwise.

``null`` in a request's top-level field means the field is absent: it is
dropped before anything is stored or compared. Fields the spec does not
declare are stored and returned as sent, except under a name the record
defines itself (a session's ``status``, ``eventCount``, ...): there the
record's own value wins.
"""

from __future__ import annotations

import base64
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from . import _json, _spec

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    seq INTEGER PRIMARY KEY,  -- rowid: arrival order (rows are never deleted)
    id TEXT NOT NULL UNIQUE,
    agent_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    convo_id TEXT,
    status TEXT NOT NULL,
    started_us INTEGER NOT NULL,
    created_us INTEGER NOT NULL,
    completed_us INTEGER,
    create_body TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS sessions_by_start ON sessions (started_us DESC, seq DESC);
CREATE INDEX IF NOT EXISTS sessions_by_agent ON sessions (agent_name, started_us DESC);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,  -- rowid: arrival order (rows are never deleted)
    id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    ts_us INTEGER NOT NULL,
    created_us INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_session ON events (session_id, ts_us, seq);
"""


def _properties(schema: str) -> frozenset[str]:
    return frozenset(_spec.load_spec()["components"]["schemas"][schema]["properties"])


# Fields of a session record that a create body cannot set (an update, or the
# server, does), and fields an update body cannot set (creation, or the server,
# does). Undeclared fields of either body are kept under any other name.
_NOT_FROM_CREATE = _properties("Session") - _properties("SessionCreate")
_NOT_FROM_UPDATE = (_properties("Session") - _properties("SessionUpdate")) | {
    "status",  # columns of their own
    "completedAt",
}


def _present(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without its null fields: null means absent."""
    if None in body.values():
        return {k: v for k, v in body.items() if v is not None}
    return body


class StorageError(Exception):
    """An operation the store refuses; ``status`` is the HTTP status to answer."""

    status = 400
    title = "Bad Request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(StorageError):
    status = 404
    title = "Not Found"


class Conflict(StorageError):
    status = 409
    title = "Conflict"


class Unprocessable(StorageError):
    status = 422
    title = "Unprocessable Entity"


def _now_us() -> int:
    return time.time_ns() // 1000


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MIN_US = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // _MICROSECOND
_MAX_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _MICROSECOND


def _to_us(value: str, field: str) -> int:
    """Microseconds since the epoch of an RFC 3339 date-time naming an instant
    between 0001-01-01 and 9999-12-31 in UTC (StorageError, 400, otherwise)."""
    try:
        if value.endswith("z"):  # RFC 3339 allows a lowercase z
            value = value[:-1] + "Z"
        moment = datetime.fromisoformat(value)  # Python 3.11+: also "Z"
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        elif moment.year in (1, 9999):
            # Raises for an instant outside datetime's range in UTC, such as
            # 9999-12-31T23:59:59-23:59: nothing is stored that cannot be read.
            moment.astimezone(UTC)
        return (moment - _EPOCH) // _MICROSECOND
    except (ValueError, OverflowError, OSError) as exc:
        raise StorageError(
            f"{field}: {value!r} is not a usable date-time"
            " (RFC 3339, between years 0001 and 9999 in UTC)"
        ) from exc


def iso(us: int | None) -> str | None:
    """The RFC 3339 text of a stored time; never fails (a time a former version
    stored out of range reads as the nearest one in range)."""
    if us is None:
        return None
    moment = _EPOCH + timedelta(microseconds=min(max(us, _MIN_US), _MAX_US))
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _canonical(body: dict[str, Any]) -> str:
    try:
        return _json.canonical(body)
    except _json.TooDeep as exc:
        raise StorageError(str(exc)) from None


def _percentile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(12)


def _encode_cursor(*parts: int) -> str:
    return base64.urlsafe_b64encode(":".join(map(str, parts)).encode()).decode()


_INT64 = range(-(2**63), 2**63)  # what SQLite compares an INTEGER column with


def _decode_cursor(cursor: str, size: int) -> list[int]:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        parts = [int(p) for p in text.split(":")] if len(text) <= 64 else []
    except (ValueError, UnicodeError) as exc:
        raise StorageError("cursor: not a cursor this server issued") from exc
    if len(parts) != size or not all(part in _INT64 for part in parts):
        raise StorageError("cursor: not a cursor this server issued")
    return parts


class StorageOpenError(ValueError):
    """The database cannot be opened or used; the message is one line naming the file."""


class Storage:
    """One SQLite database (a file in WAL mode, or ``:memory:``).

    Raises :class:`StorageOpenError` when ``path`` is no usable database (a
    missing directory, a directory, a file that is not SQLite, a database of
    another program); such a file is left as it was.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageOpenError(f"cannot open the database {path}: {exc}") from None
        try:
            self._db.row_factory = sqlite3.Row
            # Fails on a file that is not SQLite before anything is written to it.
            self._db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            if path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # Checkpoint the WAL in larger steps: ingest bursts write less often twice.
            self._db.execute("PRAGMA wal_autocheckpoint=10000")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            self._db.close()
            raise StorageOpenError(f"cannot use the database {path}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside is stored together or not at all."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- sessions ---------------------------------------------------------

    def create_session(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.transaction():
            return self._session_record(self._session_row(self._create_session(body)))

    def _create_session(self, body: dict[str, Any]) -> str:
        body = _present(body)
        session_id: str = body.get("id") or _new_id("sess_")
        canonical = _canonical(body)
        now = _now_us()
        started = _to_us(body["startedAt"], "startedAt") if "startedAt" in body else now
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO sessions (id, agent_name, user_id, convo_id, status,"
            " started_us, created_us, create_body) VALUES (?, ?, ?, ?, 'active', ?, ?, ?)",
            (
                session_id,
                body["agentName"],
                body["userId"],
                body.get("convoId"),
                started,
                now,
                canonical,
            ),
        )
        if cursor.rowcount == 0:
            row = self._session_row(session_id)
            if row["create_body"] != canonical:
                raise Conflict(f"id: session {session_id} exists with a different body")
        return session_id

    def update_session(self, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.transaction():
            self._update_session(session_id, body)
            return self._session_record(self._session_row(session_id))

    def _update_session(self, session_id: str, body: dict[str, Any]) -> None:
        body = _present(body)
        row = self._session_row(session_id)
        status = body.get("status")
        success = body.get("success")
        if status is not None and success is not None and (status == "completed") != success:
            raise Unprocessable(f"status: {status!r} contradicts success={success}")
        if status is None and success is not None:
            status = "completed" if success else "failed"
        outcome = _json.loads(row["outcome"])
        outcome.update({k: v for k, v in body.items() if k not in _NOT_FROM_UPDATE})
        completed_us = row["completed_us"]
        if "completedAt" in body:
            completed_us = _to_us(body["completedAt"], "completedAt")
        elif status is not None and completed_us is None:
            completed_us = _now_us()
        self._db.execute(
            "UPDATE sessions SET status = ?, completed_us = ?, outcome = ? WHERE id = ?",
            (status or row["status"], completed_us, _canonical(outcome), session_id),
        )

    def get_session(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            return self._session_record(self._session_row(session_id))

    def list_sessions(
        self,
        *,
        agent_name: str | None = None,
        user_id: str | None = None,
        status: str | None = None,
        convo_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first; since/until compare to startedAt (or createdAt)."""
        where: list[str] = []
        args: list[Any] = []
        for column, value in (
            ("agent_name", agent_name),
            ("user_id", user_id),
            ("status", status),
            ("convo_id", convo_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("started_us >= ?")
            args.append(_to_us(since, "since"))
        if until is not None:
            where.append("started_us < ?")
            args.append(_to_us(until, "until"))
        if cursor is not None:
            started, seq = _decode_cursor(cursor, 2)
            where.append("(started_us < ? OR (started_us = ? AND seq < ?))")
            args.extend([started, started, seq])
        sql = "SELECT * FROM sessions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started_us DESC, seq DESC LIMIT ?"
        args.append(limit + 1)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
            page = [self._session_record(row) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = _encode_cursor(last["started_us"], last["seq"])
        return page, next_cursor

    def _session_row(self, session_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = self._db.execute(
            "SELECT * FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"sessionId: no session {session_id!r}")
        return row

    def _session_record(self, row: sqlite3.Row) -> dict[str, Any]:
        created = _json.loads(row["create_body"])
        body = {k: v for k, v in created.items() if k not in _NOT_FROM_CREATE}
        (count,) = self._db.execute(
            "SELECT COUNT(*) FROM events WHERE session_id = ?", (row["id"],)
        ).fetchone()
        return {
            "success": None,
            "estimatedCost": None,
            "durationMs": None,
            **body,
            **_json.loads(row["outcome"]),
            "id": row["id"],
            "status": row["status"],
            "eventCount": count,
            "createdAt": iso(row["created_us"]),
            "startedAt": iso(row["started_us"]),
            "completedAt": iso(row["completed_us"]),
        }

    def agent_stats(self) -> list[dict[str, Any]]:
        """Per agent: sessions, success rate, p50/p95 duration (ms), cost and tokens."""
        with self._lock:
            rows = self._db.execute(
                "SELECT agent_name, status, outcome FROM sessions ORDER BY agent_name"
            ).fetchall()
        stats: dict[str, dict[str, Any]] = {}
        for row in rows:
            agent = stats.setdefault(
                row["agent_name"],
                {
                    "agentName": row["agent_name"],
                    "sessions": 0,
                    "finished": 0,
                    "succeeded": 0,
                    "durations": [],
                    "cost": 0.0,
                    "tokens": 0.0,
                },
            )
            outcome = _json.loads(row["outcome"])
            agent["sessions"] += 1
            if row["status"] in ("completed", "failed"):
                agent["finished"] += 1
                agent["succeeded"] += row["status"] == "completed"
            duration = outcome.get("durationMs")
            if isinstance(duration, (int, float)) and not isinstance(duration, bool):
                agent["durations"].append(_json.number(duration))
            agent["cost"] += _json.number(outcome.get("estimatedCost"))
            agent["tokens"] += _json.number(outcome.get("totalTokens"))
        out = []
        for agent in stats.values():
            durations = sorted(agent.pop("durations"))
            agent["successRate"] = (
                agent["succeeded"] / agent["finished"] if agent["finished"] else None
            )
            agent["p50DurationMs"] = _percentile(durations, 0.50)
            agent["p95DurationMs"] = _percentile(durations, 0.95)
            out.append(agent)
        return out

    # -- events -----------------------------------------------------------

    def create_event(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.transaction():
            event_id = self._insert_event(body, set())
            row = self._db.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
            return self._event_record(row)

    def _insert_event(self, body: dict[str, Any], known_sessions: set[str]) -> str:
        """Store one event and return its id; ``known_sessions`` caches lookups."""
        body = _present(body)
        session_id = body["sessionId"]
        if session_id not in known_sessions:
            exists = self._db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,))
            if exists.fetchone() is None:
                raise NotFound(f"sessionId: no session {session_id!r}")
            known_sessions.add(session_id)
        event_id: str = body.get("id") or _new_id("evt_")
        canonical = _canonical(body)
        now = _now_us()
        ts = _to_us(body["timestamp"], "timestamp") if "timestamp" in body else now
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO events (id, session_id, ts_us, created_us, body)"
            " VALUES (?, ?, ?, ?, ?)",
            (event_id, session_id, ts, now, canonical),
        )
        if cursor.rowcount == 0:
            (stored,) = self._db.execute(
                "SELECT body FROM events WHERE id = ?", (event_id,)
            ).fetchone()
            if stored != canonical:
                raise Conflict(f"id: event {event_id} exists with a different body")
        return event_id

    def list_events(
        self, session_id: str, *, limit: int = 500, cursor: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Events of a session ordered by client timestamp, then arrival."""
        sql = "SELECT * FROM events WHERE session_id = ?"
        args: list[Any] = [session_id]
        if cursor is not None:
            ts, seq = _decode_cursor(cursor, 2)
            sql += " AND (ts_us > ? OR (ts_us = ? AND seq > ?))"
            args.extend([ts, ts, seq])
        sql += " ORDER BY ts_us, seq LIMIT ?"
        args.append(limit + 1)
        with self._lock:
            self._session_row(session_id)
            rows = self._db.execute(sql, args).fetchall()
        page = [self._event_record(row) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = _encode_cursor(last["ts_us"], last["seq"])
        return page, next_cursor

    def _event_record(self, row: sqlite3.Row) -> dict[str, Any]:
        return {
            "toolName": None,
            **_json.loads(row["body"]),
            "id": row["id"],
            "createdAt": iso(row["created_us"]),
            "timestamp": iso(row["ts_us"]),
        }

    # -- batch ------------------------------------------------------------

    def apply_batch(
        self, operations: list[tuple[str, str | None, dict[str, Any]]]
    ) -> list[str | StorageError]:
        """Apply ``(op, session_id, body)`` items in order, in one transaction.

        Returns, per item, the stored record's id or the StorageError it
        raised; one item's error does not stop the others. Runs of events
        (the bulk of any batch) are inserted with one ``executemany``.
        """
        results: list[str | StorageError] = []
        known_sessions: set[str] = set()
        with self.transaction():
            index = 0
            while index < len(operations):
                op, session_id, body = operations[index]
                if op == "createEvent":
                    end = index
                    while end < len(operations) and operations[end][0] == "createEvent":
                        end += 1
                    bodies = [item[2] for item in operations[index:end]]
                    results += self._insert_events(bodies, known_sessions)
                    index = end
                    continue
                try:
                    if op == "createSession":
                        created = self._create_session(body)
                        known_sessions.add(created)
                        results.append(created)
                    else:
                        assert session_id is not None
                        self._update_session(session_id, body)
                        results.append(session_id)
                except StorageError as exc:
                    results.append(exc)
                index += 1
        return results

    def _insert_events(
        self, bodies: list[dict[str, Any]], known_sessions: set[str]
    ) -> list[str | StorageError]:
        results: list[str | StorageError] = []
        rows: list[tuple[int, str, str, int, int, str]] = []
        now = _now_us()
        for position, body in enumerate(bodies):
            try:
                body = _present(body)
                session_id = body["sessionId"]
                if session_id not in known_sessions:
                    exists = self._db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,))
                    if exists.fetchone() is None:
                        raise NotFound(f"sessionId: no session {session_id!r}")
                    known_sessions.add(session_id)
                event_id: str = body.get("id") or _new_id("evt_")
                ts = _to_us(body["timestamp"], "timestamp") if "timestamp" in body else now
                rows.append((position, event_id, session_id, ts, now, _canonical(body)))
                results.append(event_id)
            except StorageError as exc:
                results.append(exc)
        before = self._db.total_changes
        self._db.executemany(
            "INSERT OR IGNORE INTO events (id, session_id, ts_us, created_us, body)"
            " VALUES (?, ?, ?, ?, ?)",
            [row[1:] for row in rows],
        )
        if self._db.total_changes - before == len(rows):
            return results  # every event was new: the common case
        # Some ids existed: a repeat of the same body is a replay, anything else a conflict.
        stored: dict[str, str] = {}
        ids = [row[1] for row in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            stored.update(
                self._db.execute(
                    f"SELECT id, body FROM events WHERE id IN ({marks})", chunk
                ).fetchall()
            )
        for position, event_id, _, _, _, canonical in rows:
            if stored.get(event_id) != canonical:
                results[position] = Conflict(f"id: event {event_id} exists with a different body")
        return results
