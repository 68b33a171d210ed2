"""The viewer's session page (``/sessions/{id}``).

At the top what the session was (input, output, outcome, cost, tokens,
duration, metadata); then a waterfall of its events and child sessions
(``parentSessionId``), bars placed by start and duration; then every event:
LLM calls as chat, decisions with their alternatives, errors with their
stack, every value copyable as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from . import _json
from ._storage import NotFound, Storage, StorageError
from ._viewer import (
    EVENTS_PER_PAGE,
    HEADERS,
    _copyable,
    _count,
    _e,
    _href,
    _live,
    _money,
    _ms,
    _not_found,
    _number,
    _page,
    _pretty,
    _refused,
    _text,
    _tokens,
    _us,
    _when,
)
from ._viewer_chat import chat
from ._viewer_list import nav

CHILDREN = 50  # child sessions read per session
CHILD_EVENTS = 200  # events of a child session shown in the waterfall
DEPTH = 3  # levels of child sessions in the waterfall
BARS = 300  # rows of the waterfall, at most (the events table lists them all)
KINDS = ("tool_call", "llm_call", "llm_decision", "state_change", "error")


@dataclass
class Bar:
    depth: int
    label: str  # markup
    kind: str
    start: int  # µs
    end: int
    duration: str


def _event_span(event: dict[str, Any]) -> tuple[int, int] | None:
    """Start and end (µs) of an event: its timestamp is when it was recorded (its end)."""
    end = _us(event.get("timestamp"))
    if end is None:
        return None
    duration = _number(event.get("durationMs"))
    start = end - int(duration * 1000) if duration and 0 < duration < 1e12 else end
    return start, end


def _session_span(session: dict[str, Any], events: list[dict[str, Any]]) -> tuple[int, int] | None:
    start = _us(session.get("startedAt"))
    if start is None:
        return None
    ends = [start]
    completed = _us(session.get("completedAt"))
    if completed is not None:
        ends.append(completed)
    duration = _number(session.get("durationMs"))
    if duration and 0 < duration < 1e12:
        ends.append(start + int(duration * 1000))
    ends += [span[1] for span in map(_event_span, events) if span]
    return start, max(ends)


def _event_name(event: dict[str, Any]) -> Any:
    return event.get("toolName") or event.get("model") or event.get("eventType") or ""


def _kind(event: dict[str, Any]) -> str:
    if event.get("toolError") or event.get("eventType") == "error":
        return "error"
    kind = event.get("eventType")
    return kind if isinstance(kind, str) and kind in KINDS else "event"


def _trace_tag(event: dict[str, Any], with_trace: bool = True) -> str:
    if not event.get("spanId") and not (with_trace and event.get("traceId")):
        return ""
    keys = (("trace", "traceId"), ("span", "spanId")) if with_trace else (("span", "spanId"),)
    parts = [f"{label} {_e(event[key])}" for label, key in keys if event.get(key) not in (None, "")]
    return f" <span class='tag'>{' &middot; '.join(parts)}</span>" if parts else ""


def _bars(
    storage: Storage,
    session: dict[str, Any],
    events: list[dict[str, Any]],
    depth: int,
    budget: int,
) -> tuple[list[Bar], bool]:
    """The first ``budget`` rows of one session in the waterfall (its events and
    child sessions by start), and whether rows were left out.

    A child session is read (its events, its own children) only when its rows
    are reached: a tree of thousands of sessions costs what the shown rows cost."""
    items: list[tuple[int, list[Bar] | dict[str, Any]]] = []
    traces: dict[str, list[Bar]] = {}  # events sharing a traceId, under one row
    for event in events:
        span = _event_span(event)
        if span is None:
            continue
        trace = event.get("traceId")
        grouped = isinstance(trace, str) and trace != ""
        label = f"{_e(_event_name(event))}{_trace_tag(event, with_trace=not grouped)}"
        bar = Bar(depth + grouped, label, _kind(event), *span, _ms(event.get("durationMs")))
        if grouped:
            traces.setdefault(str(trace), []).append(bar)
        else:
            items.append((span[0], [bar]))
    for trace, bars in traces.items():
        start, end = min(b.start for b in bars), max(b.end for b in bars)
        label = f"<span class='tag'>trace</span> {_e(trace)}"
        head = Bar(depth, label, "trace", start, end, _ms((end - start) / 1000))
        items.append((start, [head, *sorted(bars, key=lambda b: b.start)]))
    if depth <= DEPTH and budget > 0:
        for child in storage.child_sessions(_text(session.get("id")), min(CHILDREN, budget)):
            begun = _us(child.get("startedAt"))
            if begun is not None:
                items.append((begun, child))
    items.sort(key=lambda item: item[0])
    out: list[Bar] = []
    for _, item in items:
        room = budget - len(out)
        if room <= 0:
            return out, True
        if isinstance(item, list):
            rows, cut = item, False
        else:
            rows, cut = _child_rows(storage, item, depth, room)
        out += rows[:room]
        if cut or len(rows) > room:
            return out, True
    return out, False


def _child_rows(
    storage: Storage, child: dict[str, Any], depth: int, budget: int
) -> tuple[list[Bar], bool]:
    """A child session's row and, below it, at most ``budget - 1`` rows of its own."""
    child_events, _ = storage.list_events(child["id"], limit=min(CHILD_EVENTS, budget))
    span = _session_span(child, child_events)
    if span is None:
        return [], False
    link = (
        f"<a class='child' href='{_href('sessions', child.get('id'))}'>"
        f"{_e(child.get('name') or child.get('id'))}</a> "
        f"<span class='tag {_e(child.get('status'))}'>{_e(child.get('status'))}</span>"
    )
    rows, cut = _bars(storage, child, child_events, depth + 1, budget - 1)
    return [Bar(depth, link, "child", *span, _ms(child.get("durationMs"))), *rows], cut


