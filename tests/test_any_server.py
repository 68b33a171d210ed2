"""Delivery against Sentrial servers that are not ours (see ``_standins``).

Each stand-in answers differently from ``sentrial serve``; for each, in the
background and in ``delivery="sync"``, every operation must be stored exactly
once under the right session, ``flush()`` must tell the truth, and stderr
must hold nothing but one-line warnings.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sentrial import SentrialClient, _capabilities
from sentrial._server import LocalServer, _spec

from ._faults import FaultProxy, serve_app
from ._standins import Behaviour, StandIn
from .conftest import Reader

EVERYTHING = {"status": "ok", "capabilities": sorted(_capabilities.ALL)}

BEHAVIOURS = {
    "documented_own_ids": Behaviour(),
    "lenient_documented": Behaviour(strict=False),
    "id_only": Behaviour(answer="id_only"),
    "created_201": Behaviour(create_status=201, event_status=201),
    "accepted_202": Behaviour(create_status=202, event_status=202, update_status=202),
    "update_204_empty": Behaviour(update_status=204, event_status=204),
    "extra_fields": Behaviour(answer="extra_fields"),
    "no_created_at": Behaviour(answer="no_created_at"),
    "other_status": Behaviour(answer="other_status"),
    "health_without_capabilities": Behaviour(health={"status": "ok", "version": "9"}),
    "health_with_unknown_capabilities": Behaviour(
        health={"status": "ok", "capabilities": ["teleport", 7]}
    ),
    # batches reference sessions by the client's ids, which this server does
    # not take: it must get one request per operation, as a plain server
    "batch_without_client_ids": Behaviour(
        health={"status": "ok", "capabilities": ["batch"]}, batch=True
    ),
}

SESSIONS = 3


def _workload(client: SentrialClient) -> list[str]:
    ids = []
    for n in range(SESSIONS):
        sid = client.create_session(f"run-{n}", "support-agent", f"user-{n}", metadata={"n": n})
        client.track_tool_call(sid, "search", {"q": n}, {"hits": [n]}, duration_ms=12.5)
        client.track_decision(sid, "pick the first hit", ["first", "none"], 0.75)
        client.track_llm_call(
            sid,
            "gpt-4o",
            provider="openai",
            input=[{"role": "user", "content": f"question {n}"}],
            output={"text": f"answer {n}"},
            prompt_tokens=100,
            completion_tokens=20,
            estimated_cost=0.0123,
            duration_ms=40.0,
            metadata={"attempt": 1},
        )
        client.track_llm_call(
            sid, "gpt-4o", provider="openai", prompt_tokens=5, error=TimeoutError("slow")
        )
        client.track_error(sid, "tool failed", "ToolError", "search")
        client.complete_session(sid, success=n != 1, failure_reason="bad" if n == 1 else None)
        ids.append(sid)
    return ids


def _assert_stored(standin: StandIn) -> None:
    """Every operation of ``_workload`` stored once, under its session, in order."""
    assert standin.rejections == []
    assert len(standin.sessions) == SESSIONS
    by_name = sorted(standin.sessions.items(), key=lambda item: str(item[1]["name"]))
    for n, (sid, session) in enumerate(by_name):
        assert session["name"] == f"run-{n}" and session["metadata"] == {"n": n}
        assert session["status"] == ("failed" if n == 1 else "completed")
        # rolled up from the events: the LLM calls' cost (the failed one's 5
        # prompt tokens at gpt-4o's $2.50 per million) and tokens
        assert session["estimatedCost"] == pytest.approx(0.0123 + 5 * 2.50 / 1e6)
        assert session["promptTokens"] == 105 and session["completionTokens"] == 20
        events = standin.events_of(sid)
        assert [(e["eventType"], e.get("toolName")) for e in events] == [
            ("tool_call", "search"),
            ("llm_decision", None),
            ("tool_call", "llm:openai:gpt-4o"),
            ("error", "llm:openai:gpt-4o"),
            ("error", "search"),
        ]
        tool, decision, llm, llm_error, error = events
        assert tool["toolInput"] == {"q": n} and tool["metadata"] == {"duration_ms": 12.5}
        assert decision["alternativesConsidered"] == ["first", "none"]
        assert decision["confidence"] == 0.75
        # what the published SDK records for an LLM call
        assert llm["tokenCount"] == 120 and llm["estimatedCost"] == 0.0123
        assert llm["toolInput"]["messages"] == [{"role": "user", "content": f"question {n}"}]
        assert llm["toolOutput"]["content"] == {"text": f"answer {n}"}
        assert llm["toolOutput"]["tokens"] == {"prompt": 100, "completion": 20, "total": 120}
        assert llm["metadata"] == {
            "attempt": 1,
            "provider": "openai",
            "model": "gpt-4o",
            "duration_ms": 40.0,
            "prompt_tokens": 100,
            "completion_tokens": 20,
        }
        assert llm_error["toolError"]["type"] == "TimeoutError"
        assert llm_error["toolError"]["message"] == "slow"
        assert error["toolError"] == {"message": "tool failed", "type": "ToolError"}


def _assert_quiet(stderr: str, records: list[logging.LogRecord]) -> None:
    """Nothing on stderr but one-line warnings (in a test, pytest's log
    capture holds what would reach stderr through logging: checked too)."""
    assert "Traceback" not in stderr
    for line in stderr.splitlines():
        assert line.startswith("sentrial: "), stderr
    for record in records:
        if record.levelno >= logging.WARNING:
            assert record.exc_info is None and "\n" not in record.getMessage(), record


@pytest.mark.parametrize("delivery", ["background", "sync"])
@pytest.mark.parametrize("name", sorted(BEHAVIOURS))
def test_any_sentrial_server(
    name: str,
    delivery: str,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    standin = StandIn(BEHAVIOURS[name])
    with serve_app(standin.app()) as url:
        client = SentrialClient(
            api_key="sentrial_live_test", api_url=url, spool_dir=str(tmp_path), delivery=delivery
        )
        ours = _workload(client)
        assert client.flush(30) is True
        stats = client.stats()
        client.shutdown(2)
    assert stats["dropped"] == {}, standin.rejections
    assert stats["sent"] == stats["tracked"] == SESSIONS * 7
    _assert_stored(standin)
    assert not set(ours) & set(standin.sessions)  # the server's ids were used
    assert not any("batch" in p for p in standin.paths())
    _assert_quiet(capfd.readouterr().err, caplog.records)


def test_plain_server_gets_several_requests_at_once_in_session_order(tmp_path: Path) -> None:
    standin = StandIn(Behaviour(latency=0.05))
    with serve_app(standin.app()) as url:
        client = SentrialClient(
            api_key="k", api_url=url, spool_dir=str(tmp_path), max_concurrency=8
        )
        sessions = []
        for s in range(24):
            sid = client.create_session(f"s{s}", "a", "u")
            for e in range(5):
                client.track_tool_call(sid, "step", {"n": e}, {})
            client.complete_session(sid)
            sessions.append(sid)
        assert client.flush(60)
        stats = client.stats()
        client.shutdown(2)
    assert stats["sent"] == 24 * 7 and stats["dropped"] == {}
    # bounded by max_concurrency, and well above one at a time
    assert 4 <= standin.max_in_flight <= 8
    for sid, session in standin.sessions.items():
        assert session["status"] == "completed"
        assert [e["toolInput"]["n"] for e in standin.events_of(sid)] == list(range(5))


def test_plain_server_429_pauses_every_lane_for_retry_after(tmp_path: Path) -> None:
    standin = StandIn(Behaviour(faults=[(429, "1")]))
    with serve_app(standin.app()) as url:
        client = SentrialClient(api_key="k", api_url=url, spool_dir=str(tmp_path))
        for s in range(10):
            sid = client.create_session(f"s{s}", "a", "u")
            client.complete_session(sid)
        assert client.flush(30)
        stats = client.stats()
        client.shutdown(2)
    assert stats["sent"] == 20 and stats["retried"] >= 1 and stats["dropped"] == {}
    (limited,) = standin.fault_answered_at
    received = [t - limited for _, _, _, t, _ in standin.requests if t > limited]
    # Requests already in flight arrive right after the 429; then every lane
    # waits out Retry-After (1 s) before its next request.
    assert not [t for t in received if 0.3 < t < 0.95], received
    assert [t for t in received if t >= 0.95]
    assert len(standin.sessions) == 10


def test_plain_server_5xx_then_success_delivers_exactly_once(tmp_path: Path) -> None:
    standin = StandIn(Behaviour(faults=[(503, None), (500, None), (502, "0")]))
    with serve_app(standin.app()) as url:
        for delivery in ("background",):
            client = SentrialClient(
                api_key="k", api_url=url, spool_dir=str(tmp_path), delivery=delivery
            )
            _workload(client)
            assert client.flush(30)
            assert client.stats()["dropped"] == {}
            client.shutdown(2)
    _assert_stored(standin)


_FIRST_PROCESS = """
import sys
import sentrial
client = sentrial.SentrialClient(api_key="k", api_url=sys.argv[1], spool_dir=sys.argv[2],
                                 shutdown_timeout=0.5)
