"""``sentrial evaluate``: the CI gate on an experiment's results.

Each variant gets a score: by default the share of its finished runs that
succeeded (0 to 100), or with ``--metric NAME`` the mean of that custom
metric. A variant passes when its score is at least ``--min-score`` and, with
``--max-regression``, when it lost at most that many points against the
baseline: the variant named by ``--baseline``, else the scores of the last
passing evaluation of the same experiment on the same metric, which the
server keeps (each evaluation is recorded there). The gate passes when every
variant passes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sentrial._cli import EXIT_API, EXIT_OK, EXIT_USAGE, CLIError, Unreachable

EXIT_PASS, EXIT_FAIL, EXIT_UNREACHABLE = EXIT_OK, EXIT_API, 3
SUCCESS = "success"  # the default metric: share of runs that succeeded, 0-100

EXIT_CODES = """exit codes:
  0  the gate passed: every variant scored at least --min-score (and regressed
     at most --max-regression points)
  1  the gate failed (each failure is printed, and in --junit)
  2  usage error: bad option, unknown experiment, variant or metric, no key or a refused key
  3  the API cannot be reached (or answered 5xx/429)"""


@dataclass
class VariantVerdict:
    name: str
    score: float | None
    baselineScore: float | None = None  # camelCase: printed as JSON, like the API
    regression: float | None = None
    passed: bool = True
    failures: list[str] = field(default_factory=list)


def _api_call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """``_call`` with evaluate's exit codes: 3 unreachable or unavailable, 2 refused or unknown."""
    from sentrial._cli import _call

    try:
        return _call(function, *args, **kwargs)
    except Unreachable as exc:
        raise CLIError(str(exc), EXIT_UNREACHABLE) from None
    except CLIError as exc:
        text = str(exc)
        unavailable = text.startswith(("HTTP 5", "HTTP 429"))
        raise CLIError(text, EXIT_UNREACHABLE if unavailable else EXIT_USAGE) from None


def _score(variant: dict[str, Any], metric: str) -> float | None:
    if metric == SUCCESS:
        rate = variant.get("successRate")
        return None if rate is None or not variant.get("finished") else round(rate * 100, 4)
    value = (variant.get("customMetrics") or {}).get(metric)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def verdicts(
    scores: dict[str, float | None],
    baseline: dict[str, float | None],
    min_score: float,
    max_regression: float | None,
) -> list[VariantVerdict]:
    """Each variant's verdict against the thresholds (the one rule of the gate)."""
    found = []
    for name, score in scores.items():
        verdict = VariantVerdict(name, score, baseline.get(name))
        if score is None:
            verdict.failures.append("no score: no finished run recorded the metric")
        elif score < min_score:
            verdict.failures.append(f"score {score:g} is below --min-score {min_score:g}")
        if score is not None and verdict.baselineScore is not None:
            verdict.regression = round(verdict.baselineScore - score, 4)
            if max_regression is not None and verdict.regression > max_regression:
                verdict.failures.append(
                    f"regressed {verdict.regression:g} points (baseline {verdict.baselineScore:g}"
                    f", now {score:g}), more than --max-regression {max_regression:g}"
                )
        verdict.passed = not verdict.failures
        found.append(verdict)
    return found


def _baseline(
    api: Any, args: argparse.Namespace, scores: dict[str, float | None]
) -> tuple[dict[str, float | None], str | None, str]:
    """The baseline scores per variant, what they are (a variant name or an
    evaluation id), and a line saying so."""
    from sentrial_api.api.default import list_experiment_evaluations

    if args.baseline is not None:
        if args.baseline not in scores:
            raise CLIError(
                f"--baseline: no variant {args.baseline!r} (variants: {', '.join(scores)})",
                EXIT_USAGE,
            )
        base = scores[args.baseline]
        return {name: base for name in scores}, args.baseline, f"variant {args.baseline}"
    try:
        page = _api_call(
            list_experiment_evaluations.sync_detailed,
            args.experiment_id,
            client=api,
            passed=True,
            metric=args.metric,
            limit=1,
        ).to_dict()
    except CLIError as exc:
        # The experiment was just read: a 404 here is a server that keeps no
        # evaluations (the hosted API, an older `sentrial serve`).
        if not str(exc).startswith(("HTTP 404", "HTTP 405")):
            raise
        return {}, None, "none: this server keeps no evaluations (name a --baseline variant)"
    if not page["data"]:
        return {}, None, "none yet (no passing evaluation of this metric): regression not checked"
    last = page["data"][0]
    previous = {k: v for k, v in last["scores"].items() if isinstance(v, (int, float))}
    return (
        {name: previous.get(name) for name in scores},
        last["id"],
        f"last passing evaluation {last['id']} ({last['createdAt']})",
    )


def _record(api: Any, args: argparse.Namespace, report: dict[str, Any]) -> str | None:
    """Keep the evaluation on the server (the baseline of the next); its id, or
    None with a warning when it could not be kept (the verdict stands)."""
    from sentrial_api.api.default import create_experiment_evaluation
    from sentrial_api.models import EvaluationCreate

    body = EvaluationCreate.from_dict(
        {
            "metric": args.metric,
            "minScore": args.min_score,
            "maxRegression": args.max_regression,
            "baseline": report["baseline"],
            "passed": report["passed"],
            "scores": {v["name"]: v["score"] for v in report["variants"]},
        }
    )
    try:
        stored = _api_call(
            create_experiment_evaluation.sync_detailed, args.experiment_id, client=api, body=body
        )
    except CLIError as exc:
        print(f"sentrial evaluate: the evaluation was not recorded: {exc}", file=sys.stderr)
        return None
    evaluation_id: str = stored.to_dict()["evaluation"]["id"]
    return evaluation_id


