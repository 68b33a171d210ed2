"""The read commands' filters and paging at their edges: a date range's
bounds (the CLI's ``--since``/``--until`` and the viewer's from/to days), a
conversation filter with more than one conversation stored, and sessions of
more than one page of events (``show``, ``export``, ``tail``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import httpx

from sentrial import SentrialClient
from sentrial._cli_read import EVENTS_PAGE
from sentrial._server import LocalServer

from .conftest import run_cli

# Started just inside and just outside a range of two days, 2026-03-01 and -02.
STARTS = {
    "day-before": "2026-02-28T23:59:59.999Z",
    "first-instant": "2026-03-01T00:00:00Z",
    "last-day-late": "2026-03-02T23:59:59.999Z",
    "day-after": "2026-03-03T00:00:00Z",
}


def _post_session(server: LocalServer, body: dict[str, Any]) -> str:
    answer = httpx.post(
        server.url + "/api/sdk/sessions",
        json=body,
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=10,
    )
    assert answer.status_code < 300, answer.text
    return str(answer.json()["id"])


def _ids(out: subprocess.CompletedProcess[str]) -> list[str]:
    assert out.returncode == 0, out.stdout + out.stderr
    return [s["id"] for s in json.loads(out.stdout)["data"]]


def test_since_includes_its_instant_and_until_excludes_its_own(
    sentrial_server: LocalServer, env: dict[str, str]
) -> None:
    ids = {
        name: _post_session(
            sentrial_server,
            {"name": name, "agentName": "dated", "userId": "u", "startedAt": started},
        )
        for name, started in STARTS.items()
    }
    listed = _ids(
        run_cli(
            "sessions",
            "--since",
            "2026-03-01",
            "--until",
            "2026-03-03",
            "--json",
            env=env,
        )
    )
    assert listed == [ids["last-day-late"], ids["first-instant"]]  # newest first
    by_time = _ids(
        run_cli(
            "sessions",
            "--since",
            "2026-03-01T00:00:00.001Z",
            "--until",
            "2026-03-02T23:59:59.999Z",
            "--json",
            env=env,
        )
    )
    assert by_time == []  # both bounds are exact instants


def _viewer_names(server: LocalServer, query: str) -> list[str]:
    page = httpx.get(f"{server.url}/?{query}", timeout=10)
    assert page.status_code == 200, page.text
    return re.findall(r"<tr class='session'><td><a href='[^']*'>([^<]*)</a>", page.text)


def test_the_viewers_date_range_includes_its_last_day(sentrial_server: LocalServer) -> None:
    for name, started in STARTS.items():
        _post_session(
            sentrial_server,
            {"name": name, "agentName": "dated", "userId": "u", "startedAt": started},
        )
    assert _viewer_names(sentrial_server, "from=2026-03-01&to=2026-03-02") == [
        "last-day-late",
        "first-instant",
    ]
    assert _viewer_names(sentrial_server, "from=2026-03-02&to=2026-03-02") == ["last-day-late"]
    assert _viewer_names(sentrial_server, "to=2026-02-28") == ["day-before"]


def test_the_convo_filter_picks_one_conversation(
    sentrial_server: LocalServer, env: dict[str, str]
) -> None:
    mine = [
        _post_session(
            sentrial_server,
            {"name": f"m{i}", "agentName": "a", "userId": "u", "convoId": "convo-mine"},
        )
        for i in range(2)
    ]
    other = _post_session(
        sentrial_server, {"name": "o", "agentName": "a", "userId": "u", "convoId": "convo-other"}
    )
    _post_session(sentrial_server, {"name": "none", "agentName": "a", "userId": "u"})
    assert _ids(run_cli("sessions", "--convo", "convo-mine", "--json", env=env)) == mine[::-1]
    assert _ids(run_cli("sessions", "--convo", "convo-other", "--json", env=env)) == [other]
    assert _ids(run_cli("sessions", "--convo", "convo-nobody", "--json", env=env)) == []


MANY = EVENTS_PAGE + 50  # more than one page of events


def _client(env: dict[str, str]) -> SentrialClient:
    return SentrialClient(
        api_key=env["SENTRIAL_API_KEY"],
        api_url=env["SENTRIAL_API_URL"],
        spool_dir=env["SENTRIAL_SPOOL_DIR"],
    )


def _track_many(client: SentrialClient, sid: str) -> None:
    for n in range(MANY):
        client.track_tool_call(sid, "step", {"n": n}, {})


def test_show_and_export_read_every_page_of_events(env: dict[str, str]) -> None:
    client = _client(env)
    sid = client.create_session("long", "pager", "u")
    _track_many(client, sid)
    client.complete_session(sid)
    assert client.flush(60)
    client.close()
    shown = run_cli("show", sid, "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    events = json.loads(shown.stdout)["events"]
    assert [e["toolInput"]["n"] for e in events] == list(range(MANY))
    table = run_cli("show", sid, env=env)
    assert table.returncode == 0, table.stderr
    assert sum("tool_call" in line for line in table.stdout.splitlines()) == MANY
    exported = run_cli("export", "--agent", "pager", env=env)
    assert exported.returncode == 0, exported.stderr
    (line,) = exported.stdout.splitlines()
    assert [e["toolInput"]["n"] for e in json.loads(line)["events"]] == list(range(MANY))
    assert f"exported 1 sessions with {MANY:,} events" in exported.stderr


def test_tail_prints_every_event_past_a_page(env: dict[str, str]) -> None:
    client = _client(env)
    sid = client.create_session("followed", "tailed", "u")
    assert client.flush(10)
    tail = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sentrial",
            "tail",
            "-n",
            "1",
            "--json",
            "--interval",
            "0.2",
            "--timeout",
            "300",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    assert tail.stdout is not None
    try:
        first = json.loads(tail.stdout.readline())  # tail has read its first page
        assert (first["kind"], first["id"]) == ("session", sid)
        _track_many(client, sid)
        client.complete_session(sid)
        assert client.flush(60)
        lines: list[dict[str, Any]] = []
        while not lines or lines[-1]["kind"] != "status":
            line = tail.stdout.readline()
            assert line, tail.stderr.read() if tail.stderr else "tail ended"
            lines.append(json.loads(line))
    finally:
        tail.kill()
        tail.communicate()
        client.close()
    events = [x for x in lines if x["kind"] == "event"]
    assert [e["toolInput"]["n"] for e in events] == list(range(MANY))
    assert lines[-1]["id"] == sid and lines[-1]["status"] == "completed"
