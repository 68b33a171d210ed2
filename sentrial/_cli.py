"""The ``sentrial`` command line: serve, sessions, show, tail, export, doctor,
flush-spool, experiment; and the commands Sentrial documents (login, logout,
sessions list|get, events list, evaluate, init, install, signals, diagnose).

Reads go through the generated client, with the configuration the SDK itself
would use (``--api-url``/``--api-key``, else ``SENTRIAL_API_URL``/``SENTRIAL_API_KEY``).
Exit codes: 0 success, 1 the API failed or is unreachable, 2 bad input; the
commands that say otherwise in their ``--help`` (``evaluate``: 3 for an
unreachable API; ``signals``/``diagnose``: 4 for a server without them).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from sentrial._serve import add_arguments as add_serve_arguments

EXIT_OK, EXIT_API, EXIT_USAGE = 0, 1, 2


class CLIError(Exception):
    def __init__(self, message: str, code: int = EXIT_API) -> None:
        super().__init__(message)
        self.code = code


class Unreachable(CLIError):
    """The API could not be reached at all (``evaluate`` exits 3 for it)."""


NO_KEY = "no API key: pass --api-key, set SENTRIAL_API_KEY or run `sentrial login --api-key KEY`"


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


CALL_SECONDS = 30.0  # one read command's request, as a whole


def _api(args: argparse.Namespace) -> Any:
    import httpx
    from sentrial_api import AuthenticatedClient

    from sentrial._delivery._http import client_args

    config = _config(args)
    if not config.api_key:
        raise CLIError(NO_KEY, EXIT_USAGE)
    verify = not config.api_url.lower().startswith("http://")
    return AuthenticatedClient(  # the SDK's proxy rules: a loopback API is reached directly
        base_url=config.api_url,
        token=config.api_key,
        timeout=httpx.Timeout(10.0),
        verify_ssl=verify,
        httpx_args=client_args(config.api_url, verify=verify, connections=4),
    )


def _call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a generated ``sync_detailed`` call; API errors become CLIError."""
    import httpx
    from sentrial_api.models import Error

    from sentrial._cli_hints import answer_error, connection_error
    from sentrial._delivery._http import deadline

    url = getattr(kwargs.get("client"), "_base_url", "the API")
    try:
        with deadline(CALL_SECONDS):  # for the whole answer, however slowly it comes
            response = function(*args, **kwargs)
    except httpx.HTTPError as exc:
        raise Unreachable(connection_error(url, exc)) from None
    if isinstance(response.parsed, Error):
        code = EXIT_USAGE if response.status_code in (400, 404) else EXIT_API
        status = int(response.status_code)
        raise CLIError(answer_error(url, status, str(response.parsed.message)), code)
    if response.parsed is None:
        raise CLIError(answer_error(url, int(response.status_code), "unexpected answer"))
    return response.parsed


def _doctor(args: argparse.Namespace) -> int:
    from sentrial._cli_doctor import doctor

    return doctor(args)


_DIGEST = re.compile(r"[0-9a-f]{16}")


def _waiting(directory: Path) -> tuple[int, dict[str, int]]:
    """Operations in ``directory``: how many spooled, and dead letters by reason."""
    from sentrial._delivery._dead_letter import DeadLetter

    return _spooled(directory.glob("*.spool")), DeadLetter(directory, 0).summary()


def _spooled(files: Iterable[Path]) -> int:
    """Operations in spool files (one per line)."""
    return sum(len(f.read_bytes().splitlines()) for f in files)


def _list_other_directories(directory: Path, config: Any) -> None:
    """Print the spool directories beside ours that hold operations, each
    with the exact command that sends them with the key in effect now.

    Nothing in them is sent unasked: a directory belongs to one API URL and
    key (see ``spool_directory``) and its name does not say which: each is
    named by the URL it was made for when a URL and key known here match it
    (``spool_owner``); else only the user can tell whether they were meant
    for the URL in effect."""
    try:
        beside = sorted(directory.parent.iterdir())
    except OSError:
        return
    found = []
    for other in beside:
        # Only spool directories (named as spool_directory names them), not
        # whatever else a SENTRIAL_SPOOL_DIR such as /tmp holds.
        if other == directory or not _DIGEST.fullmatch(other.name) or not other.is_dir():
            continue
        try:
            spooled, dead = _waiting(other)
        except OSError:
            continue
        if spooled or dead:
            found.append((other, spooled, dead))
    if not found:
        return
    from sentrial._cli_spool_owner import spool_owner

    print("waiting in other spool directories (made with another API key or URL):")
    for other, spooled, dead in found:
        parts = [f"{spooled:,} spooled"] if spooled else []
        parts += [f"{count:,} {reason}" for reason, count in sorted(dead.items())]
        option = " --dead-letter" if dead else ""
        print(f"  {other}: {', '.join(parts)}  ({spool_owner(other, config)})")
        print(
            f"    if they were meant for {config.api_url}, send them there with the key in effect"
            " now:"
            f" sentrial flush-spool{option} --from-dir {shlex.quote(str(other))}"
        )


