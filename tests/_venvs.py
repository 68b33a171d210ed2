"""Test-only virtual environments at the repository root (gitignored), built once.

Some tests run real packages that cannot share ``.venv`` with the rest (an older
SDK, or a protobuf pin that clashes with the dev lock). Each such venv is built
under a file lock (``<name>.lock``: two pytest processes, or ``make test``'s
background build and pytest, so one builds and the other waits) and marked
with a stamp file holding what it was built from; a different stamp rebuilds it.

``python -m tests._venvs legacy`` builds ``.venv-legacy`` ahead of pytest (the
Makefile starts it in the background at the beginning of ``make test``).
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEGACY_LOCK = ROOT / "requirements" / "legacy.lock"


class VenvError(RuntimeError):
    """A venv could not be built (the message ends with pip's own)."""


def ensure(name: str, stamp: str, install: Callable[[str], None]) -> str:
    """The Python of ``ROOT/name``, built by ``install(python)`` unless its stamp
    already says ``stamp``."""
    venv = ROOT / name
    marker = venv / ".installed"
    with open(ROOT / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.is_file() or marker.read_text() != stamp:
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
            install(str(venv / "bin" / "python"))
            marker.write_text(stamp)
    return str(venv / "bin" / "python")


def pip_install(python: str, *arguments: str) -> None:
    command = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise VenvError(f"pip install {' '.join(arguments)} failed:\n{done.stderr[-2000:]}")


def legacy_python() -> str:
    """``.venv-legacy``: exactly ``requirements/legacy.lock`` (protobuf 5.29, the
    legacy Google SDK, AutoGen) plus this repository's ``sentrial``, editable."""

    def install(python: str) -> None:
        pip_install(python, "-r", str(LEGACY_LOCK))
        pip_install(python, "--no-deps", "-e", str(ROOT))

    return ensure(".venv-legacy", hashlib.sha256(LEGACY_LOCK.read_bytes()).hexdigest(), install)


if __name__ == "__main__":
    if sys.argv[1:] != ["legacy"]:
        sys.exit("usage: python -m tests._venvs legacy")
    began = time.monotonic()
    print(f"{legacy_python()} ready in {time.monotonic() - began:.0f} s")
