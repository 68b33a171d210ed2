"""`make mutation`: mutmut over the delivery engine, payload capture, cost and
the server's storage, each group with only the tests that cover it.

Every group runs in its own copy of the tree (under $MUTATION_DIR, default
/tmp/sentrial-mutation), so the working tree is never touched; within a group
mutmut runs, for each mutant, only the tests that reached the mutated
function. Prints and writes (test-artifacts/mutation.txt) the score per module:
killed / (killed + survived + timeout-free others); `mutmut results` in a
group's copy lists its survivors. Survivors examined are listed in
scripts/mutation-equivalent.txt with the reason they survive: equivalent
mutants (no behaviour changes) are left out of the second score, explained
ones (out of the tests' reach, or races) count as survivors.

    .venv/bin/python scripts/mutation.py [GROUP ...]   # default: every group
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# group -> (modules mutated, tests that cover them)
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "delivery": (
        [
            "sentrial/_delivery/_background.py",
            "sentrial/_delivery/_policy.py",
            "sentrial/_delivery/_wire.py",
        ],
        [
            # Exact tests of the engine over real HTTP with retry waits of 0 s
            # (each waits at most 3 s for a broken engine), and of its pure
            # pieces. tests/test_delivery.py and test_delivery_breakages.py
            # cover the same code slower (random backoff sleeps, stalls of a
            # second, subprocesses mutmut does not trace) and add 2-3 times to
            # every mutant surviving in the engine's loops. Checked against
            # mutmut's results, they kill nothing these do not except two races
            # of shutdown (listed in mutation-equivalent.txt), which
            # test_a_quick_shutdown_keeps_the_batch_being_handed_over hits.
            "tests/test_delivery_units.py",
            "tests/test_delivery.py::test_the_response_policy_table",
            "tests/test_delivery_mutants.py",
            "tests/test_ops.py",
            "tests/test_pii_server.py::test_pii_true_takes_the_servers_settings[background]",
            # Issue #27: the poison rule under a write outage, answers checked.
            "tests/test_hostile_round2_sdk.py::"
            "test_a_server_answering_500_to_every_write_while_healthy_dead_letters_nothing",
            "tests/test_hostile_round2_sdk.py::"
            "test_a_create_answered_with_another_creates_id_is_not_taken",
        ],
    ),
    "payload": (
        ["sentrial/_payload.py"],
        ["tests/test_payload_mutants.py", "tests/test_payloads.py"],
    ),
    "cost": (
        ["sentrial/cost.py", "sentrial/_delivery/_rollup.py"],
        # Direct calls of the cost functions and of Rollup (test_sdk_api.py and
        # test_integrations.py reach them through a server: slower, no more kills).
        ["tests/test_cost_mutants.py", "tests/test_cost.py"],
    ),
    "storage": (
        ["sentrial/_server/_storage.py"],
        # Direct calls of every Storage method (tests/test_server*.py reach it
        # through HTTP in `make test`; here they would cost minutes per run).
        ["tests/test_storage_mutants.py"],
    ),
}

# Per group, when the defaults do not fit: mutmut stops a mutant's run after
# (its tests' duration + timeout_constant) * timeout_multiplier seconds (the
# defaults, 1 and 15, let a hanging mutant of the delivery tests, which mostly
# wait on threads and sockets, take minutes), pytest-timeout after
# pytest_timeout seconds per test; max_children mutants run at once (default:
# one per core; the delivery tests mostly wait, so two per core keep both busy).
SETTINGS: dict[str, dict[str, float]] = {
    "delivery": {
        "timeout_multiplier": 2,
        "timeout_constant": 5,
        "pytest_timeout": 8,
        "max_children": 4,
    },
}

# Survivors examined, one per line: `<mutant name>: <reason>` (see explained()).
EQUIVALENT = ROOT / "scripts" / "mutation-equivalent.txt"

# What the tests read besides the package and themselves.
ALSO_COPY = ["tests", "openapi", "README.md", "examples", "generated"]

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code)
STATUS = {1: "killed", 3: "killed", 37: "killed", 0: "survived", 33: "no tests", 5: "no tests"}
TIMEOUTS = {36, -24, 24, 152, 255}


def _tree_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def _copy_tree(into: Path) -> None:
    if into.exists():
        shutil.rmtree(into)
    for name in _tree_files():
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)


def _setup_cfg(modules: list[str], tests: list[str], settings: dict[str, float]) -> str:
    def lines(values: list[str]) -> str:
        return "".join(f"\n    {value}" for value in values)

    pytest_timeout = settings.get("pytest_timeout", 60)
    return (
        "[mutmut]\n"
        "paths_to_mutate = sentrial/\n"
        f"only_mutate ={lines(modules)}\n"
        f"also_copy ={lines(ALSO_COPY)}\n"
        f"pytest_add_cli_args_test_selection ={lines(tests)}\n"
        "pytest_add_cli_args =\n    -p\n    no:cacheprovider\n    -q\n"
        f"    --timeout={pytest_timeout:g}\n"
        f"timeout_multiplier = {settings.get('timeout_multiplier', 15.0)}\n"
        f"timeout_constant = {settings.get('timeout_constant', 1.0)}\n"
        "use_git_change_detection = false\n"
    )


def run_group(name: str, base: Path) -> dict[str, Counter[str]]:
    modules, tests = GROUPS[name]
    copy = base / name
    _copy_tree(copy)
    # mutmut reads [tool.mutmut] from pyproject.toml first: the copy's has none.
    settings = SETTINGS.get(name, {})
    (copy / "setup.cfg").write_text(_setup_cfg(modules, tests, settings))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    children = int(settings.get("max_children", os.cpu_count() or 2))
    started = time.monotonic()
    with open(copy / "mutmut.log", "wb") as log:
        subprocess.run(
            [str(BIN / "mutmut"), "run", "--max-children", str(children)],
            cwd=copy,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    print(f"{name}: mutmut finished in {time.monotonic() - started:.0f} s", flush=True)
    return scores(copy, modules)


def explained() -> dict[str, str]:
    """The mutant names listed in EQUIVALENT, each with its category: a reason
    starting "out of reach" or "NOT equivalent" explains a survivor that a
    test could kill in principle ("explained"), any other reason says the
    mutant behaves as the original ("equivalent")."""
    if not EQUIVALENT.exists():
        return {}
    out = {}
    for line in EQUIVALENT.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, reason = line.partition(":")
        reason = reason.strip()
        survivor = reason.startswith(("out of reach", "NOT equivalent"))
        out[name.strip()] = "explained" if survivor else "equivalent"
    return out


def scores(copy: Path, modules: list[str]) -> dict[str, Counter[str]]:
    """Per module, how many mutants ended how; a survivor listed in EQUIVALENT
    counts under its category (see explained())."""
    listed = explained()
    out: dict[str, Counter[str]] = {}
    for module in modules:
        meta = copy / "mutants" / (module + ".meta")
        counts: Counter[str] = Counter()
        if meta.exists():
            exit_codes = json.loads(meta.read_text())["exit_code_by_key"]
            for key, code in exit_codes.items():
                if key in listed and code in (0, 33, 5):  # survived, or no test reaches it
                    counts[listed[key]] += 1
                elif code in TIMEOUTS:
                    counts["timeout"] += 1  # a mutant that hangs the tests is caught
                else:
                    counts[STATUS.get(code, "other") if code is not None else "not checked"] += 1
        out[module] = counts
    return out


def report(results: dict[str, Counter[str]]) -> str:
    """Per module: the raw score (caught of all), and the score without the
    equivalent mutants (which no test can catch)."""
    rows = []
    for module, counts in results.items():
        caught = counts["killed"] + counts["timeout"]
        total = sum(counts.values())
        score = f"{100 * caught / total:.1f}%" if total else "-"
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        row = f"{module}: {score} caught of {total} ({detail})"
        real = total - counts["equivalent"]
        if counts["equivalent"] and real:
            row += f"; {100 * caught / real:.1f}% of the {real} that are not equivalent"
        rows.append(row)
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    names = argv or list(GROUPS)
    unknown = [name for name in names if name not in GROUPS]
    if unknown:
        print(f"unknown groups {unknown}; known: {list(GROUPS)}", file=sys.stderr)
        return 2
    base = Path(os.environ.get("MUTATION_DIR", "/tmp/sentrial-mutation"))
    base.mkdir(parents=True, exist_ok=True)
    results: dict[str, Counter[str]] = {}
    for name in names:
        results.update(run_group(name, base))
        print(report(results), flush=True)
    text = report(results)
    out = ROOT / "test-artifacts" / "mutation.txt"
    out.parent.mkdir(exist_ok=True)
    # Keep the lines of modules not run this time (`mutation.py GROUP` runs one group).
    kept = [
        line
        for line in (out.read_text().splitlines() if out.exists() else [])
        if line.split(":", 1)[0] not in results
    ]
    out.write_text("\n".join([*kept, text]) + "\n")
    print(f"\nscores (also in {out.relative_to(ROOT)}):\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
