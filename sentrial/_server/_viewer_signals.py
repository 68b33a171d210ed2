"""The viewer's pieces for signals, diagnoses and production variants: a
session's signals and diagnosis at the top of its page, the sessions list
filtered by a signal, negative signals per agent per day on the overview, and
production sessions per variant on an experiment's page.

Kept apart from the pages they appear on: each page adds one call.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ._diagnosis import diagnose
from ._signals import SignalStore, settle, signal_store
from ._storage import Storage, StorageError
from ._viewer import _e, _money, _ms, _page, _rate, _refused

# Names the list's signal filter offers (a type filters by type).
SIGNAL_CHOICES = (
    "negative",
    "positive",
    "failed_session",
    "tool_error",
    "error_event",
    "loop",
    "retry_storm",
    "duration_outlier",
    "cost_outlier",
    "tokens_outlier",
    "empty_output",
    "low_confidence",
    "abandoned",
    "clean_success",
)
PER_PAGE = 50
DAYS = 14


def _store(storage: Storage) -> SignalStore:
    settle(storage, sweep=False)
    return signal_store(storage)


def session_panel(storage: Storage, session: dict[str, Any]) -> str:
    """The session's signals, and its diagnosis once it finished (folded)."""
    signals, _ = _store(storage).list(session_id=session["id"], limit=100)
    items = "".join(
        f"<li class='signal {_e(s['type'])}' data-signal='{_e(s['name'])}'>"
        f"<b>{_e(s['name'])}</b> {_e(s['detail'])}</li>"
        for s in signals
    )
    html = f"<ul id='signals' class='signals'>{items}</ul>" if signals else ""
    if session.get("status") in ("completed", "failed"):
        text = diagnose(storage, session["id"])["text"]
        html += (
            f"<details id='diagnosis'><summary>Diagnosis</summary><pre>{_e(text)}</pre></details>"
        )
    return html


def signal_filter(request: Request) -> str:
    """A form filtering the sessions list by a signal name or type."""
    chosen = request.query_params.get("signal", "")
    options = "".join(
        f"<option value='{v}'{' selected' if v == chosen else ''}>{v or 'any signal'}</option>"
        for v in ("", *SIGNAL_CHOICES)
    )
    return (
        "<form id='signal-filter' method='get' action='/'>"
        f"<select name='signal' aria-label='signal'>{options}</select>"
        "<button type='submit'>Sessions with this signal</button></form>"
    )


def signal_sessions_page(storage: Storage, request: Request) -> Response:
    """``/?signal=NAME`` (or a type): the sessions that have it, newest signal first."""
    from ._viewer_list import _session_row, nav

    chosen = request.query_params.get("signal", "")
    cursor = request.query_params.get("cursor") or None
    by = {"type": chosen} if chosen in ("negative", "positive", "neutral") else {"name": chosen}
    try:
        found, next_cursor = _store(storage).list(limit=PER_PAGE, cursor=cursor, **by)
    except StorageError as exc:
        return _refused(exc)
    rows = []
    for signal in found:
        try:
            rows.append(_session_row(storage.get_session(signal["sessionId"])))
        except StorageError:
            continue
    listing = (
        "<table id='sessions'><tr><th>session</th><th>agent</th><th>user</th>"
        "<th>status</th><th class='num'>duration</th><th class='num'>tokens</th>"
        "<th class='num'>cost</th><th class='num'>events</th><th>started</th></tr>"
        + ("".join(rows) or "<tr><td colspan='9' class='muted' id='empty'>None.</td></tr>")
        + "</table>"
    )
    if next_cursor is not None:
        link = "/?" + urlencode({"signal": chosen, "cursor": next_cursor})
        listing += f"<p class='pager'><a id='next' href='{_e(link)}'>older &rarr;</a></p>"
    body = (
        nav("/")
        + f"<h1>Sessions with {_e(chosen)}</h1>"
        + signal_filter(request)
        + "<p><a href='/'>all sessions</a></p>"
        + listing
    )
    return _page(f"Sessions with {chosen}", body)


def negatives_chart(storage: Storage) -> str:
    """Negative signals per agent per UTC day, the last :data:`DAYS` days."""
    counts = _store(storage).negatives_per_day(DAYS)
    if not counts:
        return ""
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=n)).isoformat() for n in range(DAYS - 1, -1, -1)]
    top = max(n for per_day in counts.values() for n in per_day.values())
    head = "".join(f"<th title='{d}'>{d[5:]}</th>" for d in days)
    rows = []
    for agent, per_day in sorted(counts.items()):
        cells = "".join(
            f"<td class='num' title='{_e(agent)} {d}: {per_day.get(d, 0)}'>"
            + (
                f"<span class='bar failed' style='display:inline-block;width:6px;"
                f"height:{max(2, round(20 * per_day[d] / top))}px'></span>{per_day[d]}"
                if per_day.get(d)
                else ""
            )
            + "</td>"
            for d in days
        )
        rows.append(f"<tr><td>{_e(agent)}</td>{cells}</tr>")
    return (
        "<h2>Negative signals per day</h2><table id='negatives'><tr><th>agent</th>"
        f"{head}</tr>{''.join(rows)}</table>"
    )


def production_table(storage: Storage, experiment_id: str, names: list[str]) -> str:
    """Production sessions per variant (its assigned users' sessions)."""
    from ._variants import variant_store

    rows = "".join(
        f"<tr class='production' data-variant='{_e(p['variantName'])}'>"
        f"<td>{_e(p['variantName'])}</td><td class='num'>{p['sessions']}</td>"
        f"<td class='num rate'>{_rate(p['successRate'])}</td>"
        f"<td class='num'>{_money(p['meanCost'])}</td>"
        f"<td class='num'>{_ms(p['meanDurationMs'])}</td>"
        f"<td class='num'>{p['negativeSignals']}</td></tr>"
        for p in variant_store(storage).production(experiment_id, names)
    )
    return (
        "<h2>In production</h2><table id='production'><tr><th>variant</th><th>sessions</th>"
        "<th>success rate</th><th>mean cost</th><th>mean duration</th>"
        f"<th>negative signals</th></tr>{rows}</table>"
    )
