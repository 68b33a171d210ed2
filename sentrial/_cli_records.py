"""``sentrial sessions list|get`` and ``sentrial events list``: the command
lines Sentrial documents, next to our ``sessions`` and ``show``.

``sessions`` without a subcommand still lists (``sessions list`` is the same
command with the same options, plus ``--last``); ``sessions get`` is ``show``
with ``--no-events``; ``events list`` prints one session's events, optionally
of one type. ``--json`` prints what the API answered (camelCase records).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sentrial._cli import EXIT_OK


def _sessions_get(args: argparse.Namespace) -> int:
    from sentrial._cli_read import _show

    return _show(args)


def _events_list(args: argparse.Namespace) -> int:
    from sentrial_api.api.default import get_session

    from sentrial._cli import _api, _call
    from sentrial._cli_read import _event_line, all_events, dumps
    from sentrial._cli_text import safe

    with _api(args) as api:
        _call(get_session.sync_detailed, args.session_id, client=api)  # 404 names the id
        events = all_events(api, args.session_id)
    if args.type:
        events = [e for e in events if e.get("eventType") == args.type]
    if args.json:
        print(dumps({"data": events}))
        return EXIT_OK
    if not events:
        print("no events" + (f" of type {args.type}" if args.type else ""))
    for event in events:
        when = str(event.get("timestamp"))[:19].replace("T", " ")
        print(safe(f"{when}  {_event_line(event, '', '')}"))
    return EXIT_OK


def add_record_commands(
    commands: Any,
    sessions: argparse.ArgumentParser,
    api_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """``sessions list|get`` under ``sessions`` (optional: plain ``sessions``
    lists), and ``events list``."""
    from sentrial._cli_read import _sessions, sessions_options

    sub = sessions.add_subparsers(dest="sessions_command", metavar="{list,get}")
    listing = sub.add_parser("list", help="list sessions, newest first (as `sessions`)")
    sessions_options(listing, api_options)
    listing.set_defaults(func=_sessions)

    get = sub.add_parser("get", help="one session, with its events unless --no-events")
    api_options(get)
    get.add_argument("session_id")
    get.add_argument("--no-events", action="store_true", help="the session alone")
    get.add_argument("--full", action="store_true", help="inputs and outputs in full")
    get.add_argument(
        "--json", action="store_true", help="print {session, events} ({session}) as JSON"
    )
    get.set_defaults(func=_sessions_get)

    events = commands.add_parser("events", help="a session's events")
    events_sub = events.add_subparsers(dest="events_command", required=True, metavar="{list}")
    events_list = events_sub.add_parser("list", help="a session's events, oldest first")
    api_options(events_list)
    events_list.add_argument("session_id")
    events_list.add_argument("--type", help="only events of this type: tool_call, llm_call...")
    events_list.add_argument("--json", action="store_true", help="print {data} as JSON")
    events_list.set_defaults(func=_events_list)
