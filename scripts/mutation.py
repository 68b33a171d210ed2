"""`make mutation`: mutmut over the delivery engine, payload capture, cost and
the server's storage, each group with only the tests that cover it.

Every group runs in its own copy of the tree (under $MUTATION_DIR, default
/tmp/sentrial-mutation), so the working tree is never touched; within a group
mutmut runs, for each mutant, only the tests that reached the mutated
function. Prints and writes (test-artifacts/mutation.txt) the score per module:
killed / (killed + survived + timeout-free others); `mutmut results` in a
group's copy lists its survivors.

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
            "tests/test_delivery.py",
            "tests/test_spool.py",
            "tests/test_delivery_breakages.py",
        ],
    ),
    "payload": (["sentrial/_payload.py"], ["tests/test_payloads.py"]),
    "cost": (
        ["sentrial/cost.py", "sentrial/_delivery/_rollup.py"],
        ["tests/test_cost.py", "tests/test_sdk_api.py", "tests/test_integrations.py"],
    ),
    "storage": (
        ["sentrial/_server/_storage.py"],
        ["tests/test_server.py", "tests/test_server_accepts.py"],
    ),
}

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


def _setup_cfg(modules: list[str], tests: list[str]) -> str:
    def lines(values: list[str]) -> str:
        return "".join(f"\n    {value}" for value in values)

    return (
        "[mutmut]\n"
        "paths_to_mutate = sentrial/\n"
        f"only_mutate ={lines(modules)}\n"
        f"also_copy ={lines(ALSO_COPY)}\n"
        f"pytest_add_cli_args_test_selection ={lines(tests)}\n"
        "pytest_add_cli_args =\n    -p\n    no:cacheprovider\n    -q\n    --timeout=60\n"
        "use_git_change_detection = false\n"
    )


def run_group(name: str, base: Path) -> dict[str, Counter[str]]:
    modules, tests = GROUPS[name]
    copy = base / name
    _copy_tree(copy)
    # mutmut reads [tool.mutmut] from pyproject.toml first: the copy's has none.
    (copy / "setup.cfg").write_text(_setup_cfg(modules, tests))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    with open(copy / "mutmut.log", "wb") as log:
        subprocess.run(
            [str(BIN / "mutmut"), "run", "--max-children", str(os.cpu_count() or 2)],
            cwd=copy,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    print(f"{name}: mutmut finished in {time.monotonic() - started:.0f} s", flush=True)
    return scores(copy, modules)


def scores(copy: Path, modules: list[str]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for module in modules:
        meta = copy / "mutants" / (module + ".meta")
        counts: Counter[str] = Counter()
        if meta.exists():
            for code in json.loads(meta.read_text())["exit_code_by_key"].values():
                if code in TIMEOUTS:
                    counts["timeout"] += 1  # a mutant that hangs the tests is caught
                else:
                    counts[STATUS.get(code, "other") if code is not None else "not checked"] += 1
        out[module] = counts
    return out


def report(results: dict[str, Counter[str]]) -> str:
    rows = []
    for module, counts in results.items():
        caught = counts["killed"] + counts["timeout"]
        total = sum(counts.values())
        score = f"{100 * caught / total:.1f}%" if total else "-"
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        rows.append(f"{module}: {score} caught of {total} ({detail})")
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
