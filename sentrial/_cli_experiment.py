"""``sentrial experiment run|info|create``: experiments from the command line.

``run`` loads an agent file as the published CLI did (the first
``@session``-decorated function, else one named ``run_agent``, ``agent``...),
calls it with each test case's input while ``get_system_prompt()`` answers
the variant's prompt, and records each call as a session of its own linked to
its run. A progress bar is drawn on a terminal; anywhere else (CI logs, pipes)
each run is one plain line. Exit codes as for every command: 0 success, 1 the
API failed or is unreachable, 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sentrial._cli import EXIT_API, EXIT_OK, EXIT_USAGE, NO_KEY, CLIError
from sentrial._cli_read import table as _read_table
from sentrial._cli_text import safe

if TYPE_CHECKING:
    from sentrial.experiment import (
        Experiment,
        ExperimentRunResult,
        ExperimentRunTracker,
        ExperimentTestCase,
        ExperimentVariant,
    )

# Functions the published CLI looked for when no function is decorated with @session.
AGENT_NAMES = ("run_agent", "run_weather_agent", "run_experiment_agent", "agent")


def add_experiment_command(
    commands: Any, api_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Register ``experiment`` and its subcommands on the CLI's subparsers."""
    experiment = commands.add_parser(
        "experiment", help="compare prompt variants on recorded inputs"
    )
    sub = experiment.add_subparsers(dest="experiment_command", required=True)

    run = sub.add_parser("run", help="run every variant on every test case")
    api_options(run)
    run.add_argument("experiment_id")
    run.add_argument("--agent", "-a", help="path to the agent's Python file")
    run.add_argument("--parallel", action="store_true", help="run several at once")
    run.add_argument("--max-workers", type=int, default=4, help="runs at once with --parallel")
    run.add_argument("--json", action="store_true", help="print the results as JSON")
    run.add_argument(
        "--allow-failures",
        action="store_true",
        help="exit 0 even when runs failed (leave the verdict to `sentrial evaluate`)",
    )
    run.set_defaults(func=_run)

    listing = sub.add_parser("list", help="the newest experiments")
    api_options(listing)
    listing.add_argument("--limit", type=int, default=50, help="at most this many (1-500)")
    listing.add_argument("--json", action="store_true", help="print {data} as JSON")
    listing.set_defaults(func=_list)

    info = sub.add_parser("info", help="an experiment's variants, test cases and results")
    api_options(info)
    info.add_argument("experiment_id")
    info.add_argument(
        "--batch",
        metavar="ID",
        help="the results of this batch (one `experiment run`), or `all`; default: the latest",
    )
    info.add_argument("--json", action="store_true", help="print the results as JSON")
    info.set_defaults(func=_info)

    create = sub.add_parser("create", help="create an experiment from recorded sessions")
    api_options(create)
    create.add_argument("--name", required=True)
    create.add_argument("--description")
    create.add_argument(
        "--variant",
        action="append",
        required=True,
        metavar="NAME=PROMPT_FILE",
        help="a variant and the file holding its system prompt (repeat for each variant)",
    )
    create.add_argument(
        "--from-sessions",
        required=True,
        metavar="AGENT",
        help="take test cases from this agent's newest recorded sessions",
    )
    create.add_argument("--limit", type=int, default=20, help="at most this many test cases")
    create.add_argument("--json", action="store_true", help="print the experiment as JSON")
    create.set_defaults(func=_create)


# -- helpers ---------------------------------------------------------------------------


def _open(args: argparse.Namespace) -> Experiment:
    from sentrial._cli import _config
    from sentrial.experiment import Experiment, ExperimentError

    config = _config(args)
    if not config.api_key:
        raise CLIError(NO_KEY, EXIT_USAGE)
    experiment = Experiment(args.experiment_id, config.api_key, config.api_url)
    try:
        experiment.variants  # noqa: B018 - read the configuration now, to report errors early
    except ExperimentError as exc:
        experiment.close()
        raise _cli_error(exc, config.api_url) from None
    return experiment