def junit(report: dict[str, Any]) -> bytes:
    """A JUnit XML report: one test case per variant (what CI systems render)."""
    from xml.etree import ElementTree as ET

    variants = report["variants"]
    failures = sum(1 for v in variants if not v["passed"])
    suites = ET.Element("testsuites", tests=str(len(variants)), failures=str(failures))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"sentrial evaluate {report['experimentId']}",
        tests=str(len(variants)),
        failures=str(failures),
    )
    for v in variants:
        case = ET.SubElement(
            suite, "testcase", classname=f"sentrial.{report['experimentId']}", name=v["name"]
        )
        score = "none" if v["score"] is None else f"{v['score']:g}"
        ET.SubElement(case, "system-out").text = f"{report['metric']} score: {score}"
        if not v["passed"]:
            failure = ET.SubElement(case, "failure", message="; ".join(v["failures"]))
            failure.text = "\n".join(v["failures"])
    ET.indent(suites)
    body: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return body


def _print_report(report: dict[str, Any], baseline_line: str) -> None:
    from sentrial._cli_read import table

    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:g}"

    print(
        f"experiment {report['experimentId']}: metric {report['metric']},"
        f" --min-score {report['minScore']:g}"
        + (
            f", --max-regression {report['maxRegression']:g}"
            if report["maxRegression"] is not None
            else ""
        )
    )
    print(f"baseline: {baseline_line}")
    rows = [
        [
            v["name"],
            number(v["score"]),
            number(v["baselineScore"]),
            number(v["regression"]),
            "pass" if v["passed"] else "FAIL: " + "; ".join(v["failures"]),
        ]
        for v in report["variants"]
    ]
    print(table(["variant", "score", "baseline", "regression", "verdict"], rows))
    print("gate: " + ("PASSED" if report["passed"] else "FAILED"))


def _evaluate(args: argparse.Namespace) -> int:
    from sentrial_api.api.default import get_experiment_results

    from sentrial._cli import _api

    if args.junit:  # before any request: a path that cannot be written is found at once
        directory = os.path.dirname(os.path.abspath(args.junit))
        if not os.path.isdir(directory) or not os.access(directory, os.W_OK):
            raise CLIError(f"--junit: cannot write {args.junit} (no such directory)", EXIT_USAGE)
    if args.metric == SUCCESS and args.min_score > 100:
        raise CLIError(
            f"--min-score: {args.min_score:g} is above 100 (success is 0-100)", EXIT_USAGE
        )
    if args.metric == SUCCESS and 0 < args.min_score <= 1:
        print(
            f"sentrial evaluate: --min-score {args.min_score:g} is out of 100, not 1"
            f" (did you mean {args.min_score * 100:g}?)",
            file=sys.stderr,
        )
    with _api(args) as api:
        results = _api_call(get_experiment_results.sync_detailed, args.experiment_id, client=api)
        answer = results.to_dict()
        variants = answer.get("variants") or []
        if not variants:
            raise CLIError(f"experiment {args.experiment_id} has no variants", EXIT_USAGE)
        if args.metric != SUCCESS and not any(
            args.metric in (v.get("customMetrics") or {}) for v in variants
        ):
            recorded = sorted({k for v in variants for k in v.get("customMetrics") or {}})
            raise CLIError(
                f"--metric: no run recorded the custom metric {args.metric!r}"
                f" (recorded: {', '.join(recorded) or 'none'}; default: {SUCCESS})",
                EXIT_USAGE,
            )
        scores = {str(v["name"]): _score(v, args.metric) for v in variants}
        baseline, baseline_id, baseline_line = _baseline(api, args, scores)
        found = verdicts(scores, baseline, args.min_score, args.max_regression)
        report: dict[str, Any] = {
            "experimentId": args.experiment_id,
            "metric": args.metric,
            "minScore": args.min_score,
            "maxRegression": args.max_regression,
            "baseline": baseline_id,
            "passed": all(v.passed for v in found),
            "variants": [asdict(v) for v in found],
        }
        report["evaluationId"] = _record(api, args, report)
    if args.junit:
        with open(args.junit, "wb") as file:
            file.write(junit(report))
    if args.json:
        print(json.dumps(report))
    else:
        _print_report(report, baseline_line)
    return EXIT_PASS if report["passed"] else EXIT_FAIL


def _points(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number of at least 0, got {text!r}")
    return value


def add_evaluate_command(
    commands: Any, api_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    evaluate = commands.add_parser(
        "evaluate",
        help="the CI gate: fail when an experiment's variants score too low or regress",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        epilog=EXIT_CODES,
    )
    api_options(evaluate)
    evaluate.add_argument("experiment_id", metavar="EXPERIMENT_ID")
    evaluate.add_argument(
        "--min-score",
        type=_points,
        required=True,
        metavar="N",
        help="the lowest score a variant may have (success: 0-100)",
    )
    evaluate.add_argument(
        "--max-regression",
        type=_points,
        metavar="P",
        help="the most points a variant may lose against the baseline",
    )
    evaluate.add_argument(
        "--metric",
        default=SUCCESS,
        metavar="NAME",
        help="a custom metric's name (its mean is the score); default: success, the share"
        " of runs that succeeded (0-100)",
    )
    evaluate.add_argument(
        "--baseline",
        metavar="VARIANT",
        help="compare with this variant (default: the last passing evaluation)",
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    evaluate.set_defaults(func=_evaluate)
