"""Issue #27, the SDK's items: nothing acknowledged lost, nothing leaked.

Each test reproduces one defect of the second hostile audit against real HTTP
(our server on 127.0.0.1, or a stand-in answering as the audit's hostile or
unlucky server did) and fails on the code before its fix.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from sentrial import SentrialClient
from sentrial._delivery._background import BackgroundDelivery
from sentrial._delivery._dead_letter import DeadLetter
from sentrial._operation import Operation
from sentrial._server import LocalServer
from sentrial.redact import PiiConfig

from ._faults import serve_app
from .conftest import Reader, run_cli
from .test_delivery_mutants import _NoJitter
from .test_server_hostile import _free_port

MakeClient = Callable[..., SentrialClient]

# -- 1. redact=True works on values, never on encoded bytes -------------------------


def test_redact_true_leaves_numbers_alone_and_the_batch_valid(
    make_client: MakeClient, reader: Reader
) -> None:
    # A Unix time read as a phone number, a third's digits as a card number:
    # the body was no longer JSON, the server refused the batch, and every
    # operation was dead-lettered.
    client = make_client(redact=True)
    numbers = {"at": 1733616000, "third": 1 / 3, "big": 41111111111111111, "neg": -4155550134}
    sids = []
    for n in range(5):
        sid = client.create_session(f"s{n}", "agent", "u", metadata=numbers)
        client.track_tool_call(sid, "t", {**numbers, "who": "call 415-555-0134"}, numbers)
        client.complete_session(sid, custom_metrics={"at": 1733616000.0})
        sids.append(sid)
    assert client.flush(10) is True
    stats = client.stats()
    assert stats["dead_lettered"] == {} and stats["dropped"] == {} and stats["sent"] == 15
    for sid in sids:
        session = reader.session(sid)
        assert session["metadata"] == numbers
        assert session["customMetrics"] == {"at": 1733616000.0}
        (event,) = reader.events(sid)
        assert event["toolInput"] == {**numbers, "who": "call [REDACTED:phone]"}
        assert event["toolOutput"] == numbers


# -- 7. secrets and keys redacted, in every field of every operation -----------------

EMAIL = "Jane.DOE@Example.COM"
SECRETS = {
    "email": EMAIL,
    "openai": "sk-proj-Ab3dEfGh1jKlMn0pQrStUvWx",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlF",
    "bearer": "Bearer 0123456789abcdefXYZ",
    "phone": "+1 415-555-0134",
}
ALL = " ".join(SECRETS.values())
# What must never be stored: each secret (the bearer token without its word).
NEEDLES = [*(v for k, v in SECRETS.items() if k != "bearer"), "0123456789abcdefXYZ"]


def _track_everything(client: SentrialClient) -> str:
    """Every field the SDK sends, each holding every secret, in values and keys."""
    sid = client.create_session(
        ALL, ALL, ALL, convo_id=ALL, metadata={ALL: ALL, "nested": [{EMAIL: [ALL]}]}
    )
    client.current_state = {ALL: ALL}  # stateBefore/stateAfter
    client.track_tool_call(
        sid,
        ALL,
        {EMAIL: ALL, "args": [ALL, {"k": ALL}]},
        {"out": ALL, SECRETS["openai"]: 1},
        reasoning=ALL,
        tool_error={"message": ALL, ALL: ALL},
        trace_id=ALL,
        span_id=ALL,
        metadata={ALL: ALL},
    )
    client.track_decision(sid, ALL, alternatives=[ALL, ALL], metadata={EMAIL: 1})
    client.track_llm_call(
        sid,
        ALL,
        provider=ALL,
        input=[[{"role": "user", "content": ALL}], {"role": "system", "content": [ALL]}],
        output={"choices": [{"message": {"content": ALL}}]},
        error=RuntimeError(ALL),
        metadata={ALL: [ALL]},
    )
    client.track_error(sid, ALL, error_type=ALL, tool_name=ALL, stack_trace=ALL)
    client.complete_session(
        sid,
        success=False,
        failure_reason=ALL,
        custom_metrics={EMAIL: 1.0, ALL: 2.0},
        user_input=ALL,
        assistant_output=ALL,
    )
    return sid


# Every field of every operation the SDK sends, as the server stores it
# (session ids are the SDK's references and are not user text).
SESSION_FIELDS = [
    "name",
    "agentName",
    "userId",
    "convoId",
    "metadata",
    "failureReason",
    "customMetrics",
    "userInput",
    "assistantOutput",
]
EVENT_FIELDS = {
    "tool_call": [
        "toolName",
        "toolInput",
        "toolOutput",
        "toolError",
        "reasoning",
        "traceId",
        "spanId",
        "metadata",
        "stateBefore",
        "stateAfter",
    ],
    "llm_decision": ["reasoning", "alternativesConsidered", "metadata"],
    "llm_call": ["model", "provider", "input", "output", "toolError", "metadata"],
    "error": ["toolName", "toolError"],
}

MODES: dict[str, dict[str, Any]] = {
    "pii=True": {"pii": True},
    "label": {"pii": PiiConfig(enabled=True)},
    "hash": {"pii": PiiConfig(enabled=True, mode="hash")},
    "remove": {"pii": PiiConfig(enabled=True, mode="remove")},
    "redact=True": {"redact": True},
}


@pytest.mark.parametrize("mode", list(MODES))
def test_no_secret_is_stored_in_any_field_value_or_key(
    make_client: MakeClient, reader: Reader, mode: str
) -> None:
    client = make_client(**MODES[mode])
    sid = _track_everything(client)
    assert client.flush(10) is True
    assert client.stats()["dropped"] == {} and client.stats()["dead_lettered"] == {}
    session = reader.session(sid)
    events = {e["eventType"]: e for e in reader.events(sid)}
    stored = [("session", f, session.get(f)) for f in SESSION_FIELDS]
    stored += [(kind, f, events[kind].get(f)) for kind, fs in EVENT_FIELDS.items() for f in fs]
    for where, name, value in stored:
        assert value not in (None, "", {}, []), (where, name)  # the field was sent
        text = orjson.dumps(value).decode()
        for needle in NEEDLES:
            assert needle.lower() not in text.lower(), (mode, where, name, needle)


LABELS = {
    "label": "[EMAIL] [API_KEY] [API_KEY] [API_KEY] [API_KEY] [PHONE]",
    "remove": "     ",
    "redact=True": (
        "[REDACTED:email] [REDACTED:key] [REDACTED:key] [REDACTED:key] [REDACTED:key]"
        " [REDACTED:phone]"
    ),
}


@pytest.mark.parametrize("mode", ["label", "remove", "redact=True", "hash"])
def test_each_mode_gives_its_exact_output(
    make_client: MakeClient, reader: Reader, mode: str
) -> None:
    client = make_client(**MODES[mode])
    sid = client.create_session("n", "a", "u", metadata={EMAIL: "x", "b@c.io": "y"})
    client.complete_session(sid, user_input=ALL, custom_metrics={EMAIL.upper(): 1.0})
    assert client.flush(10)
    session = reader.session(sid)
    if mode != "hash":
        assert session["userInput"] == LABELS[mode]
        return
    tokens = re.findall(r"\[PII:[0-9a-f]{6}\]", session["userInput"])
    assert session["userInput"] == " ".join(tokens) and len(tokens) == 6
    assert len(set(tokens)) == 6  # different values, different tokens
    # the same value, the same token; two keys stay two keys
    metadata_keys = list(session["metadata"])
    assert len(set(metadata_keys)) == 2 and all(k.startswith("[PII:") for k in metadata_keys)
    (metric_key,) = session["customMetrics"]
    assert metric_key.startswith("[PII:") and EMAIL.upper() not in metric_key


def test_two_keys_redacted_alike_stay_two_entries(make_client: MakeClient, reader: Reader) -> None:
    client = make_client(pii=PiiConfig(enabled=True))
    sid = client.create_session("n", "a", "u", metadata={"a@b.io": 1, "c@d.io": 2})
    assert client.flush(10)
    assert reader.session(sid)["metadata"] == {"[EMAIL]": 1, "[EMAIL]#2": 2}


def test_redaction_sees_inside_objects_orjson_converts(
    make_client: MakeClient, reader: Reader
) -> None:
    @dataclasses.dataclass
    class Message:
        content: str

    client = make_client(pii=True)
    sid = client.create_session("n", "a", "u")
    client.track_tool_call(sid, "t", {"m": Message(f"mail {EMAIL}")}, {"n": 1733616000})
    assert client.flush(10)
    (event,) = reader.events(sid)
    assert event["toolInput"] == {"m": {"content": "mail [EMAIL]"}}
    assert event["toolOutput"] == {"n": 1733616000}


# -- 10. nothing readable by other local users ------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, whatever the test runner's: files would be 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]
    }


@pytest.mark.usefixtures("umask_022")
def test_spool_dead_letters_server_ids_and_database_are_private(tmp_path: Path) -> None:
    from sentrial._delivery._server_ids import ServerIds

    spool = tmp_path / "spool"
    dead_port = f"http://127.0.0.1:{_free_port()}"
    client = SentrialClient(dead_port, "sk-test-key", spool_dir=str(spool), request_timeout=0.5)
    sid = client.create_session("n", "a", "u")
    client.track_tool_call(sid, "t", {"secret": "tool input"}, {})
    assert client.shutdown(0.3) is False  # the API is away: kept on disk
    (directory,) = spool.iterdir()
    DeadLetter(directory, 10**6).add([Operation("create_session", "s", {})], "rejected_400", "x")
    ServerIds(directory).remember("ours", "theirs")
    db = tmp_path / "data" / "sentrial.db"
    db.parent.mkdir()
    with LocalServer(str(db)) as server:
        Reader(server).sessions()
    modes = _modes(spool)
    names = sorted(modes)
    assert any(n.endswith(".spool") for n in names), names
    assert any(n.endswith("dead-letter.jsonl") for n in names), names
    assert any(n.endswith("server-ids.jsonl") for n in names), names
    wanted = {n: 0o700 if (spool / n).is_dir() else 0o600 for n in names}
    wanted["."] = 0o700
    assert modes == wanted
    db_modes = {n: m for n, m in _modes(db.parent).items() if n.startswith("sentrial.db")}
    assert db_modes["sentrial.db"] == 0o600 and set(db_modes.values()) == {0o600}, db_modes


@pytest.mark.usefixtures("umask_022")
def test_files_an_older_version_left_readable_are_made_private(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    directory.mkdir(mode=0o755)
    (directory / "dead-letter.jsonl").write_bytes(b"")
    os.chmod(directory / "dead-letter.jsonl", 0o644)
    DeadLetter(directory, 10**6).add([Operation("create_session", "s", {})], "rejected_400", "x")
    assert _modes(directory) == {".": 0o700, "dead-letter.jsonl": 0o600}


# -- 3. flush-spool --dead-letter keeps what it has not delivered -------------------


def _dead_dir(env: dict[str, str]) -> Path:
    """The spool directory the CLI uses with ``env`` (one per URL and key)."""
    from sentrial._config import resolve
    from sentrial._delivery._spool import spool_directory

    names = {"api_key": "SENTRIAL_API_KEY", "api_url": "SENTRIAL_API_URL"}
    options = {name: env[var] for name, var in names.items()}
    return spool_directory(resolve({**options, "spool_dir": env["SENTRIAL_SPOOL_DIR"]}))


def _session_op(sid: str, agent: str) -> Operation:
    fields = {"name": sid, "agent_name": agent, "user_id": "u", "started_at": time.time_ns()}
    return Operation("create_session", sid, fields)


def _event_op(sid: str, tool: str) -> Operation:
    fields = {
        "id": f"evt_{sid}_{tool}",
        "event_type": "tool_call",
        "tool_name": tool,
        "timestamp": time.time_ns(),
    }
    return Operation("create_event", sid, fields)


def _taken_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("dead-letter.jsonl.*"))


def test_flush_spool_reports_refused_and_unreadable_dead_letters_and_keeps_them(
    sentrial_server: LocalServer, reader: Reader, env: dict[str, str]
) -> None:
    directory = _dead_dir(env)
    dead = DeadLetter(directory, 10**6)
    sid = f"sess_refused_{time.time_ns()}"
    ops = [_session_op(sid, "dl-agent"), _event_op(sid, "a"), _event_op("sess_never_made", "b")]
    assert dead.add(ops, "rejected_400", "refused once") == 3
    assert dead.add_raw(b"\x00 not an operation", "unreadable_spool_line", "bad") == 1
    out = run_cli("flush-spool", "--dead-letter", env=env)
    assert out.returncode != 0, out.stdout + out.stderr
    assert "2/3 delivered" in out.stdout, out.stdout
    assert "not delivered: none" not in out.stdout
    assert "1 rejected_404" in out.stdout and "1 unreadable" in out.stdout, out.stdout
    assert [e["toolName"] for e in reader.events(sid)] == ["a"]
    # What was not delivered is still in the dead-letter file, nothing else is.
    left = sorted(str(e.get("reason")) for e in DeadLetter(directory, 10**6).entries())
    assert left == ["rejected_404", "unreadable_spool_line"]
    assert _taken_files(directory) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_flush_spool_stopped_while_the_api_is_away_loses_no_dead_letter(
    sentrial_server: LocalServer, reader: Reader, env: dict[str, str], sig: int
) -> None:
    directory = _dead_dir(env)
    agent = f"killed-{int(sig)}-{time.time_ns()}"
    sids = [f"sess_{agent}_{n}" for n in range(100)]
    DeadLetter(directory, 10**7).add([_session_op(s, agent) for s in sids], "http_503", "x")
    # The API is away (a port nobody listens on).
    away = {**env, "SENTRIAL_API_URL": f"http://127.0.0.1:{_free_port()}"}
    command = ["flush-spool", "--dead-letter", "--from-dir", str(directory), "--timeout", "60"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sentrial", *command],
        env={**os.environ, **away},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    while "delivering" not in (line := proc.stdout.readline()):
        assert line, "flush-spool ended before delivering"
    proc.send_signal(sig)
    proc.wait(30)
    proc.stdout.close()
    out = run_cli("flush-spool", "--dead-letter", env=env)
    assert "100/100 delivered, not delivered: none" in out.stdout, out.stdout + out.stderr
    assert sorted(s["id"] for s in reader.sessions(agentName=agent)) == sorted(sids)
    assert _taken_files(directory) == []


def test_dead_letters_written_while_flush_spool_takes_them_are_kept(
    sentrial_server: LocalServer, reader: Reader, env: dict[str, str]
) -> None:
    directory = _dead_dir(env)
    agent = f"writer-{time.time_ns()}"
    stop = threading.Event()
    written: list[str] = []

    def write() -> None:  # a live app dead-lettering, as another process would
        writer = DeadLetter(directory, 10**8)
        n = 0
        while not stop.is_set() or n < 200:
            batch = [f"sess_{agent}_{n + i}" for i in range(10)]
            if writer.add([_session_op(s, agent) for s in batch], "rejected_400", "x") == 10:
                written.extend(batch)
            n += 10
            time.sleep(0.01)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while not (directory / "dead-letter.jsonl").exists():
            time.sleep(0.001)
        for _ in range(3):
            run_cli("flush-spool", "--dead-letter", env=env)
    finally:
        stop.set()
        thread.join()
    out = run_cli("flush-spool", "--dead-letter", env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    stored = {s["id"] for s in reader.sessions(agentName=agent)}
    assert len(written) == len(set(written)) and stored == set(written)


# -- 6, 17, 19: what stands between the SDK and the API ---------------------------


class Upstream:
    """A stand-in in front of our server: forwards, except what ``rule``
    answers itself (a trickling answer, a redirect)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.rule: Callable[[Any], Any] | None = None
        self.tamper: Callable[[str, bytes], bytes] | None = None  # rewrites an answer
        self.seen: list[str] = []

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        client = httpx.AsyncClient(base_url=self.upstream, timeout=30)

        async def handle(request: Request) -> Response:
            self.seen.append(f"{request.method} {request.url.path}")
            answer = self.rule(request) if self.rule else None
            if answer is not None:
                return answer  # type: ignore[no-any-return]
            raw = await request.body()
            headers = {k: v for k, v in request.headers.items() if k == "authorization"}
            headers["content-type"] = "application/json"
            path = request.url.path.removeprefix("/new")
            response = await client.request(request.method, path, content=raw, headers=headers)
            content = response.content
            if self.tamper is not None:
                content = self.tamper(path, content)
            return Response(content, response.status_code, media_type="application/json")

        methods = ["GET", "POST", "PATCH"]
        return Starlette(routes=[Route("/{path:path}", handle, methods=methods)])


