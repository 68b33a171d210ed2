"""The local server over real HTTP: auth, validation, idempotency, limits, paging, restarts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from sentrial._server import LocalServer

SESSION = {"name": "n", "agentName": "agent", "userId": "u"}


def _http(server: LocalServer, key: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key or server.api_key}"}
    return httpx.Client(base_url=server.url, headers=headers)


@pytest.fixture
def http(sentrial_server: LocalServer) -> httpx.Client:
    return _http(sentrial_server)


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/api/sdk/sessions", SESSION),
    ("GET", "/api/sdk/sessions", None),
    ("GET", "/api/sdk/sessions/sess_x", None),
    ("PATCH", "/api/sdk/sessions/sess_x", {"status": "completed"}),
    ("GET", "/api/sdk/sessions/sess_x/events", None),
    ("POST", "/api/sdk/events", {"sessionId": "sess_x", "eventType": "error"}),
    ("POST", "/api/sdk/batch", {"operations": []}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize(
    "auth", [None, "Bearer wrong", "Basic sentrial_local_dev", "Bearer sentrial_local_dev2"]
)
def test_every_route_but_health_needs_the_key(
    sentrial_server: LocalServer, method: str, path: str, body: Any, auth: str | None
) -> None:
    headers = {"Authorization": auth} if auth else {}
    r = httpx.request(method, sentrial_server.url + path, json=body, headers=headers)
    assert r.status_code == 401
    assert set(r.json()) == {"error", "message"}
    assert sentrial_server.api_key not in r.text


def test_health_needs_no_key(sentrial_server: LocalServer) -> None:
    r = httpx.get(sentrial_server.url + "/api/sdk/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_several_keys(sentrial_server: LocalServer) -> None:
    with LocalServer(api_keys=["k1", "k2"]) as server:
        for key in ("k1", "k2"):
            assert _http(server, key).get("/api/sdk/sessions").status_code == 200
        assert _http(server, "k3").get("/api/sdk/sessions").status_code == 401


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/sdk/sessions", {"name": "n", "agentName": "a"}, "userId"),
        ("/api/sdk/sessions", {**SESSION, "metadata": []}, "metadata"),
        ("/api/sdk/sessions", {**SESSION, "startedAt": "yesterday"}, "startedAt"),
        (
            "/api/sdk/events",
            {"sessionId": "s", "eventType": "tool_call", "toolInput": 3},
            "toolInput",
        ),
        ("/api/sdk/events", {"sessionId": "s"}, "eventType"),
        ("/api/sdk/events", {"sessionId": "s", "eventType": "error", "id": "x y"}, "id"),
        ("/api/sdk/sessions", [1, 2], "body"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    http: httpx.Client, path: str, body: Any, field: str
) -> None:
    r = http.post(path, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "Bad Request"
    assert r.json()["message"].startswith(field)


def test_invalid_json_is_400(http: httpx.Client) -> None:
    r = http.post("/api/sdk/events", content=b"{not json")
    assert r.status_code == 400 and "JSON" in r.json()["message"]


def test_bad_query_parameters_are_400(http: httpx.Client) -> None:
    for query, field in [
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("status=weird", "status"),
        ("since=monday", "since"),
        ("cursor=%%%", "cursor"),
    ]:
        r = http.get("/api/sdk/sessions?" + query)
        assert r.status_code == 400, query
        assert r.json()["message"].startswith(field)


def test_unknown_session_is_404(http: httpx.Client) -> None:
    assert (
        http.post(
            "/api/sdk/events", json={"sessionId": "sess_no", "eventType": "error"}
        ).status_code
        == 404
    )
    assert http.patch("/api/sdk/sessions/sess_no", json={"success": True}).status_code == 404
    assert http.get("/api/sdk/sessions/sess_no").status_code == 404
    assert http.get("/api/sdk/sessions/sess_no/events").status_code == 404


def test_idempotent_session_and_event_creation(http: httpx.Client) -> None:
    body = {**SESSION, "id": "sess_idem"}
    first = http.post("/api/sdk/sessions", json=body)
    again = http.post("/api/sdk/sessions", json=body)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    conflict = http.post("/api/sdk/sessions", json={**body, "name": "other"})
    assert conflict.status_code == 409 and conflict.json()["message"].startswith("id")

    event = {
        "id": "evt_idem",
        "sessionId": "sess_idem",
        "eventType": "tool_call",
        "toolName": "t",
        "toolInput": {"a": 1},
    }
    e1 = http.post("/api/sdk/events", json=event)
    e2 = http.post("/api/sdk/events", json=event)
    assert e1.status_code == e2.status_code == 200 and e1.json() == e2.json()
    assert http.post("/api/sdk/events", json={**event, "toolInput": {"a": 2}}).status_code == 409
    events = http.get("/api/sdk/sessions/sess_idem/events").json()["data"]
    assert [e["id"] for e in events] == ["evt_idem"]
    assert events[0]["toolInput"] == {"a": 1}


def test_contradictory_update_is_422(http: httpx.Client) -> None:
    sid = http.post("/api/sdk/sessions", json=SESSION).json()["id"]
    r = http.patch(f"/api/sdk/sessions/{sid}", json={"status": "completed", "success": False})
    assert r.status_code == 422


def test_oversized_bodies_are_413(http: httpx.Client) -> None:
    big = {**SESSION, "metadata": {"blob": "x" * (1024 * 1024)}}
    r = http.post("/api/sdk/sessions", json=big)
    assert r.status_code == 413 and r.json()["error"]
    ops = [{"op": "createEvent", "body": {"sessionId": "s", "eventType": "error"}}] * 1001
    r = http.post("/api/sdk/batch", json={"operations": ops})
    assert r.status_code == 413 and "1000" in r.json()["message"]
    huge = [{"op": "createSession", "body": {**SESSION, "name": "x" * 1_000_000}}] * 6
    r = http.post("/api/sdk/batch", json={"operations": huge})
    assert r.status_code == 413
    assert http.get("/api/sdk/sessions").json()["data"] == []


def test_batch_partial_failures_in_order(http: httpx.Client) -> None:
    ops: list[Any] = [
        {"op": "createSession", "body": {**SESSION, "id": "sess_b1"}},
        {
            "op": "createEvent",
            "body": {"sessionId": "sess_b1", "eventType": "error", "id": "evt_b1"},
        },
        {"op": "createEvent", "body": {"sessionId": "sess_nope", "eventType": "error"}},
        {"op": "createEvent", "body": {"sessionId": "sess_b1", "eventType": "bogus"}},
        "not an object",
        {"op": "updateSession", "sessionId": "sess_b1", "body": {"status": "completed"}},
        {
            "op": "createEvent",
            "body": {
                "sessionId": "sess_b1",
                "eventType": "error",
                "id": "evt_b1",
                "reasoning": "changed",
            },
        },
    ]
    r = http.post("/api/sdk/batch", json={"operations": ops})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["index"] for x in results] == list(range(len(ops)))
    assert [x["status"] for x in results] == [200, 200, 404, 400, 400, 200, 409]
    assert "operations[3].body.eventType" in results[3]["message"]
    session = http.get("/api/sdk/sessions/sess_b1").json()
    assert session["status"] == "completed" and session["eventCount"] == 1


def test_plain_sentrial_bodies_without_extensions(http: httpx.Client) -> None:
    s = http.post(
        "/api/sdk/sessions",
        json={**SESSION, "metadata": {"source": "api"}, "parentSessionId": None, "convoId": None},
    )
    assert s.status_code == 200 and re.fullmatch(r"sess_[A-Za-z0-9_-]+", s.json()["id"])
    sid = s.json()["id"]
    e = http.post(
        "/api/sdk/events",
        json={
            "sessionId": sid,
            "eventType": "tool_call",
            "toolName": "search",
            "toolInput": {"q": 1},
            "toolOutput": {"r": 2},
            "reasoning": None,
            "estimatedCost": 0.0,
            "tokenCount": None,
            "traceId": None,
            "spanId": None,
            "metadata": {},
        },
    )
    assert e.status_code == 200 and e.json()["id"].startswith("evt_")
    assert {"id", "sessionId", "eventType", "toolName", "createdAt"} <= set(e.json())
    u = http.patch(
        f"/api/sdk/sessions/{sid}",
        json={
            "status": "completed",
            "success": True,
            "estimatedCost": 0.02,
            "durationMs": 10,
            "customMetrics": {"x": 1.0},
        },
    )
    body = u.json()
    assert u.status_code == 200 and body["status"] == "completed"
    assert {
        "id",
        "name",
        "agentName",
        "userId",
        "status",
        "success",
        "estimatedCost",
        "durationMs",
        "createdAt",
        "completedAt",
    } <= set(body)


def test_session_pagination_and_filters(http: httpx.Client) -> None:
    for i in range(7):
        http.post(
            "/api/sdk/sessions",
            json={
                **SESSION,
                "id": f"sess_p{i}",
                "userId": f"u{i % 2}",
                "convoId": "c1",
                "startedAt": f"2026-01-0{i + 1}T00:00:00Z",
            },
        )
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = http.get("/api/sdk/sessions", params=params).json()
        seen += [s["id"] for s in page["data"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [f"sess_p{i}" for i in reversed(range(7))]
    only_u1 = http.get("/api/sdk/sessions", params={"userId": "u1"}).json()["data"]
    assert [s["id"] for s in only_u1] == ["sess_p5", "sess_p3", "sess_p1"]
    window = http.get(
        "/api/sdk/sessions",
        params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-04T00:00:00Z"},
    ).json()["data"]
    assert [s["id"] for s in window] == ["sess_p2", "sess_p1"]
    assert len(http.get("/api/sdk/sessions", params={"convoId": "c1"}).json()["data"]) == 7
    assert http.get("/api/sdk/sessions", params={"status": "failed"}).json()["data"] == []


def test_events_in_client_order_with_pagination(http: httpx.Client) -> None:
    http.post("/api/sdk/sessions", json={**SESSION, "id": "sess_ev"})
    # Delivered out of order; the client timestamps decide.
    for i in [3, 0, 4, 1, 2]:
        http.post(
            "/api/sdk/events",
            json={
                "sessionId": "sess_ev",
                "eventType": "error",
                "id": f"evt_{i}",
                "timestamp": f"2026-01-01T00:00:0{i}Z",
            },
        )
    first = http.get("/api/sdk/sessions/sess_ev/events", params={"limit": 2}).json()
    rest = http.get(
        "/api/sdk/sessions/sess_ev/events", params={"cursor": first["nextCursor"]}
    ).json()
    assert [e["id"] for e in first["data"] + rest["data"]] == [f"evt_{i}" for i in range(5)]
    assert rest["nextCursor"] is None


def test_data_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    with LocalServer(db) as server:
        http = _http(server)
        http.post("/api/sdk/sessions", json={**SESSION, "id": "sess_keep"})
        http.post("/api/sdk/events", json={"sessionId": "sess_keep", "eventType": "error"})
    with LocalServer(db) as server:
        got = _http(server).get("/api/sdk/sessions/sess_keep").json()
        assert got["eventCount"] == 1


def test_unknown_route_and_method_use_the_error_body(http: httpx.Client) -> None:
    r = http.get("/api/sdk/nothing")
    assert r.status_code == 404 and set(r.json()) == {"error", "message"}
    r = http.delete("/api/sdk/sessions")
    assert r.status_code == 405 and set(r.json()) == {"error", "message"}


def test_cli_serve_prints_url_and_key(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sentrial", "serve", "--port", str(port), "--db", ":memory:"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        banner = "".join(proc.stdout.readline() for _ in range(4))
        assert f"http://127.0.0.1:{port}" in banner
        assert "SENTRIAL_API_KEY=sentrial_local_dev" in banner
        assert f"viewer:  http://127.0.0.1:{port}/" in banner
        deadline = time.monotonic() + 10
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/sdk/health")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert r.json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_banner_is_printed_once_the_server_listens() -> None:
    """Whoever waits for the banner to connect is never refused: the line comes
    after the socket listens (it came between bind and listen: a race that a
    script, a test or a CI job lost now and then)."""
    import signal
    import socket

    proc = subprocess.Popen(
        [sys.executable, "-m", "sentrial", "serve", "--port", "0", "--db", ":memory:"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        found = re.search(r"on http://127\.0\.0\.1:(\d+)", proc.stdout.readline())
        assert found is not None
        os.kill(proc.pid, signal.SIGSTOP)  # frozen where it printed: listening or not
        try:
            with socket.create_connection(("127.0.0.1", int(found[1])), timeout=5):
                pass  # the kernel's backlog takes it while the process is stopped
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        answer = httpx.get(f"http://127.0.0.1:{found[1]}/api/sdk/health", timeout=10)
        assert answer.status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_cli_refuses_public_bind_with_default_key() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "sentrial", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert r.returncode == 2 and "--api-key" in r.stderr
