"""The local server against hostile or careless input (issue 12): never a 500,
never a traceback, never a page that runs what a client stored."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from sentrial._server import ASGIThread, LocalServer, Storage, create_app

from .conftest import Reader

SESSION = {"name": "n", "agentName": "agent", "userId": "u"}
# `sentrial serve` delegates to this module (see sentrial/_serve.py).
SERVE = [sys.executable, "-m", "sentrial._serve"]


def _http(server: LocalServer) -> httpx.Client:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    return httpx.Client(base_url=server.url, headers=headers)


@pytest.fixture
def http(sentrial_server: LocalServer) -> httpx.Client:
    return _http(sentrial_server)


def _free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _refused(*args: str) -> str:
    """Run the serve command; it must exit 2 at once with one line on stderr."""
    done = subprocess.run([*SERVE, *args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("sentrial serve: "), done.stderr
    return lines[0]


# -- sentrial serve: bad options --------------------------------------------------------


@pytest.mark.parametrize("key", ["", "   "])
@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_serve_refuses_an_empty_api_key(key: str, host: str) -> None:
    line = _refused("--host", host, "--port", "0", "--db", ":memory:", "--api-key", key)
    assert "--api-key" in line and "empty" in line


def test_serve_refuses_an_empty_key_among_good_ones() -> None:
    line = _refused("--port", "0", "--db", ":memory:", "--api-key", "k1", "--api-key", "")
    assert "--api-key" in line


@pytest.mark.parametrize("port", ["99999", "-1", "65536"])
def test_serve_refuses_a_port_out_of_range(port: str) -> None:
    assert "--port" in _refused("--port", port, "--db", ":memory:")


def test_serve_refuses_unusable_databases(tmp_path: Path) -> None:
    missing_dir = tmp_path / "no" / "such" / "dir" / "s.db"
    assert str(missing_dir) in _refused("--port", "0", "--db", str(missing_dir))
    assert "--db" in _refused("--port", "0", "--db", str(tmp_path))  # a directory
    junk = tmp_path / "notes.txt"
    junk.write_text("these are my notes, not a database\n" * 100)
    assert "not a database" in _refused("--port", "0", "--db", str(junk))
    assert junk.read_text().startswith("these are my notes")  # left as it was


def test_serve_refuses_a_bad_pii_config(tmp_path: Path) -> None:
    bad = tmp_path / "pii.json"
    bad.write_text('{"mode": "shout"}')
    assert "mode" in _refused("--port", "0", "--db", ":memory:", "--pii-config", str(bad))
    missing = tmp_path / "missing.json"
    assert "--pii-config" in _refused("--port", "0", "--pii-config", str(missing))


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*SERVE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    banner = "".join(proc.stdout.readline() for _ in range(4))
    return proc, banner


def _wait_ok(url: str) -> httpx.Response:
    deadline = time.monotonic() + 20
    while True:
        try:
            return httpx.get(url)
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_serve_with_a_pii_config_file(tmp_path: Path) -> None:
    config = tmp_path / "pii.json"
    config.write_text(json.dumps({"mode": "remove", "fields": ["metadata"]}))
    port = _free_port()
    proc, banner = _serve("--port", str(port), "--db", ":memory:", "--pii-config", str(config))
    try:
        assert f"http://127.0.0.1:{port}" in banner
        _wait_ok(f"http://127.0.0.1:{port}/api/sdk/health")
        answer = httpx.get(
            f"http://127.0.0.1:{port}/api/sdk/pii-config",
            headers={"Authorization": "Bearer sentrial_local_dev"},
        ).json()["config"]
        assert answer["mode"] == "remove" and answer["fields"] == ["metadata"]
    finally:
        proc.terminate()
        proc.wait(10)


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_serve_on_the_ipv6_loopback() -> None:
    with LocalServer(host="::1") as server:
        assert server.url.startswith("http://[::1]:")
        assert httpx.get(server.url + "/api/sdk/health").json()["status"] == "ok"
        created = _http(server).post("/api/sdk/sessions", json=SESSION)
        assert created.status_code == 200
        assert httpx.get(server.url + "/").status_code == 200  # the viewer, too
    port = _free_port("::1")
    proc, banner = _serve("--host", "::1", "--port", str(port), "--db", ":memory:")
    try:
        assert f"http://[::1]:{port}" in banner and "viewer" in banner
        assert _wait_ok(f"http://[::1]:{port}/api/sdk/health").status_code == 200
        assert httpx.get(f"http://[::1]:{port}/").status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_every_loopback_address_gets_the_viewer() -> None:
    with LocalServer(host="127.0.0.2") as server:
        page = httpx.get(server.url + "/")
        assert page.status_code == 200 and "Sentrial sessions" in page.text


# -- nesting depth ------------------------------------------------------------------------


def _nested(depth: int) -> Any:
    """An object nesting ``depth`` objects and arrays (itself included), alternately."""
    value: Any = "bottom"
    for level in range(depth, 0, -1):
        value = {"k": value} if level % 2 else [value]
    return value


def _nested_text(depth: int) -> str:
    """The JSON of ``_nested(depth)``, written without recursion."""
    opening = "".join('{"k":' if level % 2 else "[" for level in range(1, depth + 1))
    closing = "".join("}" if level % 2 else "]" for level in range(depth, 0, -1))
    return opening + '"bottom"' + closing


def test_depth_limit_is_64_levels_per_field(http: httpx.Client, reader: Reader) -> None:
    ok = http.post("/api/sdk/sessions", json={**SESSION, "metadata": {"deep": _nested(63)}})
    assert ok.status_code == 200, ok.text
    assert reader.session(ok.json()["id"])["metadata"] == {"deep": _nested(63)}
    assert json.loads(_nested_text(70)) == _nested(70)
    for depth in (64, 100, 252, 253, 254, 255, 300, 1022, 1023, 1024, 1025, 3000):
        text = '{"name":"n","agentName":"a","userId":"u","metadata":{"deep":'
        text += _nested_text(depth) + "}}"
        r = http.post("/api/sdk/sessions", content=text)
        assert r.status_code == 400, (depth, r.text)
        # Past the parser's 1024 levels the body as a whole is named.
        field = "metadata" if depth + 2 <= 1024 else "body"
        assert r.json()["message"].startswith(f"{field}: nested deeper than 64"), r.text
    sid = ok.json()["id"]
    for field in ("toolInput", "toolOutput", "metadata", "stateBefore", "input", "output"):
        body = {"sessionId": sid, "eventType": "llm_call", field: {"x": _nested(64)}}
        r = http.post("/api/sdk/events", json=body)
        assert r.status_code == 400 and r.json()["message"].startswith(field), r.text
    r = http.post(
        "/api/sdk/events", json={"sessionId": sid, "eventType": "error", "a": _nested(65)}
    )
    assert r.status_code == 400 and r.json()["message"].startswith("a: nested"), r.text
    r = http.patch(f"/api/sdk/sessions/{sid}", json={"customMetrics": {"m": _nested(64)}})
    assert r.status_code == 400 and r.json()["message"].startswith("customMetrics"), r.text
    assert reader.events(sid) == [] and len(reader.sessions()) == 1


def test_past_the_parsers_limit_is_400_too(http: httpx.Client) -> None:
    deep = b'{"name":"n","agentName":"a","userId":"u","metadata":{"x":' + b"[" * 5000
    deep += b"]" * 5000 + b"}}"
    r = http.post("/api/sdk/sessions", content=deep)
    assert r.status_code == 400 and "nested deeper than 64" in r.json()["message"], r.text


def test_a_deep_item_fails_alone_in_a_batch(http: httpx.Client, reader: Reader) -> None:
    ops = [
        {"op": "createSession", "body": {**SESSION, "id": "sess_deep"}},
        {"op": "createEvent", "body": {"sessionId": "sess_deep", "eventType": "error"}},
        *[
            {
                "op": "createEvent",
                "body": {"sessionId": "sess_deep", "eventType": "error", "metadata": _nested(d)},
            }
            for d in (64, 65, 253, 254, 300)
        ],
        {"op": "updateSession", "sessionId": "sess_deep", "body": {"x": _nested(70)}},
        {"op": "createSession", "body": {**SESSION, "id": "sess_deep2", "m": _nested(254)}},
        {"op": "updateSession", "sessionId": "sess_deep", "body": {"success": True}},
    ]
    r = http.post("/api/sdk/batch", json={"operations": ops})
    assert r.status_code == 200, r.text
    statuses = [x["status"] for x in r.json()["results"]]
    assert statuses == [200, 200, 200, 400, 400, 400, 400, 400, 400, 200], r.json()
    assert "operations[3].metadata: nested deeper" in r.json()["results"][3]["message"]
    assert len(reader.events("sess_deep")) == 2
    assert [s["id"] for s in reader.sessions()] == ["sess_deep"]
    assert http.get("/api/sdk/sessions").status_code == 200
    assert httpx.get(str(http.base_url) + "/").status_code == 200


# -- date-times ----------------------------------------------------------------------------

OUT_OF_RANGE = [
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59.999999-00:01",
    "0001-01-01T00:00:00+00:01",
    "0001-01-01T00:00:00+23:59",
]


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
def test_times_out_of_range_are_400_naming_the_field(
    http: httpx.Client, reader: Reader, moment: str
) -> None:
    r = http.post("/api/sdk/sessions", json={**SESSION, "startedAt": moment})
    assert r.status_code == 400 and r.json()["message"].startswith("startedAt"), r.text
    sid = http.post("/api/sdk/sessions", json=SESSION).json()["id"]
    r = http.post(
        "/api/sdk/events", json={"sessionId": sid, "eventType": "error", "timestamp": moment}
    )
    assert r.status_code == 400 and r.json()["message"].startswith("timestamp"), r.text
    r = http.patch(f"/api/sdk/sessions/{sid}", json={"success": True, "completedAt": moment})
    assert r.status_code == 400 and r.json()["message"].startswith("completedAt"), r.text
    for name in ("since", "until"):
        r = http.get("/api/sdk/sessions", params={name: moment})
        assert r.status_code == 400 and r.json()["message"].startswith(name), r.text
    ops = [
        {
            "op": "createEvent",
            "body": {"sessionId": sid, "eventType": "error", "timestamp": moment},
        },
        {"op": "createSession", "body": {**SESSION, "startedAt": moment}},
        {"op": "createEvent", "body": {"sessionId": sid, "eventType": "error"}},
    ]
    results = http.post("/api/sdk/batch", json={"operations": ops}).json()["results"]
    assert [x["status"] for x in results] == [400, 400, 200]
    assert reader.session(sid)["status"] == "active" and len(reader.events(sid)) == 1
    assert http.get("/").status_code in (200, 404)  # base_url has no viewer route check here


def test_the_extreme_valid_times_are_kept(http: httpx.Client, reader: Reader) -> None:
    first = "0001-01-01T00:00:00Z"
    last = "9999-12-31T23:59:59.999999Z"
    for moment in (first, last, "9999-12-31T23:59:59+23:59"):
        r = http.post("/api/sdk/sessions", json={**SESSION, "startedAt": moment})
        assert r.status_code == 200, r.text
    started = sorted(s["startedAt"] for s in reader.sessions())
    assert started == ["0001-01-01T00:00:00.000000Z", "9999-12-31T00:00:59.000000Z", last]


def test_reads_never_fail_on_stored_data(sentrial_server: LocalServer, http: httpx.Client) -> None:
    """Rows a former version stored (times out of range, numbers as text) still read."""
    sid = http.post("/api/sdk/sessions", json=SESSION).json()["id"]
    http.post("/api/sdk/events", json={"sessionId": sid, "eventType": "error"})
    db = sentrial_server.storage._db
    with sentrial_server.storage._lock:
        db.execute(
            "UPDATE sessions SET started_us = ?, completed_us = ?, outcome = ?",
            (253402300799999999 + 86_400_000_000, -62135596800000001, '{"totalTokens": "many"}'),
        )
        db.execute("UPDATE events SET ts_us = ?", (2**62,))
    listed = http.get("/api/sdk/sessions")
    assert listed.status_code == 200, listed.text
    assert http.get(f"/api/sdk/sessions/{sid}").status_code == 200
    events = http.get(f"/api/sdk/sessions/{sid}/events")
    assert events.status_code == 200, events.text
    base = sentrial_server.url
    assert httpx.get(base + "/").status_code == 200
    assert httpx.get(f"{base}/sessions/{sid}").status_code == 200


# -- cursors and integers -------------------------------------------------------------------


def _cursor(*parts: int) -> str:
    return base64.urlsafe_b64encode(":".join(map(str, parts)).encode()).decode()


@pytest.mark.parametrize(
    "parts", [(2**63, 1), (1, 2**63), (-(2**63) - 1, 1), (10**40, 10**40), (2**64 + 5, -1)]
)
def test_cursors_with_huge_integers_are_400(http: httpx.Client, parts: tuple[int, int]) -> None:
    sid = http.post("/api/sdk/sessions", json=SESSION).json()["id"]
    for path in ("/api/sdk/sessions", f"/api/sdk/sessions/{sid}/events"):
        r = http.get(path, params={"cursor": _cursor(*parts)})
        assert r.status_code == 400 and r.json()["message"].startswith("cursor"), r.text


def test_big_integers_are_kept_exact(http: httpx.Client, reader: Reader) -> None:
    numbers = {
        "above_2_53": 2**53 + 1,
        "u64_max": 2**64 - 1,
        "past_u64": 2**64,
        "below_i64": -(2**63) - 1,
        "huge": 10**40 + 7,
        "list": [2**70, -(2**70), 3],
    }
    created = http.post(
        "/api/sdk/sessions", json={**SESSION, "id": "sess_big", "metadata": numbers}
    )
    assert created.status_code == 200, created.text
    assert created.json()["metadata"] == numbers
    again = http.post("/api/sdk/sessions", json={**SESSION, "id": "sess_big", "metadata": numbers})
    assert again.status_code == 200  # a replay, not a conflict
    r = http.post(
        "/api/sdk/events",
        json={"sessionId": "sess_big", "eventType": "tool_call", "toolOutput": numbers},
    )
    assert r.status_code == 200, r.text
    r = http.patch(
        "/api/sdk/sessions/sess_big",
        json={"totalTokens": 2**70, "customMetrics": numbers, "estimatedCost": 10**30},
    )
    assert r.status_code == 200, r.text
    stored = reader.session("sess_big")
    assert stored["metadata"] == numbers and stored["customMetrics"] == numbers
    assert stored["totalTokens"] == 2**70 and stored["estimatedCost"] == 10**30
    (event,) = reader.events("sess_big")
    assert event["toolOutput"] == numbers
    assert str(2**64) in http.get("/api/sdk/sessions/sess_big").text
    ops = [
        {"op": "createEvent", "body": {"sessionId": "sess_big", "eventType": "error", "n": 2**90}}
    ]
    results = http.post("/api/sdk/batch", json={"operations": ops}).json()["results"]
    assert results[0]["status"] == 200
    assert reader.events("sess_big")[1]["n"] == 2**90
    assert httpx.get(str(http.base_url) + "/").status_code == 200
    assert httpx.get(f"{http.base_url}/sessions/sess_big").status_code == 200


# -- the viewer: escaping, CSP, Host ------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_the_viewer_escapes_every_value(sentrial_server: LocalServer) -> None:
    """Whatever a store holds (here written past the API's checks), pages escape it."""
    storage = sentrial_server.storage
    session = storage.create_session(
        {"name": SCRIPT, "agentName": SCRIPT, "userId": SCRIPT, "totalTokens": SCRIPT}
    )
    storage.update_session(
        session["id"],
        {
            "totalTokens": SCRIPT,
            "estimatedCost": SCRIPT,
            "durationMs": [SCRIPT],
            "failureReason": SCRIPT,
            "success": False,
        },
    )
    storage.create_event(
        {
            "sessionId": session["id"],
            "eventType": SCRIPT,
            "toolName": {"x": SCRIPT},
            "promptTokens": SCRIPT,
            "completionTokens": 5,
            "tokenCount": SCRIPT,
            "durationMs": SCRIPT,
            "estimatedCost": {"a": SCRIPT},
            "toolError": SCRIPT,
            "reasoning": SCRIPT,
            "toolInput": {SCRIPT: SCRIPT},
        }
    )
    escaped_path = "/sessions/" + quote(SCRIPT, safe="")
    for path in ("/", f"/sessions/{session['id']}", "/?agent=" + quote(SCRIPT), escaped_path):
        page = httpx.get(sentrial_server.url + path)
        assert page.status_code in (200, 404), (path, page.status_code, page.text)
        if page.headers["content-type"].startswith("application/json"):
            # the API's 404 for a path no route matches: JSON, never rendered
            assert page.headers["x-content-type-options"] == "nosniff"
            continue
        # The one script is the viewer's own (the CSP runs it by its hash); no stored one.
        assert page.text.lower().count("<script") == 1, path
        assert SCRIPT not in page.text, path
        assert "&lt;script&gt;" in page.text, path


def test_the_viewer_sends_a_strict_content_security_policy(
    sentrial_server: LocalServer, http: httpx.Client
) -> None:
    sid = http.post("/api/sdk/sessions", json=SESSION).json()["id"]
    for path in ("/", f"/sessions/{sid}", "/sessions/sess_missing"):
        page = httpx.get(sentrial_server.url + path)
        policy = page.headers["content-security-policy"]
        directives = dict(
            ([*d.strip().split(" ", 1), ""])[:2] for d in policy.split(";") if d.strip()
        )
        assert directives["default-src"] == "'none'"
        # Only the page's own script runs: allowed by its hash, nothing inline else.
        (script,) = re.findall(r"<script>(.*?)</script>", page.text, re.S)
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert directives["script-src"] == f"'sha256-{digest}'"
        assert directives["connect-src"] == "'self'"
        assert "unsafe-inline" not in directives.get("style-src", "")
        assert directives["frame-ancestors"] == "'none'"
        assert directives["form-action"] == "'self'"
        assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "127.0.0.1.evil.example:{port}",
        "localhost.evil.example",
        "10.0.0.1:{port}",
        "0.0.0.0:{port}",
        "",
    ],
)
def test_the_viewer_answers_only_loopback_host_names(
    sentrial_server: LocalServer, host: str
) -> None:
    """DNS rebinding: a page on a name the attacker controls must not read the viewer."""
    headers = {"Host": host.format(port=sentrial_server.port)}
    for path in ("/", "/sessions/sess_x"):
        r = httpx.get(sentrial_server.url + path, headers=headers)
        assert r.status_code == 421, (host, path, r.status_code)
        assert "Sentrial sessions" not in r.text


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "127.0.0.1", "[::1]:{port}"],
)
def test_the_viewer_answers_loopback_host_names(sentrial_server: LocalServer, host: str) -> None:
    headers = {"Host": host.format(port=sentrial_server.port)}
    assert httpx.get(sentrial_server.url + "/", headers=headers).status_code == 200


def test_a_server_on_another_address_needs_its_key_not_a_host_name() -> None:
    """Off loopback (no viewer, a key of its own) the API is key-protected and,
    behind a proxy, answers whatever the Host; on loopback every route checks
    the Host (tests/test_hostile_round2_server.py)."""
    storage = Storage(":memory:")
    app = create_app(storage, ["k1"], viewer=False, host="10.1.2.3")
    with ASGIThread(app) as server:
        client = httpx.Client(base_url=server.url, headers={"Authorization": "Bearer k1"})
        r = client.get("/api/sdk/sessions", headers={"Host": "sentrial.internal.example"})
        assert r.status_code == 200
    storage.close()


@pytest.mark.parametrize("key", [" k1", "k1\n", "k\x01"])
def test_serve_refuses_a_key_no_header_can_carry(key: str) -> None:
    assert "--api-key" in _refused("--port", "0", "--db", ":memory:", "--api-key", key)
