"""The session viewer served by ``sentrial serve`` at ``/``: plain server-rendered HTML.

No JavaScript framework and no CDN, so it works offline. Served only when the
server listens on a loopback address: it reads the store without a key.

It renders what clients stored, so it trusts none of it:

- every value is escaped, whatever its type (a store may hold a string where
  a number belongs: written by a former version, or past the API);
- pages carry a Content-Security-Policy that runs no script at all and loads
  nothing but the page's own stylesheet (allowed by its hash);
- only requests whose ``Host`` names this machine (``localhost``, a loopback
  address, or the host the server was started on) are answered; any other
  name gets 421. A web page cannot read the viewer through a domain of its
  own that resolves to 127.0.0.1 (DNS rebinding).
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .._serve import is_loopback
from . import _json
from ._storage import Storage, StorageError

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2330;background:#fafbfc}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e3e6ea;padding:.4rem .6rem;text-align:left;font-size:.9rem;
vertical-align:top}
th{background:#f0f2f5}a{color:#2155c4;text-decoration:none}
.failed{color:#b3261e;font-weight:600}.completed{color:#1a7f37}.active{color:#8a6d00}
tr.error td{background:#fdecea}
form{margin:1rem 0;display:flex;gap:.5rem;flex-wrap:wrap}
input,select{padding:.3rem}pre{white-space:pre-wrap;max-width:60rem;margin:.3rem 0}
.num{text-align:right;font-variant-numeric:tabular-nums}
"""


_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'none'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _page(title: Any, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>",
        status_code=status,
        headers=HEADERS,
    )


def _text(value: Any) -> str:
    """Any stored value as text: strings as they are, the rest as JSON, None as ''."""
    if value is None:
        return ""
    return value if isinstance(value, str) else _json.dumps(value).decode()


def _e(value: Any) -> str:
    """Any stored value as escaped text (see _text)."""
    return html.escape(_text(value))


def _number(value: Any) -> float | None:
    """A JSON number as a float (None for anything else, or past a float's range)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def _money(value: Any) -> str:
    number = _number(value)
    return "" if number is None else f"${number:.6f}"


def _ms(value: Any) -> str:
    number = _number(value)
    return "" if number is None else f"{number:,.0f} ms"


def _rate(value: Any) -> str:
    number = _number(value)
    return "" if number is None else f"{number:.0%}"


def _count(value: Any) -> str:
    return _e(value) if _number(value) is not None else ""


def _pretty(value: Any) -> str:
    return _e(_json.dumps(value, option=orjson.OPT_INDENT_2).decode())


def _tokens(event: dict[str, Any]) -> Any:
    """Prompt plus completion tokens of an LLM call, else the event's tokenCount."""
    parts = [event.get(k) for k in ("promptTokens", "completionTokens")]
    total: Any = 0
    for part in parts:
        if _number(part) is not None:
            total += part
    if total:
        return total
    count = event.get("tokenCount")
    return count if _number(count) is not None else ""


