"""The ``sentrial`` command line: serve, sessions, show, doctor, flush-spool.

Reads go through the generated client, with the configuration the SDK itself
would use (``--api-url``/``--api-key``, else ``SENTRIAL_API_URL``/``SENTRIAL_API_KEY``).
Exit codes: 0 success, 1 the API failed or is unreachable, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from sentrial._serve import add_arguments as add_serve_arguments

EXIT_OK, EXIT_API, EXIT_USAGE = 0, 1, 2


class CLIError(Exception):
    def __init__(self, message: str, code: int = EXIT_API) -> None:
        super().__init__(message)
        self.code = code


# -- serve ---------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from sentrial._serve import serve

    return serve(args)


# -- reading the API -------------------------------------------------------------------


def _config(args: argparse.Namespace) -> Any:
    from sentrial._config import resolve
    from sentrial._errors import ConfigurationError

    try:
        return resolve({"api_url": args.api_url, "api_key": args.api_key, "fail_silently": False})
    except ConfigurationError as exc:
        raise CLIError(str(exc), EXIT_USAGE) from None


def _api(args: argparse.Namespace) -> Any:
    import httpx
    from sentrial_api import AuthenticatedClient

    config = _config(args)
    if not config.api_key:
        raise CLIError("no API key: pass --api-key or set SENTRIAL_API_KEY", EXIT_USAGE)
    return AuthenticatedClient(
        base_url=config.api_url, token=config.api_key, timeout=httpx.Timeout(10.0)
    )


def _call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a generated ``sync_detailed`` call; API errors become CLIError."""
    import httpx
    from sentrial_api.models import Error

    try:
        response = function(*args, **kwargs)
    except httpx.HTTPError as exc:
        raise CLIError(f"cannot reach the API: {exc}") from None
    if isinstance(response.parsed, Error):
        code = EXIT_USAGE if response.status_code in (400, 404) else EXIT_API
        raise CLIError(f"HTTP {int(response.status_code)}: {response.parsed.message}", code)
    if response.parsed is None:
        raise CLIError(f"HTTP {int(response.status_code)}: unexpected answer")
    return response.parsed


def _fmt_ms(value: Any) -> str:
    return f"{value / 1000:.2f}s" if isinstance(value, (int, float)) else "-"


def _fmt_cost(value: Any) -> str:
    return f"${value:.6f}" if isinstance(value, (int, float)) else "-"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def sessions_table(sessions: list[Any]) -> str:
    """The table ``sentrial sessions`` and ``make demo`` print."""
    rows = [
        [
            s.id,
            s.agent_name,
            s.user_id,
            s.status,
            _fmt_ms(s.duration_ms),
            str(s.total_tokens) if isinstance(s.total_tokens, int) else "-",
            _fmt_cost(s.estimated_cost),
        ]
        for s in sessions
    ]
    return _table(["session", "agent", "user", "status", "duration", "tokens", "cost"], rows)


def _sessions(args: argparse.Namespace) -> int:
    from sentrial_api.api.default import list_sessions
    from sentrial_api.models import SessionStatusFilter

    status = SessionStatusFilter(args.status) if args.status else None
    kwargs = {
        k: v
        for k, v in {
            "agent_name": args.agent,
            "user_id": args.user,
            "convo_id": args.convo,
            "status": status,
            "since": args.since,
            "limit": args.limit,
        }.items()
        if v is not None
    }
    with _api(args) as api:
        page = _call(list_sessions.sync_detailed, client=api, **kwargs)
    print(sessions_table(page.data) if page.data else "no sessions")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    from sentrial_api.api.default import get_session, list_session_events

    with _api(args) as api:
        session = _call(get_session.sync_detailed, args.session_id, client=api)
        events: list[Any] = []
        cursor = None
        while True:
            extra: dict[str, str] = {"cursor": cursor} if cursor else {}
            page = _call(
                list_session_events.sync_detailed, args.session_id, client=api, limit=1000, **extra
            )
            events += page.data
            cursor = page.next_cursor
            if not cursor:
                break
    mark = {"completed": "ok", "failed": "FAILED", "active": "active"}.get(
        session.status, session.status
    )
    print(
        f"{session.name}  [{session.agent_name}, user {session.user_id}]  {mark}  "
        f"{_fmt_ms(session.duration_ms)}  {session.total_tokens or 0} tokens  "
        f"{_fmt_cost(session.estimated_cost)}"
    )
    if session.failure_reason:
        print(f"  failure: {session.failure_reason}")
    for index, event in enumerate(events):
        branch = "└─" if index == len(events) - 1 else "├─"
        name = event.tool_name or event.model or ""
        tokens = (event.prompt_tokens or 0) + (event.completion_tokens or 0) or (
            event.token_count or 0
        )
        parts = [f"{branch} {event.event_type:<13} {name}".rstrip()]
        if isinstance(event.duration_ms, (int, float)):
            parts.append(f"{event.duration_ms:.0f}ms")
        if tokens:
            parts.append(f"{tokens} tok")
        if isinstance(event.estimated_cost, (int, float)) and event.estimated_cost:
            parts.append(_fmt_cost(event.estimated_cost))
        error = event.tool_error.additional_properties if event.tool_error else None
        if error:
            parts.append(f"ERROR {error.get('type') or ''}: {error.get('message') or ''}")
        elif event.reasoning:
            parts.append(f"— {event.reasoning[:80]}")
        print("  ".join(parts))
    return EXIT_OK


