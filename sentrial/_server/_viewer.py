"""The session viewer served by ``sentrial serve`` at ``/``: plain server-rendered HTML.

No JavaScript framework and no CDN, so it works offline. Served only when the
server listens on a loopback address: it reads the store without a key.
"""

from __future__ import annotations

import html
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

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


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _money(value: Any) -> str:
    return f"${value:.6f}" if isinstance(value, (int, float)) else ""


def _ms(value: Any) -> str:
    return f"{value:,.0f} ms" if isinstance(value, (int, float)) else ""


def _rate(value: Any) -> str:
    return f"{value:.0%}" if isinstance(value, (int, float)) else ""


def _pretty(value: Any) -> str:
    return _e(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def viewer_routes(storage: Storage) -> list[Route]:
    async def sessions(request: Request) -> Response:
        q = request.query_params
        filters = {
            "agent_name": q.get("agent") or None,
            "user_id": q.get("user") or None,
            "status": q.get("status") or None,
        }
        if filters["status"] not in (None, "active", "completed", "failed"):
            filters["status"] = None
        page, _ = storage.list_sessions(**filters, limit=200)
        agents = storage.agent_stats()
        agent_rows = "".join(
            f"<tr><td><a href='/?agent={_e(a['agentName'])}'>{_e(a['agentName'])}</a></td>"
            f"<td class='num'>{a['sessions']}</td>"
            f"<td class='num'>{_rate(a['successRate'])}</td>"
            f"<td class='num'>{_ms(a['p50DurationMs'])}</td>"
            f"<td class='num'>{_ms(a['p95DurationMs'])}</td>"
            f"<td class='num'>{_money(a['cost'])}</td><td class='num'>{a['tokens']:,}</td></tr>"
            for a in agents
        )
        session_rows = "".join(
            f"<tr class='session'><td><a href='/sessions/{_e(s['id'])}'>{_e(s['name'])}</a></td>"
            f"<td>{_e(s['agentName'])}</td><td>{_e(s['userId'])}</td>"
            f"<td class='{_e(s['status'])}'>{_e(s['status'])}</td>"
            f"<td class='num'>{_ms(s.get('durationMs'))}</td>"
            f"<td class='num'>{s.get('totalTokens') or ''}</td>"
            f"<td class='num'>{_money(s.get('estimatedCost'))}</td>"
            f"<td class='num'>{s['eventCount']}</td><td>{_e(s['startedAt'])}</td></tr>"
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
        return _page("Sentrial sessions", body)

    async def session(request: Request) -> Response:
        try:
            s = storage.get_session(request.path_params["id"])
            events, _ = storage.list_events(s["id"], limit=1000)
        except StorageError as exc:
            return _page("Not found", f"<h1>Not found</h1><p>{_e(exc.message)}</p>")
        rows = []
        for ev in events:
            error = ev.get("toolError")
            name = ev.get("toolName") or ev.get("model") or ""
            tokens = (
                (ev.get("promptTokens") or 0) + (ev.get("completionTokens") or 0)
                or ev.get("tokenCount")
                or ""
            )
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
                f"<tr class='event{' error' if error else ''}'><td>{_e(ev['timestamp'])}</td>"
                f"<td>{_e(ev['eventType'])}</td><td>{_e(name)}</td>"
                f"<td class='num'>{_ms(ev.get('durationMs'))}</td>"
                f"<td class='num'>{tokens}</td>"
                f"<td class='num'>{_money(ev.get('estimatedCost'))}</td>"
                f"<td>{''.join(details)}</td></tr>"
            )
        body = (
            f"<p><a href='/'>&larr; all sessions</a></p><h1>{_e(s['name'])}</h1>"
            f"<p>agent <b>{_e(s['agentName'])}</b> &middot; user {_e(s['userId'])} &middot; "
            f"<span class='{_e(s['status'])}' id='status'>{_e(s['status'])}</span> &middot; "
            f"{_ms(s.get('durationMs'))} &middot; {s.get('totalTokens') or 0} tokens &middot; "
            f"{_money(s.get('estimatedCost'))}</p>"
            + (
                f"<p class='failed'>{_e(s.get('failureReason'))}</p>"
                if s.get("failureReason")
                else ""
            )
            + "<table id='events'><tr><th>time</th><th>type</th><th>name</th><th>duration</th>"
            "<th>tokens</th><th>cost</th><th>details</th></tr>" + "".join(rows) + "</table>"
        )
        return _page(s["name"], body)

    return [
        Route("/", sessions, methods=["GET"]),
        Route("/sessions/{id}", session, methods=["GET"]),
    ]