def _host_name(header: str) -> str:
    """The name in a Host header, without the port or IPv6 brackets, lowercased."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else ""
    name, _, port = header.rpartition(":")
    return name if name and port.isdigit() and ":" not in name else header


Handler = Callable[[Request], Awaitable[Response]]


def _only_for_this_machine(handler: Handler, host: str | None) -> Handler:
    configured = {host.lower()} if host else set()

    async def checked(request: Request) -> Response:
        name = _host_name(request.headers.get("host", ""))
        if name and (name in configured or is_loopback(name)):
            return await handler(request)
        return _page(
            "Misdirected request",
            "<h1>Misdirected request</h1><p>This viewer answers only under "
            "<code>localhost</code> or a loopback address.</p>",
            status=421,
        )

    return checked


SESSIONS_PER_PAGE = 200
EVENTS_PER_PAGE = 1000


def _bad_cursor(exc: StorageError) -> HTMLResponse:
    return _page("Bad request", f"<h1>Bad request</h1><p>{_e(exc.message)}</p>", 400)


def viewer_routes(storage: Storage, host: str | None = None) -> list[Route]:
    """The viewer's routes; ``host`` is the name the server was started on.

    Pages are read and rendered in a worker thread (the event loop keeps
    answering meanwhile), each from indexed queries: a page of sessions or
    events at a time, the next one linked by a cursor (keyset pagination).
    """

    async def sessions(request: Request) -> Response:
        return await run_in_threadpool(sessions_page, request)

    async def session(request: Request) -> Response:
        return await run_in_threadpool(session_page, request)

    def sessions_page(request: Request) -> Response:
        q = request.query_params
        filters = {
            "agent_name": q.get("agent") or None,
            "user_id": q.get("user") or None,
            "status": q.get("status") or None,
        }
        if filters["status"] not in (None, "active", "completed", "failed"):
            filters["status"] = None
        try:
            page, cursor = storage.list_sessions(
                **filters, limit=SESSIONS_PER_PAGE, cursor=q.get("cursor") or None
            )
        except StorageError as exc:
            return _bad_cursor(exc)
        agents = storage.agent_stats()
        agent_rows = "".join(
            f"<tr><td><a href='/?agent={_e(quote(_text(a['agentName']), safe=''))}'>"
            f"{_e(a['agentName'])}</a></td>"
            f"<td class='num'>{_count(a['sessions'])}</td>"
            f"<td class='num'>{_rate(a['successRate'])}</td>"
            f"<td class='num'>{_ms(a['p50DurationMs'])}</td>"
            f"<td class='num'>{_ms(a['p95DurationMs'])}</td>"
            f"<td class='num'>{_money(a['cost'])}</td>"
            f"<td class='num'>{_e(format(a['tokens'], ',.0f'))}</td></tr>"
            for a in agents
        )
        session_rows = "".join(
            f"<tr class='session'><td><a href='/sessions/{_e(quote(_text(s.get('id')), safe=''))}'>"
            f"{_e(s.get('name'))}</a></td>"
            f"<td>{_e(s.get('agentName'))}</td><td>{_e(s.get('userId'))}</td>"
            f"<td class='{_e(s.get('status'))}'>{_e(s.get('status'))}</td>"
            f"<td class='num'>{_ms(s.get('durationMs'))}</td>"
            f"<td class='num'>{_count(s.get('totalTokens'))}</td>"
            f"<td class='num'>{_money(s.get('estimatedCost'))}</td>"
            f"<td class='num'>{_count(s.get('eventCount'))}</td>"
            f"<td>{_e(s.get('startedAt'))}</td></tr>"
            for s in page
        )
        status_options = "".join(
            f"<option value='{v}'{' selected' if filters['status'] == v else ''}>{v or 'any'}"
            "</option>"
            for v in ("", "active", "completed", "failed")
        )
        body = (
            "<h1>Sentrial sessions</h1>"
            "<h2>Agents</h2><table id='agents'><tr><th>agent</th><th>sessions</th>"
            "<th>success rate</th><th>p50 duration</th><th>p95 duration</th><th>cost</th>"
            f"<th>tokens</th></tr>{agent_rows}</table>"
            "<h2>Sessions</h2><form method='get' action='/'>"
            f"<input name='agent' placeholder='agent' value='{_e(filters['agent_name'])}'>"
            f"<input name='user' placeholder='user' value='{_e(filters['user_id'])}'>"
            f"<select name='status'>{status_options}</select>"
            "<button type='submit'>Filter</button></form>"
            "<table id='sessions'><tr><th>session</th><th>agent</th><th>user</th>"
            "<th>status</th><th>duration</th><th>tokens</th><th>cost</th><th>events</th>"
            f"<th>started</th></tr>{session_rows}</table>"
        )
        if cursor is not None:
            kept = {k: v for k, v in (("agent", q.get("agent")), ("user", q.get("user"))) if v}
            if filters["status"]:
                kept["status"] = filters["status"]
            link = "/?" + urlencode({**kept, "cursor": cursor})
            body += f"<p><a id='next' href='{_e(link)}'>older sessions &rarr;</a></p>"
        return _page("Sentrial sessions", body)

    def session_page(request: Request) -> Response:
        try:
            s = storage.get_session(request.path_params["id"])
        except StorageError as exc:
            return _page("Not found", f"<h1>Not found</h1><p>{_e(exc.message)}</p>", 404)
        try:
            events, cursor = storage.list_events(
                s["id"], limit=EVENTS_PER_PAGE, cursor=request.query_params.get("after") or None
            )
        except StorageError as exc:
            return _bad_cursor(exc)
        rows = []
        for ev in events:
            error = ev.get("toolError")
            name = ev.get("toolName") or ev.get("model") or ""
            tokens = _tokens(ev)
            details = []
            for label, key in (
                ("input", "toolInput"),
                ("output", "toolOutput"),
                ("input", "input"),
                ("output", "output"),
                ("reasoning", "reasoning"),
                ("error", "toolError"),
            ):
                if ev.get(key) not in (None, {}, ""):
                    details.append(
                        f"<details><summary>{label}</summary>"
                        f"<pre>{_pretty(ev[key])}</pre></details>"
                    )
            rows.append(
                f"<tr class='event{' error' if error else ''}'><td>{_e(ev.get('timestamp'))}</td>"
                f"<td>{_e(ev.get('eventType'))}</td><td>{_e(name)}</td>"
                f"<td class='num'>{_ms(ev.get('durationMs'))}</td>"
                f"<td class='num'>{_e(tokens)}</td>"
                f"<td class='num'>{_money(ev.get('estimatedCost'))}</td>"
                f"<td>{''.join(details)}</td></tr>"
            )
        body = (
            f"<p><a href='/'>&larr; all sessions</a></p><h1>{_e(s.get('name'))}</h1>"
            f"<p>agent <b>{_e(s.get('agentName'))}</b> &middot; user {_e(s.get('userId'))} "
            f"&middot; <span class='{_e(s.get('status'))}' id='status'>{_e(s.get('status'))}"
            f"</span> &middot; {_ms(s.get('durationMs'))} &middot; "
            f"{_count(s.get('totalTokens')) or 0} tokens &middot; "
            f"{_money(s.get('estimatedCost'))}</p>"
            + (
                f"<p class='failed'>{_e(s.get('failureReason'))}</p>"
                if s.get("failureReason")
                else ""
            )
            + "<table id='events'><tr><th>time</th><th>type</th><th>name</th><th>duration</th>"
            "<th>tokens</th><th>cost</th><th>details</th></tr>" + "".join(rows) + "</table>"
        )
        if cursor is not None:
            link = f"/sessions/{quote(_text(s.get('id')), safe='')}?" + urlencode({"after": cursor})
            body += f"<p><a id='next' href='{_e(link)}'>later events &rarr;</a></p>"
        return _page(s.get("name"), body)

    return [
        Route("/", _only_for_this_machine(sessions, host), methods=["GET"]),
        Route("/sessions/{id}", _only_for_this_machine(session, host), methods=["GET"]),
    ]
