"""Issue #27, the server's side: what a hostile page, an unlucky operator or odd
stored data did to ``sentrial serve`` (each test failed on the code before its fix).
"""

from __future__ import annotations

import itertools
import re
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import httpx
import pytest

from sentrial._server import LocalServer, Storage, _viewer_session

from .conftest import run_cli

SESSION = {"name": "n", "agentName": "agent", "userId": "u"}


def _http(server: LocalServer, **headers: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {server.api_key}", **headers}
    )


# -- 8. DNS rebinding reaches the API -------------------------------------------------------


API_CALLS: list[tuple[str, str, Any]] = [
    ("GET", "/api/sdk/sessions", None),
    ("POST", "/api/sdk/sessions", SESSION),
    ("GET", "/api/sdk/sessions/sess_x", None),
    ("GET", "/api/sdk/pii-config", None),
    ("POST", "/api/sdk/batch", {"operations": []}),
    ("POST", "/api/experiments", {"name": "e", "variants": [{"name": "a", "systemPrompt": "p"}]}),
    ("GET", "/api/experiments/exp_x/runs", None),
    ("GET", "/api/sdk/health", None),
    ("GET", "/api/no/such/path", None),
    ("GET", "/experiments", None),
]


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1.evil.example", ""])
def test_a_loopback_server_answers_no_route_under_a_foreign_host(
    sentrial_server: LocalServer, host: str
) -> None:
    """A page on a rebinding domain (resolving to 127.0.0.1) sends the default local
    key: no route of a loopback-bound server may answer it, the API included."""
    foreign = _http(sentrial_server, Host=host.format(port=sentrial_server.port))
    for method, path, body in API_CALLS:
        answer = foreign.request(method, path, json=body)
        assert answer.status_code == 421, (method, path, answer.status_code, answer.text)
        if path.startswith("/api/"):
            assert answer.json()["error"] == "Misdirected Request"
    # Nothing was created through the foreign name.
    assert _http(sentrial_server).get("/api/sdk/sessions").json()["data"] == []


def test_a_loopback_server_answers_its_own_names(sentrial_server: LocalServer) -> None:
    for host in ("127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "127.0.0.1"):
        own = _http(sentrial_server, Host=host.format(port=sentrial_server.port))
        assert own.post("/api/sdk/sessions", json=SESSION).status_code == 200, host
        assert own.get("/api/sdk/health").status_code == 200, host


# -- 15. viewer search: Unicode case and NUL ------------------------------------------------


def _listed_names(server: LocalServer, query: str) -> list[str]:
    page = httpx.get(server.url + "/", params={"q": query})
    assert page.status_code == 200, page.text
    return re.findall(r"<tr class='session'><td><a [^>]*>([^<]*)</a>", page.text)


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        ("Über uns", "über"),
        ("über uns", "ÜBER"),
        ("ÉCOLE normale", "école"),
        ("ПРИВЕТ мир", "привет"),
        ("Straße", "STRASSE"),
        ("before\x00after the NUL", "AFTER THE"),
    ],
)
def test_the_viewer_search_folds_unicode_case_and_reads_past_nul(
    sentrial_server: LocalServer, stored: str, query: str
) -> None:
    http = _http(sentrial_server)
    for field in ("name", "userInput", "assistantOutput"):
        body = {**SESSION, "name": f"in {field}"}
        if field == "name":
            body["name"] = stored
        sid = http.post("/api/sdk/sessions", json=body).json()["id"]
        if field != "name":
            assert http.patch(f"/api/sdk/sessions/{sid}", json={field: stored}).status_code == 200
    http.post("/api/sdk/sessions", json={**SESSION, "name": "unrelated"})
    found = _listed_names(sentrial_server, query)
    assert sorted(found) == sorted([html_name(stored), "in userInput", "in assistantOutput"]), found


def html_name(text: str) -> str:
    import html

    return html.escape(text)


# -- 16. dates at the edges of the calendar -----------------------------------------------


