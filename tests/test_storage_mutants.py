"""The local server's storage, method by method, with exact values (issue #18, `make mutation`).

Direct calls of :class:`Storage`'s methods on ``:memory:`` and on a temporary
SQLite file: exact records, orders, cursors, totals, percentiles and error
messages, so that any change to sentrial/_server/_storage.py shows.
"""

from __future__ import annotations

import base64
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sentrial._server._checkpointer import Checkpointer
from sentrial._server._storage import (
    _NOT_FROM_CREATE,
    _NOT_FROM_UPDATE,
    Conflict,
    NotFound,
    Storage,
    StorageError,
    StorageOpenError,
    Unprocessable,
    _decode_cursor,
    _properties,
    _rank,
    iso,
)

# A guard, not a measure: a change that makes a loop endless fails in seconds
# (the whole file runs in about one).
pytestmark = pytest.mark.timeout(10)

T0 = "2026-01-02T03:04:05Z"
T0_US = 1767323045000000


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    storage = Storage(":memory:" if request.param == "memory" else str(tmp_path / "s.db"))
    yield storage
    storage.close()


@pytest.fixture
def memory() -> Iterator[Storage]:
    storage = Storage(":memory:")
    yield storage
    storage.close()


def _now() -> int:
    return time.time_ns() // 1000


def _us(text: str) -> int:
    moment = datetime.fromisoformat(text)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // (moment - moment + _MICRO)


_MICRO = datetime(1970, 1, 1, 0, 0, 0, 1) - datetime(1970, 1, 1)


def _cursor(*parts: int) -> str:
    return base64.urlsafe_b64encode(":".join(map(str, parts)).encode()).decode()


