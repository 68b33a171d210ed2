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
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from .._private import create_private
from . import _json, _spec
from ._checkpointer import Checkpointer

_TABLES = (
    """CREATE TABLE IF NOT EXISTS sessions (
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
    outcome TEXT NOT NULL DEFAULT '{}',
    event_count INTEGER NOT NULL DEFAULT 0,  -- kept by every insert of an event
    -- the outcome's durationMs as a number, for percentiles
    duration_ms REAL,
    change_seq INTEGER NOT NULL DEFAULT 0
)""",
    """CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,  -- rowid: arrival order (rows are never deleted)
    id TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    ts_us INTEGER NOT NULL,
    created_us INTEGER NOT NULL,
    body TEXT NOT NULL
)""",
    # Per agent, the sums the viewer shows, kept by every session write: the
    # viewer never adds up all sessions.
    """CREATE TABLE IF NOT EXISTS agents (
    agent_name TEXT PRIMARY KEY,
    sessions INTEGER NOT NULL DEFAULT 0,
    finished INTEGER NOT NULL DEFAULT 0,
    succeeded INTEGER NOT NULL DEFAULT 0,
    durations INTEGER NOT NULL DEFAULT 0,
    cost REAL NOT NULL DEFAULT 0,
    tokens REAL NOT NULL DEFAULT 0
)""",
)
# Every list is one of these indexes read in order (keyset pagination).
_INDEXES = (
    "DROP INDEX IF EXISTS sessions_by_agent",  # (agent_name, started_us) of version 0
    "CREATE INDEX IF NOT EXISTS sessions_by_start ON sessions (started_us DESC, seq DESC)",
    "CREATE INDEX IF NOT EXISTS sessions_by_agent_start"
    " ON sessions (agent_name, started_us DESC, seq DESC)",
    "CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id, started_us DESC, seq DESC)",
    "CREATE INDEX IF NOT EXISTS sessions_by_status ON sessions (status, started_us DESC, seq DESC)",
    "CREATE INDEX IF NOT EXISTS sessions_by_convo"
    " ON sessions (convo_id, started_us DESC, seq DESC)",
    "CREATE INDEX IF NOT EXISTS sessions_by_duration ON sessions (agent_name, duration_ms)"
    " WHERE duration_ms IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS events_by_session ON events (session_id, ts_us, seq)",
    "CREATE INDEX IF NOT EXISTS sessions_by_change ON sessions (change_seq)",
    # Sessions of experiment runs (the runs they record, see _experiments): partial.
    "CREATE INDEX IF NOT EXISTS sessions_by_experiment"
    " ON sessions (json_extract(create_body, '$.metadata.experimentId'), seq)"
    " WHERE json_extract(create_body, '$.metadata.experimentId') IS NOT NULL",
    # Child sessions of a session (the viewer's nesting): partial, so a session
    # without a parent costs its insert one json_extract and no index entry.
    "CREATE INDEX IF NOT EXISTS sessions_by_parent"
    " ON sessions (json_extract(create_body, '$.parentSessionId'), started_us, seq)"
    " WHERE json_extract(create_body, '$.parentSessionId') IS NOT NULL",
)
_VERSION = 2  # PRAGMA user_version of the layout above
# Every write to a session (created, updated, given an event) stamps its
# change_seq with the next change number. Writes are serialized (BEGIN IMMEDIATE), so a reader that
# saw the changes up to N never sees a later commit numbered N or below: a
# poll for "changed after N" misses nothing (``sentrial tail``).
_NEXT_CHANGE = "(SELECT coalesce(max(change_seq), 0) + 1 FROM sessions)"


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


class Unavailable(StorageError):
    """The store cannot take writes (or reads) for now: the disk is full, the
    file is read-only or failing, another process holds the lock. An outage,
    not the request's fault: 503 with ``Retry-After``, so clients keep what
    they sent and try again (a 500 reads as a poison request)."""

    status = 503
    title = "Service Unavailable"


#: Seconds a client should wait after an Unavailable answer (Retry-After), and
#: how long health reports the store unavailable after a write failed so.
RETRY_AFTER = 5
#: Seconds a write waits for another process's lock before it is Unavailable.
BUSY_TIMEOUT = 5.0
# SQLite's primary result codes that mean "not now" rather than "not this".
_OUTAGE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_NOMEM,
    }
)


