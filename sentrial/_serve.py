"""``sentrial serve``: its options, their checks, and the run loop.

The command line (``sentrial._cli``) registers the options with
:func:`add_arguments` and runs :func:`serve`; ``python -m sentrial._serve``
does the same on its own. Importing this module loads neither Starlette nor
uvicorn: the server lives behind the ``server`` extra.

Every refusal is one line on stderr, ``sentrial serve: <what and why>``, and
exit status 2; nothing starts listening before every option checked out.
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_API, EXIT_USAGE = 0, 1, 2  # as in sentrial._cli


class ServeError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    parser.add_argument("--port", type=int, default=8787, help="default: 8787")
    parser.add_argument("--db", help="SQLite file, or :memory: (default: user data dir)")
    parser.add_argument(
        "--api-key",
        action="append",
        metavar="KEY",
        help="accepted bearer key (repeatable; default: the well-known local key, loopback only)",
    )
    parser.add_argument(
        "--pii-config",
        metavar="FILE.json",
        help="PII redaction settings for GET /api/sdk/pii-config (a PiiConfig object)",
    )


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _default_db() -> str:
    import platformdirs

    from ._private import private_dir

    directory = Path(platformdirs.user_data_dir("sentrial", appauthor=False))
    private_dir(directory)
    return str(directory / "sentrial.db")


def _keys(given: list[str] | None, host: str, default: str) -> list[str]:
    if given is None:
        if not is_loopback(host):
            raise ServeError(
                f"refusing to listen on {host} with the well-known local key: pass --api-key KEY"
            )
        return [default]
    for key in given:
        if not key.strip():
            raise ServeError("--api-key must not be empty (is the shell variable you used unset?)")
        if key != key.strip() or not key.isprintable():
            # A header cannot carry it as given: no client could ever match it.
            raise ServeError(
                "--api-key must not start or end with spaces or hold control characters"
            )
    return given


def _server(args: argparse.Namespace) -> tuple[Any, str]:
    """The LocalServer the options describe (bound, not started), and its database."""
    try:
        from sentrial._server import DEFAULT_API_KEY, LocalServer
        from sentrial._server._pii import PiiConfigError, load_pii_config
        from sentrial._server._storage import StorageOpenError
    except ImportError as exc:  # the server lives behind an extra
        raise ServeError(
            f"needs the server extra: pip install 'sentrial[server]' ({exc})"
        ) from None
    keys = _keys(args.api_key, args.host, DEFAULT_API_KEY)
    if not 0 <= args.port <= 65535:
        raise ServeError(f"--port {args.port} is not a port (0-65535)")
    pii = None
    if args.pii_config is not None:
        try:
            pii = load_pii_config(args.pii_config)
        except PiiConfigError as exc:
            raise ServeError(f"--pii-config {exc}") from None
    db = args.db or _default_db()
    try:
        server = LocalServer(db, host=args.host, port=args.port, api_keys=keys, pii_config=pii)
    except StorageOpenError as exc:
        raise ServeError(f"--db {exc}") from None
    except OSError as exc:
        raise ServeError(
            f"cannot listen on {args.host} port {args.port}: {exc.strerror or exc}",
            EXIT_API,
        ) from None
    return server, db


def serve(args: argparse.Namespace) -> int:
    """Run ``sentrial serve`` until interrupted; the exit status."""
    try:
        server, db = _server(args)
    except ServeError as exc:
        print(f"sentrial serve: {exc}", file=sys.stderr)
        return exc.code
    # Pages are rendered and batches stored in worker threads: hand the GIL back
    # to the event loop every millisecond (default 5), so health and small
    # requests never wait long behind them. This process serves and does nothing else.
    sys.setswitchinterval(0.001)
    # What startup built (the spec, the app, the modules) lives as long as the
    # process: out of the collector's sight, a collection no longer rescans it
    # each time a large batch's parsed JSON triggers one (~1 ms per batch).
    gc.freeze()
    server.start()
    # Said once it listens (the socket was only bound before start): whoever waits
    # for this line to connect (a script, a test, a CI job) is never refused.
    print(f"Sentrial local server on {server.url}  (database: {db})")
    if is_loopback(args.host):
        print(f"  viewer:  {server.url}/")
    print(f"  export SENTRIAL_API_URL={server.url}")
    if args.api_key:
        print("  export SENTRIAL_API_KEY=<one of the keys given with --api-key>")
    else:
        print(f"  export SENTRIAL_API_KEY={server.api_key}")
    sys.stdout.flush()
    try:
        while server.is_running():
            server.wait(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sentrial serve", description="run the local Sentrial-compatible server"
    )
    add_arguments(parser)
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