@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
)
def test_pages_and_filters_answer_sessions_at_the_calendars_edges(
    sentrial_server: LocalServer, moment: str
) -> None:
    http = _http(sentrial_server)
    sid = http.post("/api/sdk/sessions", json={**SESSION, "startedAt": moment}).json()["id"]
    http.patch(f"/api/sdk/sessions/{sid}", json={"success": True, "durationMs": 5})
    http.post(
        "/api/sdk/events", json={"sessionId": sid, "eventType": "tool_call", "timestamp": moment}
    )
    http.post("/api/sdk/sessions", json=SESSION)  # and one of today
    base = sentrial_server.url
    for path in ("/", "/overview", f"/sessions/{sid}"):
        page = httpx.get(base + path)
        assert page.status_code == 200, (path, page.status_code)
    day = moment[:10]
    for query in ({"from": day}, {"to": day}, {"from": day, "to": day}, {"q": "n", "to": day}):
        page = httpx.get(base + "/", params=query)
        assert page.status_code == 200, (query, page.text[:300])
        assert sid in page.text, query
    # The API's filters, at the edges too.
    for since, until in ((moment, None), (None, "9999-12-31T23:59:59.999999Z")):
        params = {k: v for k, v in (("since", since), ("until", until)) if v}
        assert http.get("/api/sdk/sessions", params=params).status_code == 200, params


def test_the_overview_charts_label_the_last_microsecond_of_year_9999() -> None:
    from sentrial._server._charts import agent_charts

    history = [
        {"startedUs": us, "status": "completed", "durationMs": 1.0, "cost": 0.0, "tokens": 0.0}
        for us in (-62135596800000000, 253402300799999999)
    ]
    html = agent_charts("a", history)
    assert "0001-01-01 00:00 to 9999-12-31 23:59 UTC" in html


# -- 18. a big tree of child sessions -----------------------------------------------------


def _tree(storage: Storage, fanout: int, depth: int) -> int:
    """A root session ``sess_root`` with ``fanout`` children per session, ``depth``
    levels below it, each child with one event; returns how many sessions in all."""
    made = 1
    storage.create_session({**SESSION, "id": "sess_root", "startedAt": "2026-01-01T00:00:00Z"})
    level = ["sess_root"]
    second = 0
    for _ in range(depth):
        below = []
        operations: list[tuple[str, str | None, dict[str, Any]]] = []
        for parent in level:
            for _ in range(fanout):
                second += 1
                sid = f"sess_c{second}"
                at = f"2026-01-01T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"
                operations.append(
                    (
                        "createSession",
                        None,
                        {**SESSION, "id": sid, "parentSessionId": parent, "startedAt": at},
                    )
                )
                operations.append(
                    (
                        "createEvent",
                        None,
                        {
                            "sessionId": sid,
                            "eventType": "tool_call",
                            "toolName": "t",
                            "timestamp": at,
                        },
                    )
                )
                below.append(sid)
        storage.apply_batch(operations)
        made += len(below)
        level = below
    return made


