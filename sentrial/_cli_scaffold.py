"""``sentrial init`` and ``sentrial install``: a first tracked agent in a project.

``init`` writes a small example agent (Python or TypeScript) that runs as
written: it reads the key and URL as the SDK does (``SENTRIAL_API_KEY`` /
``SENTRIAL_API_URL``, else what ``sentrial login`` saved), records one session
with a tool call, and prints how to read it back. ``install`` finds what the
directory is (a pip project, an npm project), installs the SDK with that
project's own tool, then runs ``init``; ``--dry-run`` prints every command and
file and touches nothing.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sentrial._cli import EXIT_API, EXIT_OK, EXIT_USAGE, CLIError

PYTHON_EXAMPLE = '''\
"""An example agent tracked by Sentrial (written by `sentrial init`).

Run it: python sentrial_example.py
The key and URL come from SENTRIAL_API_KEY and SENTRIAL_API_URL, else from
`sentrial login`. Against a local server, start `sentrial serve` and export
the two variables it prints.
"""

import sentrial


def lookup_order(order_id: str) -> dict[str, str]:
    """Your agent's tool: here, a stand-in that always finds the order."""
    return {"order_id": order_id, "status": "shipped"}


def handle_request(question: str, user_id: str) -> str:
    interaction = sentrial.begin(user_id=user_id, event="example-agent", input=question)
    try:
        order = lookup_order("42")
        interaction.track_tool_call("lookup_order", {"order_id": "42"}, order)
        answer = f"Order {order['order_id']} is {order['status']}."
        interaction.finish(output=answer, success=True)
        print(f"session {interaction.session_id}: {answer}")
        print(f"see it: sentrial sessions get {interaction.session_id}")
        return answer
    except Exception as exc:
        interaction.finish(success=False, failure_reason=str(exc))
        raise


if __name__ == "__main__":
    client = sentrial.configure()  # SENTRIAL_API_KEY / SENTRIAL_API_URL, else `sentrial login`
    if not client.config.api_key:
        raise SystemExit("no API key: set SENTRIAL_API_KEY, or run `sentrial login --api-key KEY`")
    handle_request("Where is my order 42?", user_id="example-user")
    if not sentrial.flush(10):
        raise SystemExit(f"not delivered to {client.config.api_url}: `sentrial doctor` says why")