def _adopt_segments(source: Path, directory: Path, max_bytes: int) -> int:
    """Move the spool segments of ``source`` that no live process holds into
    ``directory``, where this process's client replays them; how many moved."""
    import shutil

    from sentrial._delivery._spool import Spool
    from sentrial._private import private_dir

    moved = 0
    spool = Spool(source, max_bytes)
    while (segment := spool.orphan()) is not None:  # locked for us until moved
        try:
            private_dir(directory)
            shutil.move(segment.path, directory / segment.path.name)
            moved += 1
        finally:
            segment.handle.close()
    return moved


def _flush_spool(args: argparse.Namespace) -> int:
    from sentrial import SentrialClient
    from sentrial._delivery._dead_letter import DeadLetter
    from sentrial._delivery._spool import spool_directory

    config = _config(args)
    directory = spool_directory(config)
    source = directory
    if args.from_dir:
        source = Path(args.from_dir).expanduser().resolve()
        if not source.is_dir():
            raise CLIError(f"--from-dir: not a directory: {args.from_dir}", EXIT_USAGE)
    dead = DeadLetter(source, config.max_spool_bytes)
    reasons = dead.summary()
    if reasons:
        listed = ", ".join(f"{count:,} {reason}" for reason, count in sorted(reasons.items()))
        print(f"dead letters in {dead.path}: {listed}")
        if not args.dead_letter:
            where = f" --from-dir {shlex.quote(str(source))}" if args.from_dir else ""
            print(f"  run `sentrial flush-spool --dead-letter{where}` to send them again")
    if source != directory.resolve():
        _adopt_segments(source, directory, config.max_spool_bytes)
    # Taken under the writers' lock and kept on disk until each operation is
    # acknowledged, refused again (back in the dead-letter file) or spooled:
    # a command stopped midway (SIGTERM, SIGHUP, SIGKILL) loses none of them.
    taken = dead.take() if args.dead_letter else None
    retry = taken.ops if taken is not None else []
    unreadable = len(taken.unreadable) if taken is not None else 0
    files = list(directory.glob("*.spool")) if directory.is_dir() else []
    if not files and not retry:
        print(f"nothing to flush in {source}")
    if not args.from_dir:
        _list_other_directories(directory, config)
    if not files and not retry:
        if taken is not None:
            taken.release()
        if unreadable:
            print(f"  {_not_delivered({}, unreadable, 0, dead.path)}")
            return EXIT_API
        return EXIT_OK
    total = _spooled(files) + len(retry)
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
    tty = sys.stdout.isatty()  # redrawn in place on a terminal, a line a second elsewhere
    last_line = 0.0
    while time.monotonic() < deadline:
        stats = client.stats()
        refused = sum(stats["dropped"].values()) + sum(stats["dead_lettered"].values())
        progress = f"  {stats['sent']:,}/{total:,} delivered" + (
            f", {refused:,} refused" if refused else ""
        )
        if tty:
            print(f"\r{progress}", end="", flush=True)
        elif time.monotonic() - last_line >= 1:
            print(progress, flush=True)
            last_line = time.monotonic()
        if not list(directory.glob("*.spool")) and client.flush(0.5):
            break
        time.sleep(0.5)
    client.shutdown(5)
    stats = client.stats()  # final: what is not delivered is refused, dropped or spooled
    if taken is not None:
        unreadable += taken.release()
    failed = {**stats["dropped"], **stats["dead_lettered"]}
    kept = max(0, total - stats["sent"] - sum(failed.values()))
    print(
        f"{chr(13) if tty else ''}  {stats['sent']:,}/{total:,} delivered,"
        f" {_not_delivered(failed, unreadable, kept, dead.path)}"
    )
    ok = stats["sent"] >= total and not failed and not kept and not unreadable
    return EXIT_OK if ok else EXIT_API


