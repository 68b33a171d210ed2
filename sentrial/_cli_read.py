"""``sentrial sessions|show|tail|export``: reading what the API holds.

Records are handled as on the wire (camelCase JSON, the generated client's
``to_dict()``), so ``--json`` prints exactly what the API answered. Progress
goes to stderr: redrawn in place on a terminal, plain lines anywhere else.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from sentrial._cli import EXIT_API, EXIT_OK, EXIT_USAGE, CLIError, _api, _call
from sentrial._cli_text import safe

PAGE_MAX = 500  # the API's largest page of sessions
EVENTS_PAGE = 1000


# -- option types ---------------------------------------------------------------------


def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < low or (high is not None and value > high):
            limits = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range: {limits}")
        return value

    return parse


#: The longest wait an option accepts (about 31 years): far past any real
#: use, and well inside what ``time.sleep`` and deadline arithmetic can take.
LONGEST_WAIT = 1e9


def bounded_float(high: float) -> Callable[[str], float]:
    """A number above 0 and at most ``high`` (never nan or infinite)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not 0 < value <= high:  # False for nan as well
            raise argparse.ArgumentTypeError(
                f"{text} is out of range: a number above 0 and at most {high:g}"
            )
        return value

    return parse


positive_float = bounded_float(LONGEST_WAIT)
MAX_INTERVAL = 3600.0  # tail polls at least once an hour


_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)$")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def moment(text: str) -> datetime:
    """An ISO date or date-time (UTC when it names no zone), ``today`` or
    ``yesterday`` (from midnight UTC), or a time ago: 30m, 2h, 7d, 1w."""
    word = text.strip().lower()
    if word in ("today", "yesterday"):
        midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight - timedelta(days=1 if word == "yesterday" else 0)
    ago = _AGO.match(word)
    if ago:
        try:
            return datetime.now(UTC) - timedelta(seconds=float(ago[1]) * _UNITS[ago[2]])
        except OverflowError:  # before year 1, or past what a timedelta holds
            raise argparse.ArgumentTypeError(f"too far back: {text!r}") from None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO date, today, yesterday or a time ago (30m, 2h, 7d): {text!r}"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- formatting -----------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def fmt_ms(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "-"
    return f"{number:.0f}ms" if number < 1000 else f"{number / 1000:.2f}s"


