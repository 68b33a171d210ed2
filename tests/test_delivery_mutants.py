"""The delivery engine's decisions, each pinned to exact counts: what `make
mutation` needs to tell a correct engine from a slightly wrong one, fast.

The engine tests talk real HTTP to the local server through ``ScriptedProxy``
(a stand-in on 127.0.0.1 that forwards requests and answers some of them, or
some items of a batch, as the test scripts), or to a plain server's stand-in
(``StandIn``). Retries wait 0 s: the scripted faults carry ``Retry-After: 0``
and the engine's jitter source draws 0 (the random backoff itself is checked
on its own, below), so a test that retries 20 times still takes milliseconds;
what was sent is read from the proxy's log, never from a clock.
"""

from __future__ import annotations

import asyncio
import logging
import random
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from sentrial import SentrialClient
from sentrial._delivery import _background
from sentrial._delivery._background import BackgroundDelivery
from sentrial._operation import Operation
from sentrial._server import LocalServer

from ._faults import serve_app
from ._standins import Behaviour, StandIn
from .conftest import Reader

BATCH = "POST /api/sdk/batch"
HEALTH = "GET /api/sdk/health"
# How long a test waits for the engine to get somewhere (it takes milliseconds;
# a broken engine never does, and `make mutation` waits this long per mutant).
WAIT = 3.0

# An item's answer instead of forwarding it (None: forward), from its JSON.
ItemRule = Callable[[dict[str, Any]], int | None]
# A whole request's answer instead of forwarding it: (status, Retry-After, body).
RequestRule = Callable[[str, bytes], tuple[int, str | None, bytes] | None]


@dataclass
class Seen:
    """One request as the proxy saw it, and what it answered."""

    route: str  # "POST /api/sdk/batch"
    body: bytes
    status: int
    ops: list[dict[str, Any]] = field(default_factory=list)  # a batch's items

    def names(self) -> list[str]:
        """A batch's items by their marker: a session's name, an event's tool
        name, "update" for a session update."""
        out = []
        for op in self.ops:
            body = op["body"]
            out.append(body.get("name") or body.get("toolName") or "update")
        return out


class ScriptedProxy:
    """Forwards to the local server, except what ``on_request``/``on_item`` answer."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.seen: list[Seen] = []
        self.on_request: RequestRule | None = None
        self.on_item: ItemRule | None = None
        self.health: dict[str, Any] | None = None  # answered instead of the server's
        self.stalling = False  # batches wait, unanswered, while it is set
        self.url = ""  # once serving
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.seen = []
        self.on_request = self.on_item = self.health = None
        self.stalling = False

    def batches(self) -> list[list[str]]:
        return [s.names() for s in self.seen if s.route == BATCH]

    def routes(self) -> list[str]:
        return [s.route for s in self.seen]

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        client = httpx.AsyncClient(base_url=self.upstream, timeout=30)

        async def handle(request: Request) -> Response:
            raw = await request.body()
            route = f"{request.method} {request.url.path}"
            while self.stalling and route == BATCH:
                await asyncio.sleep(0.01)
            ops = orjson.loads(raw)["operations"] if route == BATCH else []
            status, headers, content = await self._answer(client, request, route, raw, ops)
            with self._lock:
                self.seen.append(Seen(route, raw, status, ops))
            return Response(content, status, headers, media_type="application/json")

        return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST", "PATCH"])])

    async def _answer(
        self, client: httpx.AsyncClient, request: Any, route: str, raw: bytes, ops: list[Any]
    ) -> tuple[int, dict[str, str], bytes]:
        if route == HEALTH and self.health is not None:
            return 200, {}, orjson.dumps(self.health)
        scripted = self.on_request(route, raw) if self.on_request else None
        if scripted is not None:
            status, retry_after, content = scripted
            return status, {"Retry-After": retry_after} if retry_after is not None else {}, content
        forward = {k: v for k, v in request.headers.items() if k in ("authorization",)}
        forward["content-type"] = "application/json"
        faked = {i: self.on_item(op) for i, op in enumerate(ops)} if self.on_item else {}
        faked = {i: s for i, s in faked.items() if s is not None}
        if not faked:
            response = await client.request(
                request.method, request.url.path, content=raw, headers=forward
            )
            return response.status_code, {}, response.content
        # Some items answered here, the others forwarded as a smaller batch.
        passed = [i for i in range(len(ops)) if i not in faked]
        # Items answered here say why, except 400s: an item without a message.
        results: list[dict[str, Any]] = [
            {"index": i, "status": s, **({"message": f"scripted {s}"} if s != 400 else {})}
            for i, s in faked.items()
        ]
        if passed:
            body = orjson.dumps({"operations": [ops[i] for i in passed]})
            response = await client.post(request.url.path, content=body, headers=forward)
            for row in orjson.loads(response.content)["results"]:
                results.append({**row, "index": passed[row["index"]]})
        return 200, {}, orjson.dumps({"results": results})


# One server and one proxy for the module: starting and stopping two servers
# per test cost more than the tests (and `make mutation` runs them per mutant).
# Each test's sessions have ids of their own; the proxy forgets between tests.


@pytest.fixture(scope="module")
def sentrial_server() -> Iterator[LocalServer]:
    with LocalServer(":memory:") as server:
        yield server


@pytest.fixture(scope="module")
def _proxy(sentrial_server: LocalServer) -> Iterator[ScriptedProxy]:
    scripted = ScriptedProxy(sentrial_server.url)
    with serve_app(scripted.app()) as url:
        scripted.url = url
        yield scripted


@pytest.fixture
def proxy(_proxy: ScriptedProxy) -> ScriptedProxy:
    _proxy.reset()
    return _proxy


class _NoJitter(random.Random):
    """The engine's jitter source, drawing 0: every random backoff is 0 s."""

    def random(self) -> float:
        return 0.0


def _engine(client: SentrialClient) -> BackgroundDelivery:
    engine = client._tracker.delivery
    assert isinstance(engine, BackgroundDelivery)
    return engine


def _client(
    proxy: ScriptedProxy, server: LocalServer, tmp_path: Path, **options: Any
) -> SentrialClient:
    options.setdefault("flush_interval", 30)  # batches are taken by flush(), whole
    client = SentrialClient(
        api_key=server.api_key,
        api_url=proxy.url,
        spool_dir=str(tmp_path / "spool"),
        **options,
    )
    engine = _engine(client)
    engine._setup()  # what the delivery thread builds first, built now
    engine._random = _NoJitter()
    return client


def _session(client: SentrialClient, name: str, events: list[str]) -> str:
    sid = client.create_session(name, "agent", "u")
    for tool in events:
        client.track_tool_call(sid, tool, {"tool": tool}, {})
    return sid


def _tools(reader: Reader, sid: str) -> list[str]:
    return [e["toolName"] for e in reader.events(sid)]


def _dead_letters(tmp_path: Path) -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for path in sorted((tmp_path / "spool").rglob("*dead*"))
        if path.is_file()
        for line in path.read_bytes().splitlines()
        if line.strip()
    ]


def _answer_first_batches(proxy: ScriptedProxy, *answers: tuple[int, str | None, bytes]) -> None:
    """The first batches get these answers (status, Retry-After, body), in
    order, instead of the server's; every later request is forwarded. One rule
    for the tests whose server fails a few times and then takes everything.
    """
    left = list(answers)

    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        return left.pop(0) if route == BATCH and left else None

    proxy.on_request = answer


# -- the random backoff ---------------------------------------------------------


def test_the_random_backoff_doubles_from_a_quarter_second_up_to_thirty(
    sentrial_server: LocalServer, tmp_path: Path
) -> None:
    client = SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    engine = _engine(client)
    engine._setup()
    # Its own source (not the host's global random), drawing from [0, 0.5) first.
    assert type(engine._random) is random.Random
    assert 0 <= engine._backoff(1, None) <= 0.5
    engine._random = random.Random(18)
    # Attempt 1100 comes after hours of outage: 2**1100 once overflowed a float
    # there, and the batch went to the dead-letter file as an internal error.
    cases = [(1, 0.5), (2, 1.0), (3, 2.0), (6, 16.0), (7, 30.0), (12, 30.0), (1100, 30.0)]
    for attempt, bound in cases:
        waits = [engine._backoff(attempt, None) for _ in range(400)]
        assert min(waits) >= 0 and max(waits) <= bound, (attempt, max(waits))
        assert max(waits) > 0.97 * bound and min(waits) < 0.03 * bound, attempt
    # The server's Retry-After instead, capped at five minutes.
    assert [engine._backoff(3, value) for value in (0.0, 2.5, 300.0, 301.0, 1e9)] == [
        0.0,
        2.5,
        300.0,
        300.0,
        300.0,
    ]
    client.shutdown(1)


# -- retries, splits and poison operations, counted ---------------------------------