def waterfall(storage: Storage, session: dict[str, Any], events: list[dict[str, Any]]) -> str:
    span = _session_span(session, events)
    if span is None:
        return ""
    steps, cut = _bars(storage, session, events, 1, BARS - 1)
    # The session's bar covers all it holds (a child may finish after its parent).
    end = max([span[1], *(b.end for b in steps)])
    duration = _ms(session.get("durationMs")) or _ms((end - span[0]) / 1000)
    root = Bar(0, _e(session.get("name") or session.get("id")), "session", span[0], end, duration)
    bars = [root, *steps]
    low = min(b.start for b in bars)
    high = max(b.end for b in bars)
    scale = 1000 / max(high - low, 1)
    rows = []
    for bar in bars:
        x = (bar.start - low) * scale
        width = max((bar.end - bar.start) * scale, 3)
        offset = _ms((bar.start - low) / 1000) or "0 ms"
        rows.append(
            f"<tr class='bar {bar.kind}'><td class='d{min(bar.depth, 4)}'>{bar.label}</td>"
            f"<td class='track' title='starts at +{offset}'>"
            "<svg viewBox='0 0 1000 10' preserveAspectRatio='none'>"
            f"<rect x='{min(x, 997):.0f}' width='{width:.0f}' height='10'/>"
            f"</svg></td><td class='num'>{bar.duration}</td></tr>"
        )
    return (
        "<h2>Timeline</h2><table class='waterfall' id='waterfall'>"
        "<tr><th>step</th><th>"
        f"<span class='tag'>0 &rarr; {_ms((high - low) / 1000) or '0 ms'}</span></th>"
        f"<th class='num'>duration</th></tr>{''.join(rows)}</table>"
        + (
            f"<p class='tag' id='waterfall-more'>the first {len(steps):,} steps;"
            " every event is listed below</p>"
            if cut
            else ""
        )
    )


def _summary(session: dict[str, Any]) -> str:
    prompt, completion = session.get("promptTokens"), session.get("completionTokens")
    token_split = (
        f" <span class='tag'>{_count(prompt)} in / {_count(completion)} out</span>"
        if _count(prompt) and _count(completion)
        else ""
    )
    items = [
        (
            "status",
            f"<span id='status' class='{_e(session.get('status'))}'>"
            f"{_e(session.get('status'))}</span>",
        ),
        ("agent", _e(session.get("agentName"))),
        ("user", _e(session.get("userId"))),
        ("started", _when(session.get("startedAt"))),
        ("duration", _ms(session.get("durationMs"))),
        (
            "tokens",
            (_count(session.get("totalTokens")) + token_split)
            if _count(session.get("totalTokens"))
            else "",
        ),
        ("cost", _money(session.get("estimatedCost"))),
        ("events", _count(session.get("eventCount"))),
        ("conversation", _e(session.get("convoId"))),
    ]
    parent = session.get("parentSessionId")
    if parent not in (None, ""):
        items.append(
            ("parent", f"<a id='parent' href='{_href('sessions', parent)}'>{_e(parent)}</a>")
        )
    cells = "".join(
        f"<div><dt>{label}</dt><dd>{value}</dd></div>" for label, value in items if value
    )
    return f"<dl class='summary' id='summary'>{cells}</dl>"