def _cli_error(exc: Any, url: str) -> CLIError:
    from sentrial._cli_hints import answer_hints, connection_hints, with_hints

    status = getattr(exc, "status_code", None)
    code = EXIT_USAGE if status in (400, 404, 422) else EXIT_API
    # The hints every command gives, for an API not reached or an HTTP error.
    hints = connection_hints(url, exc) if status is None else answer_hints(url, status)
    return CLIError(with_hints(str(exc), hints), code)


def _num(value: Any, fmt: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "-"
    return format(value, fmt)


def results_table(results: dict[str, Any]) -> str:
    """One row per variant: the comparison ``run`` and ``info`` print."""
    winner = results.get("winner")
    rows = []
    for v in results.get("variants") or []:
        metrics = v.get("customMetrics") or {}
        rows.append(
            [
                str(v.get("name")) + (" *" if v.get("name") == winner else ""),
                f"{v.get('succeeded', 0)}/{v.get('finished', 0)}",
                _num(v.get("successRate"), ".0%"),
                _num(v.get("meanDurationMs"), ",.0f") + " ms",
                _num(v.get("p95DurationMs"), ",.0f") + " ms",
                "$" + _num(v.get("totalCost"), ".6f"),
                _num(v.get("totalTokens"), ",.0f"),
                ", ".join(f"{k}={_num(m, '.3g')}" for k, m in metrics.items()) or "-",
            ]
        )
    table = _read_table(
        ["variant", "ok", "success", "mean", "p95", "cost", "tokens", "custom metrics"], rows
    )
    return table + (f"\n* winner: {safe(winner)}" if winner else "")


class Progress:
    """A bar redrawn in place on a terminal; one plain line per run elsewhere."""

    WIDTH = 30

    def __init__(self, stream: IO[str], inputs: dict[str, str] | None = None) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.failed = 0
        self.inputs = inputs or {}  # test case session id -> its input, the case's label

    def __call__(self, result: ExperimentRunResult, done: int, total: int) -> None:
        self.failed += not result.success
        case = result.test_case_session_id
        label = self.inputs.get(case)
        if label is not None:
            label = " ".join(label.split())
            case = json.dumps(label if len(label) <= 40 else label[:39] + "…", ensure_ascii=False)
        where = safe(f"{result.variant_name} x {case}")
        error = f": {safe(result.error_message)}" if result.error_message else ""
        if not self.tty:
            mark = "ok" if result.success else "FAILED"
            self.stream.write(f"[{done}/{total}] {mark} {where}{error}\n")
            self.stream.flush()
            return
        if not result.success:  # failures stay on screen, above the bar
            self.stream.write(f"\r\x1b[K  failed {where}{error}\n")
        filled = self.WIDTH * done // max(total, 1)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {done}/{total}  failed {self.failed}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def load_agent(path: str) -> tuple[Callable[..., Any], bool]:
    """The agent function of a file, and whether it is ``@session``-decorated
    (then it is called undecorated: the run opens the session itself)."""
    from sentrial.decorators import clear_session_entry_points, get_session_entry_points

    file = Path(path)
    if not file.is_file():
        raise CLIError(f"--agent: no file {path}", EXIT_USAGE)
    clear_session_entry_points()
    spec = importlib.util.spec_from_file_location("sentrial_experiment_agent", file)
    if spec is None or spec.loader is None:
        raise CLIError(f"--agent: {path} is not a Python file", EXIT_USAGE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    sys.path.insert(0, str(file.resolve().parent))  # the agent's own imports
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise CLIError(f"--agent: {path} failed to load: {type(exc).__name__}: {exc}") from None
    entry_points = get_session_entry_points()
    if entry_points:
        return entry_points[0], True
    for name in AGENT_NAMES:
        function = getattr(module, name, None)
        if callable(function):
            return function, False
    raise CLIError(
        f"--agent: {path} has no @session-decorated function and none named"
        f" {', '.join(AGENT_NAMES)}",
        EXIT_USAGE,
    )


@contextmanager
def _environment(values: dict[str, str] | None) -> Iterator[None]:
    """``values`` in ``os.environ`` for the block (runs one at a time only)."""
    if not values:
        yield
        return
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def agent_runner(
    function: Callable[..., Any], decorated: bool, *, parallel: bool
) -> Callable[[ExperimentTestCase, ExperimentVariant, ExperimentRunTracker], None]:
    """``Experiment.run``'s agent function around ``function(user_input)``.

    Each call is one session (opened by the run, so a decorated agent is
    called undecorated) holding the input and the output. The published
    ``(output, session_id)`` return links that session instead. Runs one at a
    time also see the variant in the environment (``SENTRIAL_EXPERIMENT_*``),
    for subprocesses the agent starts; parallel runs cannot share
    ``os.environ``.
    """
    from sentrial.context import ENV_EXPERIMENT_ID, ENV_SYSTEM_PROMPT, ENV_TEST_CASE, ENV_VARIANT
    from sentrial.experiment import run_to_completion

    target = getattr(function, "__wrapped__", function) if decorated else function
    keys = (ENV_SYSTEM_PROMPT, ENV_VARIANT, ENV_EXPERIMENT_ID, ENV_TEST_CASE)

    def run(
        test_case: ExperimentTestCase, variant: ExperimentVariant, tracker: ExperimentRunTracker
    ) -> None:
        environ = None
        if not parallel:
            full = tracker.environ({})
            environ = {k: full[k] for k in keys}
        with _environment(environ), tracker.begin(input=test_case.user_input) as interaction:
            result = target(test_case.user_input)
            if inspect.isawaitable(result):
                result = run_to_completion(result)
            if isinstance(result, tuple) and len(result) >= 2 and isinstance(result[1], str):
                result, session_id = result[0], result[1]
                tracker.set_result_session_id(session_id)
            interaction.set_output(result if isinstance(result, str) else _describe(result))

    return run


def _describe(value: Any) -> str:
    from sentrial._payload import dumps

    return dumps(value).decode()


# -- commands -----------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    out = sys.stderr if args.json else sys.stdout
    if args.max_workers < 1:
        raise CLIError("--max-workers: must be at least 1", EXIT_USAGE)
    if not args.agent:  # as published: what the experiment holds, and how to run it
        _info(args)
        print(
            f"\nno agent given: sentrial experiment run {args.experiment_id} --agent my_agent.py"
            "\n(the agent reads its prompt with sentrial.get_system_prompt('default prompt'))",
            file=sys.stderr,
        )
        return EXIT_USAGE
    function, decorated = load_agent(args.agent)
    with _open(args) as experiment:
        variants, cases = experiment.variants, experiment.test_cases
        print(
            f"experiment {safe(experiment.experiment_id)}: {safe(experiment.name)}\n"
            f"  {len(variants)} variants x {len(cases)} test cases = "
            f"{len(variants) * len(cases)} runs"
            f"{f' ({args.max_workers} at a time)' if args.parallel else ''}",
            file=out,
        )
        results = experiment.run(
            agent_runner(function, decorated, parallel=args.parallel),
            parallel=args.parallel,
            max_workers=args.max_workers,
            on_result=Progress(sys.stderr, {c.session_id: c.user_input for c in cases}),
        )
        comparison = experiment.get_results()
    unrecorded = sum(1 for r in results if r.run_id is None)
    if args.json:
        print(json.dumps(comparison, indent=2))
    else:
        print(f"batch {experiment.batch_id}:", file=out)
        print(results_table(comparison) if comparison else "results could not be read", file=out)
    if unrecorded or not comparison:
        print(
            f"sentrial experiment run: {unrecorded} run(s) could not be recorded on the API",
            file=sys.stderr,
        )
        return EXIT_API
    failed = sum(1 for r in results if not r.success)
    if failed and not args.allow_failures:
        print(
            f"sentrial experiment run: {failed} of {len(results)} run(s) failed"
            " (--allow-failures exits 0 anyway)",
            file=sys.stderr,
        )
        return EXIT_API
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from sentrial_api.api.default import list_experiments

    from sentrial._cli import _api, _call
    from sentrial._cli_read import table

    if not 1 <= args.limit <= 500:
        raise CLIError("--limit: must be between 1 and 500", EXIT_USAGE)
    with _api(args) as api:
        found = _call(list_experiments.sync_detailed, client=api, limit=args.limit).to_dict()
    if args.json:
        print(json.dumps(found))
        return EXIT_OK
    rows = [
        [
            str(e.get("id")),
            str(e.get("name")),
            str(e.get("status")),
            str(len(e.get("variants") or [])),
            str(len(e.get("testCases") or [])),
            str(e.get("createdAt"))[:19].replace("T", " "),
        ]
        for e in found["data"]
    ]
    headers = ["experiment", "name", "status", "variants", "test cases", "created (UTC)"]
    print(table(headers, rows) if rows else "no experiments")
    return EXIT_OK


def _results(args: argparse.Namespace, experiment: Experiment) -> dict[str, Any]:
    """The comparison of the batch asked for (``--batch``), else of the latest."""
    batch = getattr(args, "batch", None)
    if batch is None:
        return experiment.get_results()
    from sentrial_api.api.default import get_experiment_results

    from sentrial._cli import _api, _call

    with _api(args) as api:
        answer = _call(
            get_experiment_results.sync_detailed, args.experiment_id, client=api, batch=batch
        )
    found: dict[str, Any] = answer.to_dict()
    return found


def _batch_line(comparison: dict[str, Any]) -> str:
    batches = comparison.get("batches") or []
    shown = comparison.get("batchId") or "runs without a batch"
    return f"batch {shown} ({len(batches)} batch(es): --batch ID, or --batch all)"


def _info(args: argparse.Namespace) -> int:
    with _open(args) as experiment:
        comparison = _results(args, experiment)
        if args.json:
            print(json.dumps(comparison, indent=2))
            return EXIT_OK if comparison else EXIT_API
        print(
            f"experiment {safe(experiment.experiment_id)}: {safe(experiment.name)}"
            f"  [{safe(experiment.status)}]"
        )
        print(f"test cases: {len(experiment.test_cases)}")
        print("variants:")
        for variant in experiment.variants:
            prompt = " ".join(variant.system_prompt.split())
            shown = prompt if len(prompt) <= 70 else prompt[:67] + "..."
            print(f"  {safe(variant.name)}: {safe(shown)}")
        runs = comparison.get("runs") or []
        if runs:
            print(f"\nresults of {len(runs)} run(s), {_batch_line(comparison)}:")
            print(results_table(comparison))
        else:
            print(f"\nno runs yet: sentrial experiment run {experiment.experiment_id} --agent PATH")
    return EXIT_OK


def _create(args: argparse.Namespace) -> int:
    from sentrial._cli import _config
    from sentrial.experiment import Experiment, ExperimentError

    variants: dict[str, str] = {}
    for given in args.variant:
        name, sep, path = given.partition("=")
        if not sep or not name or not path:
            raise CLIError(f"--variant: {given!r} is not NAME=PROMPT_FILE", EXIT_USAGE)
        if name in variants:
            raise CLIError(f"--variant: {name!r} given twice", EXIT_USAGE)
        try:
            variants[name] = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeError) as exc:
            raise CLIError(f"--variant {name}: cannot read {path}: {exc}", EXIT_USAGE) from None
    if not 1 <= args.limit <= 500:
        raise CLIError("--limit: must be between 1 and 500", EXIT_USAGE)
    config = _config(args)
    if not config.api_key:
        raise CLIError(NO_KEY, EXIT_USAGE)
    try:
        experiment = Experiment.create(
            args.name,
            variants,
            from_sessions=args.from_sessions,
            limit=args.limit,
            description=args.description,
            api_key=config.api_key,
            api_url=config.api_url,
        )
    except ExperimentError as exc:
        raise _cli_error(exc, config.api_url) from None
    with experiment:
        if args.json:
            print(json.dumps(experiment._fetch_config(), indent=2))
            return EXIT_OK
        print(
            f"created experiment {safe(experiment.experiment_id)} ({safe(experiment.name)}):"
            f" {len(experiment.variants)} variants, {len(experiment.test_cases)} test cases"
            f" from agent {args.from_sessions}"
        )
        print(f"run it: sentrial experiment run {experiment.experiment_id} --agent PATH")
    return EXIT_OK