def test_a_big_tree_renders_only_the_capped_bars_and_reads_only_what_it_shows(
    sentrial_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = sentrial_server.storage
    assert _tree(storage, 12, 3) == 1885
    reads = {"child_sessions": 0, "list_events": 0}
    for name in reads:
        original = getattr(storage, name)

        def counted(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            reads[_name] += 1
            return _original(*args, **kw)

        monkeypatch.setattr(storage, name, counted)
    page = httpx.get(sentrial_server.url + "/sessions/sess_root")
    assert page.status_code == 200
    waterfall = page.text.split("id='waterfall'", 1)[1].split("</table>", 1)[0]
    bars = re.findall(r"<tr class='bar ", waterfall)
    assert len(bars) == _viewer_session.BARS
    assert "id='waterfall-more'" in page.text
    # Only the sessions whose rows are shown were read: not the 1,884 of the tree.
    assert reads["list_events"] <= _viewer_session.BARS, reads
    assert reads["child_sessions"] <= _viewer_session.BARS, reads


def test_a_small_tree_is_shown_whole(sentrial_server: LocalServer) -> None:
    storage = sentrial_server.storage
    assert _tree(storage, 3, 3) == 40
    page = httpx.get(sentrial_server.url + "/sessions/sess_root")
    waterfall = page.text.split("id='waterfall'", 1)[1].split("</table>", 1)[0]
    # The root, 39 child sessions and their 39 events.
    assert len(re.findall(r"<tr class='bar ", waterfall)) == 1 + 39 + 39
    assert "id='waterfall-more'" not in page.text


# -- 11. a change feed of sessions (what `sentrial tail` follows) ---------------------------


def test_changed_after_lists_every_session_written_since_in_change_order(
    sentrial_server: LocalServer,
) -> None:
    http = _http(sentrial_server)
    old = [http.post("/api/sdk/sessions", json=SESSION).json()["id"] for _ in range(3)]
    start = http.get("/api/sdk/sessions", params={"limit": 1}).json()["changeCursor"]
    assert http.get("/api/sdk/sessions", params={"changedAfter": start}).json()["data"] == []
    http.patch(f"/api/sdk/sessions/{old[0]}", json={"success": True})
    http.post("/api/sdk/events", json={"sessionId": old[1], "eventType": "tool_call"})
    late = http.post(
        "/api/sdk/sessions", json={**SESSION, "startedAt": "2001-01-01T00:00:00Z"}
    ).json()["id"]
    http.patch(f"/api/sdk/sessions/{old[1]}", json={"success": False})
    feed = http.get("/api/sdk/sessions", params={"changedAfter": start}).json()
    assert [s["id"] for s in feed["data"]] == [old[0], late, old[1]]  # by last change
    assert feed["nextCursor"] is None
    # A page at a time: a full page means more are waiting.
    first = http.get("/api/sdk/sessions", params={"changedAfter": start, "limit": 2}).json()
    assert [s["id"] for s in first["data"]] == [old[0], late]
    rest = http.get(
        "/api/sdk/sessions", params={"changedAfter": first["changeCursor"], "limit": 2}
    ).json()
    assert [s["id"] for s in rest["data"]] == [old[1]]
    done = http.get("/api/sdk/sessions", params={"changedAfter": rest["changeCursor"]}).json()
    assert done["data"] == [] and done["changeCursor"] == rest["changeCursor"]
    # Filters apply; a filtered-out change is passed for good.
    failed = http.get("/api/sdk/sessions", params={"changedAfter": start, "status": "failed"})
    assert [s["id"] for s in failed.json()["data"]] == [old[1]]
    for params in ({"changedAfter": "nope"}, {"changedAfter": start, "cursor": start}):
        refused = http.get("/api/sdk/sessions", params=params)
        assert refused.status_code == 400, params
        assert refused.json()["message"].split(":")[0] in ("changedAfter", "cursor")


def test_a_version_1_store_is_numbered_in_arrival_order(tmp_path: Any) -> None:
    path = str(tmp_path / "v1.db")
    storage = Storage(path)
    for i in range(3):
        storage.create_session({**SESSION, "id": f"sess_{i}"})
    with storage._lock:  # back to the layout of version 1
        storage._db.execute("DROP INDEX sessions_by_change")
        storage._db.execute("ALTER TABLE sessions DROP COLUMN change_seq")
        storage._db.execute("PRAGMA user_version = 1")
    storage.close()
    upgraded = Storage(path)
    try:
        _, _, start = upgraded.session_page(limit=1)
        upgraded.update_session("sess_0", {"success": True})
        page, _, _ = upgraded.session_page(changed_after=start)
        assert [s["id"] for s in page] == ["sess_0"]
        everything, _, _ = upgraded.session_page(changed_after="MA==")  # change 0
        assert [s["id"] for s in everything] == ["sess_1", "sess_2", "sess_0"]
    finally:
        upgraded.close()


# -- 2. storage exhaustion is an outage (503), not a fault (500) ---------------------------


def _is_outage(answer: httpx.Response, cause: str) -> None:
    assert answer.status_code == 503, (answer.status_code, answer.text)
    assert int(answer.headers["retry-after"]) > 0
    assert answer.json()["error"] == "Service Unavailable"
    assert cause in answer.json()["message"], answer.text


def _writes(http: httpx.Client, sid: str) -> list[httpx.Response]:
    big = {"metadata": {"blob": "x" * 200_000}}
    return [
        http.post("/api/sdk/sessions", json={**SESSION, **big}),
        http.patch(f"/api/sdk/sessions/{sid}", json={"success": True, "userInput": "y" * 200_000}),
        http.post("/api/sdk/events", json={"sessionId": sid, "eventType": "error", **big}),
        http.post(
            "/api/sdk/batch",
            json={"operations": [{"op": "createSession", "body": {**SESSION, **big}}] * 20},
        ),
        http.post(
            "/api/experiments",
            json={
                "name": "e" * 200_000,
                "variants": [{"name": "a", "systemPrompt": "p"}],
                "testCases": [{"sessionId": "s", "userInput": "i"}],
            },
        ),
    ]


def test_a_full_store_answers_503_with_retry_after_and_health_says_so(tmp_path: Any) -> None:
    with LocalServer(str(tmp_path / "full.db")) as server:
        http = _http(server)
        sid = http.post("/api/sdk/sessions", json=SESSION).json()["id"]
        assert http.get("/api/sdk/health").json()["status"] == "ok"
        storage = server.storage
        with storage._lock:  # the file may not grow: as on a full disk
            (pages,) = storage._db.execute("PRAGMA page_count").fetchone()
            storage._db.execute(f"PRAGMA max_page_count = {pages}")
        for answer in _writes(http, sid):
            _is_outage(answer, "database or disk is full")
        health = http.get("/api/sdk/health")
        _is_outage_health(health, "database or disk is full")
        env = {"SENTRIAL_API_URL": server.url, "SENTRIAL_API_KEY": server.api_key}
        doctor = run_cli("doctor", env=env).stdout
        assert "cannot store for now: storage: database or disk is full" in doctor, doctor
        # Reads still answer; the viewer too.
        assert http.get(f"/api/sdk/sessions/{sid}").status_code == 200
        assert httpx.get(server.url + "/").status_code == 200
        with storage._lock:  # room again: writes, then health, recover
            storage._db.execute("PRAGMA max_page_count = 1073741823")
        assert http.post("/api/sdk/sessions", json=SESSION).status_code == 200
        assert http.get("/api/sdk/health").status_code == 200
        assert http.get("/api/sdk/health").json()["status"] == "ok"


def _is_outage_health(health: httpx.Response, cause: str) -> None:
    assert health.status_code == 503, health.text
    assert int(health.headers["retry-after"]) > 0
    body = health.json()
    assert body["status"] == "unavailable" and cause in body["storage"], body


def test_a_read_only_store_answers_503(tmp_path: Any) -> None:
    with LocalServer(str(tmp_path / "ro.db")) as server:
        http = _http(server)
        sid = http.post("/api/sdk/sessions", json=SESSION).json()["id"]
        with server.storage._lock:
            server.storage._db.execute("PRAGMA query_only = 1")  # as a read-only file
        for answer in _writes(http, sid):
            _is_outage(answer, "readonly database")
        _is_outage_health(http.get("/api/sdk/health"), "readonly database")


def test_a_store_locked_past_the_timeout_answers_503(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from sentrial._server import _storage

    monkeypatch.setattr(_storage, "BUSY_TIMEOUT", 0.2)
    path = str(tmp_path / "locked.db")
    with LocalServer(path) as server:
        http = _http(server)
        sid = http.post("/api/sdk/sessions", json=SESSION).json()["id"]
        other = sqlite3.connect(path, isolation_level=None)  # another process's writer
        other.execute("BEGIN IMMEDIATE")
        try:
            _is_outage(http.patch(f"/api/sdk/sessions/{sid}", json={"success": True}), "locked")
            _is_outage_health(http.get("/api/sdk/health"), "locked")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert http.patch(f"/api/sdk/sessions/{sid}", json={"success": True}).status_code == 200


# -- 4. an experiment across a server restart ---------------------------------------------


def _serve(port: int, db: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sentrial._serve", "--port", str(port), "--db", db],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/sdk/health").status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)


def test_an_experiment_records_every_run_across_a_server_restart(tmp_path: Any) -> None:
    """`sentrial serve` killed during Experiment.run and back 12 s later on the same
    port and database: every run is recorded, finished, and the client says so."""
    import sentrial
    from sentrial.experiment import Experiment

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = str(tmp_path / "experiments.db")
    url = f"http://127.0.0.1:{port}"
    servers = [_serve(port, db)]
    key = {"Authorization": "Bearer sentrial_local_dev"}
    cases = [{"sessionId": f"sess_case{i}", "userInput": f"question {i}"} for i in range(20)]
    exp_id = httpx.post(
        url + "/api/experiments",
        headers=key,
        json={
            "name": "restart",
            "variants": [{"name": "a", "systemPrompt": "A"}, {"name": "b", "systemPrompt": "B"}],
            "testCases": cases,
        },
    ).json()["experiment"]["id"]
    client = sentrial.SentrialClient(
        api_key="sentrial_local_dev", api_url=url, spool_dir=str(tmp_path / "spool")
    )
    started = itertools.count()
    restart = threading.Timer(12, lambda: servers.append(_serve(port, db)))

    def agent(test_case: Any, variant: Any, tracker: Any) -> None:
        if next(started) == 10:  # the server dies a quarter of the way through
            servers[0].kill()
            servers[0].wait()
            restart.start()
        with tracker.begin(input=test_case.user_input) as interaction:
            time.sleep(0.3)
            interaction.set_output(f"{variant.name}: {test_case.user_input}")

    try:
        exp = Experiment(exp_id, client=client)
        results = exp.run(agent, on_result=lambda *_: None, flush_timeout=90)
        restart.join()
        exp.close()
        client.close()
        runs = httpx.get(f"{url}/api/experiments/{exp_id}/runs", headers=key).json()
    finally:
        restart.cancel()
        for server in servers:
            server.kill()
            server.wait()
    assert len(results) == 40 and all(r.success for r in results)
    assert all(r.run_id for r in results), sum(1 for r in results if not r.run_id)
    assert sorted((r["variantName"], r["baseSessionId"]) for r in runs["runs"]) == sorted(
        (v, c["sessionId"]) for v in ("a", "b") for c in cases
    )
    assert {r["status"] for r in runs["runs"]} == {"completed"}
    assert {r["id"] for r in runs["runs"]} == {r.run_id for r in results}
    assert {r["batchId"] for r in runs["runs"]} == {exp.batch_id} != {None}
    assert runs["experiment"]["status"] == "completed"


def test_runs_recorded_by_sessions_are_reset_and_recorded_again(
    sentrial_server: LocalServer, tmp_path: Any
) -> None:
    import sentrial
    from sentrial.experiment import Experiment

    client = sentrial.SentrialClient(
        api_key=sentrial_server.api_key,
        api_url=sentrial_server.url,
        spool_dir=str(tmp_path / "spool"),
    )
    exp = Experiment.create(
        "again",
        {"v": "P"},
        test_cases=[sentrial.experiment.ExperimentTestCase("sess_q", "q")],
        client=client,
    )

    def agent(test_case: Any, variant: Any, tracker: Any) -> None:
        if variant.name == "v":  # no session of its own: the run records one
            tracker.set_result_session_id("sess_elsewhere")

    first = exp.run(agent, on_result=lambda *_: None)
    assert first[0].run_id is not None
    http = _http(sentrial_server)
    runs = http.get(f"/api/experiments/{exp.experiment_id}/runs").json()["runs"]
    assert [(r["id"], r["status"], r["resultSessionId"]) for r in runs] == [
        (first[0].run_id, "completed", "sess_elsewhere")
    ]
    assert exp.reset()
    assert http.get(f"/api/experiments/{exp.experiment_id}/runs").json()["runs"] == []
    second = exp.run(agent, on_result=lambda *_: None)
    runs = http.get(f"/api/experiments/{exp.experiment_id}/runs").json()["runs"]
    assert [r["id"] for r in runs] == [second[0].run_id] != [first[0].run_id]
    exp.close()
    client.close()


def test_a_server_without_experiment_sessions_gets_run_requests(
    sentrial_server: LocalServer, tmp_path: Any
) -> None:
    """The hosted API records runs only by requests: those still go out (and
    the results are confirmed the same way)."""
    import sentrial
    from sentrial.experiment import Experiment, ExperimentTestCase

    client = sentrial.SentrialClient(
        api_key=sentrial_server.api_key,
        api_url=sentrial_server.url,
        spool_dir=str(tmp_path / "spool"),
    )
    exp = Experiment.create(
        "requests",
        {"v": "P", "w": "Q"},
        test_cases=[ExperimentTestCase("sess_q", "q")],
        client=client,
    )
    exp._capabilities = frozenset({"client_ids"})  # as the hosted API would answer

    def agent(test_case: Any, variant: Any, tracker: Any) -> None:
        with tracker.begin(input=test_case.user_input) as interaction:
            interaction.set_output("ok")

    results = exp.run(agent, on_result=lambda *_: None)
    runs = _http(sentrial_server).get(f"/api/experiments/{exp.experiment_id}/runs").json()
    assert sorted(r["id"] for r in runs["runs"]) == sorted(str(r.run_id) for r in results)
    assert {r["status"] for r in runs["runs"]} == {"completed"}
    # Each run created by a request of its own: its session points at it.
    for run in runs["runs"]:
        session = _http(sentrial_server).get(f"/api/sdk/sessions/{run['resultSessionId']}")
        assert session.json()["metadata"]["experimentRunId"] == run["id"]
    exp.close()
    client.close()
