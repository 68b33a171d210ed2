"""The viewer's sessions list (``/``) and agents overview (``/overview``).

Filters live in the URL (``q``, ``agent``, ``user``, ``status``, ``from``,
``to``), so a view can be bookmarked and shared; every page is one index
range (keyset pagination, the next page linked by a cursor). A search reads
a bounded window of sessions per page and says when it stopped there.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ._charts import agent_charts
from ._storage import Storage, StorageError
from ._viewer import (
    SESSIONS_PER_PAGE,
    _count,
    _e,
    _href,
    _live,
    _money,
    _ms,
    _page,
    _rate,
    _refused,
    _text,
    _when,
)

SEARCH_WINDOW = 10_000  # sessions a search reads per page, at most
STATUSES = ("active", "completed", "failed")


def nav(current: str) -> str:
    links = (("/", "Sessions"), ("/overview", "Overview"), ("/experiments", "Experiments"))
    return (
        "<nav>"
        + "".join(
            f"<a href='{path}'{' aria-current=page' if path == current else ''}>{label}</a>"
            for path, label in links
        )
        + "</nav>"
    )


def _day(value: str | None, field: str, shift: int = 0) -> str | None:
    """``YYYY-MM-DD`` as the RFC 3339 start of that day (UTC) plus ``shift`` days;
    None (no bound) when that is past the last day a date-time can name."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise StorageError(f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None
    try:
        day += timedelta(days=shift)
    except OverflowError:  # the day after 9999-12-31: every stored time is before it
        return None
    return f"{day.isoformat()}T00:00:00Z"


def _filters(request: Request) -> dict[str, str]:
    """The list's filters from the URL, unknown statuses dropped."""
    q = request.query_params
    kept = {k: q.get(k, "").strip() for k in ("q", "agent", "user", "status", "from", "to")}
    if kept["status"] not in STATUSES:
        kept["status"] = ""
    return {k: v for k, v in kept.items() if v}


def agents_table(storage: Storage) -> str:
    rows = "".join(
        f"<tr><td><a href='/?{_e(urlencode({'agent': _text(a['agentName'])}))}'>"
        f"{_e(a['agentName'])}</a></td>"
        f"<td class='num'>{_count(a['sessions'])}</td>"
        f"<td class='num'>{_rate(a['successRate'])}</td>"
        f"<td class='num'>{_ms(a['p50DurationMs'])}</td>"
        f"<td class='num'>{_ms(a['p95DurationMs'])}</td>"
        f"<td class='num'>{_money(a['cost'])}</td>"
        f"<td class='num'>{_e(format(a['tokens'], ',.0f'))}</td></tr>"
        for a in storage.agent_stats()
    )
    return (
        "<table id='agents'><tr><th>agent</th><th class='num'>sessions</th>"
        "<th class='num'>success rate</th><th class='num'>p50 duration</th>"
        "<th class='num'>p95 duration</th><th class='num'>cost</th>"
        f"<th class='num'>tokens</th></tr>{rows}</table>"
    )


def _form(filters: dict[str, str]) -> str:
    def field(name: str, placeholder: str, kind: str = "text") -> str:
        return (
            f"<input type='{kind}' name='{name}' placeholder='{placeholder}' "
            f"aria-label='{placeholder}' value='{_e(filters.get(name, ''))}'>"
        )

    options = "".join(
        f"<option value='{v}'{' selected' if filters.get('status', '') == v else ''}>"
        f"{v or 'any status'}</option>"
        for v in ("", *STATUSES)
    )
    return (
        "<form id='filters' method='get' action='/'>"
        + field("q", "search name, user, input, output", "search")
        + field("agent", "agent")
        + field("user", "user")
        + f"<select name='status' aria-label='status'>{options}</select>"
        + "<label class='tag'>from "
        + field("from", "from", "date")
        + "</label><label class='tag'>to "
        + field("to", "to", "date")
        + "</label><button type='submit'>Filter</button>"
        + ("<a href='/'>clear</a>" if filters else "")
        + "</form>"
    )