sid = client.create_session("spooled", "agent", "u")
assert client.flush(20), client.stats()
print(sid, flush=True)
sys.stdin.readline()  # the server is unreachable from now on
for i in range(20):
    client.track_tool_call(sid, "t", {"n": i}, {})
client.complete_session(sid)
"""


def test_server_ids_survive_process_exit(tmp_path: Path) -> None:
    standin = StandIn()
    with serve_app(standin.app()) as upstream, FaultProxy(upstream) as proxy:
        first = subprocess.Popen(
            [sys.executable, "-c", _FIRST_PROCESS, proxy.url, str(tmp_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert first.stdout is not None and first.stdin is not None
        ours = first.stdout.readline().strip()
        assert ours.startswith("sess_") and list(standin.sessions) == ["srv-1"]
        proxy.weights = {"reset": 1.0}
        first.stdin.write("go\n")
        first.stdin.flush()
        _, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        assert any(tmp_path.rglob("*.spool"))
        assert standin.events == []

        proxy.weights = {"ok": 1.0}
        client = SentrialClient(api_key="k", api_url=proxy.url, spool_dir=str(tmp_path))
        client._tracker.delivery.start()  # replay now
        deadline = time.monotonic() + 30
        while len(standin.events) < 20 and time.monotonic() < deadline:
            client.flush(1)
        stats = client.stats()
        client.shutdown(2)
    assert stats["replayed"] == 21 and stats["dropped"] == {}, stats
    assert list(standin.sessions) == ["srv-1"]  # no second session
    assert standin.sessions["srv-1"]["status"] == "completed"
    assert [e["toolInput"]["n"] for e in standin.events_of("srv-1")] == list(range(20))


def test_one_404_from_a_proxy_does_not_switch_off_batches(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    with FaultProxy(
        sentrial_server.url, {"ok": 1.0}, once={("POST", "/api/sdk/batch"): 404}
    ) as proxy:
        client = SentrialClient(
            api_key=sentrial_server.api_key, api_url=proxy.url, spool_dir=str(tmp_path)
        )
        first = client.create_session("first", "a", "u")
        client.track_tool_call(first, "t", {"n": 0}, {})
        assert client.flush(20)
        second = client.create_session("second", "a", "u")
        client.track_tool_call(second, "t", {"n": 0}, {})
        client.complete_session(second)
        assert client.flush(20)
        stats = client.stats()
        client.shutdown(2)
    paths = [f"{m} {p}" for m, p, _ in proxy.requests]
    assert paths.count("GET /api/sdk/health") == 2  # the first probe, and one after the 404
    assert paths.count("POST /api/sdk/batch") == 3  # the 404, its retry, the second batch
    assert not [p for p in paths if p.endswith(("/events", "/sessions"))]
    assert stats["dropped"] == {} and stats["sent"] == 5
    assert reader.session(first)["name"] == "first"
    assert reader.session(second)["status"] == "completed"


def test_capabilities_are_asked_again(
    sentrial_server: LocalServer, reader: Reader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_capabilities, "CAPABILITY_TTL", 0.3)
    with FaultProxy(
        sentrial_server.url, {"ok": 1.0}, once={("GET", "/api/sdk/health"): 404}
    ) as proxy:
        client = SentrialClient(
            api_key=sentrial_server.api_key, api_url=proxy.url, spool_dir=str(tmp_path)
        )
        plain = client.create_session("while-plain", "a", "u")
        client.track_tool_call(plain, "t", {"n": 0}, {})
        client.complete_session(plain)
        assert client.flush(20)
        time.sleep(0.4)
        later = client.create_session("after-reprobe", "a", "u")
        client.complete_session(later)
        assert client.flush(20)
        client.shutdown(2)
    paths = [f"{m} {p}" for m, p, _ in proxy.requests]
    assert paths[:2] == ["GET /api/sdk/health", "POST /api/sdk/sessions"]
    assert paths[-2:] == ["GET /api/sdk/health", "POST /api/sdk/batch"]
    stored = {s["name"]: s for s in reader.sessions()}
    assert set(stored) == {"while-plain", "after-reprobe"}
    # The plain-mode session got the server's id; its event and update followed it.
    assert stored["while-plain"]["id"] != plain and stored["while-plain"]["status"] == "completed"
    assert [e["toolInput"] for e in reader.events(stored["while-plain"]["id"])] == [{"n": 0}]
    assert stored["after-reprobe"]["id"] == later


def test_our_server_advertises_what_the_sdk_uses(sentrial_server: LocalServer) -> None:
    import httpx

    body = httpx.get(f"{sentrial_server.url}/api/sdk/health").json()
    assert set(body["capabilities"]) == set(_capabilities.ALL)
    _spec.component("Health").check(body)


def test_extension_fields_match_the_spec() -> None:
    """The SDK's list of extension fields is the spec's ``x-sentrial-capability``."""
    from sentrial._server._spec import load_spec

    schemas = load_spec()["components"]["schemas"]
    for kind, schema in (
        ("create_session", "SessionCreate"),
        ("create_event", "EventCreate"),
        ("update_session", "SessionUpdate"),
    ):
        marked = {
            key: prop["x-sentrial-capability"]
            for key, prop in schemas[schema]["properties"].items()
            if "x-sentrial-capability" in prop
        }
        assert marked == _capabilities.EXTENSION_FIELDS[kind], kind
    assert set(schemas["EventType"]["enum"]) - _capabilities.DOCUMENTED_EVENT_TYPES == {"llm_call"}


def test_no_warning_or_traceback_when_a_plain_server_answers_lean(tmp_path: Path) -> None:
    code = textwrap.dedent("""
        import sys, sentrial
        client = sentrial.SentrialClient(api_key="k", api_url=sys.argv[1], spool_dir=sys.argv[2])
        sid = client.create_session("n", "a", "u")
        client.track_llm_call(sid, "gpt-4o", provider="openai", prompt_tokens=1)
        client.complete_session(sid)
        assert client.flush(20), client.stats()
        assert client.stats()["dropped"] == {}, client.stats()
    """)
    standin = StandIn(Behaviour(answer="id_only", update_status=204))
    with serve_app(standin.app()) as url:
        proc = subprocess.run(
            [sys.executable, "-c", code, url, str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert len(standin.events) == 1