@pytest.fixture
def upstream(sentrial_server: LocalServer) -> Iterator[tuple[Upstream, str]]:
    stand_in = Upstream(sentrial_server.url)
    with serve_app(stand_in.app()) as url:
        yield stand_in, url


def _tracked(client: SentrialClient, n: int) -> list[str]:
    sids = []
    for i in range(n):
        sid = client.create_session(f"s{i}", "agent", "u")
        client.track_tool_call(sid, "t", {"i": i}, {})
        client.complete_session(sid)
        sids.append(sid)
    return sids


def test_an_answer_trickling_a_byte_at_a_time_is_cut_at_the_request_deadline(
    upstream: tuple[Upstream, str], sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    from starlette.responses import StreamingResponse

    stand_in, url = upstream
    trickled: list[int] = []

    async def trickle() -> AsyncIterator[bytes]:
        for _ in range(3600):  # an hour, one byte every half second
            yield b" "
            await asyncio.sleep(0.5)

    def rule(request: Any) -> Any:
        if request.url.path == "/api/sdk/batch" and not trickled:
            trickled.append(1)
            return StreamingResponse(trickle(), 200, media_type="application/json")
        return None

    stand_in.rule = rule
    client = SentrialClient(
        url, sentrial_server.api_key, spool_dir=str(tmp_path), request_timeout=1
    )
    sids = _tracked(client, 20)
    # The trickled batch is given up at its deadline and sent again.
    assert client.flush(60) is True
    assert client.stats()["retried"] >= 1 and trickled == [1]
    assert all(reader.session(sid)["status"] == "completed" for sid in sids)
    client.shutdown(2)


@pytest.mark.parametrize("variables", [("HTTP_PROXY",), ("ALL_PROXY",), ("http_proxy",)])
def test_a_dead_proxy_in_the_environment_does_not_cut_off_a_loopback_server(
    make_client: MakeClient,
    reader: Reader,
    monkeypatch: pytest.MonkeyPatch,
    variables: tuple[str, ...],
) -> None:
    for variable in variables:
        monkeypatch.setenv(variable, f"http://127.0.0.1:{_free_port()}")
    client = make_client(request_timeout=2)
    (sid,) = _tracked(client, 1)
    assert client.flush(20) is True
    assert reader.session(sid)["status"] == "completed"


def test_doctor_names_the_proxy_it_goes_through(env: dict[str, str]) -> None:
    proxy = f"http://127.0.0.1:{_free_port()}"
    remote = {**env, "SENTRIAL_API_URL": "http://api.sentrial.invalid", "HTTP_PROXY": proxy}
    out = run_cli("doctor", env=remote)
    assert out.returncode != 0
    assert f"through the proxy {proxy} (HTTP_PROXY)" in out.stdout, out.stdout
    # A loopback server is reached directly, the proxy variable notwithstanding.
    local = run_cli("doctor", env={**env, "HTTP_PROXY": proxy, "ALL_PROXY": proxy})
    assert local.returncode == 0, local.stdout + local.stderr
    assert "through the proxy" not in local.stdout


@pytest.mark.parametrize("status", [307, 308])
def test_a_307_or_308_to_the_same_host_is_followed(
    upstream: tuple[Upstream, str], reader: Reader, tmp_path: Path, status: int
) -> None:
    from starlette.responses import Response

    stand_in, url = upstream

    def rule(request: Any) -> Any:
        if not request.url.path.startswith("/new"):
            return Response(b"", status, {"location": f"/new{request.url.path}"})
        return None

    stand_in.rule = rule
    client = SentrialClient(url, _key(reader), spool_dir=str(tmp_path))
    sids = _tracked(client, 3)
    assert client.flush(20) is True
    assert client.stats()["dead_lettered"] == {}
    assert all(reader.session(sid)["status"] == "completed" for sid in sids)
    assert "POST /new/api/sdk/batch" in stand_in.seen
    client.shutdown(2)


@pytest.mark.parametrize(
    ("status", "where"),
    [(301, "same"), (307, "host"), (308, "scheme"), (302, "host")],
)
def test_a_redirect_not_followed_is_reported_once_and_the_operations_kept(
    upstream: tuple[Upstream, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    status: int,
    where: str,
) -> None:
    from starlette.responses import Response

    stand_in, url = upstream
    port = url.rsplit(":", 1)[1]
    target = {
        "same": f"{url}/new",
        "host": f"http://localhost:{port}/new",
        "scheme": f"https://127.0.0.1:{port}/new",
    }[where]

    def rule(request: Any) -> Any:
        return Response(b"", status, {"location": f"{target}{request.url.path}"})

    stand_in.rule = rule
    client = SentrialClient(url, "sentrial_test_key_123456", spool_dir=str(tmp_path))
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        _tracked(client, 3)
        assert client.flush(3) is False
        stats = client.stats()
        assert client.shutdown(1) is False
    assert stats["dead_lettered"] == {} and stats["dropped"] == {}
    assert client.stats()["spooled"] == 9  # kept on disk for the next process
    reports = [r.getMessage() for r in caplog.records if "redirects to" in r.getMessage()]
    assert len(reports) == 1 and f"HTTP {status}" in reports[0] and target in reports[0]


def _key(reader: Reader) -> str:
    return str(reader.http.headers["authorization"]).removeprefix("Bearer ")


# -- 14. a wall-clock step after import is followed -----------------------------------


class _SteppedClock:
    """The time module as ``sentrial._ids`` sees it after the wall clock was
    stepped an hour forward (an NTP sync after boot) and a second passed."""

    HOUR = 3600 * 10**9

    def time_ns(self) -> int:
        return time.time_ns() + self.HOUR

    def monotonic_ns(self) -> int:
        return time.monotonic_ns() + 2 * 10**9


def test_sessions_are_stamped_by_the_wall_clock_after_it_steps(
    make_client: MakeClient, reader: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    from sentrial import _ids

    client = make_client()
    before = client.create_session("before", "agent", "u")
    monkeypatch.setattr(_ids, "time", _SteppedClock())
    after = client.create_session("after", "agent", "u")
    monkeypatch.undo()
    assert client.flush(10)

    def started(sid: str) -> float:
        text = reader.session(sid)["startedAt"].replace("Z", "+00:00")
        return dt.datetime.fromisoformat(text).timestamp()

    step = started(after) - started(before)
    assert 3600 - 60 < step < 3600 + 60, step


# -- 12. session totals: least recently used evicted, and never silently --------------


@pytest.mark.parametrize("delivery", ["background", "sync"])
def test_totals_of_the_least_recently_active_sessions_are_evicted_and_counted(
    make_client: MakeClient,
    reader: Reader,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    delivery: str,
) -> None:
    from sentrial._delivery import _rollup

    monkeypatch.setattr(_rollup, "MAX_OPEN_SESSIONS", 100)  # 100,000 in production
    client = make_client(delivery=delivery)
    sids = [client.create_session(f"s{i}", "agent", "u") for i in range(150)]
    for sid in sids:
        client.track_llm_call(sid, "m", prompt_tokens=1, completion_tokens=1)
        if sid != sids[0]:
            client.track_llm_call(sids[0], "m", prompt_tokens=1, completion_tokens=1)
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        for sid in sids:
            client.complete_session(sid)
        assert client.flush(30) is False  # totals were lost: flush says so
    assert client.stats()["lost_totals"] == 50
    warned = [r for r in caplog.records if "sessions open at once" in r.getMessage()]
    assert len(warned) == 1
    totals = {sid: reader.session(sid).get("totalTokens") for sid in sids}
    # The first session was active all along: kept. The next 50 idled longest.
    assert totals[sids[0]] == 300
    assert [sid for sid in sids if not totals[sid]] == sids[1:51]
    assert all(totals[sid] == 2 for sid in sids[51:])


# -- 13. an answer is checked against what was asked --------------------------------


def test_a_create_answered_with_another_creates_id_is_not_taken(
    upstream: tuple[Upstream, str], reader: Reader, tmp_path: Path
) -> None:
    stand_in, url = upstream
    tampered: list[int] = []

    def tamper(path: str, content: bytes) -> bytes:
        # A misbehaving cache: every create's answer carries the first one's id.
        if path != "/api/sdk/batch" or tampered:
            return content
        tampered.append(1)
        body = orjson.loads(content)
        ids = [r["id"] for r in body["results"] if r.get("id")]
        for row in body["results"]:
            if row.get("id"):
                row["id"] = ids[0]
        return orjson.dumps(body)

    stand_in.tamper = tamper
    client = SentrialClient(url, _key(reader), spool_dir=str(tmp_path))
    sids = [client.create_session(f"s{i}", "agent", "u") for i in range(10)]
    client.flush(20)  # the creates' batch: its answer tampered
    for i, sid in enumerate(sids):
        for tool in ("a", "b", "c"):
            client.track_tool_call(sid, tool, {"i": i}, {})
        client.complete_session(sid)
    assert client.flush(20) is True
    assert tampered == [1] and client.stats()["dead_lettered"] == {}
    for sid in sids:
        assert reader.session(sid)["status"] == "completed"
        assert [e["toolName"] for e in reader.events(sid)] == ["a", "b", "c"]
    client.shutdown(2)


def test_a_plain_server_giving_two_sessions_one_id_is_not_believed(tmp_path: Path) -> None:
    from sentrial._delivery._server_ids import ServerIds

    ids = ServerIds(tmp_path)
    assert ids.learn("ours-1", "theirs-1", client_ids=False) is True
    assert ids.learn("ours-2", "theirs-1", client_ids=False) is False  # another's id
    assert ids.learn("ours-2", "ours-1", client_ids=False) is False  # one of ours, remapped
    assert ids.learn("ours-2", "theirs-2", client_ids=False) is True
    assert ids.learn("ours-3", "other", client_ids=True) is False  # it was asked for ours-3
    assert ids.learn("ours-3", "ours-3", client_ids=True) is True
    assert [ids.get(o) for o in ("ours-1", "ours-2", "ours-3")] == [
        "theirs-1",
        "theirs-2",
        "ours-3",
    ]


# -- 2. what an outage refused is never dead-lettered ------------------------------


def _wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not condition() and time.monotonic() < end:
        time.sleep(0.01)


@pytest.mark.parametrize("how", ["request", "items"])
def test_a_server_answering_500_to_every_write_while_healthy_dead_letters_nothing(
    upstream: tuple[Upstream, str], reader: Reader, tmp_path: Path, how: str
) -> None:
    # /api/sdk/health says 200 (forwarded to our server), every write fails:
    # a full disk. Each 500 once became poison_500 after 5 attempts.
    from starlette.responses import Response

    stand_in, url = upstream

    def rule(request: Any) -> Any:
        if request.method == "GET" or how == "items":
            return None  # forwarded (the items' answers are rewritten below)
        return Response(b'{"message":"disk full"}', 500, {"retry-after": "0"})

    stand_in.rule = rule

    def all_items_500(path: str, content: bytes) -> bytes:
        if path != "/api/sdk/batch" or how != "items":
            return content
        rows = orjson.loads(content)["results"]
        failed = [{"index": r["index"], "status": 500, "message": "disk full"} for r in rows]
        return orjson.dumps({"results": failed})

    stand_in.tamper = all_items_500
    client = SentrialClient(url, _key(reader), spool_dir=str(tmp_path))
    engine = client._tracker.delivery
    assert isinstance(engine, BackgroundDelivery)
    engine._setup()
    engine._random = _NoJitter()  # every backoff 0 s: many attempts, fast

    def writes() -> int:
        return sum(s.startswith("POST") for s in stand_in.seen)

    _tracked(client, 3)
    _wait_for(lambda: writes() >= 40)
    assert writes() >= 40  # far past 5 attempts of each operation, alone
    assert client.shutdown(0.5) is False
    stats = client.stats()
    assert stats["dead_lettered"] == {} and stats["dropped"] == {}
    assert stats["spooled"] == 9  # all kept for later
    assert not list(tmp_path.rglob("dead-letter.jsonl"))


def test_read_commands_reach_a_loopback_server_past_a_dead_proxy(
    env: dict[str, str], reader: Reader
) -> None:
    proxy = f"http://127.0.0.1:{_free_port()}"
    out = run_cli("sessions", "--json", env={**env, "HTTP_PROXY": proxy, "ALL_PROXY": proxy})
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_batch_answer_repeating_an_index_is_not_believed(
    upstream: tuple[Upstream, str], reader: Reader
) -> None:
    # Two results for the first operation, none for the second: the counts
    # match, the indexes do not; each result would be filed one place off.
    from starlette.responses import Response

    from sentrial._config import resolve
    from sentrial._delivery._policy import RetryableError
    from sentrial._delivery._transport import Transport

    stand_in, url = upstream
    twice = b'{"results":[{"index":0,"status":200},{"index":0,"status":200}]}'
    stand_in.rule = lambda request: Response(twice, 200, media_type="application/json")
    transport = Transport(resolve({"api_url": url, "api_key": _key(reader)}))
    ops = [_session_op("sess_a", "agent"), _session_op("sess_b", "agent")]
    with pytest.raises(RetryableError, match="malformed batch response"):
        transport.send_batch(ops, ["sess_a", "sess_b"])
    transport.close()


def test_server_ids_forget_the_least_recently_used_session_first(tmp_path: Path) -> None:
    # Same class as the totals: a long-lived session's id was forgotten first.
    from sentrial._delivery._server_ids import ServerIds

    ids = ServerIds(tmp_path, limit=3)
    for n in range(3):
        assert ids.learn(f"ours-{n}", f"theirs-{n}", client_ids=False)
    assert ids.get("ours-0") == "theirs-0"  # in use
    assert ids.learn("ours-3", "theirs-3", client_ids=False)
    assert [ids._map.get(f"ours-{n}") for n in range(4)] == [
        "theirs-0",
        None,
        "theirs-2",
        "theirs-3",
    ]


def test_which_proxy_is_in_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    from sentrial._delivery._http import proxy_in_effect

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        for variable in (name, name.lower()):
            monkeypatch.delenv(variable, raising=False)
    assert proxy_in_effect("https://api.sentrial.com") is None
    monkeypatch.setenv("ALL_PROXY", "proxy.corp:3128")  # no scheme: http, as httpx reads it
    assert proxy_in_effect("https://api.sentrial.com") == ("ALL_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("https_proxy", "http://p:1")
    assert proxy_in_effect("https://api.sentrial.com") == ("https_proxy", "http://p:1")
    for loopback in ("http://127.0.0.2:1", "http://[::1]:1", "http://localhost:1"):
        assert proxy_in_effect(loopback) is None, loopback
    monkeypatch.setenv("NO_PROXY", "example.org, .sentrial.com")
    assert proxy_in_effect("https://api.sentrial.com") is None
    assert proxy_in_effect("https://sentrial.com.evil.io") == ("https_proxy", "http://p:1")