def _session_row(s: dict[str, Any]) -> str:
    name = s.get("name") if s.get("name") not in (None, "") else s.get("id")
    tokens = _count(s.get("totalTokens"))
    return (
        f"<tr class='session'><td><a href='{_href('sessions', s.get('id'))}'>{_e(name)}</a></td>"
        f"<td>{_e(s.get('agentName'))}</td><td>{_e(s.get('userId'))}</td>"
        f"<td class='{_e(s.get('status'))}'>{_e(s.get('status'))}</td>"
        f"<td class='num'>{_ms(s.get('durationMs'))}</td>"
        f"<td class='num'>{tokens}</td>"
        f"<td class='num'>{_money(s.get('estimatedCost'))}</td>"
        f"<td class='num'>{_count(s.get('eventCount'))}</td>"
        f"<td>{_when(s.get('startedAt'))}</td></tr>"
    )


def sessions_page(storage: Storage, request: Request) -> Response:
    from ._viewer_signals import signal_filter, signal_sessions_page

    if request.query_params.get("signal"):
        return signal_sessions_page(storage, request)
    filters = _filters(request)
    cursor = request.query_params.get("cursor") or None
    query = {
        "agent_name": filters.get("agent"),
        "user_id": filters.get("user"),
        "status": filters.get("status"),
    }
    windowed = False
    try:
        since = _day(filters.get("from"), "from")
        until = _day(filters.get("to"), "to", shift=1)  # the whole day named
        if "q" in filters:
            page, next_cursor, windowed = storage.search_sessions(
                filters["q"],
                **query,
                since=since,
                until=until,
                limit=SESSIONS_PER_PAGE,
                cursor=cursor,
                scan=SEARCH_WINDOW,
            )
        else:
            page, next_cursor = storage.list_sessions(
                **query, since=since, until=until, limit=SESSIONS_PER_PAGE, cursor=cursor
            )
    except StorageError as exc:
        return _refused(exc)
    rows = "".join(_session_row(s) for s in page)
    if not page:
        rows = "<tr><td colspan='9' class='muted' id='empty'>No sessions match.</td></tr>"
    listing = (
        "<table id='sessions'><tr><th>session</th><th>agent</th><th>user</th>"
        "<th>status</th><th class='num'>duration</th><th class='num'>tokens</th>"
        "<th class='num'>cost</th><th class='num'>events</th><th>started</th></tr>"
        f"{rows}</table>"
    )
    links = []
    if cursor is not None:
        links.append(f"<a id='first' href='/?{_e(urlencode(filters))}'>&larr; newest</a>")
    if next_cursor is not None:
        link = "/?" + urlencode({**filters, "cursor": next_cursor})
        label = (
            f"searched {SEARCH_WINDOW:,} sessions: search older ones &rarr;"
            if windowed
            else "older sessions &rarr;"
        )
        links.append(f"<a id='next' href='{_e(link)}'>{label}</a>")
    pager = f"<p class='pager'>{' &middot; '.join(links)}</p>" if links else ""
    body = (
        nav("/")
        + "<h1>Sentrial sessions</h1>"
        + agents_table(storage)
        + "<h2>Sessions</h2>"
        + _form(filters)
        + signal_filter(request)
        # Only the newest page follows new sessions: older pages stay as read.
        + (_live(listing + pager) if cursor is None else listing + pager)
    )
    return _page("Sentrial sessions", body)


def overview_page(storage: Storage, request: Request) -> Response:
    from ._viewer_signals import negatives_chart

    agents = storage.agent_stats()
    charts = "".join(
        agent_charts(_text(a["agentName"]), storage.agent_history(_text(a["agentName"])))
        for a in agents
        if isinstance(a["agentName"], str)
    )
    body = (
        nav("/overview")
        + "<h1>Overview</h1>"
        + agents_table(storage)
        + negatives_chart(storage)
        + (charts or "<p class='muted'>No sessions yet.</p>")
    )
    return _page("Sentrial overview", _live(body, 5000))