def _outage(exc: sqlite3.Error) -> Unavailable | None:
    """The Unavailable an SQLite error means, or None for any other error."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(code, int) or code & 0xFF not in _OUTAGE_CODES:
        return None
    return Unavailable(f"storage: {exc}; retry later")


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


def _session_filters(
    equal: dict[str, str | None],
    since: str | None,
    until: str | None,
    cursor: str | None,
    time_column: str = "started_us",
) -> tuple[list[str], list[Any]]:
    """The WHERE terms (and their arguments) of a sessions list, newest first:
    columns equal to the given values, startedAt in [since, until), and past
    ``cursor`` (another list ordered by ``(time_column, seq)``: its time)."""
    where: list[str] = []
    args: list[Any] = []
    for column, value in equal.items():
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if since is not None:
        where.append(f"{time_column} >= ?")
        args.append(_to_us(since, "since"))
    if until is not None:
        where.append(f"{time_column} < ?")
        args.append(_to_us(until, "until"))
    if cursor is not None:
        started, seq = _decode_cursor(cursor, 2)
        # A row value: the index seeks to the cursor instead of filtering up to it.
        where.append(f"({time_column}, seq) < (?, ?)")
        args.extend([started, seq])
    return where, args


def _rank(count: int, q: float) -> int:
    """The index in ``count`` ordered values of the ``q`` quantile (nearest rank)."""
    return min(count - 1, round(q * (count - 1)))


def _duration(outcome: dict[str, Any]) -> float | None:
    duration = outcome.get("durationMs")
    if isinstance(duration, (int, float)) and not isinstance(duration, bool):
        return _json.number(duration)
    return None


def _contribution(status: str, outcome: dict[str, Any]) -> tuple[int, int, int, float, float]:
    """What one session adds to its agent's finished, succeeded, durations, cost, tokens."""
    finished = status in ("completed", "failed")
    return (
        int(finished),
        int(finished and status == "completed"),
        int(_duration(outcome) is not None),
        _json.number(outcome.get("estimatedCost")),
        _json.number(outcome.get("totalTokens")),
    )


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(12)


def _encode_cursor(*parts: int) -> str:
    return base64.urlsafe_b64encode(":".join(map(str, parts)).encode()).decode()


_INT64 = range(-(2**63), 2**63)  # what SQLite compares an INTEGER column with


def _decode_cursor(cursor: str, size: int, field: str = "cursor") -> list[int]:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        parts = [int(p) for p in text.split(":")] if len(text) <= 64 else []
    except (ValueError, UnicodeError) as exc:
        raise StorageError(f"{field}: not a cursor this server issued") from exc
    if len(parts) != size or not all(part in _INT64 for part in parts):
        raise StorageError(f"{field}: not a cursor this server issued")
    return parts


def _fold(text: str) -> str:
    """``text`` for a caseless comparison: Unicode case folding ('Straße' and
    'STRASSE' match), where SQLite's lower() only knows ASCII."""
    return text.casefold()


_CONTAINS = "sentrial_contains"  # the SQL function of _contains


def _contains(needle: str, session_id: str, user_id: str, create_body: str, outcome: str) -> bool:
    """Whether a session's id, user, name, input or output contains ``needle``
    (folded by :func:`_fold`). Read from the stored JSON here, not with
    json_extract, which ends a string at its first NUL."""
    if needle in _fold(session_id) or needle in _fold(user_id):
        return True
    values = [_json.loads(create_body).get("name")]
    if outcome != "{}":
        stored = _json.loads(outcome)
        values += [stored.get("userInput"), stored.get("assistantOutput")]
    return any(isinstance(v, str) and needle in _fold(v) for v in values)


