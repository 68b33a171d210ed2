"""The ``sentrial`` command line: ``sentrial serve`` and friends."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence
from pathlib import Path


def _default_db() -> str:
    import platformdirs

    directory = Path(platformdirs.user_data_dir("sentrial", appauthor=False))
    directory.mkdir(parents=True, exist_ok=True)
    return str(directory / "sentrial.db")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    try:
        from sentrial._server import DEFAULT_API_KEY, LocalServer
    except ImportError as exc:  # the server lives behind an extra
        print(
            f"sentrial serve needs the server extra: pip install 'sentrial[server]' ({exc})",
            file=sys.stderr,
        )
        return 2
    keys = args.api_key or [DEFAULT_API_KEY]
    if not args.api_key and not _is_loopback(args.host):
        print(
            f"refusing to listen on {args.host} with the well-known local key: pass --api-key KEY",
            file=sys.stderr,
        )
        return 2
    db = args.db or _default_db()
    try:
        server = LocalServer(db, host=args.host, port=args.port, api_keys=keys)
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Sentrial local server on {server.url}  (database: {db})")
    print(f"  export SENTRIAL_API_URL={server.url}")
    if args.api_key:
        print("  export SENTRIAL_API_KEY=<one of the keys given with --api-key>")
    else:
        print(f"  export SENTRIAL_API_KEY={DEFAULT_API_KEY}")
    sys.stdout.flush()
    server.start()
    try:
        while server.is_running():
            server.wait(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sentrial", description="Sentrial agent monitoring")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the local Sentrial-compatible server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8787)
    serve.add_argument("--db", help="SQLite file, or :memory: (default: user data dir)")
    serve.add_argument(
        "--api-key", action="append", metavar="KEY", help="accepted bearer key (repeatable)"
    )
    serve.set_defaults(func=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result
