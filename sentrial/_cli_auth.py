"""``sentrial login`` and ``sentrial logout``: the key saved in ``~/.sentrial/config.json``.

Every command (and the SDK, when no key is configured) reads that file after
``--api-key`` and ``SENTRIAL_API_KEY``. ``login`` checks the key against the
server before saving it (with ``--api-url`` when given: the URL it was
checked against), in a file only its owner can read (0600, in a 0700
directory), written whole or not at all. The key is never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from sentrial._cli import EXIT_OK, EXIT_USAGE, CLIError, Unreachable


def _check_key(url: str, key: str) -> None:
    """Ask the server whether it takes ``key``; CLIError naming why not."""
    import httpx

    from sentrial._cli_doctor import probe_key
    from sentrial._cli_hints import answer_error, connection_error
    from sentrial._delivery._http import client_args

    verify = not url.lower().startswith("http://")
    args = client_args(url, verify=verify, connections=2)  # the SDK's proxy rules
    try:
        with httpx.Client(timeout=httpx.Timeout(10.0), **args) as http:
            answer = probe_key(http, url, key)
    except httpx.HTTPError as exc:
        raise Unreachable(connection_error(url, exc) + "\nnothing was saved") from None
    if answer.status_code in (401, 403):
        message = answer_error(url, answer.status_code, "the server refused the key")
        raise CLIError(message + "\nnothing was saved", EXIT_USAGE)
    if answer.status_code != 200:
        message = answer_error(url, answer.status_code, "not a Sentrial API")
        raise CLIError(message + "\nnothing was saved")


def save_login(path: str, saved: dict[str, str]) -> None:
    """Write ``saved`` to ``path`` (mode 0600, its directory 0700), replacing
    the file in one rename so a reader never sees half of it."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".config-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:  # mkstemp: mode 0600
            json.dump(saved, file, indent=2)
            file.write("\n")
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _login(args: argparse.Namespace) -> int:
    from sentrial._config import DEFAULT_API_URL, _api_url, login_file

    # `-`: the key from stdin, out of the shell's history and the process list.
    key = (sys.stdin.readline() if args.api_key == "-" else args.api_key).strip()
    if not key or any(c.isspace() or not c.isprintable() for c in key):
        raise CLIError("--api-key: empty, or has spaces or control characters", EXIT_USAGE)
    url = args.api_url or os.environ.get("SENTRIAL_API_URL") or DEFAULT_API_URL
    try:
        url = _api_url(url)
    except ValueError as exc:
        raise CLIError(f"--api-url: {exc}", EXIT_USAGE) from None
    _check_key(url, key)
    saved = {"apiKey": key}
    if args.api_url or os.environ.get("SENTRIAL_API_URL"):
        saved["apiUrl"] = url
    path = login_file()
    try:
        save_login(path, saved)
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc.strerror}", EXIT_USAGE) from None
    print(f"logged in to {url}: key saved in {path}")
    return EXIT_OK


def _logout(args: argparse.Namespace) -> int:
    from sentrial._config import login_file

    path = login_file()
    try:
        os.unlink(path)
    except FileNotFoundError:
        print(f"not logged in: no {path}")
        return EXIT_OK
    except OSError as exc:
        raise CLIError(f"cannot remove {path}: {exc.strerror}") from None
    print(f"logged out: removed {path}")
    if os.environ.get("SENTRIAL_API_KEY"):
        print("SENTRIAL_API_KEY is still set in this environment")
    return EXIT_OK


def add_auth_commands(
    commands: Any, api_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    login = commands.add_parser(
        "login", help="check an API key against the server and save it in ~/.sentrial"
    )
    login.add_argument("--api-key", required=True, help="the key to save; - reads it from stdin")
    login.add_argument(
        "--api-url", help="the server to check it against and save with it (self-hosted, local)"
    )
    login.set_defaults(func=_login)
    logout = commands.add_parser("logout", help="remove the key saved by `sentrial login`")
    logout.set_defaults(func=_logout)
