"""Issue #27, the command line's side: stored text that drives the terminal, and
``tail`` missing what changed (each test failed on the code before its fix)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sentrial._cli_text import safe
from sentrial._server import ASGIThread, LocalServer

from .conftest import run_cli

# ESC sequences (retitle, clear), OSC 52 (write the clipboard), BEL, an 8-bit CSI,
# a carriage return that rewrites the line, and a right-to-left override.
HOSTILE = "A\x1b]0;pwned\x07B\x1b[2J\x1b]52;c;ZWNobyBoaQ==\x1b\\C\x9b31mD\rE\u202eF"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _http(server: LocalServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.api_key}"})


def _assert_inert(output: str, where: str) -> None:
    found = CONTROL.findall(output)
    assert not found, (where, found, output[:500])
    assert "\\x1b" in output, (where, output[:500])  # shown, escaped


def test_the_escaper_shows_control_characters_and_keeps_text() -> None:
    assert safe("plain Über 東京 ✓") == "plain Über 東京 ✓"
    assert safe("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert safe("a\nb\tc") == "a\\nb\\tc"
    assert safe("a\nb\tc\rd", lines=True) == "a\nb\tc\\rd"
    assert safe("\x9b\u202e\x7f") == "\\x9b\\u202e\\x7f"
    assert safe(None) == "None" and safe(12) == "12"


def test_human_output_escapes_stored_control_characters(
    sentrial_server: LocalServer, env: dict[str, str]
) -> None:
    http = _http(sentrial_server)
    sid = http.post(
        "/api/sdk/sessions", json={"name": HOSTILE, "agentName": HOSTILE, "userId": HOSTILE}
    ).json()["id"]
    http.post(
        "/api/sdk/events",
        json={
            "sessionId": sid,
            "eventType": "tool_call",
            "toolName": HOSTILE,
            "toolInput": {"q": HOSTILE},
            "toolOutput": {HOSTILE: HOSTILE},
            "toolError": {"type": HOSTILE, "message": HOSTILE},
        },
    )
    http.post(
        "/api/sdk/events",
        json={"sessionId": sid, "eventType": "llm_decision", "reasoning": HOSTILE},
    )
    http.patch(
        f"/api/sdk/sessions/{sid}",
        json={
            "success": False,
            "failureReason": HOSTILE,
            "userInput": HOSTILE,
            "assistantOutput": HOSTILE,
        },
    )
    for args in (
        ("sessions",),
        ("show", sid),
        ("show", sid, "--full"),
        ("tail", "--timeout", "0.2", "--interval", "0.1"),
    ):
        out = run_cli(*args, env=env)
        assert out.returncode == 0, (args, out.stderr)
        _assert_inert(out.stdout + out.stderr, " ".join(args[:2]))
    # The JSON output stays exactly what the API answered.
    shown = json.loads(run_cli("show", sid, "--json", env=env).stdout)
    assert shown["session"]["name"] == HOSTILE


def test_experiment_info_escapes_stored_control_characters(
    sentrial_server: LocalServer, env: dict[str, str]
) -> None:
    created = _http(sentrial_server).post(
        "/api/experiments",
        json={
            "name": HOSTILE,
            "variants": [{"name": HOSTILE, "systemPrompt": HOSTILE}],
            "testCases": [{"sessionId": "sess_case", "userInput": "hi"}],
        },
    )
    assert created.status_code == 200, created.text
    exp_id = created.json()["experiment"]["id"]
    out = run_cli("experiment", "info", exp_id, env=env)
    assert out.returncode == 0, out.stderr
    _assert_inert(out.stdout + out.stderr, "experiment info")


def test_an_api_error_message_is_escaped(tmp_path: Any) -> None:
    """A server's error message (which may quote stored text) reaches the terminal
    escaped too: here a stand-in server whose every answer is a 404 carrying ESC,
    OSC 52 and BEL in its message."""

    async def hostile(request: Request) -> Response:
        return JSONResponse({"error": "Not Found", "message": HOSTILE}, status_code=404)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "unavailable", "storage": HOSTILE, "version": HOSTILE})

    app = Starlette(
        routes=[
            Route("/api/sdk/health", health),
            Route("/{path:path}", hostile, methods=["GET", "POST"]),
        ]
    )
    with ASGIThread(app) as server:
        env = {
            "SENTRIAL_API_URL": server.url,
            "SENTRIAL_API_KEY": "k",
            "SENTRIAL_SPOOL_DIR": str(tmp_path),
        }
        out = run_cli("show", "sess_x", env=env)
        doctor = run_cli("doctor", env=env)
    assert out.returncode == 2, out.stderr
    _assert_inert(out.stdout + out.stderr, "an error")
    _assert_inert(doctor.stdout + doctor.stderr, "doctor")


# -- 11. tail sees every new or changed session ---------------------------------------------


def _create(http: httpx.Client, name: str, **extra: Any) -> str:
    answer = http.post(
        "/api/sdk/sessions", json={"name": name, "agentName": "a", "userId": "u", **extra}
    )
    assert answer.status_code == 200, answer.text
    sid: str = answer.json()["id"]
    return sid


def test_tail_sees_a_burst_a_late_session_and_an_old_sessions_completion(
    sentrial_server: LocalServer, env: dict[str, str]
) -> None:
    http = _http(sentrial_server)
    oldest = _create(http, "oldest")
    for i in range(120):  # the oldest is far past the 100 newest
        _create(http, f"before {i}")
    follower = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sentrial",
            "tail",
            "--json",
            "-n",
            "1",
            "--interval",
            "0.2",
            "--timeout",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    try:
        assert follower.stdout is not None
        first = json.loads(follower.stdout.readline())
        assert first["name"] == "before 119"
        operations = [
            {"op": "createSession", "body": {"name": f"burst {i}", "agentName": "a", "userId": "u"}}
            for i in range(250)
        ]
        assert http.post("/api/sdk/batch", json={"operations": operations}).status_code == 200
        two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
        late = _create(http, "late", startedAt=two_hours_ago)
        http.patch(f"/api/sdk/sessions/{oldest}", json={"success": True})
        last = _create(http, "last")  # created after all the rest
        seen: list[dict[str, Any]] = []
        while not any(x.get("id") == last for x in seen):
            line = follower.stdout.readline()
            assert line, "tail ended before it saw every change"
            seen.append(json.loads(line))
    finally:
        follower.kill()
        follower.wait()
    names = {x["name"] for x in seen if x["kind"] == "session"}
    assert {f"burst {i}" for i in range(250)} <= names, 250 - len(
        names & {f"burst {i}" for i in range(250)}
    )
    assert "late" in names and any(x["id"] == late for x in seen)
    assert [x["status"] for x in seen if x["kind"] == "status" and x["id"] == oldest] == [
        "completed"
    ]