def fmt_cost(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "-"
    if number == 0 or abs(number) >= 1:
        return f"${number:,.2f}" if number else "$0"
    digits = min(12, max(2, 3 - math.floor(math.log10(abs(number)))))  # never 1e-05
    return "$" + (f"{number:.{digits}f}".rstrip("0").rstrip(".") or "0")


def fmt_tokens(value: Any) -> str:
    number = _number(value)
    return "-" if number is None else f"{number:,.0f}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell; every cell shown through ``safe``."""
    rows = [[safe(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def sessions_table(sessions: list[dict[str, Any]]) -> str:
    rows = [
        [
            str(s.get("id")),
            str(s.get("agentName")),
            str(s.get("userId")),
            str(s.get("status")),
            fmt_ms(s.get("durationMs")),
            fmt_tokens(s.get("totalTokens")),
            fmt_cost(s.get("estimatedCost")),
            str(s.get("startedAt") or "-")[:19].replace("T", " "),
            preview(s.get("failureReason"), 40),
            preview(s.get("userInput"), 30),
        ]
        for s in sessions
    ]
    headers = ["session", "agent", "user", "status", "duration", "tokens", "cost", "started (UTC)"]
    return table([*headers, "failure", "input"], rows)


def preview(value: Any, width: int) -> str:
    """A table cell: ``value`` on one line, cut to ``width`` characters; ``-`` when empty."""
    if value in (None, ""):
        return "-"
    text = " ".join((value if isinstance(value, str) else dumps(value)).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def short(value: Any, full: bool, width: int = 200) -> str:
    """A value on one line, cut at ``width`` characters unless ``full`` (then on
    as many lines as it has); control characters shown escaped (``safe``)."""
    if full:
        text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
        return safe(text, lines=True)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    if len(text) <= width:
        return safe(text)
    return f"{safe(text[:width])}… ({len(text) - width:,} more characters: --full shows all)"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# -- reading --------------------------------------------------------------------------


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    from sentrial_api.models import SessionStatusFilter

    found = {
        "agent_name": args.agent,
        "user_id": args.user,
        "convo_id": getattr(args, "convo", None),
        "status": SessionStatusFilter(args.status) if args.status else None,
        "since": args.since,
        "until": args.until,
    }
    return {k: v for k, v in found.items() if v is not None}


def session_pages(
    api: Any, filters: dict[str, Any], limit: int, cursor: str | None, every: bool
) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
    """Pages of sessions (wire records) and the cursor after each; all pages if ``every``."""
    from sentrial_api.api.default import list_sessions

    while True:
        extra: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = _call(list_sessions.sync_detailed, client=api, limit=limit, **filters, **extra)
        answer = page.to_dict()
        cursor = answer.get("nextCursor") or None
        yield answer["data"], cursor
        if not every or cursor is None:
            return


def all_events(api: Any, session_id: str) -> list[dict[str, Any]]:
    from sentrial_api.api.default import list_session_events

    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        extra: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = _call(
            list_session_events.sync_detailed, session_id, client=api, limit=EVENTS_PAGE, **extra
        )
        answer = page.to_dict()
        events += answer["data"]
        cursor = answer.get("nextCursor")
        if not cursor:
            return events


# -- sessions -------------------------------------------------------------------------


def _sessions(args: argparse.Namespace) -> int:
    every = args.all or args.count
    limit = args.limit or (PAGE_MAX if every else 50)
    found: list[dict[str, Any]] = []
    cursor = None
    with _api(args) as api:
        for data, after in session_pages(api, _filters(args), limit, args.cursor, every):
            found += data
            cursor = after
    # --fail-if-any: a CI step that fails when the filters match anything.
    code = EXIT_API if args.fail_if_any and found else EXIT_OK
    if args.count:
        print(dumps({"count": len(found)}) if args.json else len(found))
    elif args.json:
        print(dumps({"data": found, "nextCursor": cursor}))
    else:
        print(sessions_table(found) if found else "no sessions")
        if cursor:
            print(f"more: {_next_page(args, cursor)}  (or --all)", file=sys.stderr)
    return code


def _next_page(args: argparse.Namespace, cursor: str) -> str:
    """The command line of the next page: the same filters, and the cursor."""
    import shlex

    words = ["sentrial", "sessions", "--cursor", cursor]
    names = ("agent", "user", "status", "convo", "limit", "since", "until")
    for option, name in ((f"--{name}", name) for name in names):
        value = getattr(args, name, None)
        if value is not None:
            words += [option, value.isoformat() if isinstance(value, datetime) else str(value)]
    return " ".join(shlex.quote(word) for word in words)


# -- show -----------------------------------------------------------------------------


def _event_line(event: dict[str, Any], branch: str, offset: str) -> str:
    name = event.get("toolName") or event.get("model") or ""
    tokens = sum(_number(event.get(k)) or 0 for k in ("promptTokens", "completionTokens"))
    tokens = tokens or _number(event.get("tokenCount")) or 0
    head = f"{branch} {offset:>8}" if offset else branch
    parts = [f"{head} {event.get('eventType') or ''!s:<13} {name}".rstrip()]
    if _number(event.get("durationMs")) is not None:
        parts.append(fmt_ms(event["durationMs"]))
    if tokens:
        parts.append(f"{tokens:,.0f} tok")
    if _number(event.get("estimatedCost")):
        parts.append(fmt_cost(event["estimatedCost"]))
    error = event.get("toolError")
    if isinstance(error, dict) and error:
        parts.append(f"ERROR {error.get('type') or ''}: {error.get('message') or ''}")
    elif event.get("reasoning"):
        parts.append(f"— {short(event['reasoning'], False, 80)}")
    return "  ".join(parts)


def _when(value: Any) -> float | None:
    """Seconds since the epoch of a stored time (None when it is none)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _tree(events: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], str, str]]:
    """Each event with its branch (``├─``, indented under its parent step, see
    ``_steps``) and the prefix of the lines below it, in start order."""
    from ._steps import parents

    up = parents(events)
    below: dict[int | None, list[int]] = {}
    for index in range(len(events)):
        below.setdefault(up.get(index), []).append(index)
    # (index, prefix of its branch, last among its siblings), depth first, no recursion
    stack = [(i, "", i == below[None][-1]) for i in reversed(below.get(None, []))]
    while stack:
        index, prefix, last = stack.pop()
        inner = prefix + ("   " if last else "│  ")
        yield events[index], prefix + ("└─" if last else "├─"), inner
        kids = below.get(index, [])
        stack += [(k, inner, k == kids[-1]) for k in reversed(kids)]


def _show(args: argparse.Namespace) -> int:
    from sentrial_api.api.default import get_session

    with_events = not getattr(args, "no_events", False)  # `sessions get --no-events`
    with _api(args) as api:
        session = _call(get_session.sync_detailed, args.session_id, client=api).to_dict()
        events = all_events(api, args.session_id) if with_events else []
    if args.json:
        print(
            dumps({"session": session, "events": events} if with_events else {"session": session})
        )
        return EXIT_OK
    mark = {"completed": "ok", "failed": "FAILED"}.get(session.get("status"), session.get("status"))
    print(
        f"{safe(session.get('name'))}  [{safe(session.get('agentName'))}, "
        f"user {safe(session.get('userId'))}]  {safe(mark)}  {fmt_ms(session.get('durationMs'))}  "
        f"{fmt_tokens(session.get('totalTokens') or 0)} tokens  "
        f"{fmt_cost(session.get('estimatedCost'))}"
    )
    print(f"  id {safe(session.get('id'))}, started {safe(session.get('startedAt'))}")
    if session.get("parentSessionId"):
        print(f"  parent: {safe(session['parentSessionId'])}")
    if session.get("failureReason"):
        print(f"  failure: {short(session['failureReason'], args.full)}")
    for label, key in (("input", "userInput"), ("output", "assistantOutput")):
        if session.get(key) not in (None, ""):
            print(f"  {label}: {short(session[key], args.full)}")
    origin = _when(session.get("startedAt"))
    for event, branch, below in _tree(events):
        at = _when(event.get("timestamp"))
        offset = "" if at is None or origin is None else "+" + fmt_ms((at - origin) * 1000)
        print(safe(_event_line(event, branch, offset)))
        for label, keys in (
            ("input", ("toolInput", "input")),
            ("output", ("toolOutput", "output")),
        ):
            value = next((event[k] for k in keys if event.get(k) not in (None, "", {})), None)
            if value is not None:
                print(f"{below}   {label}: {short(value, args.full, 120)}")
    return EXIT_OK


# -- tail -----------------------------------------------------------------------------


class _Follow:
    """What ``tail`` knows of each session it saw: event count, printed event ids, status.

    ``since`` is when tail started by the server's clock (its Date header): a
    session it first sees later but that the server had before is an old one
    that changed, shown by what arrived since, not as a new session."""

    def __init__(self, api: Any, as_json: bool, out: IO[str], since: str | None = None) -> None:
        self.api, self.as_json, self.out, self.since = api, as_json, out, since
        self.known: dict[str, tuple[int, str]] = {}
        self.printed: dict[str, set[str]] = {}

    def emit(self, kind: str, record: dict[str, Any], text: str) -> None:
        line = dumps({"kind": kind, **record}) if self.as_json else safe(text)
        print(line, file=self.out, flush=True)

    def session_line(self, s: dict[str, Any]) -> str:
        return (
            f"{str(s.get('startedAt'))[:19]}  + {s.get('id')}  {s.get('name')!r}  "
            f"agent={s.get('agentName')} user={s.get('userId')}"
        )

    def see(self, sessions: list[dict[str, Any]], quiet: bool) -> None:
        """Print what is new in ``sessions`` (oldest first); ``quiet``: only list them."""
        for s in sessions:
            sid = str(s.get("id"))
            count = int(_number(s.get("eventCount")) or 0)
            status = str(s.get("status"))
            before = self.known.get(sid)
            arrived_since = None
            if before is None and not quiet and self._older(s):
                before, arrived_since = (0, "active"), self.since
            elif before is None:
                self.emit("session", s, self.session_line(s))
                if quiet:
                    self.known[sid] = (count, status)
                    continue
                before = (0, "active")
            if count > before[0]:
                self.new_events(sid, already=before[0], arrived_since=arrived_since)
            if status != before[1] and status != "active":
                mark = "✓" if status == "completed" else "✗"
                reason = f": {s['failureReason']}" if s.get("failureReason") else ""
                self.emit(
                    "status",
                    s,
                    f"{str(s.get('completedAt'))[:19]}  {mark} {sid} {status}{reason}  "
                    f"{fmt_ms(s.get('durationMs'))}  {fmt_cost(s.get('estimatedCost'))}",
                )
            self.known[sid] = (count, status)

    def _older(self, s: dict[str, Any]) -> bool:
        """Whether the server had the session before tail started."""
        created = s.get("createdAt")
        return self.since is not None and isinstance(created, str) and created < self.since

    def new_events(self, sid: str, already: int, arrived_since: str | None = None) -> None:
        """Print the session's events not printed yet (the first ``already``, or
        those that arrived before ``arrived_since``, were there before tail
        looked: not news)."""
        events = all_events(self.api, sid)
        printed = self.printed.get(sid)
        if printed is None:
            old = events[:already]
            if arrived_since is not None:
                old = [e for e in events if str(e.get("createdAt")) < arrived_since]
            printed = self.printed[sid] = {str(e.get("id")) for e in old}
        for event in events:
            if str(event.get("id")) not in printed:
                printed.add(str(event.get("id")))
                line = f"{str(event.get('timestamp'))[:19]}    {sid}  {_event_line(event, '', '')}"
                self.emit("event", event, line)


NEWEST = 100  # sessions tail looks at on each poll of a server without change cursors


def _first_page(api: Any, filters: dict[str, Any], limit: int) -> tuple[dict[str, Any], str | None]:
    """The newest sessions, and the server's time of the answer (RFC 3339, or None)."""
    from email.utils import parsedate_to_datetime

    from sentrial_api.api.default import list_sessions

    dates: list[str] = []

    def call(**kwargs: Any) -> Any:
        response = list_sessions.sync_detailed(**kwargs)
        dates.append(response.headers.get("date", ""))
        return response

    answer = _call(call, client=api, limit=limit, **filters).to_dict()
    try:
        moment = parsedate_to_datetime(dates[-1]).astimezone(UTC)
    except (TypeError, ValueError, IndexError):
        return answer, None
    return answer, moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _tail(args: argparse.Namespace) -> int:
    """Follow the sessions: every one created or changed since the start is
    shown, read by change cursor (``changedAfter``) from a server that has
    them, else from the newest sessions of each poll."""
    from sentrial_api.api.default import list_sessions

    filters = _filters(args)
    deadline = time.monotonic() + args.timeout if args.timeout else None
    with _api(args) as api:
        first, since = _first_page(api, filters, NEWEST)
        changes: str | None = first.get("changeCursor")
        follow = _Follow(api, args.json, sys.stdout, since if changes else None)
        for s in first["data"][args.lines :]:  # known, not shown
            count = int(_number(s.get("eventCount")) or 0)
            follow.known[str(s.get("id"))] = (count, str(s.get("status")))
        follow.see(list(reversed(first["data"][: args.lines])), quiet=True)
        try:
            while deadline is None or time.monotonic() < deadline:
                wait = args.interval
                if deadline is not None:  # --timeout ends the wait, not the next poll
                    wait = min(wait, max(0.0, deadline - time.monotonic()))
                time.sleep(wait)
                if changes is None:
                    page, _ = next(session_pages(api, filters, NEWEST, None, False))
                    follow.see(list(reversed(page)), quiet=False)
                    continue
                while True:  # every change since the last poll, a page at a time
                    answer = _call(
                        list_sessions.sync_detailed,
                        client=api,
                        limit=PAGE_MAX,
                        changed_after=changes,
                        **filters,
                    ).to_dict()
                    follow.see(answer["data"], quiet=False)
                    changes = answer.get("changeCursor") or changes
                    if len(answer["data"]) < PAGE_MAX:
                        break
        except KeyboardInterrupt:
            pass
    return EXIT_OK


# -- export ---------------------------------------------------------------------------


class Progress:
    """A count on stderr: redrawn in place on a terminal, a plain line every
    ``every`` items elsewhere (CI logs, pipes)."""

    def __init__(self, label: str, every: int = 1000, stream: IO[str] | None = None) -> None:
        self.label, self.every = label, every
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def update(self, done: int) -> None:
        if self.tty:
            print(f"\r{self.label}: {done:,}", end="", file=self.stream, flush=True)
        elif done and done % self.every == 0:
            print(f"{self.label}: {done:,}", file=self.stream, flush=True)

    def done(self, text: str) -> None:
        print(("\r" if self.tty else "") + text, file=self.stream, flush=True)


#: The columns of ``export --format csv``: a session's fields, one row per session.
CSV_COLUMNS = (
    "id",
    "name",
    "agentName",
    "userId",
    "convoId",
    "status",
    "success",
    "failureReason",
    "startedAt",
    "completedAt",
    "durationMs",
    "totalTokens",
    "estimatedCost",
    "eventCount",
    "userInput",
    "assistantOutput",
)


def csv_writer(out: IO[str]) -> Callable[[dict[str, Any]], None]:
    """Write the header now; the function writes one session as a row (values
    that are not text as JSON, absent ones empty)."""
    import csv

    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)

    def row(session: dict[str, Any]) -> None:
        values = (session.get(name) for name in CSV_COLUMNS)
        writer.writerow(
            ["" if v is None else v if isinstance(v, str) else dumps(v) for v in values]
        )

    return row


def _export(args: argparse.Namespace) -> int:
    out: IO[str] = sys.stdout
    if args.output and args.output != "-":
        try:
            out = open(args.output, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CLIError(f"cannot write {args.output}: {exc.strerror}", EXIT_USAGE) from None
    sessions = events = 0
    progress = Progress("sessions exported")
    csv_rows = csv_writer(out) if args.format == "csv" else None
    try:
        with _api(args) as api:
            for page, _ in session_pages(api, _filters(args), PAGE_MAX, None, True):
                for session in page:
                    if csv_rows is not None:  # one row per session, no events
                        csv_rows(session)
                    else:
                        session_events = all_events(api, str(session["id"]))
                        out.write(dumps({**session, "events": session_events}) + "\n")
                        events += len(session_events)
                    sessions += 1
                    progress.update(sessions)
    finally:
        if out is not sys.stdout:
            out.close()
    where = args.output if args.output and args.output != "-" else "stdout"
    progress.done(f"exported {sessions:,} sessions with {events:,} events to {where}")
    return EXIT_OK


# -- parser ---------------------------------------------------------------------------


def _filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", help="only this agent's sessions")
    parser.add_argument("--user", help="only this user's sessions")
    parser.add_argument("--status", choices=["active", "completed", "failed"])
    parser.add_argument(
        "--since", type=moment, help="started at or after: ISO date-time, or 30m, 2h, 7d ago"
    )
    parser.add_argument("--until", type=moment, help="started before (same forms as --since)")
    parser.add_argument(
        "--last", dest="since", type=moment, help="the same as --since: 7d, 24h, 30m"
    )


def sessions_options(
    parser: argparse.ArgumentParser, api_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    """The options of ``sessions`` and ``sessions list``."""
    api_options(parser)
    _filter_options(parser)
    parser.add_argument("--convo", help="only this conversation's sessions")
    parser.add_argument(
        "--limit", type=bounded_int(1, PAGE_MAX), help="sessions per page (default 50; 1-500)"
    )
    parser.add_argument("--cursor", help="go on from a page: the nextCursor printed last")
    parser.add_argument("--all", action="store_true", help="every page, not only the first")
    parser.add_argument("--json", action="store_true", help="print {data, nextCursor} as JSON")
    parser.add_argument(
        "--fail-if-any", action="store_true", help="exit 1 when any session matches (for CI)"
    )
    parser.add_argument(
        "--count", action="store_true", help="print only how many sessions match (every page)"
    )


def add_read_commands(
    commands: Any, api_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    from sentrial._cli_records import add_record_commands

    sessions = commands.add_parser("sessions", help="list sessions, newest first")
    sessions_options(sessions, api_options)
    sessions.set_defaults(func=_sessions)
    add_record_commands(commands, sessions, api_options)

    show = commands.add_parser("show", help="a session: its input, output and event timeline")
    api_options(show)
    show.add_argument("session_id")
    show.add_argument("--full", action="store_true", help="inputs and outputs in full")
    show.add_argument("--json", action="store_true", help="print {session, events} as JSON")
    show.set_defaults(func=_show)

    tail = commands.add_parser("tail", help="follow new sessions and events as they arrive")
    api_options(tail)
    _filter_options(tail)
    tail.add_argument(
        "-n", "--lines", type=bounded_int(0, 100), default=10, help="latest sessions shown first"
    )
    tail.add_argument(
        "--interval",
        type=bounded_float(MAX_INTERVAL),
        default=1.0,
        help="seconds between polls (default 1, at most 3600)",
    )
    tail.add_argument("--timeout", type=positive_float, help="stop after this many seconds")
    tail.add_argument("--json", action="store_true", help="one JSON object per line")
    tail.set_defaults(func=_tail)

    export = commands.add_parser("export", help="sessions with their events, one per line")
    api_options(export)
    _filter_options(export)
    export.add_argument(
        "--format",
        choices=["jsonl", "csv"],
        default="jsonl",
        help="jsonl: each session with its events (default); csv: one row per session, no events",
    )
    export.add_argument("--output", "-o", help="file to write (default: stdout)")
    export.set_defaults(func=_export)
