"""``sentrial signals list`` and ``sentrial diagnose``: the server's
classification of finished sessions (``GET /api/signals``) and its diagnosis
of one session (``GET /api/sessions/{id}/diagnosis``), both capability
``signals``.

A server without them (an older ``sentrial serve``, another self-hosted one)
answers 404 for the endpoint itself: the commands say so and exit 4, instead
of failing obscurely. An unknown session is exit 2.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from sentrial._cli import CALL_SECONDS, EXIT_OK, EXIT_USAGE, CLIError, Unreachable

EXIT_UNSUPPORTED = 4

EXIT_CODES = """exit codes: 0 ok, 1 the API failed or is unreachable, 2 bad input (an unknown
session), 4 the server has no such endpoint (it does not classify sessions)"""


def _get(args: argparse.Namespace, module: Any, *call: Any, **params: Any) -> tuple[int, Any]:
    """The generated ``module``'s request on the configured API: (status, JSON
    body or None). Read here, not by ``sync_detailed``: a server without the
    endpoint may answer a 404 that is no JSON at all."""
    import httpx

    from sentrial._cli import _api
    from sentrial._cli_hints import connection_error
    from sentrial._delivery._http import deadline

    given = {k: v for k, v in params.items() if v is not None}
    with _api(args) as api:  # the configured URL and key (or a usage error without one)
        try:
            with deadline(CALL_SECONDS):
                answer = api.get_httpx_client().request(**module._get_kwargs(*call, **given))
        except httpx.HTTPError as exc:
            raise Unreachable(connection_error(str(api._base_url), exc)) from None
    try:
        body = answer.json()
    except ValueError:
        body = None
    return answer.status_code, body


def _fail(args: argparse.Namespace, status: int, body: Any) -> CLIError:
    from sentrial._cli import _config
    from sentrial._cli_hints import answer_error

    message = body.get("message") if isinstance(body, dict) else None
    code = EXIT_USAGE if status in (400, 401, 403) else 1
    url = _config(args).api_url
    return CLIError(answer_error(url, status, str(message or "unexpected answer")), code)


def _lacks(what: str) -> CLIError:
    return CLIError(
        f"this server has no {what} (HTTP 404 for the endpoint): it does not classify"
        " sessions; the hosted API, or a `sentrial serve` with the capability `signals`, does",
        EXIT_UNSUPPORTED,
    )


def _signals(args: argparse.Namespace) -> int:
    from sentrial_api.api.default import list_signals
    from sentrial_api.models import SignalPage, SignalType

    try:
        kind = SignalType(args.type) if args.type else None
    except ValueError:
        known = ", ".join(t.value for t in SignalType)
        raise CLIError(f"--type: {args.type!r} is not one of {known}", EXIT_USAGE) from None
    status, body = _get(
        args,
        list_signals,
        since=args.since,
        until=args.until,
        type_=kind,
        source=args.source,
        agent_name=args.agent,
        session_id=args.session,
        name=args.name,
        limit=args.limit,
        cursor=args.cursor,
    )
    if status == 404:
        raise _lacks("signals")
    if status != 200 or not isinstance(body, dict):
        raise _fail(args, status, body)
    if args.json:
        print(json.dumps(body))
        return EXIT_OK
    from sentrial._cli_read import table

    page = SignalPage.from_dict(body)
    rows = [
        [
            s.created_at.isoformat()[:19].replace("T", " "),
            s.session_id,
            s.agent_name,
            s.type_.value,
            s.source,
            s.name,
            s.detail,
        ]
        for s in page.data
    ]
    headers = ["time", "session", "agent", "type", "source", "signal", "detail"]
    print(table(headers, rows) if rows else "no signals")
    if isinstance(page.next_cursor, str):
        print(f"more: sentrial signals list --cursor {page.next_cursor} (same filters)")
    return EXIT_OK


def _diagnose(args: argparse.Namespace) -> int:
    from sentrial_api.api.default import get_session, get_session_diagnosis

    status, body = _get(args, get_session_diagnosis, args.session_id)
    if status == 404:  # no such session, or no such endpoint: the session says which
        found, _ = _get(args, get_session, args.session_id)
        if found == 404:
            raise CLIError(f"no session {args.session_id!r}", EXIT_USAGE)
        raise _lacks("diagnosis")
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise _fail(args, status, body)
    print(json.dumps(body) if args.json else body["text"].rstrip("\n"))
    return EXIT_OK


def add_signal_commands(
    commands: Any, api_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    from sentrial._cli_read import bounded_int, moment

    signals = commands.add_parser("signals", help="how the server classified finished sessions")
    sub = signals.add_subparsers(dest="signals_command", required=True, metavar="{list}")
    listing = sub.add_parser("list", help="signals, newest first", epilog=EXIT_CODES)
    api_options(listing)
    listing.add_argument(
        "--last", "--since", dest="since", type=moment, help="since: 30d, 24h, today, ISO date"
    )
    listing.add_argument("--until", type=moment, help="created before (same forms as --last)")
    listing.add_argument("--type", help="negative, positive or neutral")
    listing.add_argument("--source", help="heuristic (the server's classification), ...")
    listing.add_argument("--agent", help="only this agent's sessions")
    listing.add_argument("--session", help="only this session's signals")
    listing.add_argument("--name", help="only signals of this name, such as loop")
    listing.add_argument("--limit", type=bounded_int(1, 500), help="at most this many (1-500)")
    listing.add_argument("--cursor", help="go on from a page: the cursor printed last")
    listing.add_argument("--json", action="store_true", help="print what the API answered")
    listing.set_defaults(func=_signals)

    diagnose = commands.add_parser(
        "diagnose", help="where a session went wrong, step by step", epilog=EXIT_CODES
    )
    api_options(diagnose)
    diagnose.add_argument("session_id")
    diagnose.add_argument(
        "--json", action="store_true", help="print what the API answered (else its text)"
    )
    diagnose.set_defaults(func=_diagnose)