def test_an_item_answered_503_every_time_is_dead_lettered_on_its_fifth_attempt(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    proxy.on_item = lambda op: 503 if op["body"].get("toolName") == "poison" else None
    client = _client(proxy, sentrial_server, tmp_path)
    sid = _session(client, "s", ["a", "poison", "b"])
    assert client.flush(WAIT) is False  # one operation was not delivered
    stats = client.stats()
    client.shutdown(2)
    assert proxy.batches() == [["s", "a", "poison", "b"]] + [["poison"]] * 4
    assert stats["sent"] == 3 and stats["tracked"] == 4 and stats["retried"] == 4
    assert stats["dead_lettered"] == {"poison_503": 1} and stats["dropped"] == {}
    assert _tools(reader, sid) == ["a", "b"]
    dead = _dead_letters(tmp_path)
    assert [(d["reason"], d["message"]) for d in dead] == [("poison_503", "scripted 503")]


def test_a_batch_answered_500_is_halved_until_the_poison_operation_is_alone(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        if route == BATCH and b'"poison"' in body:
            return 500, "0", b'{"error":"Internal Server Error","message":"scripted"}'
        return None

    proxy.on_request = answer
    client = _client(proxy, sentrial_server, tmp_path)
    sid = _session(client, "s", ["a", "b", "c", "d", "poison", "f", "g"])
    assert client.flush(WAIT) is False
    stats = client.stats()
    client.shutdown(2)
    everything = ["s", "a", "b", "c", "d", "poison", "f", "g"]
    assert proxy.batches() == [
        everything,
        everything,  # SPLIT_AFTER: two failures, then halves
        ["s", "a", "b", "c"],
        ["d", "poison", "f", "g"],
        ["d", "poison", "f", "g"],
        ["d", "poison"],
        ["d", "poison"],
        ["d"],
        *[["poison"]] * 5,  # POISON_ATTEMPTS, then the dead-letter file
        ["f", "g"],
    ]
    # Every 500 is a retry; the 5th of the poison operation is one too.
    assert stats["retried"] == 11
    assert stats["sent"] == 7 and stats["dead_lettered"] == {"poison_500": 1}
    assert [(d["reason"], d["message"]) for d in _dead_letters(tmp_path)] == [
        ("poison_500", "HTTP 500: scripted")
    ]
    assert _tools(reader, sid) == ["a", "b", "c", "d", "f", "g"]
    # The verdict needs no health check: the halves the server accepted
    # between the failures of the batches holding "poison" prove it is that one.
    assert proxy.routes().count(HEALTH) == 1


def test_a_poison_operation_waits_while_the_server_does_not_answer_at_all(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    # The health probe fails too (503) until the 8th batch: the server is down,
    # not the operation; nothing is dead-lettered, it goes through after.
    batches = 0

    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        nonlocal batches
        if route == BATCH:
            batches += 1
            if batches < 8:
                return 503, "0", b"{}"
        if route == HEALTH and 1 < batches < 8:
            return 503, "0", b"{}"
        return None

    proxy.on_request = answer
    client = _client(proxy, sentrial_server, tmp_path)
    sid = _session(client, "s", [])
    assert client.flush(WAIT) is True
    stats = client.stats()
    client.shutdown(2)
    assert proxy.batches() == [["s"]] * 8
    assert stats["retried"] == 7 and stats["sent"] == 1 and stats["dead_lettered"] == {}
    assert reader.session(sid)["name"] == "s"


def test_a_create_retried_in_a_batch_takes_its_events_404_along(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    # The create of "s" fails once (503) and the server answers 404 for its
    # events (no such session yet): they are retried with it, not rejected.
    failed: list[str] = []

    def item(op: dict[str, Any]) -> int | None:
        if op["body"].get("name") == "s" and not failed:
            failed.append("s")
            return 503
        return None

    proxy.on_item = item
    client = _client(proxy, sentrial_server, tmp_path)
    other = _session(client, "other", ["x"])
    sid = _session(client, "s", ["a", "b"])
    client.track_tool_call(other, "y", {}, {})
    assert client.flush(WAIT) is True, client.stats()
    stats = client.stats()
    client.shutdown(2)
    assert proxy.batches() == [["other", "x", "s", "a", "b", "y"], ["s", "a", "b"]]
    assert [s.status for s in proxy.seen if s.route == BATCH] == [200, 200]
    assert stats["retried"] == 1 and stats["sent"] == 6 and stats["dead_lettered"] == {}
    assert _tools(reader, sid) == ["a", "b"] and _tools(reader, other) == ["x", "y"]


def test_an_event_of_an_unknown_session_is_rejected_404_alone(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    client = _client(proxy, sentrial_server, tmp_path)
    sid = _session(client, "s", ["a"])
    client.track_tool_call("00000000-0000-4000-8000-000000000000", "lost", {}, {})
    client.track_tool_call(sid, "b", {}, {})
    assert client.flush(WAIT) is False
    stats = client.stats()
    client.shutdown(2)
    assert proxy.batches() == [["s", "a", "lost", "b"]]
    assert stats["retried"] == 0 and stats["sent"] == 3
    assert stats["dead_lettered"] == {"rejected_404": 1}
    assert _tools(reader, sid) == ["a", "b"]
    assert [d["reason"] for d in _dead_letters(tmp_path)] == ["rejected_404"]


@pytest.mark.parametrize(
    ("status", "reason"), [(400, "rejected_400"), (401, "unauthorized"), (422, "rejected_422")]
)
def test_a_batch_answered_with_a_final_error_is_dead_lettered_whole(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    reader: Reader,
    tmp_path: Path,
    status: int,
    reason: str,
) -> None:
    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        if route == BATCH and b'"doomed' in body:
            return status, None, b'{"error":"Bad","message":"scripted"}'
        return None

    proxy.on_request = answer
    client = _client(proxy, sentrial_server, tmp_path)
    _session(client, f"doomed{status}", ["a", "b"])
    assert client.flush(WAIT) is False
    sid = _session(client, f"fine{status}", ["c"])
    assert client.flush(WAIT) is True
    stats = client.stats()
    client.shutdown(2)
    assert proxy.batches() == [[f"doomed{status}", "a", "b"], [f"fine{status}", "c"]]
    assert stats["retried"] == 0 and stats["sent"] == 2
    assert stats["dead_lettered"] == {reason: 3}
    assert [d["reason"] for d in _dead_letters(tmp_path)] == [reason] * 3
    names = [s["name"] for s in reader.sessions()]
    assert f"fine{status}" in names and f"doomed{status}" not in names
    assert _tools(reader, sid) == ["c"]


def test_a_single_operation_answered_413_is_rejected_not_split(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        if route == BATCH and b'"big"' in body:
            return 413, None, b'{"error":"Payload Too Large","message":"scripted"}'
        return None

    proxy.on_request = answer
    client = _client(proxy, sentrial_server, tmp_path, batch_size=1)
    sid = _session(client, "s", ["big", "small"])
    assert client.flush(WAIT) is False
    stats = client.stats()
    client.shutdown(2)
    assert proxy.batches() == [["s"], ["big"], ["small"]]
    assert stats["dead_lettered"] == {"rejected_413": 1} and stats["sent"] == 2
    assert _tools(reader, sid) == ["small"]


def test_a_malformed_batch_answer_is_retried(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    answers = [b"not json", b'{"results": []}', b'{"results": [{"index": 0}]}']
    _answer_first_batches(proxy, *[(200, None, content) for content in answers])
    client = _client(proxy, sentrial_server, tmp_path)
    sid = _session(client, "s", ["a"])
    assert client.flush(WAIT) is True
    stats = client.stats()
    client.shutdown(2)
    assert proxy.batches() == [["s", "a"]] * 4
    assert stats["retried"] == 3 and stats["sent"] == 2 and stats["dead_lettered"] == {}
    assert _tools(reader, sid) == ["a"]


# -- a batch endpoint that answers 404 --------------------------------------------


def test_a_404_from_the_batch_endpoint_of_a_server_that_still_advertises_it_is_retried(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    reader: Reader,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _answer_first_batches(proxy, (404, None, b'{"error":"Not Found","message":"proxy"}'))
    client = _client(proxy, sentrial_server, tmp_path)
    with caplog.at_level(logging.INFO, logger="sentrial"):
        sid = _session(client, "s", ["a"])
        assert client.flush(WAIT) is True
    stats = client.stats()
    client.shutdown(2)
    assert [r.getMessage() for r in caplog.records] == [
        "sentrial: will retry: batch endpoint: no batch endpoint"
    ]
    assert proxy.routes() == [HEALTH, BATCH, HEALTH, BATCH]
    assert [s.status for s in proxy.seen] == [200, 404, 200, 200]
    assert stats["retried"] == 1 and stats["sent"] == 2
    assert _tools(reader, sid) == ["a"]


def test_a_404_from_the_batch_endpoint_of_a_server_that_no_longer_has_it_goes_plain(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    reader: Reader,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        if route == BATCH:
            proxy.health = {"status": "ok"}  # asked again: no capabilities now
            return 405, None, b'{"error":"Method Not Allowed","message":"proxy"}'
        return None

    proxy.on_request = answer
    client = _client(proxy, sentrial_server, tmp_path)
    with caplog.at_level(logging.INFO, logger="sentrial"):
        sid = _session(client, "s-of-a-plain-server", ["a"])
        assert client.flush(WAIT) is True
    stats = client.stats()
    client.shutdown(2)
    assert proxy.routes() == [
        HEALTH,
        BATCH,
        HEALTH,
        "POST /api/sdk/sessions",
        "POST /api/sdk/events",
    ]
    assert stats["retried"] == 0 and stats["sent"] == 2
    # A plain server chooses the session's id: the event went to that one.
    (session,) = [s for s in reader.sessions() if s["name"] == "s-of-a-plain-server"]
    assert session["id"] != sid
    assert _tools(reader, session["id"]) == ["a"]
    url = proxy.url
    assert [r.getMessage() for r in caplog.records] == [
        f"sentrial: {url} has no batch endpoint; sending one request per operation"
    ]


def test_a_batch_404_while_the_server_cannot_be_asked_is_retried_as_batch(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    seen_404: list[int] = []

    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        if route == BATCH and not seen_404:
            seen_404.append(1)
            return 404, None, b"{}"
        if route == HEALTH and len(proxy.seen) == 2:  # the probe after the 404
            return 503, "0", b"{}"
        return None

    proxy.on_request = answer
    client = _client(proxy, sentrial_server, tmp_path)
    sid = _session(client, "s", ["a"])
    assert client.flush(WAIT) is True
    stats = client.stats()
    client.shutdown(2)
    # The engine cannot tell, retries, and asks again first.
    assert proxy.routes() == [HEALTH, BATCH, HEALTH, HEALTH, BATCH]
    assert [s.status for s in proxy.seen] == [200, 404, 503, 200, 200]
    assert stats["retried"] == 1 and stats["sent"] == 2
    assert _tools(reader, sid) == ["a"]


# -- what the caller sees ------------------------------------------------------


def test_stats_show_what_waits_where(
    proxy: ScriptedProxy, sentrial_server: LocalServer, tmp_path: Path
) -> None:
    client = SentrialClient(
        api_key=sentrial_server.api_key,
        api_url=proxy.url,
        spool_dir=str(tmp_path / "spool"),
        flush_interval=30,
    )
    _session(client, "s", ["a", "b"])
    stats = client.stats()
    engine = _engine(client)
    engine._setup()
    threads = [(t.name, t.daemon) for t in (engine._thread, engine._sender) if t is not None]
    assert threads == [("sentrial-delivery", True), ("sentrial-sender", True)]
    assert (stats["tracked"], stats["queued"], stats["in_flight"], stats["sent"]) == (3, 3, 0, 0)
    assert (stats["spool_pending"], stats["spooled"], stats["retried"]) == (0, 0, 0)
    assert client.flush(WAIT) is True
    stats = client.stats()
    assert (stats["queued"], stats["in_flight"], stats["sent"], stats["spooled"]) == (0, 0, 3, 0)
    assert client.shutdown(2) is True


def test_an_unreachable_server_is_logged_once_and_retried(
    sentrial_server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with serve_app(ScriptedProxy(sentrial_server.url).app()) as url:
        pass  # a port nothing listens on any more
    client = SentrialClient(
        api_key=sentrial_server.api_key, api_url=url, spool_dir=str(tmp_path / "spool")
    )
    engine = _engine(client)
    engine._setup()
    engine._random = _NoJitter()
    with caplog.at_level(logging.INFO, logger="sentrial"):
        _session(client, "s", ["a"])
        assert client.flush(0.3) is False
    retried = client.stats()["retried"]
    assert client.shutdown(0.3) is False
    stats = client.stats()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and messages[0].startswith(f"sentrial: cannot reach {url} (")
    assert messages[0].endswith("operations are kept (memory, then disk) and retried")
    assert retried > 5, retried
    assert stats["sent"] == 0 and stats["spooled"] == 2 and stats["dead_lettered"] == {}


# -- a server without batches: one request per operation (the lanes) ------------


def _plain_client(url: str, tmp_path: Path) -> SentrialClient:
    client = SentrialClient(api_key="k", api_url=url, spool_dir=str(tmp_path / "spool"))
    engine = _engine(client)
    engine._setup()
    engine._random = _NoJitter()
    return client


def _requests(plain: StandIn) -> list[tuple[str, int]]:
    """(what, status) per request: a session's name, an event's tool name."""
    out = []
    for _, _, body, _, status in plain.requests:
        fields = orjson.loads(body)
        out.append((fields.get("name") or fields.get("toolName") or "update", status))
    return out


def test_a_500_of_a_plain_server_accepting_nothing_in_between_is_retried_past_five(
    tmp_path: Path,
) -> None:
    # 500 again and again, nothing else accepted meanwhile: a server whose
    # writes all fail (a full disk) answers so too, so it is retried after its
    # 5th attempt, not dead-lettered (issue #27); the operations behind it wait.
    plain = StandIn(Behaviour(poison=b'"poison"'))
    with serve_app(plain.app()) as url:
        client = _plain_client(url, tmp_path)
        _session(client, "s", ["a", "poison", "b"])
        _wait_for(lambda: [what for what, _ in _requests(plain)].count("poison") >= 6)
        tries = [what for what, _ in _requests(plain)].count("poison")
        assert client.shutdown(0.3) is False
        stats = client.stats()
    assert tries >= 6, tries
    assert stats["sent"] == 2 and stats["dead_lettered"] == {} and stats["spooled"] == 2
    assert _dead_letters(tmp_path) == [] and _on_disk(tmp_path) == ["poison", "b"]


def test_a_plain_server_answering_429_is_waited_for_however_long(tmp_path: Path) -> None:
    # 429 says "later", not "this operation is bad": no poison verdict after 5.
    plain = StandIn(Behaviour(faults=[(429, "0")] * 7))
    with serve_app(plain.app()) as url:
        client = _plain_client(url, tmp_path)
        _session(client, "s", ["a"])
        assert client.flush(WAIT) is True
        stats = client.stats()
        client.shutdown(2)
    assert _requests(plain)[7:] == [("s", 200), ("a", 200)]
    assert [status for _, status in _requests(plain)[:7]] == [429] * 7
    assert stats["retried"] == 7 and stats["sent"] == 2 and stats["dead_lettered"] == {}


def test_a_plain_server_gets_the_extensions_it_advertises(tmp_path: Path) -> None:
    plain = StandIn(Behaviour(strict=False, health={"capabilities": ["client_timestamps"]}))
    with serve_app(plain.app()) as url:
        client = _plain_client(url, tmp_path)
        sid = client.create_session("s", "agent", "u")
        client.track_tool_call(sid, "a", {"q": 1}, {"r": [2]}, token_count=3)
        assert client.flush(WAIT) is True
        client.shutdown(2)
    ((theirs, session),) = plain.sessions.items()
    assert "id" not in orjson.loads(plain.requests[0][2])
    (event,) = plain.events_of(theirs)
    assert event["toolName"] == "a" and event["tokenCount"] == 3
    assert (event["toolInput"], event["toolOutput"]) == ({"q": 1}, {"r": [2]})
    # Client times as the generated models write them (ISO 8601, UTC).
    for when in (session["startedAt"], event["timestamp"]):
        assert isinstance(when, str) and when.endswith("+00:00"), when


# -- what is left on disk ----------------------------------------------------------


def _unavailable(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
    """Down: 503 to everything, its health included (so no operation looks poison)."""
    return 503, "0.05", b"{}"


class _Outage:
    """The server down: the engine's first health probe is forwarded (batches,
    known for 5 minutes), then everything, its health included, is answered
    ``_unavailable`` (so no operation looks poison) until ``up()``; from then
    on everything is forwarded.

    Making one installs it as ``proxy.on_request``: one switch instead of a
    ``down`` flag and the same nested answer function in each test that takes
    the server down while the engine's lanes fill (and, in some, brings it back).
    """

    def __init__(self, proxy: ScriptedProxy) -> None:
        self.down = True
        self._proxy = proxy
        proxy.on_request = self._answer

    def up(self) -> None:
        """Back up: every request forwarded to the server from now on."""
        self.down = False

    def _answer(self, route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        if route == HEALTH and HEALTH not in self._proxy.routes():
            return None  # the first probe: batches, known for 5 minutes
        return _unavailable(route, body) if self.down else None


def test_a_spool_left_on_disk_is_replayed_on_start_and_an_unreadable_line_set_aside(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    reader: Reader,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy.on_request = _unavailable
    first = _client(proxy, sentrial_server, tmp_path)
    sid = _session(first, "s", ["a", "b"])
    assert first.shutdown(0.5) is False
    assert first.stats()["spooled"] == 3 and first.stats()["sent"] == 0
    (segment,) = (tmp_path / "spool").rglob("*.spool")
    with segment.open("ab") as out:
        out.write(b"not an operation\n")
    proxy.on_request = None
    again = _client(proxy, sentrial_server, tmp_path)
    engine = _engine(again)
    engine.start()  # what `sentrial flush-spool` does: nothing tracked
    thread = engine._thread
    engine.start()  # started already: the same thread
    assert engine._thread is thread and thread is not None
    with caplog.at_level(logging.INFO, logger="sentrial"):
        assert again.flush(WAIT) is False  # the unreadable line was not delivered
    stats = again.stats()
    assert again.shutdown(2) is True
    assert (stats["tracked"], stats["replayed"], stats["sent"]) == (0, 3, 3)
    assert stats["dead_lettered"] == {"unreadable_spool_line": 1}
    dead = _dead_letters(tmp_path)
    assert [(d["reason"], d["line"]) for d in dead] == [
        ("unreadable_spool_line", "not an operation")
    ]
    assert _tools(reader, sid) == ["a", "b"]
    assert not list((tmp_path / "spool").rglob("*.spool"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith(
        f"sentrial: an unreadable spool line was set aside ({segment.name}: "
    )


def test_the_exit_hook_keeps_on_disk_what_a_client_still_holds(
    proxy: ScriptedProxy, sentrial_server: LocalServer, tmp_path: Path
) -> None:
    proxy.on_request = _unavailable
    client = _client(proxy, sentrial_server, tmp_path, shutdown_timeout=0.5)
    _session(client, "s", ["a"])
    assert client.flush(0.3) is False
    _background._at_exit()  # atexit's hook, as the interpreter would call it
    stats = client.stats()
    assert stats["sent"] == 0 and stats["spooled"] == 2 and stats["retried"] >= 1
    (segment,) = (tmp_path / "spool").rglob("*.spool")
    assert len(segment.read_bytes().splitlines()) == 2


def test_shutdown_during_a_split_keeps_every_half_on_disk_in_order(
    proxy: ScriptedProxy, sentrial_server: LocalServer, tmp_path: Path
) -> None:
    _Outage(proxy)  # down after the first probe, to the end
    client = _client(proxy, sentrial_server, tmp_path)
    _session(client, "s", ["a", "b", "c"])
    engine = _engine(client)
    assert client.flush(0.6) is False
    assert len(proxy.batches()) >= 3 and proxy.batches()[2] == ["s", "a"]  # split
    assert client.shutdown(0.5) is False
    stats = client.stats()
    assert stats["sent"] == 0 and stats["spooled"] == 4 and stats["dead_lettered"] == {}
    (segment,) = (tmp_path / "spool").rglob("*.spool")
    lines = [Operation.from_record(line) for line in segment.read_bytes().splitlines()]
    assert [op.fields.get("name") or op.fields.get("tool_name") for op in lines] == [
        "s",
        "a",
        "b",
        "c",
    ]
    assert engine._unsent == []


# -- the generated models (the reference the fast wire path is checked against) ---


def test_operations_become_typed_generated_models() -> None:
    import datetime as dt

    from sentrial_api.models import (
        EventCreate,
        EventType,
        JsonObject,
        SessionStatusUpdate,
        SessionUpdate,
        SessionUpdateCustomMetrics,
        ToolError,
    )

    from sentrial._delivery._wire import _RawObject, _RawToolError, to_model

    ns = 1_790_000_000_000_000_000
    event = Operation(
        "create_event",
        "sess_a",
        {
            "event_type": "tool_call",
            "tool_error": {"message": "boom"},
            "metadata": {"k": 1},
            "tool_input": "not an object",
            "timestamp": ns,
        },
    )
    model = to_model(event, "sess_b")
    assert isinstance(model, EventCreate) and isinstance(model.timestamp, dt.datetime)
    assert isinstance(model.tool_error, ToolError) and model.tool_error.message == "boom"
    assert isinstance(model.metadata, JsonObject) and model.metadata.to_dict() == {"k": 1}
    assert model.to_dict()["toolInput"] == "not an object"
    assert model.event_type is EventType.TOOL_CALL
    assert model.session_id == "sess_b" and model.timestamp.isoformat() == (
        "2026-09-21T14:13:20+00:00"
    )
    raw = to_model(
        Operation(
            "create_event",
            "sess_a",
            {"event_type": "error", "tool_error": b'{"message":"x"}', "metadata": b"{}"},
        ),
        "sess_a",
    )
    assert isinstance(raw, EventCreate)
    assert type(raw.tool_error) is _RawToolError and type(raw.metadata) is _RawObject
    update = to_model(
        Operation("update_session", "sess_a", {"status": "completed", "custom_metrics": {"m": 2}}),
        "sess_a",
    )
    assert isinstance(update, SessionUpdate) and update.status is SessionStatusUpdate.COMPLETED
    assert isinstance(update.custom_metrics, SessionUpdateCustomMetrics)
    assert update.custom_metrics.to_dict() == {"m": 2}
    bare = to_model(Operation("update_session", "sess_a", {"success": True}), "sess_a")
    assert isinstance(bare, SessionUpdate) and bare.success is True
    assert bare.to_dict() == {"success": True}


# -- an operation that cannot be encoded costs only itself ------------------------


def _odd(sid: str) -> Operation:
    """An operation with a field this SDK does not know (a later version's spool)."""
    return Operation(
        "create_event", sid, {"event_type": "tool_call", "tool_name": "odd", "later": 1}
    )


def test_an_operation_that_cannot_be_encoded_is_isolated_and_dead_lettered(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    client = _client(proxy, sentrial_server, tmp_path)
    sid = _session(client, "s", ["a", "b"])
    _engine(client).submit(_odd(sid))
    client.track_tool_call(sid, "c", {}, {})
    assert client.flush(WAIT) is False
    stats = client.stats()
    client.shutdown(2)
    # [s a b odd c] fails to encode: halves until "odd" is alone.
    assert proxy.batches() == [["s", "a"], ["b"], ["c"]]
    assert stats["sent"] == 4 and stats["retried"] == 0
    assert stats["dead_lettered"] == {"internal_error": 1}
    dead = _dead_letters(tmp_path)
    assert [(d["reason"], d["message"]) for d in dead] == [("internal_error", "KeyError: 'later'")]
    assert _tools(reader, sid) == ["a", "b", "c"]


def test_an_operation_that_cannot_be_encoded_for_a_plain_server_costs_only_itself(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plain = StandIn()
    with serve_app(plain.app()) as url, caplog.at_level(logging.INFO, logger="sentrial"):
        client = _plain_client(url, tmp_path)
        sid = _session(client, "s", ["a"])
        _engine(client).submit(_odd(sid))
        client.track_tool_call(sid, "b", {}, {})
        assert client.flush(WAIT) is False
        stats = client.stats()
        client.shutdown(2)
    assert _requests(plain) == [("s", 200), ("a", 200), ("b", 200)]
    assert stats["sent"] == 3 and stats["dead_lettered"] == {"internal_error": 1}
    dead = _dead_letters(tmp_path)
    assert [(d["reason"], d["message"]) for d in dead] == [("internal_error", "KeyError: 'later'")]
    (path,) = (tmp_path / "spool").rglob("dead-letter.jsonl")
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"sentrial: 1 operation(s) not delivered to {url}: internal_error: KeyError: 'later' "
        f"(kept in {path}; `sentrial flush-spool --dead-letter` sends them again)"
    ]


# -- spilling to disk while batches are in flight -----------------------------------


def _on_disk(tmp_path: Path) -> list[str]:
    """The operations in the spool files, files in name (time) order."""
    out = []
    for path in sorted((tmp_path / "spool").rglob("*.spool"), key=lambda p: p.name):
        for line in path.read_bytes().splitlines():
            fields = Operation.from_record(line).fields
            out.append(fields.get("name") or fields.get("tool_name") or "update")
    return out


def _wait_for(condition: Callable[[], bool]) -> None:
    """Until the delivery threads got there (a step of the scenario, not a timing)."""
    import time

    deadline = time.monotonic() + WAIT
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.parametrize("taking", [False, True])
def test_a_spill_copies_what_is_in_flight_to_disk_first(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path, taking: bool
) -> None:
    # The sender retries [s a]; [b c] waits for it; with `taking`, the delivery
    # thread holds [d e] too (the hand-off is full); the queue has the rest
    # when the caller spills: all of it must be on disk, in order, at once.
    outage = _Outage(proxy)
    client = _client(proxy, sentrial_server, tmp_path, max_queue_size=3, batch_size=2)
    engine = _engine(client)
    sid = _session(client, "s", ["a"])
    _wait_for(lambda: len(proxy.batches()) > 0)
    client.track_tool_call(sid, "b", {}, {})
    client.track_tool_call(sid, "c", {}, {})
    _wait_for(lambda: engine._handoff.qsize() == 1)
    names = ["a", "b", "c"]
    if taking:
        client.track_tool_call(sid, "d", {}, {})
        client.track_tool_call(sid, "e", {}, {})
        _wait_for(lambda: not engine._queue)
        names += ["d", "e"]
    # With `taking`, "i" finds the queue full: the spill ("i" and "j", in one
    # segment). Without, the delivery thread may take one more batch first:
    # "k" spills at the latest.
    more = ["f", "g", "h", "i", "j"] if taking else ["f", "g", "h", "i", "j", "k"]
    for tool in more:
        client.track_tool_call(sid, tool, {}, {})
    names += more
    _wait_for(lambda: _on_disk(tmp_path) == ["s", *names])
    assert _on_disk(tmp_path) == ["s", *names]
    assert len(list((tmp_path / "spool").rglob("*.spool"))) == 2  # the journal, the spill
    stats = client.stats()
    assert (stats["sent"], stats["in_flight"]) == (0, 2)  # the sender's [s a]
    if taking:  # [d e] taken, [f g h] queued, [i j] spilled
        wait = (stats["queued"], stats["spool_pending"], stats["spooled"])
        assert wait == (3, 2, 2)
    spilled = stats["spool_pending"]
    outage.up()
    assert client.flush(WAIT) is True, client.stats()
    stats = client.stats()
    # Settled, the journal goes (not only at shutdown); the spill segment is
    # this process's own, kept open until shutdown.
    _wait_for(lambda: _on_disk(tmp_path) == names[-spilled:])
    assert _on_disk(tmp_path) == names[-spilled:]
    assert client.shutdown(2) is True
    sent = len(names) + 1
    assert (stats["sent"], stats["replayed"]) == (sent, spilled)
    assert stats["dead_lettered"] == {} and stats["dropped"] == {}
    assert _tools(reader, sid) == names
    assert _on_disk(tmp_path) == []  # the journal went once its operations were settled


def test_what_a_full_spool_cannot_take_is_dropped_not_dead_lettered(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy.on_request = _unavailable
    client = _client(proxy, sentrial_server, tmp_path, max_queue_size=1, max_spool_bytes=600)
    with caplog.at_level(logging.INFO, logger="sentrial"):
        _session(client, "s", [f"t{n}" for n in range(9)])
        assert client.shutdown(0.3) is False
    stats = client.stats()
    assert stats["dead_lettered"] == {} and stats["sent"] == 0
    assert stats["dropped"]["spool_full"] > 0, stats
    assert _dead_letters(tmp_path) == []
    url = proxy.url
    assert [r.getMessage() for r in caplog.records if "spool_full" in r.getMessage()] == [
        f"sentrial: 1 operation(s) not delivered to {url}: spool_full: "
        "the spool is full (max_spool_bytes) (dropped)"
    ]


def test_a_full_dead_letter_file_keeps_what_fits_and_the_rest_is_counted_dropped(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        if route == BATCH:
            return 400, None, b'{"error":"Bad Request","message":"scripted"}'
        return None

    proxy.on_request = answer
    client = _client(proxy, sentrial_server, tmp_path, max_spool_bytes=1000)
    with caplog.at_level(logging.INFO, logger="sentrial"):
        sid = _session(client, "s", [f"t{n}" for n in range(9)])
        assert client.flush(WAIT) is False
        kept = len(_dead_letters(tmp_path))
        client.track_tool_call(sid, "later", {}, {})  # the file is full now
        assert client.flush(WAIT) is False
    stats = client.stats()
    client.shutdown(2)
    assert 0 < kept < 10 and len(_dead_letters(tmp_path)) == kept
    assert stats["dead_lettered"] == {"rejected_400": kept}
    assert stats["dropped"] == {"rejected_400": 10 - kept + 1}
    (path,) = (tmp_path / "spool").rglob("dead-letter.jsonl")
    start = f"sentrial: 10 operation(s) not delivered to {proxy.url}: rejected_400: "
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"{start}HTTP 400: scripted (kept in {path}; "
        "`sentrial flush-spool --dead-letter` sends them again)",
        f"sentrial: 1 operation(s) not delivered to {proxy.url}: rejected_400: "
        "HTTP 400: scripted (dropped)",
    ]


def test_the_engine_of_a_forked_child_starts_afresh(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    # In the child, os.register_at_fork runs _after_fork_in_child on every live
    # engine (test_fork_* fork for real; mutmut only sees this process).
    client = _client(proxy, sentrial_server, tmp_path)
    _session(client, "parent", [])
    assert client.flush(WAIT) is True
    assert client.shutdown(2) is True  # its threads and connections are gone, as in a child
    engine = _engine(client)
    engine._after_fork_in_child()
    engine._setup()
    engine._random = _NoJitter()
    sid = _session(client, "child", ["a"])
    assert client.flush(WAIT) is True
    stats = client.stats()
    assert client.shutdown(2) is True
    assert (stats["tracked"], stats["sent"], stats["dead_lettered"]) == (2, 2, {})
    assert _tools(reader, sid) == ["a"]


def test_a_spool_that_cannot_be_written_keeps_operations_in_memory(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    reader: Reader,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = _Outage(proxy)
    client = _client(proxy, sentrial_server, tmp_path, max_queue_size=3, batch_size=2)
    engine = _engine(client)
    directory = engine._spool.directory
    directory.parent.mkdir(parents=True)
    directory.write_bytes(b"")  # a file where the spool directory should be
    with caplog.at_level(logging.INFO, logger="sentrial"):
        # As in the spill test above: [s a] sent, [b c] waiting, [d e] taken.
        sid = _session(client, "s", ["a"])
        _wait_for(lambda: len(proxy.batches()) > 0)
        client.track_tool_call(sid, "b", {}, {})
        client.track_tool_call(sid, "c", {}, {})
        _wait_for(lambda: engine._handoff.qsize() == 1)
        client.track_tool_call(sid, "d", {}, {})
        client.track_tool_call(sid, "e", {}, {})
        _wait_for(lambda: not engine._queue)
        for tool in ["f", "g", "h", "i"]:  # "i" finds the queue full: the spill fails
            client.track_tool_call(sid, tool, {}, {})
        _wait_for(lambda: len(engine._queue) == 4)
        queued = client.stats()["queued"]
        outage.up()
        assert client.flush(WAIT) is True, client.stats()
    stats = client.stats()
    client.shutdown(2)
    assert queued == 4  # [f g h] and [i], which the disk gave back
    assert stats["sent"] == 10 and stats["dropped"] == {} and stats["dead_lettered"] == {}
    assert _tools(reader, sid) == ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
    refused = f"[Errno 17] File exists: '{directory}'"
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"sentrial: cannot copy operations in flight to disk ({refused})",
        f"sentrial: cannot write the spool: {refused}; operations are kept in memory",
    ]


@pytest.mark.parametrize("status", [429, 503])
def test_two_items_failing_together_are_each_dead_lettered_on_their_fifth_attempt(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    reader: Reader,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    proxy.on_item = lambda op: status if op["body"].get("toolName") in ("p1", "p2") else None
    client = _client(proxy, sentrial_server, tmp_path)
    with caplog.at_level(logging.INFO, logger="sentrial"):
        sid = _session(client, "s", ["p1", "a", "p2"])
        assert client.flush(WAIT) is False
    stats = client.stats()
    client.shutdown(2)
    first = [["s", "p1", "a", "p2"]]
    if status == 429:  # not the server's fault: retried together
        assert proxy.batches() == first + [["p1", "p2"]] * 4
        assert stats["retried"] == 4
    else:  # a 5xx may be one item's fault: two failures, then halves
        assert proxy.batches() == first + [["p1", "p2"]] + [["p1"]] * 3 + [["p2"]] * 3
        assert stats["retried"] == 6
    assert stats["dead_lettered"] == {f"poison_{status}": 2} and stats["sent"] == 2
    assert _tools(reader, sid) == ["a"]
    assert [r.getMessage() for r in caplog.records if "will retry" in r.getMessage()] == [
        f"sentrial: will retry: HTTP {status} for 2 operation(s) of a batch"
    ]


def test_a_batch_server_without_client_timestamps_gets_none(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    proxy.health = {"capabilities": ["batch", "client_ids"]}
    client = _client(proxy, sentrial_server, tmp_path)
    sid = _session(client, "s", ["a"])
    assert client.flush(WAIT) is True, client.stats()
    client.track_tool_call(sid, "b", {}, {})  # encoded ahead now: the capabilities are known
    assert client.flush(WAIT) is True, client.stats()
    stats = client.stats()
    client.shutdown(2)
    ((create, event), (later,)) = [s.ops for s in proxy.seen if s.route == BATCH]
    assert create["body"]["id"] == sid and "startedAt" not in create["body"]
    assert event["body"]["sessionId"] == sid and "timestamp" not in event["body"]
    assert later["body"]["toolName"] == "b" and "timestamp" not in later["body"]
    assert _tools(reader, sid) == ["a", "b"] and stats["sent"] == 3


def test_an_item_rejected_without_a_message_is_dead_lettered_with_none(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    proxy.on_item = lambda op: 400 if op["body"].get("toolName") == "bad" else None
    client = _client(proxy, sentrial_server, tmp_path)
    sid = _session(client, "s", ["bad", "a"])
    assert client.flush(WAIT) is False
    stats = client.stats()
    client.shutdown(2)
    assert stats["dead_lettered"] == {"rejected_400": 1} and stats["sent"] == 2
    assert [(d["reason"], d["message"]) for d in _dead_letters(tmp_path)] == [("rejected_400", "")]
    assert _tools(reader, sid) == ["a"]


def test_what_the_lanes_hold_at_shutdown_goes_to_disk(tmp_path: Path) -> None:
    plain = StandIn(Behaviour(faults=[(429, "0.05")] * 1000))  # "later", to everything
    with serve_app(plain.app()) as url:
        client = _plain_client(url, tmp_path)
        _session(client, "s", ["a", "b"])
        assert client.flush(0.3) is False
        assert client.shutdown(0.3) is False
        stats = client.stats()
    assert stats["sent"] == 0 and stats["spooled"] == 3 and stats["dead_lettered"] == {}
    assert _on_disk(tmp_path) == ["s", "a", "b"]


def test_shutdown_of_an_engine_that_never_started(sentrial_server: LocalServer) -> None:
    client = SentrialClient(api_key=sentrial_server.api_key, api_url=sentrial_server.url)
    engine = _engine(client)
    assert engine.shutdown(0.5) is True and engine._ready is False
    assert engine.stats()["tracked"] == 0


def test_shutdown_says_false_when_an_operation_was_dead_lettered(
    proxy: ScriptedProxy, sentrial_server: LocalServer, tmp_path: Path
) -> None:
    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        if route == BATCH:
            return 400, None, b'{"error":"Bad Request","message":"scripted"}'
        return None

    proxy.on_request = answer
    client = _client(proxy, sentrial_server, tmp_path)
    _session(client, "s", [])
    # No flush first: shutdown's own flush sees the failure; nothing is left over.
    assert client.shutdown(2) is False
    assert client.stats()["dead_lettered"] == {"rejected_400": 1}
    assert _on_disk(tmp_path) == []


def test_a_second_spill_insures_only_what_no_journal_holds_yet(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    # A first spill copies [s a] [b c] [d e] [f g h] to a journal. Then all of
    # it goes through but "h", which the server keeps refusing: that journal
    # stays, [i] comes back from the spool, and the queue is in use again. A
    # second spill must copy what is in flight and not in a journal yet: [i]
    # (the sender's next batch), [j k] (being handed over), [l m n] (queued).
    blocked: set[str] | None = None  # None: the server is down

    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        if route == HEALTH and HEALTH not in proxy.routes():
            return None  # the first probe: batches, known for 5 minutes
        if blocked is None or route == HEALTH:
            return _unavailable(route, body)
        if route == BATCH and any(f'"{name}"'.encode() in body for name in blocked):
            return _unavailable(route, body)
        return None

    proxy.on_request = answer
    client = _client(proxy, sentrial_server, tmp_path, max_queue_size=3, batch_size=2)
    engine = _engine(client)
    sid = _session(client, "s", ["a"])
    _wait_for(lambda: len(proxy.batches()) > 0)
    for tool in ["b", "c"]:
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: engine._handoff.qsize() == 1)
    for tool in ["d", "e"]:
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: not engine._queue)
    for tool in ["f", "g", "h", "i"]:  # "i" finds the queue full: the first spill
        client.track_tool_call(sid, tool, {}, {})
    first = ["s", "a", "b", "c", "d", "e", "f", "g", "h"]
    _wait_for(lambda: sorted(_on_disk(tmp_path)) == sorted([*first, "i"]))
    assert len(engine._journals) == 1
    blocked = {"h"}
    # The sender retries [h], [i] waits for it, the spool is drained: not spilling.
    _wait_for(lambda: engine._idle.is_set() and engine._handoff.qsize() == 1)
    assert engine._spooling is False and engine._current is not None
    assert [op.fields.get("tool_name") for op in engine._current] == ["h"]
    # Nothing copied again: the journal holds "h", "i" is in its spool segment.
    assert sorted(_on_disk(tmp_path)) == sorted([*first, "i"])
    for tool in ["j", "k"]:
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: not engine._queue)
    for tool in ["l", "m", "n", "o"]:  # "o" finds the queue full: the second spill
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: len(engine._journals) == 2 and "o" in _on_disk(tmp_path))
    assert len(engine._journals) == 2 and engine._spooling is True
    second = ["i", "j", "k", "l", "m", "n"]
    assert sorted(_on_disk(tmp_path)) == sorted([*first, "i", *second, "o"])
    blocked = set()
    assert client.flush(WAIT) is True, client.stats()
    stats = client.stats()
    assert client.shutdown(2) is True
    assert _tools(reader, sid) == [*first[1:], *second, "o"]
    assert stats["sent"] == 16 and stats["dead_lettered"] == {} and stats["dropped"] == {}
    assert _on_disk(tmp_path) == []


# -- poison or outage: whether the server answers ----------------------------------


def test_an_operation_is_poison_only_with_two_proofs_whatever_the_status(
    tmp_path: Path,
) -> None:
    # Poison only when the server accepted other operations between this
    # one's failures at least twice: a 500 alone proves nothing (a server
    # whose writes all fail says 500 to each while its health check says 200),
    # and the health check is not asked.
    from sentrial._delivery._policy import RetryableError

    standin = StandIn(Behaviour(health={"status": "ok"}))
    with serve_app(standin.app()) as url:
        client = _plain_client(url, tmp_path)
        engine = _engine(client)
        poison = [
            engine._is_poison(RetryableError("x", status_code=status), proofs)
            for status, proofs in [(503, 2), (503, 1), (500, 0), (500, 1), (None, 2), (500, 3)]
        ]
        engine._accepted = 7
        proofs = [
            engine._proofs(attempts, proofs, then)
            for attempts, proofs, then in [(2, 0, 5), (2, 1, 6), (1, 0, 5), (3, 1, 7)]
        ]
        client.shutdown(1)
    assert poison == [True, False, False, False, False, True]
    # (proofs, accepted_then): +1 when others were accepted since the last failure.
    assert proofs == [(1, 7), (2, 7), (0, 7), (1, 7)]
    assert "GET /api/sdk/health" not in standin.paths()


def test_an_operation_a_plain_server_without_health_answers_503_is_retried_past_five(
    tmp_path: Path,
) -> None:
    # 503 again and again, nothing else accepted meanwhile: as likely an outage
    # as a poison operation, so it is retried (not dead-lettered) after its 5th.
    plain = StandIn(Behaviour(poison=b'"poison"', poison_status=503))
    with serve_app(plain.app()) as url:
        client = _plain_client(url, tmp_path)
        sid = _session(client, "s", ["a", "poison"])
        _wait_for(lambda: [what for what, _ in _requests(plain)].count("poison") >= 6)
        tries = [what for what, _ in _requests(plain)].count("poison")
        assert client.shutdown(0.3) is False
        stats = client.stats()
    assert tries >= 6, tries
    assert stats["sent"] == 2 and stats["dead_lettered"] == {} and stats["spooled"] == 1
    assert _dead_letters(tmp_path) == [] and _on_disk(tmp_path) == ["poison"]
    (theirs,) = plain.sessions
    assert [e["toolName"] for e in plain.events_of(theirs)] == ["a"] and sid != theirs


# -- what shutdown writes ------------------------------------------------------------


def test_shutdown_writes_what_it_holds_before_what_was_spilled(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _Outage(proxy)  # down after the first probe, to the end
    client = _client(proxy, sentrial_server, tmp_path, max_queue_size=3, batch_size=2)
    engine = _engine(client)
    sid = _session(client, "s", ["a"])
    _wait_for(lambda: len(proxy.batches()) > 0)
    for tool in ["b", "c"]:
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: engine._handoff.qsize() == 1)
    for tool in ["d", "e"]:
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: not engine._queue)
    for tool in ["f", "g", "h", "i", "j"]:  # "i" finds the queue full: spilled
        client.track_tool_call(sid, tool, {}, {})
    with caplog.at_level(logging.INFO, logger="sentrial"):
        assert client.shutdown(0.5) is False
        # The delivery thread gives [d e] back when it sees the stop, and ends.
        thread = engine._thread
        assert thread is not None
        thread.join(5)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    # (The request that shutdown cuts short may log "cannot reach".)
    assert [m for m in warnings if "cannot reach" not in m] == []
    stats = client.stats()
    assert stats["sent"] == 0 and stats["spooled"] == 11 and stats["dropped"] == {}
    # Older first: the held and queued operations sort before the spilled ones.
    assert _on_disk(tmp_path) == ["s", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]


def test_leftovers_a_broken_spool_cannot_take_at_shutdown_are_counted_dropped(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy.on_request = _unavailable
    client = _client(proxy, sentrial_server, tmp_path)
    directory = _engine(client)._spool.directory
    directory.parent.mkdir(parents=True)
    directory.write_bytes(b"")  # a file where the spool directory should be
    with caplog.at_level(logging.INFO, logger="sentrial"):
        _session(client, "s", ["a"])
        assert client.flush(0.3) is False
        assert client.shutdown(0.3) is False
    stats = client.stats()
    assert stats["sent"] == 0 and stats["spooled"] == 0 and stats["dead_lettered"] == {}
    assert stats["dropped"] == {"spool_error": 2}
    refused = f"[Errno 17] File exists: '{directory}'"
    url = proxy.url
    dead = f"{directory}/dead-letter.jsonl"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    # (The request that shutdown cuts short may log "cannot reach".)
    assert [m for m in warnings if "cannot reach" not in m] == [
        f"sentrial: cannot write the spool: {refused}; operations are kept in memory",
        f"sentrial: cannot write the dead-letter file {dead} ({refused})",
        f"sentrial: 2 operation(s) not delivered to {url}: spool_error: "
        f"cannot write the spool: {refused} (dropped)",
    ]


def test_an_operation_failing_while_others_go_through_is_poison_on_its_fifth_attempt(
    tmp_path: Path,
) -> None:
    # One lane at a time, in turn: "poison" fails, one of "b"'s operations is
    # accepted, "poison" fails again... Each failure after the first comes with
    # a proof that the server answers others: on the 5th it is dead-lettered,
    # though the server has no health check and says 503, not 500.
    plain = StandIn(Behaviour(poison=b'"poison"', poison_status=503))
    with serve_app(plain.app()) as url:
        client = SentrialClient(
            api_key="k", api_url=url, spool_dir=str(tmp_path / "spool"), max_concurrency=1
        )
        engine = _engine(client)
        engine._setup()
        engine._random = _NoJitter()
        _session(client, "a", ["poison"])
        _session(client, "b", [f"b{n}" for n in range(8)])
        assert client.flush(WAIT) is False
        stats = client.stats()
        client.shutdown(1)
    assert _requests(plain) == [
        ("a", 200),
        ("b", 200),
        *[("poison", 503), ("b0", 200)],
        *[("poison", 503), ("b1", 200)],
        *[("poison", 503), ("b2", 200)],
        *[("poison", 503), ("b3", 200)],
        ("poison", 503),
        *[(f"b{n}", 200) for n in range(4, 8)],
    ]
    assert stats["dead_lettered"] == {"poison_503": 1} and stats["sent"] == 10
    assert stats["retried"] == 4


def test_a_retry_is_logged_once_per_status(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = (503, "0", b'{"error":"Unavailable","message":"first"}')
    second = (429, "0", b'{"error":"Too Many Requests","message":"second"}')
    _answer_first_batches(proxy, first, first, second)
    client = _client(proxy, sentrial_server, tmp_path, batch_size=1)
    with caplog.at_level(logging.INFO, logger="sentrial"):
        _session(client, "s", [])
        assert client.flush(WAIT) is True
    stats = client.stats()
    client.shutdown(2)
    assert [r.getMessage() for r in caplog.records] == [
        "sentrial: will retry: HTTP 503: first",
        "sentrial: will retry: HTTP 429: second",
    ]
    assert stats["retried"] == 3 and stats["sent"] == 1


def test_what_a_broken_spool_gives_back_is_kept_in_memory_up_to_twice_the_queue(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    # As in the test above, the spill fails: what the disk gives back goes
    # back to the queue while it holds fewer than 2 * max_queue_size (6); the
    # rest is dropped, counted (the dead-letter file is on the same broken disk).
    outage = _Outage(proxy)
    client = _client(proxy, sentrial_server, tmp_path, max_queue_size=3, batch_size=2)
    engine = _engine(client)
    directory = engine._spool.directory
    directory.parent.mkdir(parents=True)
    directory.write_bytes(b"")  # a file where the spool directory should be
    sid = _session(client, "s", ["a"])
    _wait_for(lambda: len(proxy.batches()) > 0)
    for tool in ["b", "c"]:
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: engine._handoff.qsize() == 1)
    for tool in ["d", "e"]:
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: not engine._queue)
    for tool in ["f", "g", "h", "i", "j"]:  # "i" finds the queue full: the spill fails
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: len(engine._queue) == 5)
    assert len(engine._queue) == 5 and client.stats()["dropped"] == {}
    for tool in ["k", "l", "m"]:  # room for one more: "k"
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: client.stats()["dropped"] == {"spool_error": 2})
    assert len(engine._queue) == 6 and client.stats()["dropped"] == {"spool_error": 2}
    outage.up()
    assert client.flush(WAIT) is False  # two were dropped
    stats = client.stats()
    client.shutdown(2)
    assert stats["sent"] == 12 and stats["dead_lettered"] == {}
    assert _tools(reader, sid) == ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]


def test_a_partial_batch_is_sent_after_flush_interval_without_a_flush(
    proxy: ScriptedProxy, sentrial_server: LocalServer, tmp_path: Path
) -> None:
    client = _client(proxy, sentrial_server, tmp_path, flush_interval=0.05)
    _session(client, "s", ["a"])  # 2 operations of a batch of 100
    _wait_for(lambda: proxy.batches() == [["s", "a"]])
    assert proxy.batches() == [["s", "a"]]
    _session(client, "t", [])  # and the next one, after the delivery thread idled
    _wait_for(lambda: len(proxy.batches()) == 2)
    assert proxy.batches() == [["s", "a"], ["t"]]
    assert client.shutdown(2) is True


def test_a_batch_of_two_answered_413_is_split_in_one_and_one(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    _answer_first_batches(proxy, (413, None, b'{"error":"Payload Too Large","message":"scripted"}'))
    client = _client(proxy, sentrial_server, tmp_path)
    sid = _session(client, "s", ["a"])
    assert client.flush(WAIT) is True, client.stats()
    stats = client.stats()
    client.shutdown(2)
    assert proxy.batches() == [["s", "a"], ["s"], ["a"]]
    assert stats["sent"] == 2 and stats["retried"] == 0 and stats["dead_lettered"] == {}
    assert _tools(reader, sid) == ["a"]


def test_a_batch_server_whose_health_check_is_gone_keeps_retrying_an_operation_503(
    proxy: ScriptedProxy, sentrial_server: LocalServer, tmp_path: Path
) -> None:
    # Batches known (the first probe), then the health check answers 404 and
    # the batch 503: a 503 is no proof that the server answers, so after the
    # 5th attempt the operation is retried still, not dead-lettered.
    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        if route == HEALTH and HEALTH not in proxy.routes():
            return None
        if route == HEALTH:
            return 404, None, b'{"error":"Not Found","message":"gone"}'
        return 503, "0", b'{"error":"Unavailable","message":"scripted"}'

    proxy.on_request = answer
    client = _client(proxy, sentrial_server, tmp_path, flush_interval=0.01)
    _session(client, "s", [])
    _wait_for(lambda: len(proxy.batches()) >= 8)
    assert len(proxy.batches()) >= 8
    assert client.shutdown(0.3) is False
    stats = client.stats()
    assert stats["dead_lettered"] == {} and stats["sent"] == 0 and stats["spooled"] == 1
    assert proxy.routes()[:3] == [HEALTH, BATCH, BATCH]
    assert proxy.routes().count(HEALTH) == 1  # a verdict needs proofs, not the health check


def test_a_batch_encoded_ahead_for_other_capabilities_is_encoded_again(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    # [b c] is encoded ahead while [s a] fails; then the batch endpoint answers
    # 404 once and the server, asked again, no longer takes client timestamps:
    # [b c] must go without them, not as encoded before.
    release = False
    gone: list[int] = []

    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        if route == BATCH and b'"s"' in body and not release:
            return 503, "0.02", b"{}"
        if route == BATCH and b'"s"' in body and not gone:
            gone.append(1)
            proxy.health = {"capabilities": ["batch", "client_ids"]}
            return 404, None, b'{"error":"Not Found","message":"proxy"}'
        return None

    proxy.on_request = answer
    client = _client(proxy, sentrial_server, tmp_path, batch_size=2)
    engine = _engine(client)
    sid = _session(client, "s", ["a"])
    _wait_for(lambda: len(proxy.batches()) > 0)
    for tool in ["b", "c"]:
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: engine._handoff.qsize() == 1)
    assert engine._handoff.queue[0][1] is not None  # encoded ahead
    release = True
    assert client.flush(WAIT) is True, client.stats()
    client.shutdown(2)
    last = [s.ops for s in proxy.seen if s.route == BATCH][-1]
    assert [op["body"]["toolName"] for op in last] == ["b", "c"]
    assert ["timestamp" in op["body"] for op in last] == [False, False]
    assert _tools(reader, sid) == ["a", "b", "c"]


def test_an_unreadable_line_in_the_engines_own_spool_is_set_aside(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    outage = _Outage(proxy)
    client = _client(proxy, sentrial_server, tmp_path, max_queue_size=3, batch_size=2)
    engine = _engine(client)
    sid = _session(client, "s", ["a"])
    _wait_for(lambda: len(proxy.batches()) > 0)
    for tool in ["b", "c"]:
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: engine._handoff.qsize() == 1)
    for tool in ["d", "e"]:
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: not engine._queue)
    for tool in ["f", "g", "h", "i"]:  # "i" finds the queue full: spilled
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: "i" in _on_disk(tmp_path))
    segment = engine._spool._active
    assert segment is not None
    with segment.path.open("ab") as out:
        out.write(b"not an operation\n")
    outage.up()
    assert client.flush(WAIT) is False  # the unreadable line was not delivered
    stats = client.stats()
    client.shutdown(2)
    assert stats["sent"] == 10 and stats["dead_lettered"] == {"unreadable_spool_line": 1}
    assert [(d["reason"], d["line"]) for d in _dead_letters(tmp_path)] == [
        ("unreadable_spool_line", "not an operation")
    ]
    assert _tools(reader, sid) == ["a", "b", "c", "d", "e", "f", "g", "h", "i"]


def test_replayed_operations_a_full_spool_cannot_take_back_at_shutdown_are_dropped(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy.on_request = _unavailable
    first = _client(proxy, sentrial_server, tmp_path)
    _session(first, "s", ["a"])
    assert first.shutdown(0.3) is False
    again = _client(proxy, sentrial_server, tmp_path, max_spool_bytes=10)
    engine = _engine(again)
    engine.start()  # replays the spool: [s a] from the first client's segment
    assert again.flush(0.3) is False
    assert again.stats()["replayed"] == 2
    with caplog.at_level(logging.INFO, logger="sentrial"):
        assert again.shutdown(0.3) is False
    stats = again.stats()
    assert (stats["replayed"], stats["sent"], stats["dead_lettered"]) == (2, 0, {})
    assert stats["dropped"] == {"spool_full": 2}
    url = proxy.url
    # (The request that shutdown cuts short may log "cannot reach" first.)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert [m for m in warnings if "cannot reach" not in m] == [
        f"sentrial: 2 operation(s) not delivered to {url}: spool_full: "
        "the spool is full (max_spool_bytes) (dropped)"
    ]


def _stuck_with_a_held_batch(
    proxy: ScriptedProxy, sentrial_server: LocalServer, tmp_path: Path
) -> tuple[SentrialClient, BackgroundDelivery]:
    """The sender stuck in a request with [s a], [b c] waiting for it, the
    delivery thread holding [d e] (retrying the hand-off), [f g h] queued."""
    proxy.stalling = True
    client = _client(
        proxy, sentrial_server, tmp_path, max_queue_size=3, batch_size=2, request_timeout=10
    )
    engine = _engine(client)
    sid = _session(client, "s", ["a"])
    _wait_for(lambda: engine._current is not None)
    for tool in ["b", "c"]:
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: engine._handoff.qsize() == 1)
    for tool in ["d", "e"]:
        client.track_tool_call(sid, tool, {}, {})
    _wait_for(lambda: not engine._queue)
    for tool in ["f", "g", "h"]:
        client.track_tool_call(sid, tool, {}, {})
    return client, engine


def test_a_quick_shutdown_keeps_the_stuck_request_and_everything_after_it_on_disk(
    proxy: ScriptedProxy, sentrial_server: LocalServer, tmp_path: Path
) -> None:
    # The sender is stuck in a request with [s a], [b c] waits for it, the
    # delivery thread holds [d e] (retrying the hand-off every 0.1 s), [f g h]
    # is queued: shutdown keeps all of it on disk, in order, and says so.
    client, _ = _stuck_with_a_held_batch(proxy, sentrial_server, tmp_path)
    assert client.shutdown(0.2) is False
    stats = client.stats()
    proxy.stalling = False
    _wait_for(lambda: len(proxy.batches()) == 1)  # the stuck request ends here, not later
    assert stats["sent"] == 0 and stats["spooled"] == 9 and stats["dropped"] == {}
    assert _on_disk(tmp_path) == ["s", "a", "b", "c", "d", "e", "f", "g", "h"]


def test_nothing_a_quick_shutdown_saved_is_dead_lettered_after_it(
    proxy: ScriptedProxy, sentrial_server: LocalServer, tmp_path: Path
) -> None:
    # As above, then the stuck request ends after shutdown closed the
    # transport: the engine's threads neither hand over nor send anything
    # more (the batch held at the stop was sent through the closed client and
    # dead-lettered as internal_error, though shutdown had saved it).
    client, engine = _stuck_with_a_held_batch(proxy, sentrial_server, tmp_path)
    assert client.shutdown(0.2) is False
    proxy.stalling = False  # the stuck request ends (its connection was closed)
    for thread in (engine._thread, engine._sender):
        assert thread is not None
        thread.join(WAIT)
        assert not thread.is_alive()
    assert _on_disk(tmp_path) == ["s", "a", "b", "c", "d", "e", "f", "g", "h"]
    assert _dead_letters(tmp_path) == []
    assert client.stats()["dead_lettered"] == {}


def test_totals_that_cannot_be_added_up_cost_only_the_totals(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    reader: Reader,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = _client(proxy, sentrial_server, tmp_path)
    with caplog.at_level(logging.INFO, logger="sentrial"):
        sid = _session(client, "s", ["a"])
        fields = {"event_type": "tool_call", "tool_name": "b", "prompt_tokens": float("inf")}
        _engine(client).submit(Operation("create_event", sid, fields))
        assert client.flush(WAIT) is True, client.stats()
    stats = client.stats()
    client.shutdown(2)
    assert stats["sent"] == 3 and stats["dead_lettered"] == {}
    assert _tools(reader, sid) == ["a", "b"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "sentrial: cost/token totals skipped "
        "(OverflowError: cannot convert float infinity to integer)"
    ]


def test_stats_count_the_lanes_requests_in_flight(tmp_path: Path) -> None:
    plain = StandIn(Behaviour(latency=0.3))
    with serve_app(plain.app()) as url:
        client = _plain_client(url, tmp_path)
        client.create_session("s", "agent", "u")
        _engine(client)._wake.set()  # take the partial batch now
        _wait_for(lambda: plain.in_flight == 1)
        stats = client.stats()
        assert client.flush(WAIT) is True
        client.shutdown(1)
    assert (stats["queued"], stats["in_flight"], stats["sent"]) == (0, 1, 0)


def test_one_operation_accepted_between_failures_is_no_proof_enough(
    proxy: ScriptedProxy, sentrial_server: LocalServer, tmp_path: Path
) -> None:
    # [s p x]: "s" goes through, "p" and "x" fail; then "x" goes through (one
    # proof that the server answers others), then the whole batch [p] fails
    # again and again, and the health check answers 404. One proof is not two:
    # after its 5th attempt "p" is retried still, not dead-lettered.
    batches = 0
    x_failed: list[int] = []

    def answer(route: str, body: bytes) -> tuple[int, str | None, bytes] | None:
        nonlocal batches
        if route == HEALTH:
            return None if HEALTH not in proxy.routes() else (404, None, b"{}")
        batches += 1
        return (503, "0", b"{}") if batches > 2 else None

    def item(op: dict[str, Any]) -> int | None:
        name = op["body"].get("toolName")
        if name == "x" and not x_failed:
            x_failed.append(1)
            return 503
        return 503 if name == "p" else None

    proxy.on_request = answer
    proxy.on_item = item
    client = _client(proxy, sentrial_server, tmp_path, flush_interval=0.01)
    _session(client, "s", ["p", "x"])
    _wait_for(lambda: len(proxy.batches()) >= 8)
    assert client.shutdown(0.3) is False
    stats = client.stats()
    assert proxy.batches()[:3] == [["s", "p", "x"], ["p", "x"], ["p"]]
    assert stats["sent"] == 2 and stats["dead_lettered"] == {} and stats["spooled"] == 1


def test_flush_without_a_timeout_waits_until_everything_is_delivered(
    proxy: ScriptedProxy, sentrial_server: LocalServer, reader: Reader, tmp_path: Path
) -> None:
    _answer_first_batches(proxy, (503, "0", b"{}"))
    client = _client(proxy, sentrial_server, tmp_path)
    sid = _session(client, "s", ["a"])
    assert client.flush() is True
    stats = client.stats()
    client.shutdown(2)
    assert (stats["sent"], stats["retried"], stats["queued"], stats["in_flight"]) == (2, 1, 0, 0)
    assert _tools(reader, sid) == ["a"]


# -- after the stop ---------------------------------------------------------------


def test_what_is_tracked_after_shutdown_goes_to_disk_for_the_next_process(
    proxy: ScriptedProxy,
    sentrial_server: LocalServer,
    reader: Reader,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As an app's exit handler that runs after sentrial's: the engine is stopped
    # (the exit hook shut it down), the client still holds it.
    client = _client(proxy, sentrial_server, tmp_path)
    engine = _engine(client)
    sid = _session(client, "s", ["a"])
    assert client.flush(WAIT) is True
    assert engine.shutdown(WAIT) is True
    sent = len(proxy.seen)
    with caplog.at_level(logging.WARNING, logger="sentrial"):
        _session(client, "late", ["b", "c"])
        client.track_tool_call(sid, "d", {"tool": "d"}, {})
    said = [r.getMessage() for r in caplog.records if "after shutdown" in r.getMessage()]
    assert said == [
        f"sentrial: tracked after shutdown: kept on disk in {engine._spool.directory}; the next"
        " process with this API URL and key (or `sentrial flush-spool`) delivers it"
    ]  # once, however many operations
    stats = engine.stats()
    assert (stats["queued"], stats["spooled"]) == (0, 4)  # on disk, unbuffered, at once
    assert len(proxy.seen) == sent  # nothing sent by the stopped engine
    # The process ends (its files close); the next one with the same URL, key
    # and spool directory delivers them.
    engine._spool.close()
    later = _client(proxy, sentrial_server, tmp_path)
    later.create_session("next", "agent", "u")
    assert later.flush(WAIT) is True
    assert _tools(reader, sid) == ["a", "d"]
    (late,) = [s for s in reader.sessions() if s["name"] == "late"]
    assert _tools(reader, late["id"]) == ["b", "c"]


def test_the_terminate_handler_is_set_only_where_the_app_left_sigterm_alone() -> None:
    before = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _background._keep_on_disk_when_terminated()
        assert signal.getsignal(signal.SIGTERM) is _background._on_terminate

        def apps_own(signum: int, frame: Any) -> None:
            return None

        signal.signal(signal.SIGTERM, apps_own)
        _background._keep_on_disk_when_terminated()
        assert signal.getsignal(signal.SIGTERM) is apps_own  # the app's stays

        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        other = threading.Thread(target=_background._keep_on_disk_when_terminated)
        other.start()
        other.join()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # not from another thread
    finally:
        signal.signal(signal.SIGTERM, before)