def _doctor(args: argparse.Namespace) -> int:
    import httpx
    from sentrial_api.api.default import get_health, list_sessions

    from sentrial._config import mask_key
    from sentrial._delivery._spool import spool_directory

    config = _config(args)
    print("configuration in effect:")
    for name in (
        "api_url",
        "api_key",
        "enabled",
        "sample_rate",
        "delivery",
        "shutdown_timeout",
        "max_queue_size",
        "redact",
    ):
        value = mask_key(config.api_key) if name == "api_key" else getattr(config, name)
        print(f"  {name:<17} {value}")
    problems = 0
    from sentrial_api import AuthenticatedClient

    with AuthenticatedClient(
        base_url=config.api_url, token=config.api_key or "", timeout=httpx.Timeout(5.0)
    ) as api:
        try:
            health = get_health.sync_detailed(client=api)
            ok = int(health.status_code) == 200
            print(f"connectivity:      {'ok' if ok else 'HTTP ' + str(int(health.status_code))}")
            problems += not ok
        except httpx.HTTPError as exc:
            print(f"connectivity:      FAILED ({exc})")
            problems += 1
        if not config.api_key:
            print("auth:              FAILED (no API key)")
            problems += 1
        else:
            try:
                answer = list_sessions.sync_detailed(client=api, limit=1)
                ok = int(answer.status_code) == 200
                verdict = "ok" if ok else f"FAILED (HTTP {int(answer.status_code)})"
                print(f"auth:              {verdict}")
                problems += not ok
            except httpx.HTTPError:
                print("auth:              not checked (unreachable)")
    directory = spool_directory(config)
    files = list(directory.glob("*.spool")) if directory.is_dir() else []
    size = sum(f.stat().st_size for f in files)
    print(f"spool:             {directory}  ({len(files)} file(s), {size:,} bytes waiting)")
    if files:
        print("                   run `sentrial flush-spool` to deliver them now")
    return EXIT_OK if not problems else EXIT_API


def _flush_spool(args: argparse.Namespace) -> int:
    from sentrial import SentrialClient
    from sentrial._delivery._dead_letter import DeadLetter
    from sentrial._delivery._spool import spool_directory

    config = _config(args)
    directory = spool_directory(config)
    dead = DeadLetter(directory, config.max_spool_bytes)
    reasons = dead.summary()
    if reasons:
        listed = ", ".join(f"{count:,} {reason}" for reason, count in sorted(reasons.items()))
        print(f"dead letters in {dead.path}: {listed}")
        if not args.dead_letter:
            print("  run `sentrial flush-spool --dead-letter` to send them again")
    retry = dead.take() if args.dead_letter else []
    files = list(directory.glob("*.spool")) if directory.is_dir() else []
    if not files and not retry:
        print(f"nothing to flush in {directory}")
        return EXIT_OK
    total = sum(len(f.read_bytes().splitlines()) for f in files) + len(retry)
    print(
        f"delivering {total:,} operation(s) from {len(files)} spool file(s)"
        f"{f' and {len(retry):,} dead letter(s)' if retry else ''} to {config.api_url}"
    )
    client = SentrialClient(
        api_key=config.api_key, api_url=config.api_url, spool_dir=config.spool_dir
    )
    delivery = client._tracker.delivery
    delivery.start()
    for op in retry:
        delivery.submit(op)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        stats = client.stats()
        done = stats["sent"] + sum(stats["dropped"].values())
        done += sum(stats["dead_lettered"].values())
        print(f"\r  {done:,}/{total:,} delivered", end="", flush=True)
        if not list(directory.glob("*.spool")) and client.flush(0.5):
            break
        time.sleep(0.5)
    stats = client.stats()
    client.shutdown(5)
    failed = {**stats["dropped"], **stats["dead_lettered"]}
    print(f"\r  {stats['sent']:,}/{total:,} delivered, not delivered: {failed or 'none'}")
    return EXIT_OK if stats["sent"] >= total and not failed else EXIT_API


# -- parser -------------------------------------------------------------------------------


def _api_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-url", help="default: SENTRIAL_API_URL or the hosted API")
    parser.add_argument("--api-key", help="default: SENTRIAL_API_KEY")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sentrial", description="Sentrial agent monitoring")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the local Sentrial-compatible server")
    add_serve_arguments(serve)
    serve.set_defaults(func=_serve)

    sessions = commands.add_parser("sessions", help="list sessions, newest first")
    _api_options(sessions)
    sessions.add_argument("--agent")
    sessions.add_argument("--user")
    sessions.add_argument("--status", choices=["active", "completed", "failed"])
    sessions.add_argument("--convo")
    sessions.add_argument("--since", type=_datetime, help="ISO date-time")
    sessions.add_argument("--limit", type=int, default=50)
    sessions.set_defaults(func=_sessions)

    show = commands.add_parser("show", help="a session's event timeline")
    _api_options(show)
    show.add_argument("session_id")
    show.set_defaults(func=_show)

    doctor = commands.add_parser("doctor", help="configuration, connectivity, auth, spool")
    _api_options(doctor)
    doctor.set_defaults(func=_doctor)

    flush = commands.add_parser(
        "flush-spool", help="deliver operations waiting on disk now; list (and retry) dead letters"
    )
    _api_options(flush)
    flush.add_argument("--timeout", type=float, default=300)
    flush.add_argument(
        "--dead-letter",
        action="store_true",
        help="also send again what the dead-letter file holds (operations once refused)",
    )
    flush.set_defaults(func=_flush_spool)
    return parser


def _datetime(value: str) -> Any:
    import datetime as dt

    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CLIError as exc:
        print(f"sentrial {args.command}: {exc}", file=sys.stderr)
        return exc.code
    return code