def _io(session: dict[str, Any]) -> str:
    blocks = []
    for label, key in (
        ("Input", "userInput"),
        ("Output", "assistantOutput"),
        ("Metadata", "metadata"),
        ("Custom metrics", "customMetrics"),
    ):
        value = session.get(key)
        if value not in (None, "", {}, []):
            kind = "text" if isinstance(value, str) else "JSON"
            blocks.append(
                f"<section><h2>{label}</h2>{_copyable(f'session-{key}', value, kind)}</section>"
            )
    return f"<div class='io' id='io'>{''.join(blocks)}</div>" if blocks else ""


def _children_table(children: list[dict[str, Any]]) -> str:
    if not children:
        return ""
    rows = "".join(
        f"<tr class='child'><td><a href='{_href('sessions', c.get('id'))}'>"
        f"{_e(c.get('name') or c.get('id'))}</a></td><td>{_e(c.get('agentName'))}</td>"
        f"<td class='{_e(c.get('status'))}'>{_e(c.get('status'))}</td>"
        f"<td class='num'>{_ms(c.get('durationMs'))}</td>"
        f"<td class='num'>{_money(c.get('estimatedCost'))}</td>"
        f"<td class='num'>{_count(c.get('eventCount'))}</td></tr>"
        for c in children
    )
    return (
        "<h2>Child sessions</h2><table id='children'><tr><th>session</th><th>agent</th>"
        "<th>status</th><th class='num'>duration</th><th class='num'>cost</th>"
        f"<th class='num'>events</th></tr>{rows}</table>"
    )


INLINE = 160  # characters of compact JSON shown on the row; longer values fold


def _value(element_id: str, label: str, value: Any) -> str:
    """A value on one line as compact JSON; a long one folded, in full when opened."""
    compact = value if isinstance(value, str) else _json.dumps(value).decode()
    if len(compact) <= INLINE and "\n" not in compact:
        return f"<div class='kv'><span class='tag'>{label}</span> <code>{_e(compact)}</code></div>"
    return (
        f"<details id='{element_id}'><summary><span class='tag'>{label}</span> "
        f"<code>{_e(compact[:100])}&hellip;</code></summary>"
        f"{_copyable(element_id + '-v', value)}</details>"
    )


def _decision(event: dict[str, Any]) -> str:
    parts = []
    if event.get("reasoning") not in (None, ""):
        parts.append(f"<p class='reasoning'>{_e(event['reasoning'])}</p>")
    confidence = _number(event.get("confidence"))
    if confidence is not None:
        shown = f"{confidence:.0%}" if 0 <= confidence <= 1 else _e(event["confidence"])
        parts.append(f"<p class='confidence'>confidence <b>{shown}</b></p>")
    alternatives = event.get("alternativesConsidered")
    if isinstance(alternatives, list) and alternatives:
        items = "".join(f"<li>{_e(a)}</li>" for a in alternatives)
        parts.append(f"<div class='tag'>alternatives considered</div><ul class='alts'>{items}</ul>")
    elif alternatives not in (None, "", []):
        parts.append(f"<pre>{_pretty(alternatives)}</pre>")
    return "".join(parts)


def _error(error: Any) -> str:
    if not isinstance(error, dict):
        return f"<div class='err'><pre class='failed'>{_e(error)}</pre></div>"
    stack = error.get("stack_trace") or error.get("stackTrace") or error.get("stack")
    return (
        "<div class='err'>"
        f"<p><b class='failed'>{_e(error.get('type') or 'Error')}</b>: "
        f"{_e(error.get('message'))}</p>"
        + (f"<pre class='stack'>{_e(stack)}</pre>" if stack not in (None, "") else "")
        + "</div>"
    )