def _session(sid: str, started: str | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": sid, "agentName": "a", "userId": "u", **fields}
    if started is not None:
        body["startedAt"] = started
    return body


def _at(second: int) -> str:
    return f"2026-01-02T03:04:{second:02d}Z"


def _ids(records: list[dict[str, Any]]) -> list[str]:
    return [record["id"] for record in records]


def _error(result: str | StorageError) -> tuple[type, int, str]:
    assert isinstance(result, StorageError)
    return type(result), result.status, result.message


# -- helpers of the module -------------------------------------------------------


def test_iso_writes_microseconds_in_utc_and_clamps() -> None:
    assert iso(None) is None
    assert iso(0) == "1970-01-01T00:00:00.000000Z"
    assert iso(T0_US + 7) == "2026-01-02T03:04:05.000007Z"
    assert iso(-(10**18)) == "0001-01-01T00:00:00.000000Z"
    assert iso(10**18) == "9999-12-31T23:59:59.999999Z"
    assert iso(-62135596800000000) == "0001-01-01T00:00:00.000000Z"
    assert iso(253402300799999999) == "9999-12-31T23:59:59.999999Z"


def test_rank_is_the_nearest_rank() -> None:
    assert [_rank(1, 0.5), _rank(1, 0.95)] == [0, 0]
    assert [_rank(2, 0.5), _rank(2, 0.95)] == [0, 1]
    assert [_rank(5, 0.5), _rank(5, 0.95)] == [2, 4]
    assert [_rank(21, 0.5), _rank(21, 0.95)] == [10, 19]
    assert _rank(3, 2.0) == 2


def test_cursors_are_checked() -> None:
    assert _decode_cursor(_cursor(5, -7), 2) == [5, -7]
    assert _decode_cursor(_cursor(2**63 - 1, -(2**63)), 2) == [2**63 - 1, -(2**63)]
    assert _decode_cursor(base64.urlsafe_b64encode(b"0" * 61 + b"1:5").decode(), 2) == [1, 5]
    refused = [
        _cursor(2**63, 1),
        _cursor(1, -(2**63) - 1),
        _cursor(1, 2, 3),
        _cursor(1),
        base64.urlsafe_b64encode(b"0" * 62 + b"1:5").decode(),  # 65 characters
        base64.urlsafe_b64encode(b"a:b").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe:1").decode(),
        "!!!",
    ]
    for cursor in refused:
        with pytest.raises(StorageError) as info:
            _decode_cursor(cursor, 2)
        assert info.value.message == "cursor: not a cursor this server issued"
        assert str(info.value) == "cursor: not a cursor this server issued"
        assert (info.value.status, info.value.title) == (400, "Bad Request")


def test_the_fields_each_body_may_set() -> None:
    assert _properties("SessionCreate") == {
        "agentName",
        "convoId",
        "experimentAssignmentId",
        "id",
        "metadata",
        "name",
        "parentSessionId",
        "parentSpanId",
        "startedAt",
        "userId",
    }
    assert "totalTokens" in _properties("Session") and "userId" not in _properties("SessionUpdate")
    assert _properties("Session") - _properties("SessionCreate") == _NOT_FROM_CREATE
    assert (_properties("Session") - _properties("SessionUpdate")) | {
        "status",
        "completedAt",
    } == _NOT_FROM_UPDATE


def test_error_classes() -> None:
    assert (NotFound.status, NotFound.title) == (404, "Not Found")
    assert (Conflict.status, Conflict.title) == (409, "Conflict")
    assert (Unprocessable.status, Unprocessable.title) == (422, "Unprocessable Entity")


# -- opening --------------------------------------------------------------------------


def test_a_file_store_is_set_up_for_wal(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path / "w.db"))
    try:
        pragma = storage._db.execute
        assert pragma("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert pragma("PRAGMA synchronous").fetchone()[0] == 1
        assert pragma("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        assert pragma("PRAGMA cache_size").fetchone()[0] == -65536
        assert pragma("PRAGMA user_version").fetchone()[0] == 2
        assert isinstance(storage._checkpointer, Checkpointer)
        assert storage._checkpointer._path == str(tmp_path / "w.db")
        assert storage.path == str(tmp_path / "w.db")
    finally:
        storage.close()


def test_a_memory_store(memory: Storage) -> None:
    pragma = memory._db.execute
    assert pragma("PRAGMA journal_mode").fetchone()[0] == "memory"
    assert pragma("PRAGMA synchronous").fetchone()[0] == 1
    assert pragma("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    assert pragma("PRAGMA cache_size").fetchone()[0] == -65536
    assert memory._checkpointer is None
    indexes = {row[0] for row in pragma("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"sessions_by_start", "sessions_by_parent", "events_by_session"} <= indexes


def test_what_cannot_be_opened_is_named(tmp_path: Path) -> None:
    missing = str(tmp_path / "no" / "such" / "dir.db")
    with pytest.raises(StorageOpenError) as info:
        Storage(missing)
    assert str(info.value) == f"cannot open the database {missing}: unable to open database file"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all, " * 100)
    with pytest.raises(StorageOpenError) as info:
        Storage(str(junk))
    assert str(info.value) == f"cannot use the database {junk}: file is not a database"
    assert junk.read_bytes() == b"this is not a database at all, " * 100


def test_another_programs_database_is_rolled_back(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sessions (token TEXT)")
    db.close()
    with pytest.raises(StorageOpenError) as info:
        Storage(str(path))
    assert str(info.value) == f"cannot use the database {path}: no such column: sessions.id"
    with sqlite3.connect(path) as db:
        # the columns the upgrade added are gone with the rest
        assert db.execute("SELECT name, sql FROM sqlite_master").fetchall() == [
            ("sessions", "CREATE TABLE sessions (token TEXT)")
        ]
        assert db.execute("PRAGMA user_version").fetchone() == (0,)
        db.execute("PRAGMA user_version = 1")
    db.close()
    with pytest.raises(StorageOpenError) as info:
        Storage(str(path))
    assert str(info.value) == f"cannot use the database {path}: no such column: started_us"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("sessions",)]
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
    db.close()


_VERSION_0 = """
CREATE TABLE sessions (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, agent_name TEXT NOT NULL,
    user_id TEXT NOT NULL, convo_id TEXT, status TEXT NOT NULL, started_us INTEGER NOT NULL,
    created_us INTEGER NOT NULL, completed_us INTEGER, create_body TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_by_agent ON sessions (agent_name, started_us DESC);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, session_id TEXT NOT NULL,
    ts_us INTEGER NOT NULL, created_us INTEGER NOT NULL, body TEXT NOT NULL
);
INSERT INTO sessions VALUES (1, 's1', 'a', 'u', NULL, 'completed', 5, 5, 9,
    '{"agentName":"a","userId":"u"}', '{"durationMs":40,"estimatedCost":0.5,"totalTokens":7}');
INSERT INTO sessions VALUES (2, 's2', 'a', 'u', NULL, 'failed', 6, 6, 9,
    '{"agentName":"a","userId":"u"}', '{"durationMs":10.5,"estimatedCost":0.25}');
INSERT INTO sessions VALUES (3, 's3', 'b', 'u', NULL, 'active', 7, 7, NULL,
    '{"agentName":"b","userId":"u"}', '{"durationMs":true}');
INSERT INTO events VALUES (1, 'e1', 's1', 5, 5, '{"eventType":"x","sessionId":"s1"}');
INSERT INTO events VALUES (2, 'e2', 's1', 6, 6, '{"eventType":"x","sessionId":"s1"}');
INSERT INTO events VALUES (3, 'e3', 's3', 6, 6, '{"eventType":"x","sessionId":"s3"}');
"""


def test_a_version_0_database_is_upgraded(tmp_path: Path) -> None:
    path = str(tmp_path / "old.db")
    with sqlite3.connect(path) as db:
        db.executescript(_VERSION_0)
    db.close()
    storage = Storage(path)
    try:
        db = storage._db
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        assert "sessions_by_agent" not in names and "sessions_by_agent_start" in names
        rows = db.execute("SELECT id, event_count, duration_ms FROM sessions ORDER BY seq")
        assert [tuple(row) for row in rows] == [("s1", 2, 40.0), ("s2", 0, 10.5), ("s3", 1, None)]
        assert storage.agent_stats() == [
            {
                "agentName": "a",
                "sessions": 2,
                "finished": 2,
                "succeeded": 1,
                "cost": 0.75,
                "tokens": 7.0,
                "successRate": 0.5,
                "p50DurationMs": 10.5,
                "p95DurationMs": 40.0,
            },
            {
                "agentName": "b",
                "sessions": 1,
                "finished": 0,
                "succeeded": 0,
                "cost": 0.0,
                "tokens": 0.0,
                "successRate": None,
                "p50DurationMs": None,
                "p95DurationMs": None,
            },
        ]
    finally:
        storage.close()
    again = Storage(path)  # upgraded once: the sums are not added twice
    try:
        assert [agent["sessions"] for agent in again.agent_stats()] == [2, 1]
        assert again.agent_stats()[0]["cost"] == 0.75
    finally:
        again.close()


def test_a_version_0_database_with_the_new_columns(tmp_path: Path) -> None:
    path = str(tmp_path / "half.db")
    with sqlite3.connect(path) as db:
        db.executescript(_VERSION_0)
        db.execute("ALTER TABLE sessions ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0")
        db.execute("ALTER TABLE sessions ADD COLUMN duration_ms REAL")
    db.close()
    storage = Storage(path)
    try:
        rows = storage._db.execute("SELECT id, event_count, duration_ms FROM sessions ORDER BY seq")
        assert [tuple(row) for row in rows] == [("s1", 2, 40.0), ("s2", 0, 10.5), ("s3", 1, None)]
    finally:
        storage.close()


# -- sessions ----------------------------------------------------------------------


def test_a_created_session_is_its_body_and_the_records_fields(store: Storage) -> None:
    body = _session(
        "s1",
        T0,
        name="n",
        convoId="c",
        parentSessionId="p",
        metadata={"k": [1, {"x": None}]},
        extra={"kept": True},
        status="bogus",  # the record's own fields win
        eventCount=99,
        success=True,  # an update's field: not from a create body
        estimatedCost=3,
        failureReason=None,  # null: absent
    )
    before = _now()
    record = store.create_session(body)
    after = _now()
    created = record.pop("createdAt")
    assert before <= _us(created) <= after
    assert record == {
        "success": None,
        "estimatedCost": None,
        "durationMs": None,
        "agentName": "a",
        "userId": "u",
        "name": "n",
        "convoId": "c",
        "parentSessionId": "p",
        "metadata": {"k": [1, {"x": None}]},
        "extra": {"kept": True},
        "id": "s1",
        "status": "active",
        "eventCount": 0,
        "startedAt": "2026-01-02T03:04:05.000000Z",
        "completedAt": None,
    }
    assert store.get_session("s1") == {**record, "createdAt": created}


def test_a_session_without_id_or_start_gets_them(store: Storage) -> None:
    before = _now()
    record = store.create_session({"agentName": "a", "userId": "u"})
    after = _now()
    assert record["id"].startswith("sess_") and len(record["id"]) == 21
    assert set(record["id"][5:]) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert record["startedAt"] == record["createdAt"]
    assert before <= _us(record["startedAt"]) <= after
    (history,) = store.agent_history("a")
    assert type(history["startedUs"]) is int
    assert history["startedUs"] == _us(record["startedAt"])
    other = store.create_session({"agentName": "a", "userId": "u", "id": None})
    assert other["id"] != record["id"] and other["id"].startswith("sess_")


def test_session_times_are_checked(store: Storage) -> None:
    lower = store.create_session(_session("z", "2026-01-02T03:04:05.25z"))
    assert lower["startedAt"] == "2026-01-02T03:04:05.250000Z"
    naive = store.create_session(_session("n", "2026-01-02T03:04:05"))
    assert naive["startedAt"] == "2026-01-02T03:04:05.000000Z"
    shifted = store.create_session(_session("o", "2026-01-02T05:04:05+02:00"))
    assert shifted["startedAt"] == "2026-01-02T03:04:05.000000Z"
    edges = {
        "lo": ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"),
        "lo2": ("0001-01-01T01:00:00+01:00", "0001-01-01T00:00:00.000000Z"),
        "hi": ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
        "hi2": ("9999-12-31T22:59:59-01:00", "9999-12-31T23:59:59.000000Z"),
        "y2": ("0002-01-01T00:00:00+01:00", "0001-12-31T23:00:00.000000Z"),
        "y9998": ("9998-12-31T23:00:00-01:00", "9999-01-01T00:00:00.000000Z"),
        # past 2**53 microseconds: exact integers, not floats
        "y3000": ("3000-01-01T00:00:00.000001Z", "3000-01-01T00:00:00.000001Z"),
    }
    for sid, (text, stored) in edges.items():
        assert store.create_session(_session(sid, text))["startedAt"] == stored
    for text, shown in [
        ("nope", "'nope'"),
        ("2026-13-01T00:00:00z", "'2026-13-01T00:00:00Z'"),
        ("9999-12-31T23:59:59-23:59", "'9999-12-31T23:59:59-23:59'"),
        ("0001-01-01T00:00:00+00:01", "'0001-01-01T00:00:00+00:01'"),
    ]:
        with pytest.raises(StorageError) as info:
            store.create_session(_session("bad", text))
        assert info.value.message == (
            f"startedAt: {shown} is not a usable date-time"
            " (RFC 3339, between years 0001 and 9999 in UTC)"
        )
    with pytest.raises(NotFound):
        store.get_session("bad")


def test_idempotent_creation_and_conflicts(store: Storage) -> None:
    first = store.create_session(_session("s1", T0, name="n"))
    assert store.create_session(_session("s1", T0, name="n", convoId=None)) == first
    with pytest.raises(Conflict) as info:
        store.create_session(_session("s1", T0, name="other"))
    assert info.value.message == "id: session s1 exists with a different body"
    assert store.agent_stats()[0]["sessions"] == 1


def test_a_body_too_deep_is_refused(store: Storage) -> None:
    deep: Any = 1
    for _ in range(65):
        deep = [deep]
    with pytest.raises(StorageError) as info:
        store.create_session(_session("d", metadata=deep))
    assert info.value.message == "metadata: nested deeper than 64 objects and arrays"
    assert type(info.value) is StorageError
    with pytest.raises(NotFound):
        store.get_session("d")


def test_unknown_sessions(store: Storage) -> None:
    for call in (
        lambda: store.get_session("nope"),
        lambda: store.update_session("nope", {"success": True}),
        lambda: store.list_events("nope"),
        lambda: store.create_event({"sessionId": "nope", "eventType": "x"}),
    ):
        with pytest.raises(NotFound) as info:
            call()
        assert info.value.message == "sessionId: no session 'nope'"
    with pytest.raises(NotFound) as info:
        store.get_event("evt_nope")
    assert info.value.message == "eventId: no event 'evt_nope'"


def test_an_update_completes_a_session(store: Storage) -> None:
    created = store.create_session(_session("s1", T0, name="n"))
    record = store.update_session(
        "s1",
        {
            "success": True,
            "durationMs": 40,
            "estimatedCost": 0.5,
            "totalTokens": 10,
            "userInput": "hi",
            "assistantOutput": "yo",
            "completedAt": "2026-01-02T03:04:06Z",
            "customField": [1],
            "agentName": "not this",  # a creation's field: not from an update
            "eventCount": 5,
            "failureReason": None,
        },
    )
    assert record == {
        **created,
        "success": True,
        "estimatedCost": 0.5,
        "durationMs": 40,
        "totalTokens": 10,
        "userInput": "hi",
        "assistantOutput": "yo",
        "customField": [1],
        "status": "completed",
        "completedAt": "2026-01-02T03:04:06.000000Z",
    }
    assert store.get_session("s1") == record
    # a later update keeps the completion time and merges the outcome
    again = store.update_session("s1", {"status": "failed", "success": False, "userInput": "x"})
    assert again == {**record, "status": "failed", "success": False, "userInput": "x"}


def test_status_from_success_and_completion_time(store: Storage) -> None:
    for sid in ("ok", "ko", "st", "open", "when"):
        store.create_session(_session(sid, T0))
    before = _now()
    ok = store.update_session("ok", {"success": True})
    ko = store.update_session("ko", {"success": False})
    st = store.update_session("st", {"status": "failed"})
    after = _now()
    assert (ok["status"], ko["status"], st["status"]) == ("completed", "failed", "failed")
    assert ok["success"] is True and ko["success"] is False and st["success"] is None
    for record in (ok, ko, st):
        assert before <= _us(record["completedAt"]) <= after
    still = store.update_session("open", {"userInput": "x", "success": None, "status": None})
    assert (still["status"], still["completedAt"], still["success"]) == ("active", None, None)
    when = store.update_session("when", {"completedAt": "2026-01-02T03:04:09Z"})
    assert (when["status"], when["completedAt"]) == ("active", "2026-01-02T03:04:09.000000Z")
    later = store.update_session("when", {"status": "completed"})
    assert (later["status"], later["completedAt"]) == ("completed", "2026-01-02T03:04:09.000000Z")
    done = store.update_session("ok", {"status": "completed", "success": True})
    assert done["completedAt"] == ok["completedAt"]


def test_contradictions_are_422(store: Storage) -> None:
    store.create_session(_session("s1", T0))
    for body, message in [
        (
            {"status": "completed", "success": False},
            "status: 'completed' contradicts success=False",
        ),
        ({"status": "failed", "success": True}, "status: 'failed' contradicts success=True"),
    ]:
        with pytest.raises(Unprocessable) as info:
            store.update_session("s1", body)
        assert (info.value.status, info.value.message) == (422, message)
    assert store.get_session("s1")["status"] == "active"
    with pytest.raises(StorageError) as bad:
        store.update_session("s1", {"completedAt": "then"})
    assert bad.value.message.startswith("completedAt: 'then' is not")


# -- per agent sums and percentiles ------------------------------------------------------


def _agent(name: str, **values: Any) -> dict[str, Any]:
    base = {
        "agentName": name,
        "sessions": 0,
        "finished": 0,
        "succeeded": 0,
        "cost": 0.0,
        "tokens": 0.0,
        "successRate": None,
        "p50DurationMs": None,
        "p95DurationMs": None,
    }
    return {**base, **values}


def test_agent_sums_follow_every_update(store: Storage) -> None:
    for sid, agent in [("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("c1", "c")]:
        store.create_session({"id": sid, "agentName": agent, "userId": "u"})
    assert store.agent_stats() == [
        _agent("a", sessions=3),
        _agent("b", sessions=1),
        _agent("c", sessions=1),
    ]
    store.update_session("a1", {"success": True, "durationMs": 40, "estimatedCost": 0.5})
    store.update_session("a2", {"success": False, "durationMs": 10.5, "totalTokens": 100})
    store.update_session("a3", {"durationMs": True, "estimatedCost": "9", "totalTokens": 3})
    store.update_session("b1", {"status": "completed", "durationMs": "7", "estimatedCost": 2})
    assert store.agent_stats() == [
        _agent(
            "a",
            sessions=3,
            finished=2,
            succeeded=1,
            cost=0.5,
            tokens=103.0,
            successRate=0.5,
            p50DurationMs=10.5,
            p95DurationMs=40.0,
        ),
        _agent("b", sessions=1, finished=1, succeeded=1, cost=2.0, successRate=1.0),
        _agent("c", sessions=1),
    ]
    # changes are differences: a second update of the same values adds nothing
    store.update_session("a1", {"success": True, "durationMs": 40, "estimatedCost": 0.5})
    store.update_session("a1", {"status": "failed", "success": False, "durationMs": 30})
    store.update_session("a2", {"durationMs": None, "estimatedCost": 0.25, "totalTokens": 50})
    assert store.agent_stats()[0] == _agent(
        "a",
        sessions=3,
        finished=2,
        succeeded=0,
        cost=0.75,
        tokens=53.0,
        successRate=0.0,
        p50DurationMs=10.5,
        p95DurationMs=30.0,
    )
    store.update_session("a2", {"durationMs": "none"})
    assert store.agent_stats()[0]["p50DurationMs"] == 30.0
    assert store.agent_stats()[0]["p95DurationMs"] == 30.0


def test_percentiles_over_many_sessions(memory: Storage) -> None:
    for count in (1, 2, 3, 5, 20, 21):
        values = [float(v * 3 + 1) for v in range(count)]
        order = list(values)
        random.Random(count).shuffle(order)
        agent = f"p{count}"
        for index, duration in enumerate(order):
            sid = f"{agent}-{index}"
            memory.create_session({"id": sid, "agentName": agent, "userId": "u"})
            memory.update_session(sid, {"success": index % 2 == 0, "durationMs": duration})
        (stats,) = [a for a in memory.agent_stats() if a["agentName"] == agent]
        p50, p95 = round(0.5 * (count - 1)), min(count - 1, round(0.95 * (count - 1)))
        assert (stats["p50DurationMs"], stats["p95DurationMs"]) == (values[p50], values[p95])
        assert stats["sessions"] == stats["finished"] == count
        assert stats["succeeded"] == (count + 1) // 2


def test_sums_past_a_floats_range_read_as_zero(store: Storage) -> None:
    store.create_session(_session("s1"))
    store.update_session("s1", {"estimatedCost": -1.7e308})
    assert store.agent_stats()[0]["cost"] == -1.7e308
    store.update_session("s1", {"estimatedCost": 1.7e308})  # a change of +inf
    assert store.agent_stats()[0]["cost"] == float("inf")
    store.update_session("s1", {"estimatedCost": -1.7e308})  # inf - inf: NaN
    assert store.agent_stats()[0]["cost"] == 0.0
    store.update_session("s1", {"estimatedCost": 1.0})
    assert store.agent_stats()[0]["cost"] == 1.7e308 + 1.0


# -- lists ------------------------------------------------------------------------------


def _fill(store: Storage) -> None:
    """Eight sessions; s3 and s4 start at the same time (arrival order breaks the tie)."""
    specs = [
        ("s1", 1, "a", "u1", "c1"),
        ("s2", 2, "b", "u1", "c1"),
        ("s3", 3, "a", "u2", "c2"),
        ("s4", 3, "a", "u1", None),
        ("s5", 5, "b", "u2", "c2"),
        ("s6", 6, "a", "u1", "c1"),
        ("s7", 7, "a", "u2", None),
        ("s8", 8, "b", "u1", "c2"),
    ]
    for sid, second, agent, user, convo in specs:
        body = {"id": sid, "agentName": agent, "userId": user, "startedAt": _at(second)}
        if convo is not None:
            body["convoId"] = convo
        store.create_session(body)
    store.update_session("s2", {"success": True})
    store.update_session("s6", {"success": False})
    store.update_session("s7", {"success": True})


def test_sessions_newest_first_with_each_filter(store: Storage) -> None:
    _fill(store)

    def ids(**filters: Any) -> list[str]:
        page, cursor = store.list_sessions(**filters)
        assert cursor is None
        return _ids(page)

    assert ids() == ["s8", "s7", "s6", "s5", "s4", "s3", "s2", "s1"]
    assert ids(agent_name="a") == ["s7", "s6", "s4", "s3", "s1"]
    assert ids(user_id="u2") == ["s7", "s5", "s3"]
    assert ids(status="completed") == ["s7", "s2"]
    assert ids(status="failed") == ["s6"]
    assert ids(convo_id="c1") == ["s6", "s2", "s1"]
    assert ids(since=_at(3)) == ["s8", "s7", "s6", "s5", "s4", "s3"]
    assert ids(until=_at(3)) == ["s2", "s1"]
    assert ids(since=_at(2), until=_at(6), agent_name="a") == ["s4", "s3"]
    assert ids(agent_name="a", user_id="u1", convo_id="c1", status="failed") == ["s6"]
    with pytest.raises(StorageError) as info:
        store.list_sessions(until="soon")
    assert info.value.message.startswith("until: 'soon' is not")
    with pytest.raises(StorageError) as info:
        store.list_sessions(since="early")
    assert info.value.message.startswith("since: 'early' is not")


def test_session_pages_and_cursors(store: Storage) -> None:
    _fill(store)
    page, cursor = store.list_sessions(limit=3)
    assert _ids(page) == ["s8", "s7", "s6"]
    assert cursor == _cursor(T0_US + 1_000_000, 6)
    page, cursor = store.list_sessions(limit=3, cursor=cursor)
    assert _ids(page) == ["s5", "s4", "s3"]
    assert cursor == _cursor(T0_US - 2_000_000, 3)
    page, cursor = store.list_sessions(limit=3, cursor=cursor)
    assert (_ids(page), cursor) == (["s2", "s1"], None)
    page, cursor = store.list_sessions(agent_name="b", limit=3)
    assert (_ids(page), cursor) == (["s8", "s5", "s2"], None)
    page, cursor = store.list_sessions(limit=1, cursor=_cursor(T0_US - 2_000_000, 4))
    assert (_ids(page), cursor) == (["s3"], _cursor(T0_US - 2_000_000, 3))
    with pytest.raises(StorageError):
        store.list_sessions(cursor="bad!")


def test_search_matches_each_field_in_windows(store: Storage) -> None:
    _fill(store)
    store.update_session("s1", {"userInput": "Find the LLAMA"})
    store.update_session("s3", {"assistantOutput": "a llama answered"})
    store.create_session(
        {"id": "s9", "agentName": "a", "userId": "llama-fan", "startedAt": _at(9), "name": "x"}
    )
    store.create_session({"id": "llama-10", "agentName": "b", "userId": "u", "startedAt": _at(10)})
    store.create_session(
        {"id": "s11", "agentName": "b", "userId": "u", "startedAt": _at(11), "name": "My Llama"}
    )
    page, cursor, windowed = store.search_sessions("LlAmA")
    assert (_ids(page), cursor, windowed) == (["s11", "llama-10", "s9", "s3", "s1"], None, False)
    # each field on its own: no match across two of them, whatever joins them
    assert store.search_sessions("s1u1")[0] == []
    assert store.search_sessions("s1\x1fu1")[0] == []
    assert _ids(store.search_sessions("S1")[0]) == ["s11", "s1"]
    page, cursor, windowed = store.search_sessions("llama", limit=5)
    assert (len(page), cursor, windowed) == (5, None, False)
    page, cursor, windowed = store.search_sessions("llama", limit=2)
    assert (_ids(page), cursor, windowed) == (
        ["s11", "llama-10"],
        _cursor(T0_US + 5_000_000, 10),
        False,
    )
    page, cursor, windowed = store.search_sessions("llama", limit=2, cursor=cursor)
    assert (_ids(page), cursor, windowed) == (["s9", "s3"], _cursor(T0_US - 2_000_000, 3), False)
    page, cursor, windowed = store.search_sessions("llama", limit=2, cursor=cursor)
    assert (_ids(page), cursor, windowed) == (["s1"], None, False)
    # windows of 4 sessions: s11..s8, s7..s4 (no match), s3..s1
    page, cursor, windowed = store.search_sessions("llama", scan=4)
    assert (_ids(page), cursor, windowed) == (
        ["s11", "llama-10", "s9"],
        _cursor(T0_US + 3_000_000, 8),
        True,
    )
    page, cursor, windowed = store.search_sessions("llama", scan=4, cursor=cursor)
    assert (_ids(page), cursor, windowed) == ([], _cursor(T0_US - 2_000_000, 4), True)
    page, cursor, windowed = store.search_sessions("llama", scan=4, cursor=cursor)
    assert (_ids(page), cursor, windowed) == (["s3", "s1"], None, False)
    page, cursor, windowed = store.search_sessions(
        "llama", scan=3, cursor=_cursor(T0_US - 2_000_000, 4)
    )
    assert (_ids(page), cursor, windowed) == (["s3", "s1"], _cursor(T0_US - 4_000_000, 1), True)
    # filters
    assert _ids(store.search_sessions("llama", agent_name="a")[0]) == ["s9", "s3", "s1"]
    assert _ids(store.search_sessions("llama", user_id="u")[0]) == ["s11", "llama-10"]
    assert _ids(store.search_sessions("s", status="completed")[0]) == ["s7", "s2"]
    assert _ids(store.search_sessions("llama", since=_at(3), until=_at(10))[0]) == ["s9", "s3"]
    assert _ids(store.search_sessions("llama", since=_at(1), until=_at(3))[0]) == ["s1"]
    with pytest.raises(StorageError) as info:
        store.search_sessions("x", since="x")
    assert info.value.message.startswith("since: 'x' is not")
    with pytest.raises(StorageError) as info:
        store.search_sessions("x", until="y")
    assert info.value.message.startswith("until: 'y' is not")
    with pytest.raises(StorageError):
        store.search_sessions("x", cursor=_cursor(1))


def test_child_sessions_oldest_first(store: Storage) -> None:
    store.create_session(_session("p", _at(1)))
    store.create_session(_session("c3", _at(5), parentSessionId="p"))
    store.create_session(_session("c1", _at(3), parentSessionId="p"))
    store.create_session(_session("c2", _at(3), parentSessionId="p"))
    store.create_session(_session("x", _at(2), parentSessionId="other"))
    assert _ids(store.child_sessions("p")) == ["c1", "c2", "c3"]
    assert _ids(store.child_sessions("p", limit=2)) == ["c1", "c2"]
    assert store.child_sessions("p")[0] == store.get_session("c1")
    assert store.child_sessions("c1") == []


def test_agent_history_is_the_latest_sessions_oldest_first(store: Storage) -> None:
    _fill(store)
    store.update_session("s7", {"durationMs": 12.5, "estimatedCost": 0.25, "totalTokens": 9})
    store.update_session("s6", {"estimatedCost": "cheap", "totalTokens": "many"})
    assert store.agent_history("a", limit=3) == [
        {
            "startedUs": T0_US - 2_000_000,
            "status": "active",
            "durationMs": None,
            "cost": 0.0,
            "tokens": 0.0,
        },
        {
            "startedUs": T0_US + 1_000_000,
            "status": "failed",
            "durationMs": None,
            "cost": 0.0,
            "tokens": 0.0,
        },
        {
            "startedUs": T0_US + 2_000_000,
            "status": "completed",
            "durationMs": 12.5,
            "cost": 0.25,
            "tokens": 9.0,
        },
    ]
    assert [h["startedUs"] for h in store.agent_history("a")] == [
        T0_US - 4_000_000,
        T0_US - 2_000_000,
        T0_US - 2_000_000,
        T0_US + 1_000_000,
        T0_US + 2_000_000,
    ]
    assert store.agent_history("nobody") == []


# -- events ------------------------------------------------------------------------------


def test_a_created_event_is_its_body_and_the_records_fields(store: Storage) -> None:
    store.create_session(_session("s1", T0))
    body = {
        "id": "e1",
        "sessionId": "s1",
        "eventType": "decision",
        "reasoning": "because",
        "timestamp": "2026-01-02T03:04:07.5Z",
        "extra": {"kept": 1},
        "toolOutput": None,
    }
    before = _now()
    record = store.create_event(body)
    after = _now()
    created = record.pop("createdAt")
    assert before <= _us(created) <= after
    assert record == {
        "toolName": None,
        "id": "e1",
        "sessionId": "s1",
        "eventType": "decision",
        "reasoning": "because",
        "extra": {"kept": 1},
        "timestamp": "2026-01-02T03:04:07.500000Z",
    }
    assert store.get_event("e1") == {**record, "createdAt": created}
    tool = store.create_event({"sessionId": "s1", "eventType": "tool_call", "toolName": "t"})
    assert tool["toolName"] == "t"
    assert tool["id"].startswith("evt_") and len(tool["id"]) == 20
    assert tool["timestamp"] == tool["createdAt"]
    assert store.get_session("s1")["eventCount"] == 2


def test_event_replays_and_conflicts(store: Storage) -> None:
    store.create_session(_session("s1", T0))
    body = {"id": "e1", "sessionId": "s1", "eventType": "x", "timestamp": T0}
    first = store.create_event(body)
    assert store.create_event({**body, "reasoning": None}) == first
    assert store.get_session("s1")["eventCount"] == 1
    with pytest.raises(Conflict) as info:
        store.create_event({**body, "reasoning": "other"})
    assert info.value.message == "id: event e1 exists with a different body"
    assert store.get_session("s1")["eventCount"] == 1
    with pytest.raises(StorageError) as bad:
        store.create_event({"sessionId": "s1", "eventType": "x", "timestamp": "later"})
    assert bad.value.message.startswith("timestamp: 'later' is not")


def test_events_in_client_order_with_pages(store: Storage) -> None:
    store.create_session(_session("s1", T0))
    store.create_session(_session("s2", T0))
    for eid, second in [("e1", 9), ("e2", 7), ("e3", 7), ("e4", 8), ("e5", 6)]:
        store.create_event(
            {"id": eid, "sessionId": "s1", "eventType": "x", "timestamp": _at(second)}
        )
    store.create_event({"id": "o1", "sessionId": "s2", "eventType": "x", "timestamp": _at(1)})
    page, cursor = store.list_events("s1")
    assert (_ids(page), cursor) == (["e5", "e2", "e3", "e4", "e1"], None)
    page, cursor = store.list_events("s1", limit=2)
    assert (_ids(page), cursor) == (["e5", "e2"], _cursor(T0_US + 2_000_000, 2))
    page, cursor = store.list_events("s1", limit=2, cursor=cursor)
    assert (_ids(page), cursor) == (["e3", "e4"], _cursor(T0_US + 3_000_000, 4))
    page, cursor = store.list_events("s1", limit=2, cursor=cursor)
    assert (_ids(page), cursor) == (["e1"], None)
    page, cursor = store.list_events("s1", limit=5)
    assert (len(page), cursor) == (5, None)
    with pytest.raises(StorageError):
        store.list_events("s1", cursor=_cursor(1, 2, 3))


# -- batches ------------------------------------------------------------------------------


def test_a_batch_applies_in_order_with_errors_in_place(store: Storage) -> None:
    results = store.apply_batch(
        [
            ("createSession", None, _session("s1", T0)),
            ("createEvent", None, {"id": "e1", "sessionId": "s1", "eventType": "x"}),
            ("createEvent", None, {"id": "e2", "sessionId": "nope", "eventType": "x"}),
            (
                "createEvent",
                None,
                {"id": "e3", "sessionId": "s1", "eventType": "x", "timestamp": "x"},
            ),
            ("createEvent", None, {"sessionId": "s1", "eventType": "x", "timestamp": _at(9)}),
            ("updateSession", "s1", {"success": True}),
            ("createEvent", None, {"id": "e4", "sessionId": "s1", "eventType": "x"}),
            ("createSession", None, _session("s1", T0, name="other")),
            ("updateSession", "nope", {"success": True}),
            ("updateSession", "s1", {"status": "failed", "success": True}),
            ("createSession", None, _session("s2")),
            ("createEvent", None, {"id": "e5", "sessionId": "s2", "eventType": "x"}),
        ]
    )
    assert len(results) == 12
    generated = results[4]
    assert isinstance(generated, str) and generated.startswith("evt_")
    assert [r if isinstance(r, str) else _error(r) for r in results] == [
        "s1",
        "e1",
        (NotFound, 404, "sessionId: no session 'nope'"),
        (
            StorageError,
            400,
            "timestamp: 'x' is not a usable date-time"
            " (RFC 3339, between years 0001 and 9999 in UTC)",
        ),
        generated,
        "s1",
        "e4",
        (Conflict, 409, "id: session s1 exists with a different body"),
        (NotFound, 404, "sessionId: no session 'nope'"),
        (Unprocessable, 422, "status: 'failed' contradicts success=True"),
        "s2",
        "e5",
    ]
    session = store.get_session("s1")
    assert (session["eventCount"], session["status"]) == (3, "completed")
    assert store.get_session("s2")["eventCount"] == 1
    assert store.get_event(generated)["timestamp"] == "2026-01-02T03:04:09.000000Z"
    # the generated id's event is the oldest: its timestamp is before now
    assert _ids(store.list_events("s1")[0]) == [generated, "e1", "e4"]


def test_batch_events_replayed_and_in_conflict(store: Storage) -> None:
    store.create_session(_session("s1", T0))
    store.create_session(_session("s2", T0))

    def event(i: int, sid: str = "s1", **more: Any) -> tuple[str, None, dict[str, Any]]:
        body = {"id": f"e{i}", "sessionId": sid, "eventType": "x", "timestamp": _at(i % 60), **more}
        return ("createEvent", None, body)

    assert store.apply_batch([event(1), event(2), event(3, "s2")]) == ["e1", "e2", "e3"]
    # replays, a conflict, new events, a duplicate within the batch, an error
    results = store.apply_batch(
        [
            event(1),
            event(2, reasoning="changed"),
            event(4),
            event(4),
            event(5, "s2"),
            event(5, "s2", reasoning="also changed"),
            event(6, "nope"),
            event(3, "s2"),
        ]
    )
    assert [r if isinstance(r, str) else _error(r) for r in results] == [
        "e1",
        (Conflict, 409, "id: event e2 exists with a different body"),
        "e4",
        "e4",
        "e5",
        (Conflict, 409, "id: event e5 exists with a different body"),
        (NotFound, 404, "sessionId: no session 'nope'"),
        "e3",
    ]
    assert store.get_session("s1")["eventCount"] == 3
    assert store.get_session("s2")["eventCount"] == 2
    assert store.get_event("e2").get("reasoning") is None


def test_a_big_batch_is_checked_in_chunks(memory: Storage) -> None:
    memory.create_session(_session("s1", T0))
    memory.create_session(_session("s2", T0))

    def event(i: int, text: str = "a") -> tuple[str, None, dict[str, Any]]:
        sid = "s1" if i % 3 else "s2"
        return (
            "createEvent",
            None,
            {"id": f"e{i}", "sessionId": sid, "eventType": "x", "reasoning": text},
        )

    n = 1201
    assert memory.apply_batch([event(i) for i in range(n)]) == [f"e{i}" for i in range(n)]
    changed = {0, 499, 500, 501, 999, 1000, 1200}
    results = memory.apply_batch(
        [event(i, "b" if i in changed else "a") for i in range(n)] + [event(n)]
    )
    expected: list[Any] = [
        (Conflict, 409, f"id: event e{i} exists with a different body") if i in changed else f"e{i}"
        for i in range(n)
    ]
    assert [r if isinstance(r, str) else _error(r) for r in results] == [*expected, f"e{n}"]
    assert memory.get_session("s1")["eventCount"] == 801
    assert memory.get_session("s2")["eventCount"] == 401


def test_a_batch_of_only_sessions_and_updates(store: Storage) -> None:
    assert store.apply_batch([]) == []
    results = store.apply_batch(
        [
            ("createSession", None, _session("s1", T0)),
            ("updateSession", "s1", {"durationMs": 5}),
            ("updateSession", "s1", {"success": False}),
        ]
    )
    assert results == ["s1", "s1", "s1"]
    assert store.agent_stats() == [
        _agent("a", sessions=1, finished=1, successRate=0.0, p50DurationMs=5.0, p95DurationMs=5.0)
    ]


# -- transactions, readers, closing ------------------------------------------------------------


def test_a_failed_transaction_stores_nothing(store: Storage) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store._create_session(_session("s1", T0))
        raise RuntimeError("stop")
    with pytest.raises(NotFound):
        store.get_session("s1")
    assert store.agent_stats() == []
    with store.transaction():
        store._create_session(_session("s2", T0))
    assert store.get_session("s2")["id"] == "s2"


def test_a_read_sees_one_snapshot(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path / "snap.db"))
    try:
        storage.create_session(_session("s1", T0))
        with storage._reading() as db:
            count = db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
            storage.create_session(_session("s2", T0))
            assert db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == count == 1
            with pytest.raises(sqlite3.OperationalError):
                db.execute("DELETE FROM sessions")
        assert len(storage.list_sessions()[0]) == 2
    finally:
        storage.close()


def test_readers_are_pooled(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path / "pool.db"))
    try:
        storage.create_session(_session("s1", T0))
        storage.get_session("s1")
        storage.get_session("s1")
        assert (len(storage._readers), len(storage._idle)) == (1, 1)
        with storage._reading() as outer, storage._reading() as inner:
            assert outer is not inner
            assert inner.execute("SELECT id FROM sessions").fetchone()[0] == "s1"
        assert (len(storage._readers), len(storage._idle)) == (2, 2)
        with storage._reading() as db:
            assert db.execute("PRAGMA query_only").fetchone()[0] == 1
            assert db.row_factory is sqlite3.Row
    finally:
        storage.close()
    assert storage._closed is True
    with pytest.raises(sqlite3.ProgrammingError) as info:
        storage.get_session("s1")
    assert str(info.value) == "the storage is closed"
    for reader in storage._readers:
        with pytest.raises(sqlite3.ProgrammingError):
            reader.execute("SELECT 1")
    with pytest.raises(sqlite3.ProgrammingError):
        storage._db.execute("SELECT 1")


def test_a_reader_returned_after_close_is_not_kept(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path / "late.db"))
    with pytest.raises(sqlite3.ProgrammingError), storage._reading():
        storage.close()
    assert (len(storage._readers), storage._idle) == (1, [])


def test_the_store_is_used_from_other_threads(store: Storage) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            store.create_session(_session("t1", T0))
            store.create_event({"id": "e1", "sessionId": "t1", "eventType": "x"})
            store.get_session("t1")
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert errors == []
    assert store.get_session("t1")["eventCount"] == 1


def test_the_range_check_is_in_utc_whatever_the_local_zone(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "LOCAL-14")  # POSIX: 14 hours east of UTC
    time.tzset()
    try:
        late = store.create_session(_session("late", "9999-12-31T23:00:00+00:00"))
        assert late["startedAt"] == "9999-12-31T23:00:00.000000Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_default_page_sizes(memory: Storage) -> None:
    n = 10_000
    operations: list[tuple[str, str | None, dict[str, Any]]] = [
        (
            "createSession",
            None,
            {
                "id": f"s{i:05d}",
                "agentName": "a",
                "userId": "u",
                "startedAt": T0,
                **({"parentSessionId": "p"} if i < 51 else {}),
            },
        )
        for i in range(n)
    ]
    assert len(memory.apply_batch(operations)) == n
    page, cursor = memory.list_sessions()
    assert _ids(page) == [f"s{i:05d}" for i in range(n - 1, n - 51, -1)]
    assert cursor == _cursor(T0_US, n - 49)  # seq of the 50th newest
    assert _ids(memory.child_sessions("p")) == [f"s{i:05d}" for i in range(50)]
    history = memory.agent_history("a")
    assert len(history) == 2000 and history[0]["startedUs"] == T0_US
    page, cursor, windowed = memory.search_sessions("S")
    assert (_ids(page), cursor, windowed) == (
        [f"s{i:05d}" for i in range(n - 1, n - 51, -1)],
        _cursor(T0_US, n - 49),
        False,
    )
    # the default window is 10,000 sessions: exactly these
    assert memory.search_sessions("zzz") == ([], _cursor(T0_US, 1), True)


def test_a_reopened_store_keeps_its_sums(tmp_path: Path) -> None:
    path = str(tmp_path / "sums.db")
    storage = Storage(path)
    storage.create_session(_session("s1"))
    storage.create_event({"id": "e1", "sessionId": "s1", "eventType": "x"})
    for cost in (-1.7e308, 1.7e308, -1.7e308):  # the sum ends at NaN, read as 0
        storage.update_session("s1", {"estimatedCost": cost})
    storage.close()
    again = Storage(path)  # the layout is current: nothing is recomputed
    try:
        assert again.agent_stats()[0]["cost"] == 0.0
        assert again.get_session("s1")["eventCount"] == 1
    finally:
        again.close()


def test_the_default_page_of_events(memory: Storage) -> None:
    memory.create_session(_session("s1", T0))
    events: list[tuple[str, str | None, dict[str, Any]]] = [
        (
            "createEvent",
            None,
            {"id": f"e{i:03d}", "sessionId": "s1", "eventType": "x", "timestamp": T0},
        )
        for i in range(501)
    ]
    memory.apply_batch(events)
    page, cursor = memory.list_events("s1")
    assert _ids(page) == [f"e{i:03d}" for i in range(500)]
    assert cursor == _cursor(T0_US, 500)