def _not_delivered(failed: dict[str, int], unreadable: int, kept: int, path: Path) -> str:
    """What was not delivered, each part saying where it is now."""
    if not failed and not unreadable and not kept:
        return "not delivered: none"
    parts = [f"{count:,} {reason}" for reason, count in sorted(failed.items())]
    if unreadable:
        parts.append(f"{unreadable:,} unreadable (no operation to send; kept in {path})")
    if kept:
        parts.append(f"{kept:,} kept on disk for the next `sentrial flush-spool`")
    return "not delivered: " + ", ".join(parts)


# -- parser -------------------------------------------------------------------------------


def _api_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-url", help="default: SENTRIAL_API_URL or the hosted API")
    parser.add_argument(
        "--api-key", help="default: SENTRIAL_API_KEY, else the key `sentrial login` saved"
    )


class _Parser(argparse.ArgumentParser):
    """Bad input is one line on stderr naming the option, and exit code 2
    (not argparse's usage block): ``sentrial tail: argument --since: ...``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (run `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    from sentrial import __version__
    from sentrial._cli_read import add_read_commands, positive_float

    parser = _Parser(prog="sentrial", description="Sentrial agent monitoring")
    parser.add_argument("--version", action="version", version=f"sentrial {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the local Sentrial-compatible server")
    add_serve_arguments(serve)
    serve.set_defaults(func=_serve)

    add_read_commands(commands, _api_options)

    doctor = commands.add_parser("doctor", help="configuration, connectivity, auth, spool")
    _api_options(doctor)
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.set_defaults(func=_doctor)

    flush = commands.add_parser(
        "flush-spool", help="deliver operations waiting on disk now; list (and retry) dead letters"
    )
    _api_options(flush)
    flush.add_argument(
        "--timeout", type=positive_float, default=300, help="seconds to try (default 300)"
    )
    flush.add_argument(
        "--dead-letter",
        action="store_true",
        help="also send again what the dead-letter file holds (operations once refused)",
    )
    flush.add_argument(
        "--from-dir",
        metavar="PATH",
        help="take the operations from this spool directory (one made with another API key,"
        " listed by flush-spool) and send them with the URL and key in effect now",
    )
    flush.set_defaults(func=_flush_spool)

    from sentrial._cli_experiment import add_experiment_command

    add_experiment_command(commands, _api_options)
    _add_documented_commands(commands)
    from sentrial._cli_examples import add_examples

    add_examples(parser)
    return parser


def _add_documented_commands(commands: Any) -> None:
    """The commands Sentrial documents beyond ours, each group in a module of
    its own: login/logout, evaluate, init/install, signals/diagnose
    (``sessions list|get`` and ``events list`` are added with ``sessions``)."""
    from sentrial._cli_auth import add_auth_commands
    from sentrial._cli_evaluate import add_evaluate_command
    from sentrial._cli_scaffold import add_scaffold_commands
    from sentrial._cli_signals import add_signal_commands

    add_auth_commands(commands, _api_options)
    add_evaluate_command(commands, _api_options)
    add_scaffold_commands(commands, _api_options)
    add_signal_commands(commands, _api_options)


#: What a shell reports for a program that a closed pipe ended (128 + SIGPIPE).
EXIT_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        try:
            code: int = args.func(args)
        finally:
            sys.stdout.flush()  # a closed pipe shows here, inside the try, not at exit
    except CLIError as exc:
        from sentrial._cli_text import safe  # an API's message may quote stored text

        print(f"sentrial {args.command}: {safe(exc, lines=True)}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:
        # The reader went away (`sentrial export | head -1`): stop quietly, as
        # the Python docs' "Note on SIGPIPE" shows. Not by restoring SIGPIPE's
        # default action, which the docs advise against: it would also kill us
        # on a closed socket. Point stdout at /dev/null so the flush at exit
        # does not fail again. The status: the docs' example exits 1, but here
        # 1 means "the API failed"; 141 is what a shell shows for any other
        # program in the same place (`seq 1000000 | head -1` under pipefail),
        # so scripts see the usual "ended by a closed pipe".
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_PIPE
    return code
