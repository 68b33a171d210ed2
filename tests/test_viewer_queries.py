"""The viewer's own reads: index searches only, and a search that reads a
bounded window of sessions per page yet reaches every match page by page."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from sentrial._server import LocalServer, Storage, _viewer_list


def test_the_viewer_reads_are_index_searches() -> None:
    storage = Storage(":memory:")
    for i in range(30):
        sid = f"sess_{i}"
        parent = {"parentSessionId": "sess_0"} if i else {}
        storage.create_session(
            {"id": sid, "name": f"n{i}", "agentName": f"a{i % 3}", "userId": "u", **parent}
        )
        storage.update_session(sid, {"success": i % 2 == 0, "durationMs": i, "userInput": f"q{i}"})
    statements: list[str] = []
    storage._db.set_trace_callback(statements.append)
    assert [c["id"] for c in storage.child_sessions("sess_0", 3)] == ["sess_1", "sess_2", "sess_3"]
    storage.search_sessions("q2", limit=5, scan=10)
    storage.search_sessions("q2", agent_name="a1", limit=5, scan=10)
    storage.search_sessions("q2", user_id="u", since="2020-01-01T00:00:00Z", limit=5, scan=10)
    assert len(storage.agent_history("a1", 4)) == 4
    storage._db.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 8
    for statement in selects:
        plan = [row[3] for row in storage._db.execute("EXPLAIN QUERY PLAN " + statement)]
        assert all("TEMP B-TREE" not in step for step in plan), (statement, plan)
        assert all(
            step.startswith("SEARCH")
            or (" WHERE 1 " in statement and "COVERING INDEX sessions_by_start" in step)
            for step in plan
        ), (statement, plan)
    storage.close()


def test_a_search_pages_through_windows_to_every_match(
    sentrial_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = sentrial_server.storage
    for i in range(25):
        sid = storage.create_session({"name": f"run {i}", "agentName": "a", "userId": "u"})["id"]
        if i in (1, 2, 20):
            storage.update_session(sid, {"assistantOutput": f"needle {i}"})
    found: list[str] = []
    windows = 0
    path = "/?q=NEEDLE"
    monkeypatch.setattr(_viewer_list, "SEARCH_WINDOW", 5)  # 5 sessions read per page
    while path:
        page = httpx.get(sentrial_server.url + path)
        assert page.status_code == 200
        found += re.findall(r"<tr class='session'><td><a [^>]*>([^<]*)</a>", page.text)
        following = re.findall(r"<a id='next' href='([^']*)'>([^<]*)", page.text)
        path = html.unescape(following[0][0]) if following else ""
        windows += bool(following) and "searched 5 sessions" in following[0][1]
    assert found == ["run 20", "run 2", "run 1"]
    assert windows == 5  # 25 sessions, 5 a page; the sixth page finds the end
