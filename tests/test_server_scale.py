"""The local server at scale: every list is paged by a cursor from an index, reads
run off the event loop, and the viewer's sums are kept as sessions are written.

No timing here (see bench/viewer.py): blocking is tested by concurrency.
"""

from __future__ import annotations

import html
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from sentrial._server import LocalServer
from sentrial._server._storage import Storage, StorageOpenError
from sentrial._server._viewer import EVENTS_PER_PAGE, SESSIONS_PER_PAGE

KEY = {"Authorization": "Bearer sentrial_local_dev"}


@pytest.fixture(params=[":memory:", "file"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LocalServer]:
    db = ":memory:" if request.param == ":memory:" else str(tmp_path / "s.db")
    with LocalServer(db) as server:
        yield server


def _batch(server: LocalServer, operations: list[dict[str, Any]]) -> None:
    for start in range(0, len(operations), 1000):
        chunk = operations[start : start + 1000]
        answer = httpx.post(
            server.url + "/api/sdk/batch", json={"operations": chunk}, headers=KEY, timeout=30
        )
        assert answer.status_code == 200, answer.text
        assert all(r["status"] == 200 for r in answer.json()["results"]), answer.text


def _session(sid: str, agent: str, started: str) -> dict[str, Any]:
    body = {"id": sid, "name": sid, "agentName": agent, "userId": "u", "startedAt": started}
    return {"op": "createSession", "body": body}


def _links(page: str, pattern: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(pattern, page)]


def _viewer_ids(server: LocalServer, path: str) -> tuple[list[str], int]:
    """Session ids of every page of the viewer's list from ``path``, and the page count."""
    ids: list[str] = []
    pages = 0
    while True:
        answer = httpx.get(server.url + path)
        assert answer.status_code == 200, answer.text
        pages += 1
        ids += _links(answer.text, r"<tr class='session'><td><a href='/sessions/([^']*)'>")
        following = _links(answer.text, r"<a id='next' href='([^']*)'>")
        if not following:
            return ids, pages
        path = following[0]


def test_the_viewer_pages_every_session_exactly_once_in_order(server: LocalServer) -> None:
    count = SESSIONS_PER_PAGE * 2 + 37
    # Many share a start time: the order within one is the arrival order, newest first.
    ops = [
        _session(f"sess_{i:04d}", "a" if i % 3 else "b", f"2026-01-01T00:00:{i % 7:02d}Z")
        for i in range(count)
    ]
    _batch(server, ops)
    expected = [
        op["body"]["id"]
        for _, op in sorted(
            enumerate(ops), key=lambda p: (p[1]["body"]["startedAt"], p[0]), reverse=True
        )
    ]
    ids, pages = _viewer_ids(server, "/")
    assert ids == expected and pages == 3
    ids, _ = _viewer_ids(server, "/?agent=b&status=active")  # the filter stays on every page
    assert ids == [sid for sid in expected if int(sid[5:]) % 3 == 0]


def test_a_session_page_pages_its_events(server: LocalServer) -> None:
    ops = [_session("sess_long", "a", "2026-01-01T00:00:00Z")]
    ops += [
        {
            "op": "createEvent",
            "body": {"id": f"evt_{i:05d}", "sessionId": "sess_long", "eventType": "tool_call"},
        }
        for i in range(EVENTS_PER_PAGE + 5)
    ]
    _batch(server, ops)
    first = httpx.get(server.url + "/sessions/sess_long").text
    assert first.count("<tr class='event") == EVENTS_PER_PAGE
    (following,) = _links(first, r"<a id='next' href='([^']*)'>")
    second = httpx.get(server.url + following).text
    assert second.count("<tr class='event") == 5 and "id='next'" not in second
    assert httpx.get(server.url + "/sessions/sess_long?after=nonsense").status_code == 400
    assert httpx.get(server.url + "/?cursor=nonsense").status_code == 400


def test_event_counts_follow_every_way_of_storing_events(server: LocalServer) -> None:
    http = httpx.Client(base_url=server.url, headers=KEY)
    _batch(server, [_session("sess_s", "a", "2026-01-01T00:00:00Z")])
    http.post(
        "/api/sdk/events", json={"id": "evt_one", "sessionId": "sess_s", "eventType": "tool_call"}
    )
    http.post(
        "/api/sdk/events", json={"id": "evt_one", "sessionId": "sess_s", "eventType": "tool_call"}
    )  # replay
    event = {
        "op": "createEvent",
        "body": {"id": "evt_two", "sessionId": "sess_s", "eventType": "tool_call"},
    }
    _batch(
        server,
        [event, {"op": "createEvent", "body": {"sessionId": "sess_s", "eventType": "error"}}],
    )
    _batch(server, [event])  # a replay in a batch
    assert http.get("/api/sdk/sessions/sess_s").json()["eventCount"] == 3
    (listed,) = http.get("/api/sdk/sessions").json()["data"]
    assert listed["eventCount"] == 3


def _reference_stats(storage: Storage) -> dict[str, dict[str, Any]]:
    """What the viewer showed before the sums were kept: one pass over all sessions."""
    sessions, cursor = storage.list_sessions(limit=1000)
    assert cursor is None
    stats: dict[str, dict[str, Any]] = {}
    for s in sessions:
        agent = stats.setdefault(
            s["agentName"], {"sessions": 0, "finished": 0, "ok": 0, "d": [], "cost": 0.0}
        )
        agent["sessions"] += 1
        if s["status"] in ("completed", "failed"):
            agent["finished"] += 1
            agent["ok"] += s["status"] == "completed"
        if isinstance(s.get("durationMs"), (int, float)):
            agent["d"].append(float(s["durationMs"]))
        if isinstance(s.get("estimatedCost"), (int, float)):
            agent["cost"] += s["estimatedCost"]
    out = {}
    for name, agent in stats.items():
        d = sorted(agent["d"])

        def at(q: float, d: list[float] = d) -> float | None:
            return d[min(len(d) - 1, round(q * (len(d) - 1)))] if d else None

        out[name] = {
            "sessions": agent["sessions"],
            "successRate": agent["ok"] / agent["finished"] if agent["finished"] else None,
            "p50DurationMs": at(0.5),
            "p95DurationMs": at(0.95),
            "cost": pytest.approx(agent["cost"]),
        }
    return out


def test_agent_stats_are_kept_through_updates() -> None:
    storage = Storage(":memory:")
    for i in range(57):
        agent = f"agent{i % 3}"
        storage.create_session({"id": f"s{i}", "name": "n", "agentName": agent, "userId": "u"})
        if i % 4 == 0:
            continue  # still active
        storage.update_session(f"s{i}", {"success": i % 5 != 0, "durationMs": (i * 37) % 101})
        if i % 6 == 0:  # changed again: the old values leave the sums
            storage.update_session(f"s{i}", {"durationMs": i, "estimatedCost": 0.25})
        if i % 7 == 0:
            storage.update_session(f"s{i}", {"status": "failed", "durationMs": None})
    storage.create_session({"id": "s1", "name": "n", "agentName": "agent1", "userId": "u"})
    got = {
        a["agentName"]: {
            k: a[k] for k in ("sessions", "successRate", "p50DurationMs", "p95DurationMs", "cost")
        }
        for a in storage.agent_stats()
    }
    assert got == _reference_stats(storage)
    storage.close()


def test_sums_past_a_floats_range_never_break_a_write(server: LocalServer) -> None:
    http = httpx.Client(base_url=server.url, headers=KEY)
    for i in range(2):
        session = {"id": f"sess_{i}", "name": "n", "agentName": "a", "userId": "u"}
        assert http.post("/api/sdk/sessions", json=session).status_code == 200
    for i, cost in ((0, 1e308), (1, 1e308), (0, -1e308), (1, -1e308), (0, 1.5)):
        answer = http.patch(f"/api/sdk/sessions/sess_{i}", json={"estimatedCost": cost})
        assert answer.status_code == 200, answer.text
    assert httpx.get(server.url + "/").status_code == 200


def test_reads_reuse_their_connections(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path / "p.db"))
    storage.create_session({"id": "sess_a", "name": "n", "agentName": "a", "userId": "u"})

    def read(_: int) -> int:
        return len(storage.list_sessions()[0]) + int(storage.get_session("sess_a")["eventCount"])

    for _ in range(3):  # threads come and go (as a server's workers do): connections stay few
        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(read, range(200))) == [1] * 200
    assert len(storage._readers) <= 4
    storage.close()
    with pytest.raises(sqlite3.ProgrammingError):
        storage.get_session("sess_a")