'''

TYPESCRIPT_EXAMPLE = """\
// An example agent tracked by Sentrial (written by `sentrial init`).
// Run it: npx tsx sentrial-example.ts (or compile it with tsc).
// The key and URL come from SENTRIAL_API_KEY and SENTRIAL_API_URL; against a
// local server, start `sentrial serve` and export the two variables it prints.
import { SentrialClient } from "@sentrial/sdk";

const sentrial = new SentrialClient({});

function lookupOrder(orderId: string): { orderId: string; status: string } {
  // Your agent's tool: here, a stand-in that always finds the order.
  return { orderId, status: "shipped" };
}

async function handleRequest(question: string, userId: string): Promise<string> {
  const sessionId = await sentrial.createSession({
    name: `Request: ${question.slice(0, 40)}`,
    agentName: "example-agent",
    userId,
  });
  if (sessionId === null) throw new Error("no session: is SENTRIAL_API_KEY set?");
  try {
    const order = lookupOrder("42");
    await sentrial.trackToolCall({
      sessionId,
      toolName: "lookup_order",
      toolInput: { orderId: "42" },
      toolOutput: order,
    });
    const answer = `Order ${order.orderId} is ${order.status}.`;
    await sentrial.completeSession({ sessionId, success: true, assistantOutput: answer });
    console.log(`session ${sessionId}: ${answer}`);
    console.log(`see it: sentrial sessions get ${sessionId}`);
    return answer;
  } catch (error) {
    await sentrial.completeSession({ sessionId, success: false, failureReason: String(error) });
    throw error;
  }
}

handleRequest("Where is my order 42?", "example-user")
  .finally(() => sentrial.shutdown())
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
"""

FILES = {
    "python": ("sentrial_example.py", PYTHON_EXAMPLE),
    "typescript": ("sentrial-example.ts", TYPESCRIPT_EXAMPLE),
}
RUN = {"python": "python sentrial_example.py", "typescript": "npx tsx sentrial-example.ts"}

PYTHON_MARKERS = ("pyproject.toml", "requirements.txt", "setup.py", "setup.cfg", "Pipfile")
NODE_MARKERS = ("package.json",)


def _directory(text: str) -> Path:
    directory = Path(text).expanduser()
    if directory.exists() and not directory.is_dir():
        raise CLIError(f"--dir: not a directory: {text}", EXIT_USAGE)
    return directory


def _write_example(directory: Path, language: str, force: bool, dry_run: bool) -> Path:
    name, text = FILES[language]
    path = directory / name
    if path.exists() and not force:
        raise CLIError(f"{path} exists: pass --force to replace it", EXIT_USAGE)
    if dry_run:
        print(f"would write {path}")
        return path
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CLIError(f"cannot write {path}: {exc.strerror}", EXIT_USAGE) from None
    print(f"wrote {path}: run it with `{RUN[language]}` (in {directory})")
    return path


def _init(args: argparse.Namespace) -> int:
    _write_example(_directory(args.dir), args.language, args.force, dry_run=False)
    return EXIT_OK


def detect(directory: Path) -> list[str]:
    """The languages of the project in ``directory``: python, typescript, or both."""
    found = []
    if any((directory / marker).exists() for marker in PYTHON_MARKERS):
        found.append("python")
    if any((directory / marker).exists() for marker in NODE_MARKERS):
        found.append("typescript")
    return found


def install_commands(directory: Path, language: str) -> list[list[str]]:
    """The project's own tool installing the SDK: uv or poetry when their lock
    file is there, else the project's .venv pip (else this Python's); npm."""
    if language == "typescript":
        return [["npm", "install", "@sentrial/sdk"]]
    if (directory / "uv.lock").exists():
        return [["uv", "add", "sentrial"]]
    if (directory / "poetry.lock").exists():
        return [["poetry", "add", "sentrial"]]
    venv = directory / ".venv" / "bin" / "python"
    python = str(venv) if venv.exists() else sys.executable
    return [[python, "-m", "pip", "install", "sentrial"]]


def _install(args: argparse.Namespace) -> int:
    directory = _directory(args.dir)
    languages = [args.language] if args.language else detect(directory)
    if not languages:
        raise CLIError(
            f"{directory}: no {', '.join(PYTHON_MARKERS + NODE_MARKERS)}:"
            " pass --language python or --language typescript",
            EXIT_USAGE,
        )
    for language in languages:
        for command in install_commands(directory, language):
            shown = " ".join(shlex.quote(word) for word in command)
            if args.dry_run:
                print(f"would run (in {directory}): {shown}")
                continue
            print(f"running: {shown}", flush=True)
            try:
                done = subprocess.run(command, cwd=directory, check=False)
            except OSError as exc:
                raise CLIError(f"cannot run {command[0]}: {exc.strerror}") from None
            if done.returncode:
                raise CLIError(f"`{shown}` failed (exit {done.returncode})", EXIT_API)
        _write_example(directory, language, args.force, args.dry_run)
    if args.dry_run:
        print("dry run: nothing was installed or written")
    return EXIT_OK


def add_scaffold_commands(
    commands: Any, api_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    init = commands.add_parser("init", help="write a small example agent that Sentrial tracks")
    init.add_argument("--language", choices=sorted(FILES), default="python")
    init.add_argument("--dir", default=".", metavar="PATH", help="where (default: here)")
    init.add_argument("--force", action="store_true", help="replace an existing example")
    init.set_defaults(func=_init)

    install = commands.add_parser(
        "install", help="install the SDK in this project (pip or npm), then run init"
    )
    install.add_argument(
        "--dry-run", action="store_true", help="print every command and file; change nothing"
    )
    install.add_argument(
        "--language", choices=sorted(FILES), help="default: what the directory's files say"
    )
    install.add_argument("--dir", default=".", metavar="PATH", help="the project (default: here)")
    install.add_argument("--force", action="store_true", help="replace an existing example")
    install.set_defaults(func=_install)
