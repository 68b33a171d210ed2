"""`make test`'s runner (scripts/run-suites.sh): a failing suite never hides the others."""

from __future__ import annotations

import subprocess
from pathlib import Path

RUNNER = Path(__file__).resolve().parents[1] / "scripts" / "run-suites.sh"

MAKEFILE = """\
first:
\t@echo first ran; exit 3
second:
\t@touch second.ran
third:
\t@false
"""


def test_every_suite_runs_and_the_failed_ones_are_named(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text(MAKEFILE)
    done = subprocess.run(
        ["bash", str(RUNNER), "first", "second", "third"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert (tmp_path / "second.ran").exists(), "a suite after a failed one still runs"
    lines = done.stdout.splitlines()
    summary = lines[lines.index("=== make test: 3 suites ===") + 1 :]
    assert [line.split()[:2] for line in summary] == [
        ["first", "FAILED"],
        ["second", "passed"],
        ["third", "FAILED"],
    ]
    assert "make test: FAILED: first third" in done.stderr


def test_all_passing_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text(MAKEFILE)
    done = subprocess.run(
        ["bash", str(RUNNER), "second"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "make test: every suite passed"
