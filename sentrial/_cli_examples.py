"""An example command line at the end of every command's ``--help``.

Kept in one table, so each command's example sits next to all the others and
a test can check that no command goes without one.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

EXAMPLES = {
    "": "sentrial sessions list --last 7d --status failed",
    "serve": "sentrial serve --port 8787",
    "sessions": "sentrial sessions --status failed --since today --fail-if-any",
    "sessions list": "sentrial sessions list --last 7d --status failed --agent support --json",
    "sessions get": "sentrial sessions get sess_123 --no-events --json",
    "events": "sentrial events list sess_123 --type tool_call",
    "events list": "sentrial events list sess_123 --type tool_call --json",
    "show": "sentrial show sess_123 --full",
    "tail": "sentrial tail --agent support --status failed",
    "export": "sentrial export --since yesterday --format csv -o sessions.csv",
    "doctor": "sentrial doctor --api-url http://127.0.0.1:8787",
    "flush-spool": "sentrial flush-spool --dead-letter",
    "experiment": "sentrial experiment run exp_123 --agent my_agent.py",
    "experiment run": "sentrial experiment run exp_123 --agent my_agent.py --parallel",
    "experiment info": "sentrial experiment info exp_123 --batch all",
    "experiment list": "sentrial experiment list --json",
    "experiment create": (
        "sentrial experiment create --name tone --variant short=short.txt"
        " --variant long=long.txt --from-sessions support"
    ),
    "login": "sentrial login --api-key sentrial_live_xxx --api-url http://127.0.0.1:8787",
    "logout": "sentrial logout",
    "evaluate": "sentrial evaluate exp_123 --min-score 80 --max-regression 5 --junit report.xml",
    "init": "sentrial init --language python --dir examples",
    "install": "sentrial install --dry-run",
    "signals": "sentrial signals list --last 30d --type negative --source heuristic",
    "signals list": "sentrial signals list --last 30d --type negative --json",
    "diagnose": "sentrial diagnose sess_123 --json",
}


def commands(
    parser: argparse.ArgumentParser, path: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every (command path, parser) under ``parser``, itself first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, f"{path} {name}".strip())


def add_examples(parser: argparse.ArgumentParser) -> None:
    """Append each command's example to its help (the epilog keeps its lines)."""
    for path, command in commands(parser):
        example = EXAMPLES.get(path)
        if example is None:
            continue  # tests/test_cli_documented.py fails for it
        epilog = f"example:\n  {example}"
        command.epilog = f"{command.epilog}\n\n{epilog}" if command.epilog else epilog
        command.formatter_class = argparse.RawDescriptionHelpFormatter