_VERSION_0 = """
CREATE TABLE sessions (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, agent_name TEXT NOT NULL,
    user_id TEXT NOT NULL, convo_id TEXT, status TEXT NOT NULL, started_us INTEGER NOT NULL,
    created_us INTEGER NOT NULL, completed_us INTEGER, create_body TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_by_start ON sessions (started_us DESC, seq DESC);
CREATE INDEX sessions_by_agent ON sessions (agent_name, started_us DESC);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, session_id TEXT NOT NULL,
    ts_us INTEGER NOT NULL, created_us INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX events_by_session ON events (session_id, ts_us, seq);
INSERT INTO sessions VALUES (1, 's1', 'a', 'u', NULL, 'completed', 5, 5, 9,
    '{"agentName":"a","name":"one","userId":"u"}', '{"durationMs":40,"estimatedCost":0.5}');
INSERT INTO sessions VALUES (2, 's2', 'a', 'u', NULL, 'failed', 6, 6, 9,
    '{"agentName":"a","name":"two","userId":"u"}', '{"durationMs":10}');
INSERT INTO events VALUES (1, 'e1', 's1', 5, 5, '{"eventType":"x","sessionId":"s1"}');
INSERT INTO events VALUES (2, 'e2', 's1', 6, 6, '{"eventType":"x","sessionId":"s1"}');
"""