def _event_row(index: int, event: dict[str, Any], origin: int | None, events_path: str) -> str:
    key = f"e{index}"
    kind = _kind(event)
    body = []
    if kind == "error" and event.get("toolError") not in (None, "", {}):
        body.append(_error(event["toolError"]))
    llm = event.get("eventType") == "llm_call" or bool(event.get("model"))
    if llm:
        body.append(chat(event.get("input"), event.get("output")))
    elif event.get("eventType") == "llm_decision" or event.get("alternativesConsidered"):
        body.append(_decision(event))
    elif event.get("reasoning") not in (None, ""):
        body.append(f"<p class='reasoning'>{_e(event['reasoning'])}</p>")
    for label, field in _FIELDS if not llm else _FIELDS[:-2]:
        if event.get(field) not in (None, {}, ""):
            body.append(_value(f"{key}-{field}", label, event[field]))
    # The whole event as JSON, fetched when asked for: the page does not carry it twice.
    src = _e(events_path + quote(_text(event.get("id")), safe=""))
    body.append(
        f"<div class='actions'><a class='json' href='{src}'>JSON</a> "
        "<button type='button' class='copy'>copy</button></div>"
    )
    at = _us(event.get("timestamp"))
    offset = (
        f"+{_ms((at - origin) / 1000) or '0 ms'}" if at is not None and origin is not None else ""
    )
    name = _event_name(event) if event.get("toolName") or event.get("model") else ""
    return (
        f"<tr class='event{' error' if kind == 'error' else ''} {kind}'>"
        f"<td class='at' title='{_e(event.get('timestamp'))}'>"
        f"{offset or _e(event.get('timestamp'))}</td>"
        f"<td class='kind'>{_e(event.get('eventType'))}</td>"
        f"<td class='name'>{_e(name)}{_trace_tag(event)}</td>"
        f"<td class='num'>{_ms(event.get('durationMs'))}</td>"
        f"<td class='num'>{_e(_tokens(event))}</td>"
        f"<td class='num'>{_money(event.get('estimatedCost'))}</td>"
        f"<td class='detail'>{''.join(body)}</td></tr>"
    )


_FIELDS = (
    ("input", "toolInput"),
    ("output", "toolOutput"),
    ("state before", "stateBefore"),
    ("state after", "stateAfter"),
    ("metadata", "metadata"),
    ("input", "input"),  # shown as chat on an LLM call
    ("output", "output"),
)


def event_json(storage: Storage, request: Request) -> Response:
    """One event as indented JSON (the page's JSON links and copy buttons)."""
    try:
        event = storage.get_event(request.path_params["event_id"])
    except NotFound as exc:
        return _not_found(exc.message)
    if event.get("sessionId") != request.path_params["id"]:
        return _not_found(f"no event {request.path_params['event_id']!r} in this session")
    return Response(
        _json.dumps(event, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers=HEADERS,
    )


def session_page(storage: Storage, request: Request) -> Response:
    from ._viewer_signals import session_panel

    try:
        session = storage.get_session(request.path_params["id"])
    except NotFound as exc:
        return _not_found(exc.message)
    after = request.query_params.get("after") or None
    try:
        events, cursor = storage.list_events(session["id"], limit=EVENTS_PER_PAGE, cursor=after)
    except StorageError as exc:
        return _refused(exc)
    origin = _us(session.get("startedAt"))
    events_path = f"/sessions/{quote(_text(session['id']), safe='')}/events/"
    failure = session.get("failureReason")
    body = (
        session_panel(storage, session)  # signals and diagnosis (_viewer_signals)
        + _summary(session)
        + (f"<p class='failed' id='failure'>{_e(failure)}</p>" if failure not in (None, "") else "")
        + _io(session)
        + waterfall(storage, session, events)
        + _children_table(storage.child_sessions(session["id"], CHILDREN))
        + "<h2>Events</h2><table id='events'><tr><th>at</th><th>type</th><th>name</th>"
        "<th class='num'>duration</th><th class='num'>tokens</th><th class='num'>cost</th>"
        "<th>details</th></tr>"
        + "".join(_event_row(i, e, origin, events_path) for i, e in enumerate(events))
        + "</table>"
    )
    if not events:
        body += "<p class='muted' id='no-events'>No events yet.</p>"
    if cursor is not None:
        link = f"/sessions/{quote(_text(session.get('id')), safe='')}?" + urlencode(
            {"after": cursor}
        )
        body += f"<p><a id='next' href='{_e(link)}'>later events &rarr;</a></p>"
    head = (
        nav("")
        + f"<h1>{_e(session.get('name') or session.get('id'))}</h1>"
        + f"<p class='tag'>{_e(session.get('id'))}</p>"
    )
    return _page(session.get("name") or session.get("id"), head + _live(body))
