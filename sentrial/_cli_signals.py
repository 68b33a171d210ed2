"""``sentrial signals list`` and ``sentrial diagnose``: the server's
classification of finished sessions and its diagnosis of one session.

A server without them (``sentrial serve`` until it classifies sessions, an
older self-hosted one) answers 404 for the endpoint itself: the commands say
so and exit 4, instead of failing obscurely. An unknown session is exit 2.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from sentrial._cli import EXIT_OK, EXIT_USAGE, CLIError, Unreachable

EXIT_UNSUPPORTED = 4
SIGNALS_PATH = "/api/sdk/signals"
DIAGNOSIS_PATH = "/api/sdk/sessions/{id}/diagnosis"

EXIT_CODES = """exit codes: 0 ok, 1 the API failed or is unreachable, 2 bad input (an unknown
session), 4 the server has no such endpoint (it does not classify sessions yet)"""


def _get(args: argparse.Namespace, path: str, params: dict[str, Any]) -> tuple[int, Any]:
    """GET ``path`` on the configured API: (status, JSON body or None)."""
    import httpx

    from sentrial._cli import _api
    from sentrial._cli_hints import connection_error

    with _api(args) as api:  # the configured URL and key (or a usage error without one)
        try:
            answer = api.get_httpx_client().get(
                path, params={k: v for k, v in params.items() if v is not None}
            )
        except httpx.HTTPError as exc:
            raise Unreachable(connection_error(str(api._base_url), exc)) from None
    try:
        body = answer.json()
    except ValueError:
        body = None
    return answer.status_code, body


def _fail(status: int, body: Any, url_hint: str) -> CLIError:
    from sentrial._cli_hints import answer_error

    message = body.get("message") if isinstance(body, dict) else None
    code = EXIT_USAGE if status in (400, 401, 403) else 1
    return CLIError(answer_error(url_hint, status, str(message or "unexpected answer")), code)


def _lacks(what: str) -> CLIError:
    return CLIError(
        f"this server has no {what} (HTTP 404 for the endpoint): it does not classify"
        " sessions yet; the hosted API, or a newer `sentrial serve`, does",
        EXIT_UNSUPPORTED,
    )


def _signals(args: argparse.Namespace) -> int:
    params = {
        "since": args.since.isoformat() if args.since else None,
        "type": args.type,
        "source": args.source,
        "agentName": args.agent,
        "sessionId": args.session,
        "limit": args.limit,
    }
    status, body = _get(args, SIGNALS_PATH, params)
    if status == 404:
        raise _lacks("signals")
    if status != 200 or not isinstance(body, dict):
        raise _fail(status, body, args.api_url or "the API")
    if args.json:
        print(json.dumps(body))
        return EXIT_OK
    from sentrial._cli_read import table

    signals = body.get("data") or []
    rows = [
        [
            str(s.get("createdAt"))[:19].replace("T", " "),
            str(s.get("sessionId")),
            str(s.get("agentName")),
            str(s.get("type")),
            str(s.get("source")),
            str(s.get("name")),
        ]
        for s in signals
    ]
    headers = ["time", "session", "agent", "type", "source", "signal"]
    print(table(headers, rows) if rows else "no signals")
    return EXIT_OK


def _diagnose(args: argparse.Namespace) -> int:
    from urllib.parse import quote

    session = quote(args.session_id, safe="")
    status, body = _get(args, DIAGNOSIS_PATH.format(id=session), {})
    if status == 404:
        found, _ = _get(args, f"/api/sdk/sessions/{session}", {})
        if found == 404:
            raise CLIError(f"no session {args.session_id!r}", EXIT_USAGE)
        raise _lacks("diagnosis")
    if status != 200:
        raise _fail(status, body, args.api_url or "the API")
    print(json.dumps(body) if args.json else json.dumps(body, indent=2))
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
    listing.add_argument("--type", help="negative, positive or neutral")
    listing.add_argument("--source", help="heuristic, ...")
    listing.add_argument("--agent", help="only this agent's sessions")
    listing.add_argument("--session", help="only this session's signals")
    listing.add_argument("--limit", type=bounded_int(1, 500), help="at most this many (1-500)")
    listing.add_argument("--json", action="store_true", help="print what the API answered")
    listing.set_defaults(func=_signals)

    diagnose = commands.add_parser(
        "diagnose", help="where a session went wrong, step by step", epilog=EXIT_CODES
    )
    api_options(diagnose)
    diagnose.add_argument("session_id")
    diagnose.add_argument("--json", action="store_true", help="print what the API answered")
    diagnose.set_defaults(func=_diagnose)