def test_a_database_of_the_former_layout_is_upgraded(tmp_path: Path) -> None:
    path = str(tmp_path / "old.db")
    with sqlite3.connect(path) as db:
        db.executescript(_VERSION_0)
    db.close()
    for _ in range(2):  # the second open finds it upgraded
        storage = Storage(path)
        sessions, _ = storage.list_sessions()
        assert {s["id"]: s["eventCount"] for s in sessions} == {"s1": 2, "s2": 0}
        (agent,) = storage.agent_stats()
        assert agent["sessions"] == 2 and agent["successRate"] == 0.5
        assert agent["p50DurationMs"] == 10.0 and agent["p95DurationMs"] == 40.0
        assert agent["cost"] == 0.5
        storage.close()


def test_another_programs_database_is_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sessions (token TEXT, expires INTEGER)")
    db.close()
    with pytest.raises(StorageOpenError):
        Storage(str(path))
    with sqlite3.connect(path) as db:
        tables = db.execute("SELECT name, sql FROM sqlite_master").fetchall()
        assert tables == [("sessions", "CREATE TABLE sessions (token TEXT, expires INTEGER)")]
        assert db.execute("PRAGMA user_version").fetchone() == (0,)
    db.close()


def _held(server: LocalServer, name: str) -> tuple[threading.Event, threading.Event]:
    """Make the storage method ``name`` wait for a release; returns (entered, release)."""
    entered, release = threading.Event(), threading.Event()
    original: Callable[..., Any] = getattr(server.storage, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(30)
        return original(*args, **kwargs)

    setattr(server.storage, name, held)
    return entered, release


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("session_page", "/api/sdk/sessions"),
        ("list_events", "/api/sdk/sessions/sess_s/events"),
        ("get_session", "/api/sdk/sessions/sess_s"),
        ("agent_stats", "/"),
        ("list_sessions", "/"),
        ("get_session", "/sessions/sess_s"),
        ("apply_batch", "/api/sdk/batch"),
    ],
)
def test_a_slow_storage_call_does_not_hold_up_health(
    server: LocalServer, method: str, path: str
) -> None:
    _batch(server, [_session("sess_s", "a", "2026-01-01T00:00:00Z")])
    entered, release = _held(server, method)
    with ThreadPoolExecutor(1) as pool:
        if path.endswith("batch"):
            slow = pool.submit(
                httpx.post, server.url + path, json={"operations": []}, headers=KEY, timeout=30
            )
        else:
            slow = pool.submit(httpx.get, server.url + path, headers=KEY, timeout=30)
        try:
            assert entered.wait(30)
            # The slow request is inside storage: the server still answers.
            for _ in range(3):
                health = httpx.get(server.url + "/api/sdk/health", timeout=10)
                assert health.status_code == 200
            assert not slow.done()
        finally:
            release.set()
        assert slow.result().status_code == 200


def test_reads_of_a_file_see_every_committed_write_at_once(tmp_path: Path) -> None:
    with LocalServer(str(tmp_path / "r.db")) as server:
        http = httpx.Client(base_url=server.url, headers=KEY)
        for i in range(20):
            session = {"id": f"sess_{i}", "name": "n", "agentName": "a", "userId": "u"}
            assert http.post("/api/sdk/sessions", json=session).status_code == 200
            event = {"sessionId": f"sess_{i}", "eventType": "tool_call"}
            assert http.post("/api/sdk/events", json=event).status_code == 200
            assert http.get(f"/api/sdk/sessions/sess_{i}").json()["eventCount"] == 1
            assert len(http.get("/api/sdk/sessions", params={"limit": 100}).json()["data"]) == i + 1


def test_every_read_is_an_index_search(tmp_path: Path) -> None:
    """No read of the API or the viewer scans sessions or events, or sorts them."""
    storage = Storage(":memory:")
    for i in range(30):
        sid = f"sess_{i}"
        storage.create_session({"id": sid, "name": "n", "agentName": f"a{i % 3}", "userId": "u"})
        storage.apply_batch([("createEvent", None, {"sessionId": sid, "eventType": "error"})] * 3)
        storage.update_session(sid, {"success": i % 2 == 0, "durationMs": i})
    statements: list[str] = []
    storage._db.set_trace_callback(statements.append)
    _, cursor = storage.list_sessions(limit=5)
    storage.list_sessions(limit=5, cursor=cursor)
    for filters in ({"agent_name": "a1"}, {"user_id": "u"}, {"status": "failed"}):
        storage.list_sessions(limit=5, cursor=cursor, **filters)
    storage.list_sessions(convo_id="c", since="2026-01-01T00:00:00Z")
    _, after = storage.list_events("sess_3", limit=1)
    storage.list_events("sess_3", limit=1, cursor=after)
    storage.get_session("sess_3")
    storage.agent_stats()
    storage._db.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) >= 12
    for statement in selects:
        plan = [row[3] for row in storage._db.execute("EXPLAIN QUERY PLAN " + statement)]
        assert all("TEMP B-TREE" not in step for step in plan), (statement, plan)
        # An index walked in order is bounded by the LIMIT only when nothing filters it.
        walk_ok = " WHERE " not in statement and " LIMIT " in statement
        assert all(
            step.startswith(("SEARCH", "SCAN agents"))
            or (walk_ok and step.startswith("SCAN sessions USING INDEX"))
            for step in plan
        ), (statement, plan)
    storage.close()