def _connect(path: str) -> sqlite3.Connection:
    """A connection to the store with the functions its queries use."""
    db = sqlite3.connect(path, BUSY_TIMEOUT, check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.create_function(_CONTAINS, 5, _contains, deterministic=True)
    return db


TERMINAL = ("completed", "failed")
_Part = TypeVar("_Part")


class Watcher(Protocol):
    """Told, after each commit, which sessions it left in a terminal status
    (finished now, or written to again after they finished): the classifier."""

    def touched(self, session_ids: set[str]) -> None: ...

    def close(self) -> None: ...


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
        self._lock = threading.RLock()  # the writing connection, self._db
        self._readers: list[sqlite3.Connection] = []  # every reading connection (files only)
        self._idle: list[sqlite3.Connection] = []  # those not in use
        self._closed = False
        self._trouble: tuple[str, float] | None = None  # see health()
        create_private(path)  # 0600: SQLite would make it readable by every user
        self._watchers: list[Watcher] = []
        self._touched: set[str] = set()  # this transaction's finished sessions (for watchers)
        self._parts: dict[Any, Any] = {}  # see part()
        try:
            self._db = _connect(path)
        except sqlite3.Error as exc:
            raise StorageOpenError(f"cannot open the database {path}: {exc}") from None
        try:
            # Fails on a file that is not SQLite before anything is written to it.
            self._db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            if path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # The writer never checkpoints: a thread of its own does (_checkpointer).
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            # Index pages stay in memory as the store grows (2 MB by default).
            self._db.execute("PRAGMA cache_size=-65536")
            self._set_up()
        except sqlite3.Error as exc:
            self._db.close()
            raise StorageOpenError(f"cannot use the database {path}: {exc}") from None
        self._checkpointer = Checkpointer(path) if path != ":memory:" else None

    def _set_up(self) -> None:
        """Create or upgrade the layout in one transaction: a file that cannot
        take it (another program's database) is left as it was."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _TABLES:
                db.execute(statement)
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version < _VERSION:
                self._upgrade(version)
            for statement in _INDEXES:
                db.execute(statement)
            if version < _VERSION:
                db.execute(f"PRAGMA user_version = {_VERSION}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _upgrade(self, version: int) -> None:
        """From the layout of version 0 (no event counts, durations or agent sums)
        or 1 (no change numbers: the existing rows are numbered in arrival order)."""
        db = self._db
        columns = {row["name"] for row in db.execute("PRAGMA table_info(sessions)")}
        if "change_seq" not in columns:
            db.execute("ALTER TABLE sessions ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0")
            db.execute("UPDATE sessions SET change_seq = rowid")
        if version >= 1:
            return
        if "event_count" not in columns:
            db.execute("ALTER TABLE sessions ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0")
        if "duration_ms" not in columns:
            db.execute("ALTER TABLE sessions ADD COLUMN duration_ms REAL")
        db.execute(
            "UPDATE sessions SET event_count ="
            " (SELECT COUNT(*) FROM events WHERE events.session_id = sessions.id)"
        )
        db.execute("DELETE FROM agents")
        for row in db.execute("SELECT seq, agent_name, status, outcome FROM sessions").fetchall():
            outcome = _json.loads(row["outcome"])
            db.execute(
                "UPDATE sessions SET duration_ms = ? WHERE seq = ?",
                (_duration(outcome), row["seq"]),
            )
            db.execute(
                "INSERT INTO agents (agent_name) VALUES (?) ON CONFLICT DO NOTHING",
                (row["agent_name"],),
            )
            self._add_to_agent(row["agent_name"], 1, _contribution(row["status"], outcome))

    def _add_to_agent(
        self, agent: str, sessions: int, parts: tuple[int, int, int, float, float]
    ) -> None:
        # Sums past a float's range are inf, and inf - inf is NaN, which SQLite
        # stores as NULL: such a sum reads as 0 rather than break the next write.
        self._db.execute(
            "UPDATE agents SET sessions = sessions + ?, finished = finished + ?,"
            " succeeded = succeeded + ?, durations = durations + ?,"
            " cost = coalesce(cost + ?, 0), tokens = coalesce(tokens + ?, 0)"
            " WHERE agent_name = ?",
            (sessions, *parts, agent),
        )

    def part(self, kind: Callable[[Storage], _Part]) -> _Part:
        """The one ``kind(self)`` of this store: a helper owning tables beside
        the sessions (signals, assignments), made once."""
        with self._lock:
            found = self._parts.get(kind)
            if found is None:
                found = self._parts[kind] = kind(self)
            return found

    def watch(self, watcher: Watcher) -> None:
        """Tell ``watcher`` about finished sessions from now on; closed with the store."""
        self._watchers.append(watcher)

    def close(self) -> None:
        for watcher in self._watchers:
            watcher.close()
        if self._checkpointer is not None:
            self._checkpointer.close()
        with self._lock:
            self._closed = True
            self._db.close()
            for reader in self._readers:
                reader.close()

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection to read from, on one snapshot of the store.

        A file is read through a connection of its own, taken from a pool (one
        per concurrent reader, kept for the next; WAL: readers neither wait for
        the writer nor for each other); ``:memory:`` has only the one
        connection, taken under the lock.
        """
        if self.path == ":memory:":
            with self._lock, self._outages():
                yield self._db
            return
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError("the storage is closed")
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = _connect(self.path)
            db.execute("PRAGMA query_only=1")
            with self._lock:
                if self._closed:
                    db.close()
                    raise sqlite3.ProgrammingError("the storage is closed")
                self._readers.append(db)
        try:
            with self._outages():
                db.execute("BEGIN")
                try:
                    yield db
                finally:
                    if db.in_transaction:
                        db.execute("COMMIT")
        finally:
            with self._lock:
                if not self._closed:
                    self._idle.append(db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside is stored together or not at all."""
        with self._lock, self._outages(writing=True):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._touched.clear()
                # SQLite has already rolled back after some errors (a full disk).
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._trouble = None
            touched, self._touched = self._touched, set()
        if touched:
            for watcher in self._watchers:
                watcher.touched(touched)
        if self._checkpointer is not None:
            self._checkpointer.committed()

    @contextmanager
    def _outages(self, writing: bool = False) -> Iterator[None]:
        """SQLite errors that mean an outage (a full disk, a read-only or failing
        file, a lock held past BUSY_TIMEOUT) raised as Unavailable; a failed
        write is remembered for health()."""
        try:
            yield
        except sqlite3.Error as exc:
            unavailable = _outage(exc)
            if unavailable is None:
                raise
            if writing:
                self._trouble = (unavailable.message, time.monotonic())
            raise unavailable from exc

    def health(self) -> str | None:
        """None when the store takes writes, as far as it knows; else why not:
        a write failed for an outage in the last RETRY_AFTER seconds and none
        succeeded since. (Then clients are told to wait; after that, the next
        write tries again.)"""
        trouble = self._trouble
        if trouble is None or time.monotonic() - trouble[1] > RETRY_AFTER:
            return None
        return trouble[0]

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
            " started_us, created_us, create_body, change_seq)"
            f" VALUES (?, ?, ?, ?, 'active', ?, ?, ?, {_NEXT_CHANGE})",
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
        else:
            self._db.execute(
                "INSERT INTO agents (agent_name, sessions) VALUES (?, 1)"
                " ON CONFLICT (agent_name) DO UPDATE SET sessions = sessions + 1",
                (body["agentName"],),
            )
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
        before = _contribution(row["status"], outcome)
        outcome.update({k: v for k, v in body.items() if k not in _NOT_FROM_UPDATE})
        completed_us = row["completed_us"]
        if "completedAt" in body:
            completed_us = _to_us(body["completedAt"], "completedAt")
        elif status is not None and completed_us is None:
            completed_us = _now_us()
        status = status or row["status"]
        self._db.execute(
            "UPDATE sessions SET status = ?, completed_us = ?, outcome = ?, duration_ms = ?,"
            f" change_seq = {_NEXT_CHANGE} WHERE id = ?",
            (status, completed_us, _canonical(outcome), _duration(outcome), session_id),
        )
        if status in TERMINAL and self._watchers:
            self._touched.add(session_id)
        after = _contribution(status, outcome)
        if after != before:
            finished, succeeded, durations, cost, tokens = before
            change = (
                after[0] - finished,
                after[1] - succeeded,
                after[2] - durations,
                after[3] - cost,
                after[4] - tokens,
            )
            self._add_to_agent(row["agent_name"], 0, change)

    def get_session(self, session_id: str) -> dict[str, Any]:
        with self._reading() as db:
            return self._session_record(self._session_row(session_id, db))

    def list_sessions(self, **filters: Any) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first; since/until compare to startedAt (or createdAt). The
        filters and cursor of :meth:`session_page`, without its change cursor."""
        page, next_cursor, _ = self.session_page(**filters)
        return page, next_cursor

    def session_page(
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
        changed_after: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None, str]:
        """A page of sessions, the cursor of the next one, and the change cursor:
        where in the store's changes the page was read (``changedAfter`` of
        ``GET /api/sdk/sessions``).

        Newest first; with ``changed_after``, the sessions written since that
        change cursor in the order of their last write, and the change cursor
        to go on from (then ``cursor`` cannot be given, and the next cursor is
        None: a full page means more changes are waiting)."""
        if changed_after is not None and cursor is not None:
            raise StorageError("cursor: cannot be given with changedAfter")
        where, args = _session_filters(
            {"agent_name": agent_name, "user_id": user_id, "status": status, "convo_id": convo_id},
            since,
            until,
            cursor,
        )
        order = "started_us DESC, seq DESC"
        if changed_after is not None:
            (after,) = _decode_cursor(changed_after, 1, "changedAfter")
            where.append("change_seq > ?")
            args.append(after)
            order = "change_seq"
        sql = "SELECT * FROM sessions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {order} LIMIT ?"
        args.append(limit + 1)
        with self._reading() as db:
            rows = db.execute(sql, args).fetchall()
            (latest,) = db.execute("SELECT coalesce(max(change_seq), 0) FROM sessions").fetchone()
        page = [self._session_record(row) for row in rows[:limit]]
        if changed_after is not None:
            if len(rows) > limit:
                latest = rows[limit - 1]["change_seq"]
            return page, None, _encode_cursor(latest)
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = _encode_cursor(last["started_us"], last["seq"])
        return page, next_cursor, _encode_cursor(latest)

    def _session_row(self, session_id: str, db: sqlite3.Connection | None = None) -> sqlite3.Row:
        row: sqlite3.Row | None = (
            (self._db if db is None else db)
            .execute("SELECT * FROM sessions WHERE id = ?", (session_id,))
            .fetchone()
        )
        if row is None:
            raise NotFound(f"sessionId: no session {session_id!r}")
        return row

    def _session_record(self, row: sqlite3.Row) -> dict[str, Any]:
        created = _json.loads(row["create_body"])
        body = {k: v for k, v in created.items() if k not in _NOT_FROM_CREATE}
        return {
            "success": None,
            "estimatedCost": None,
            "durationMs": None,
            **body,
            **_json.loads(row["outcome"]),
            "id": row["id"],
            "status": row["status"],
            "eventCount": row["event_count"],
            "createdAt": iso(row["created_us"]),
            "startedAt": iso(row["started_us"]),
            "completedAt": iso(row["completed_us"]),
        }

    def agent_stats(self) -> list[dict[str, Any]]:
        """Per agent: sessions, success rate, p50/p95 duration (ms), cost and tokens.

        Sums come from the ``agents`` table, percentiles from the durations
        index (read from its nearer end): no pass over all sessions.
        """
        out = []
        with self._reading() as db:
            for row in db.execute("SELECT * FROM agents ORDER BY agent_name").fetchall():
                agent: dict[str, Any] = {
                    "agentName": row["agent_name"],
                    "sessions": row["sessions"],
                    "finished": row["finished"],
                    "succeeded": row["succeeded"],
                    "cost": float(row["cost"]),
                    "tokens": float(row["tokens"]),
                    "successRate": (
                        row["succeeded"] / row["finished"] if row["finished"] else None
                    ),
                }
                for key, q in (("p50DurationMs", 0.50), ("p95DurationMs", 0.95)):
                    agent[key] = self._duration_at(db, row["agent_name"], row["durations"], q)
                out.append(agent)
        return out

    @staticmethod
    def _duration_at(db: sqlite3.Connection, agent: str, count: int, q: float) -> float | None:
        if count <= 0:
            return None
        rank = _rank(count, q)
        order, offset = ("ASC", rank) if rank <= count // 2 else ("DESC", count - 1 - rank)
        found = db.execute(
            "SELECT duration_ms FROM sessions INDEXED BY sessions_by_duration"
            " WHERE agent_name = ? AND duration_ms IS NOT NULL"
            f" ORDER BY duration_ms {order} LIMIT 1 OFFSET ?",
            (agent, offset),
        ).fetchone()
        return None if found is None else float(found[0])

    # -- read-only views for the viewer and the CLI ---------------------------

    def child_sessions(self, parent_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """Sessions whose ``parentSessionId`` is ``parent_id``, oldest first (an index range)."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT * FROM sessions INDEXED BY sessions_by_parent"
                " WHERE json_extract(create_body, '$.parentSessionId') = ?"
                " ORDER BY started_us, seq LIMIT ?",
                (parent_id, limit),
            ).fetchall()
        return [self._session_record(row) for row in rows]

    def search_sessions(
        self,
        text: str,
        *,
        agent_name: str | None = None,
        user_id: str | None = None,
        status: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        scan: int = 10_000,
    ) -> tuple[list[dict[str, Any]], str | None, bool]:
        """Sessions newest first whose id, name, user, input or output contains
        ``text`` (case-insensitive in every script, see :func:`_contains`),
        among at most ``scan`` sessions from the cursor on (an index range: the
        cost of a page is bounded, whatever the store holds). Returns the page,
        the cursor to go on from, and whether the page stopped at the end of the
        window rather than at ``limit``.
        """
        where, args = _session_filters(
            {"agent_name": agent_name, "user_id": user_id, "status": status}, since, until, cursor
        )
        filters = " AND ".join(where) or "1"
        order = " ORDER BY started_us DESC, seq DESC"
        with self._reading() as db:
            edge = db.execute(
                f"SELECT started_us, seq FROM sessions WHERE {filters}{order} LIMIT 1 OFFSET ?",
                [*args, scan - 1],
            ).fetchone()
            window = filters
            window_args = list(args)
            if edge is not None:
                window += " AND (started_us, seq) >= (?, ?)"
                window_args += [edge["started_us"], edge["seq"]]
            rows = db.execute(
                f"SELECT * FROM sessions WHERE {window}"
                f" AND {_CONTAINS}(?, id, user_id, create_body, outcome){order} LIMIT ?",
                [*window_args, _fold(text), limit + 1],
            ).fetchall()
        page = [self._session_record(row) for row in rows[:limit]]
        if len(rows) > limit:
            last = rows[limit - 1]
            return page, _encode_cursor(last["started_us"], last["seq"]), False
        if edge is not None:
            return page, _encode_cursor(edge["started_us"], edge["seq"]), True
        return page, None, False

    def get_event(self, event_id: str) -> dict[str, Any]:
        """One event by id (NotFound, 404, when there is none)."""
        with self._reading() as db:
            row = db.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            raise NotFound(f"eventId: no event {event_id!r}")
        return self._event_record(row)

    def agent_history(self, agent_name: str, limit: int = 2000) -> list[dict[str, Any]]:
        """The agent's latest ``limit`` sessions, oldest first, as the overview's
        charts need them: start (µs), status, duration, cost and tokens."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT started_us, status, duration_ms,"
                " json_extract(outcome, '$.estimatedCost') AS cost,"
                " json_extract(outcome, '$.totalTokens') AS tokens"
                " FROM sessions INDEXED BY sessions_by_agent_start WHERE agent_name = ?"
                " ORDER BY started_us DESC, seq DESC LIMIT ?",
                (agent_name, limit),
            ).fetchall()
        return [
            {
                "startedUs": row["started_us"],
                "status": row["status"],
                "durationMs": row["duration_ms"],
                "cost": _json.number(row["cost"]),
                "tokens": _json.number(row["tokens"]),
            }
            for row in reversed(rows)
        ]

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
            self._known_session(session_id, known_sessions)
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
        else:
            self._db.execute(
                "UPDATE sessions SET event_count = event_count + 1,"
                f" change_seq = {_NEXT_CHANGE} WHERE id = ?",
                (session_id,),
            )
        return event_id

    def _known_session(self, session_id: str, known_sessions: set[str]) -> None:
        """Check an event's session exists (NotFound otherwise) and remember it; a
        late event of a finished session is news for the watchers."""
        found = self._db.execute("SELECT status FROM sessions WHERE id = ?", (session_id,))
        row = found.fetchone()
        if row is None:
            raise NotFound(f"sessionId: no session {session_id!r}")
        known_sessions.add(session_id)
        if row[0] in TERMINAL and self._watchers:
            self._touched.add(session_id)

    def list_events(
        self, session_id: str, *, limit: int = 500, cursor: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Events of a session ordered by client timestamp, then arrival."""
        sql = "SELECT * FROM events WHERE session_id = ?"
        args: list[Any] = [session_id]
        if cursor is not None:
            ts, seq = _decode_cursor(cursor, 2)
            sql += " AND (ts_us, seq) > (?, ?)"  # a seek in the index, not a filter
            args.extend([ts, seq])
        sql += " ORDER BY ts_us, seq LIMIT ?"
        args.append(limit + 1)
        with self._reading() as db:
            self._session_row(session_id, db)
            rows = db.execute(sql, args).fetchall()
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
                    self._known_session(session_id, known_sessions)
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
            # Every event was new: the common case.
            added = Counter(row[2] for row in rows)
            self._db.executemany(
                f"UPDATE sessions SET event_count = event_count + ?, change_seq = {_NEXT_CHANGE}"
                " WHERE id = ?",
                [(n, session_id) for session_id, n in added.items()],
            )
            return results
        self._db.executemany(
            "UPDATE sessions SET event_count ="
            " (SELECT COUNT(*) FROM events WHERE session_id = sessions.id),"
            f" change_seq = {_NEXT_CHANGE} WHERE id = ?",
            [(session_id,) for session_id in {row[2] for row in rows}],
        )
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

    # -- OpenTelemetry traces -----------------------------------------------

    def store_traces(self, traces: list[TraceWrite]) -> list[list[str | StorageError]]:
        """Store the sessions and events of OTLP traces, in one transaction.

        A trace's spans may come over many exports, children first: its
        session is created by the first, and its identity (name, agent, user,
        conversation) taken from a later one when that carries the root span
        or a value where the stored one is only a default. Token, cost sums are
        recomputed from the session's events each time, so a repeated export
        changes nothing. Returns, per trace, each event's id or StorageError.
        """
        out: list[list[str | StorageError]] = []
        with self.transaction():
            for trace in traces:
                sid = trace.session["id"]
                try:
                    self._merge_trace_session(trace)
                except StorageError as exc:
                    out.append([exc] * len(trace.events))
                    continue
                out.append(self._insert_events(trace.events, {sid}))
                self._roll_up(sid, trace.completion)
        return out

    def _merge_trace_session(self, trace: TraceWrite) -> None:
        body = _present(trace.session)
        sid = body["id"]
        row = self._db.execute("SELECT * FROM sessions WHERE id = ?", (sid,)).fetchone()
        if row is None:
            self._create_session(body)
            return
        stored = _json.loads(row["create_body"])
        merged = dict(stored)
        for key, value in body.items():
            if key == "startedAt":
                earlier = _to_us(value, key) < row["started_us"]
                merged[key] = value if earlier else stored.get(key, value)
            elif key == "metadata":
                old = stored.get(key) or {}
                merged[key] = {**old, **value} if trace.authoritative else {**value, **old}
            elif trace.authoritative or stored.get(key) in (None, trace.defaults.get(key)):
                merged[key] = value
        if merged == stored:
            return
        outcome = _json.loads(row["outcome"])
        share = _contribution(row["status"], outcome)
        finished, succeeded, durations, cost, tokens = share
        # The session (and its sums) moves from the agent it had to the one named now.
        self._add_to_agent(
            row["agent_name"], -1, (-finished, -succeeded, -durations, -cost, -tokens)
        )
        self._db.execute(
            "UPDATE sessions SET agent_name = ?, user_id = ?, convo_id = ?, started_us = ?,"
            " create_body = ? WHERE id = ?",
            (
                merged["agentName"],
                merged["userId"],
                merged.get("convoId"),
                _to_us(merged["startedAt"], "startedAt")
                if "startedAt" in merged
                else row["started_us"],
                _canonical(merged),
                sid,
            ),
        )
        self._db.execute(
            "INSERT INTO agents (agent_name) VALUES (?) ON CONFLICT DO NOTHING",
            (merged["agentName"],),
        )
        self._add_to_agent(merged["agentName"], 1, share)

    def _roll_up(self, session_id: str, completion: dict[str, Any] | None) -> None:
        """The session's tokens and cost as the sums of its events' (and its end)."""
        prompt, completion_tokens, cost = self._db.execute(
            "SELECT total(json_extract(body, '$.promptTokens')),"
            " total(json_extract(body, '$.completionTokens')),"
            " total(json_extract(body, '$.estimatedCost')) FROM events WHERE session_id = ?",
            (session_id,),
        ).fetchone()
        update: dict[str, Any] = {
            "promptTokens": int(prompt),
            "completionTokens": int(completion_tokens),
            "totalTokens": int(prompt) + int(completion_tokens),
            "estimatedCost": cost,
            **(completion or {}),
        }
        self._update_session(session_id, update)


class TraceWrite:
    """One trace of an OTLP export, as :meth:`Storage.store_traces` stores it:
    the session's create body (``defaults``: the values it has when its spans
    name none), whether it is authoritative (the root span is in this export),
    the events' bodies, and the session's end (None until the root arrives)."""

    __slots__ = ("authoritative", "completion", "defaults", "events", "session")

    def __init__(
        self,
        session: dict[str, Any],
        defaults: dict[str, Any],
        authoritative: bool,
        events: list[dict[str, Any]],
        completion: dict[str, Any] | None,
    ) -> None:
        self.session, self.defaults, self.authoritative = session, defaults, authoritative
        self.events, self.completion = events, completion
