"""The command lines Sentrial documents, run unchanged against `sentrial serve`:
sessions list|get, events list, login/logout and key resolution, evaluate (the
CI gate), init/install, signals/diagnose; `--json` checked against schemas
(the API's own components, and the CLI's report shapes below) and every exit
code asserted."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import jsonschema_rs
import pytest
import yaml

import sentrial
from sentrial import SentrialClient, _cli_hints
from sentrial._cli import build_parser, main
from sentrial._cli_examples import EXAMPLES, commands
from sentrial._config import DEFAULT_API_URL, resolve
from sentrial._delivery._spool import spool_directory
from sentrial._errors import ConfigurationError
from sentrial._server import LocalServer

from ._faults import FaultProxy

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((ROOT / "openapi" / "sentrial.yaml").read_text())


def validator(schema: dict[str, Any]) -> Any:
    """A validator of ``schema``, whose ``#/components/schemas/X`` refs are the API's."""
    return jsonschema_rs.validator_for({**schema, "components": SPEC["components"]})


def api_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SESSION_PAGE = validator(api_ref("SessionPage"))
SESSION_WITH_EVENTS = validator(
    {
        "type": "object",
        "required": ["session", "events"],
        "additionalProperties": False,
        "properties": {
            "session": api_ref("Session"),
            "events": {"type": "array", "items": api_ref("Event")},
        },
    }
)
SESSION_ALONE = validator(
    {
        "type": "object",
        "required": ["session"],
        "additionalProperties": False,
        "properties": {"session": api_ref("Session")},
    }
)
EVENT_LIST = validator(
    {
        "type": "object",
        "required": ["data"],
        "additionalProperties": False,
        "properties": {"data": {"type": "array", "items": api_ref("Event")}},
    }
)
SCORE = {"type": ["number", "null"]}
EVALUATION_REPORT = validator(
    {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "experimentId",
            "metric",
            "minScore",
            "maxRegression",
            "baseline",
            "passed",
            "variants",
            "evaluationId",
        ],
        "properties": {
            "experimentId": {"type": "string"},
            "metric": {"type": "string"},
            "minScore": {"type": "number"},
            "maxRegression": SCORE,
            "baseline": {"type": ["string", "null"]},
            "passed": {"type": "boolean"},
            "evaluationId": {"type": ["string", "null"]},
            "variants": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [
                        "name",
                        "score",
                        "baselineScore",
                        "regression",
                        "passed",
                        "failures",
                    ],
                    "properties": {
                        "name": {"type": "string"},
                        "score": SCORE,
                        "baselineScore": SCORE,
                        "regression": SCORE,
                        "passed": {"type": "boolean"},
                        "failures": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    }
)


def cli(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``sentrial ARGS`` with exactly ``env`` (plus PATH): no key or URL leaks in
    from the environment the tests run in. Never a traceback, whatever the input."""
    done = subprocess.run(
        [sys.executable, "-m", "sentrial", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ["PATH"], **env},
        cwd=cwd,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def local(sentrial_server: LocalServer, tmp_path: Path, home: Path) -> dict[str, str]:
    """The environment of a user pointed at the test's server (and a HOME of its own)."""
    return {
        "HOME": str(home),
        "SENTRIAL_API_URL": sentrial_server.url,
        "SENTRIAL_API_KEY": sentrial_server.api_key,
        "SENTRIAL_SPOOL_DIR": str(tmp_path / "spool"),
    }


@pytest.fixture
def recorded(sentrial_server: LocalServer, tmp_path: Path) -> dict[str, str]:
    client = SentrialClient(
        api_key=sentrial_server.api_key,
        api_url=sentrial_server.url,
        spool_dir=str(tmp_path / "recorded"),
    )
    ok = client.create_session("good run", "support", "ana")
    client.track_tool_call(ok, "lookup_order", {"id": 1}, {"status": "shipped"}, duration_ms=12)
    client.track_llm_call(ok, "gpt-4o-mini", prompt_tokens=100, completion_tokens=20)
    client.complete_session(ok, success=True)
    interaction = sentrial.begin("ben", "billing", input="Refund order 7, please", client=client)
    interaction.track_error(KeyError("no such order"), tool_name="lookup_order")
    interaction.finish(success=False, failure_reason="KeyError: no such order")
    bad = interaction.session_id
    assert client.flush(10)
    client.close()
    return {"ok": ok, "bad": bad}


# -- help ------------------------------------------------------------------------------


def test_every_command_has_an_example_in_its_help() -> None:
    found = dict(commands(build_parser()))
    assert set(found) == set(EXAMPLES)  # a new command needs an example, a gone one none
    for path, parser in found.items():
        assert f"example:\n  {EXAMPLES[path]}" in parser.format_help(), path
        documented = EXAMPLES[path].split()
        assert (
            documented[:1] == ["sentrial"] and path.split() == documented[1 : 1 + len(path.split())]
        )
    evaluate = found["evaluate"].format_help()
    for code in ("0  the gate passed", "1  the gate failed", "2  usage error", "3  the API"):
        assert code in evaluate


# -- sessions list|get, events list -----------------------------------------------------


def test_documented_read_commands(local: dict[str, str], recorded: dict[str, str]) -> None:
    listed = cli(
        *shlex.split("sessions list --last 7d --status failed --agent billing --user ben"),
        *("--limit", "10", "--json"),
        env=local,
    )
    assert listed.returncode == 0, listed.stderr
    page = json.loads(listed.stdout)
    SESSION_PAGE.validate(page)
    assert [s["id"] for s in page["data"]] == [recorded["bad"]]

    both = json.loads(cli("sessions", "list", "--json", env=local).stdout)
    assert {s["id"] for s in both["data"]} == {recorded["ok"], recorded["bad"]}
    plain = cli("sessions", "--json", env=local)  # ours, without a subcommand, as before
    assert json.loads(plain.stdout) == both

    got = cli("sessions", "get", recorded["ok"], "--json", env=local)
    assert got.returncode == 0, got.stderr
    answer = json.loads(got.stdout)
    SESSION_WITH_EVENTS.validate(answer)
    assert answer["session"]["id"] == recorded["ok"]
    assert [e["eventType"] for e in answer["events"]] == ["tool_call", "llm_call"]
    alone = json.loads(
        cli("sessions", "get", recorded["ok"], "--no-events", "--json", env=local).stdout
    )
    SESSION_ALONE.validate(alone)
    text = cli("sessions", "get", recorded["ok"], "--no-events", env=local)
    assert "good run" in text.stdout and "lookup_order" not in text.stdout
    assert "lookup_order" in cli("sessions", "get", recorded["ok"], env=local).stdout

    events = cli("events", "list", recorded["ok"], "--type", "tool_call", "--json", env=local)
    assert events.returncode == 0, events.stderr
    data = json.loads(events.stdout)
    EVENT_LIST.validate(data)
    assert [e["toolName"] for e in data["data"]] == ["lookup_order"]
    lines = cli("events", "list", recorded["ok"], env=local).stdout.splitlines()
    assert len(lines) == 2 and "tool_call" in lines[0] and "llm_call" in lines[1]

    missing = cli("sessions", "get", "sess_nope", env=local)
    assert missing.returncode == 2 and "sess_nope" in missing.stderr
    missing_events = cli("events", "list", "sess_nope", "--json", env=local)
    assert missing_events.returncode == 2 and "sess_nope" in missing_events.stderr
    assert cli("events", env=local).returncode == 2
    assert cli("sessions", "lis", env=local).returncode == 2


# -- login, logout and the order of keys --------------------------------------------------


def test_login_logout_and_key_resolution(
    sentrial_server: LocalServer, recorded: dict[str, str], home: Path, tmp_path: Path
) -> None:
    bare = {"HOME": str(home), "SENTRIAL_SPOOL_DIR": str(tmp_path / "spool")}
    saved = home / ".sentrial" / "config.json"
    url, key = sentrial_server.url, sentrial_server.api_key

    refused = cli("login", "--api-key", "sentrial_live_wrong_key", "--api-url", url, env=bare)
    assert refused.returncode == 2 and "refused" in refused.stderr
    assert "nothing was saved" in refused.stderr and not saved.exists()
    down = cli("login", "--api-key", key, "--api-url", "http://127.0.0.1:9", env=bare)
    assert down.returncode == 1 and "cannot reach" in down.stderr and not saved.exists()

    # A loopback API is reached directly, as the SDK does, whatever the proxy.
    proxied = {**bare, "HTTP_PROXY": "http://127.0.0.1:9"}
    done = cli("login", "--api-key", key, "--api-url", url, env=proxied)
    assert done.returncode == 0, done.stderr
    piped = subprocess.run(
        [sys.executable, "-m", "sentrial", "login", "--api-key", "-", "--api-url", url],
        input=key + "\n",
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], **bare},
        timeout=60,
    )
    assert piped.returncode == 0, piped.stderr
    assert key not in done.stdout + done.stderr  # the key is never printed
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    assert json.loads(saved.read_text()) == {"apiKey": key, "apiUrl": url}

    # The saved key (and its URL) with nothing else set.
    listed = cli("sessions", "list", "--json", env=bare)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)["data"]) == 2
    # SENTRIAL_API_KEY comes before the file; --api-key before both.
    # The saved URL goes only with the saved key: another key is not sent to it.
    other = resolve({"fail_silently": False}, env={**bare, "SENTRIAL_API_KEY": "sentrial_x"})
    assert (other.api_key, other.api_url) == ("sentrial_x", DEFAULT_API_URL)
    wrong_env = {**bare, "SENTRIAL_API_KEY": "sentrial_live_wrong_key", "SENTRIAL_API_URL": url}
    refused_env = cli("sessions", "list", env=wrong_env)
    assert refused_env.returncode == 1 and "HTTP 401" in refused_env.stderr
    assert cli("sessions", "list", "--api-key", key, env=wrong_env).returncode == 0
    # The SDK reads the same file when no key is configured.
    sdk = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sentrial; c = sentrial.SentrialClient();"
            " print(c.config.api_url, c.config.api_key == open(0).read())",
        ],
        input=key,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], **bare},
        timeout=60,
    )
    assert sdk.stdout.split() == [url, "True"], sdk.stderr

    out = cli("logout", env=bare)
    assert out.returncode == 0 and not saved.exists()
    assert cli("logout", env=bare).stdout.startswith("not logged in")
    gone = cli("sessions", "list", env=bare)
    assert gone.returncode == 2 and "sentrial login" in gone.stderr

    saved.write_text("{not json")
    broken = cli("sessions", "list", env=bare)
    assert broken.returncode == 2 and str(saved) in broken.stderr and "login" in broken.stderr


# -- evaluate ------------------------------------------------------------------------------


def _experiment(server: LocalServer, outcomes: dict[str, list[str]]) -> str:
    """An experiment whose variants ran with these outcomes (completed or failed)."""
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.url, headers=headers) as api:
        cases = [{"sessionId": f"s{i}", "userInput": f"question {i}"} for i in range(4)]
        variants = [{"name": name, "systemPrompt": name} for name in outcomes]
        created = api.post(
            "/api/experiments", json={"name": "gate", "variants": variants, "testCases": cases}
        )
        experiment_id: str = created.json()["experiment"]["id"]
        _runs(api, experiment_id, outcomes)
    return experiment_id


def _runs(api: httpx.Client, experiment_id: str, outcomes: dict[str, list[str]]) -> None:
    for name, statuses in outcomes.items():
        for index, status in enumerate(statuses):
            run = api.post(
                f"/api/experiments/{experiment_id}/runs",
                json={"variantName": name, "baseSessionId": f"s{index}"},
            ).json()["run"]
            api.patch(
                f"/api/experiments/{experiment_id}/runs/{run['id']}", json={"status": status}
            ).raise_for_status()


def _report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(done.stdout)
    EVALUATION_REPORT.validate(report)
    return report


def test_evaluate_gate_passes_fails_and_writes_junit(
    sentrial_server: LocalServer, local: dict[str, str], tmp_path: Path
) -> None:
    ok, failed = "completed", "failed"
    experiment = _experiment(
        sentrial_server, {"brief": [ok, ok, ok, ok], "detailed": [ok, ok, ok, failed]}
    )
    junit = tmp_path / "report.xml"
    gate = ["evaluate", experiment, "--min-score", "80", "--max-regression", "5"]

    failing = cli(*gate, "--json", "--junit", str(junit), env=local)
    assert failing.returncode == 1, failing.stderr
    report = _report(failing)
    assert report["passed"] is False and report["baseline"] is None
    scores = {v["name"]: (v["score"], v["passed"]) for v in report["variants"]}
    assert scores == {"brief": (100, True), "detailed": (75, False)}
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c.find("failure") for c in suite.iter("testcase")}
    assert cases["brief"] is None
    detailed = cases["detailed"]
    assert detailed is not None and "below --min-score 80" in (detailed.get("message") or "")

    # The documented command line, as a CI job pastes it, and in text form.
    passing = cli("evaluate", experiment, "--min-score", "70", "--max-regression", "5", env=local)
    assert passing.returncode == 0, passing.stderr + passing.stdout
    assert "gate: PASSED" in passing.stdout and "regression not checked" in passing.stdout

    # A named baseline variant: `detailed` lost 25 points against `brief`.
    against = cli(
        *gate[:3], "0", "--max-regression", "5", "--baseline", "brief", "--json", env=local
    )
    assert against.returncode == 1
    regressed = {v["name"]: v for v in _report(against)["variants"]}
    assert regressed["detailed"]["regression"] == 25 and not regressed["detailed"]["passed"]
    assert "regressed 25 points" in regressed["detailed"]["failures"][0]
    assert regressed["brief"]["passed"]

    # Else the last passing evaluation, which the server keeps: run again worse.
    with httpx.Client(
        base_url=sentrial_server.url,
        headers={"Authorization": f"Bearer {sentrial_server.api_key}"},
    ) as api:
        api.delete(f"/api/experiments/{experiment}/runs").raise_for_status()
        _runs(
            api, experiment, {"brief": [ok, ok, failed, failed], "detailed": [ok, ok, ok, failed]}
        )
        kept = api.get(
            f"/api/experiments/{experiment}/evaluations", params={"passed": "true"}
        ).json()["data"]
    assert [e["scores"] for e in kept] == [{"brief": 100, "detailed": 75}]
    worse = cli(*gate[:3], "50", "--max-regression", "5", "--json", env=local)
    assert worse.returncode == 1
    report = _report(worse)
    assert report["baseline"] == kept[0]["id"]
    verdicts = {v["name"]: v for v in report["variants"]}
    assert verdicts["brief"]["baselineScore"] == 100 and verdicts["brief"]["regression"] == 50
    assert verdicts["detailed"]["passed"] and not verdicts["brief"]["passed"]


def test_evaluate_custom_metric(
    sentrial_server: LocalServer, local: dict[str, str], tmp_path: Path
) -> None:
    client = SentrialClient(
        api_key=sentrial_server.api_key, api_url=sentrial_server.url, spool_dir=str(tmp_path)
    )
    sessions = {}
    for name, value in (("a", 0.9), ("b", 0.4)):
        sid = client.create_session(f"run {name}", "agent", "u")
        client.complete_session(sid, success=True, custom_metrics={"accuracy": value})
        sessions[name] = sid
    assert client.flush(10)
    client.close()
    experiment = _experiment(sentrial_server, {"a": [], "b": []})
    with httpx.Client(
        base_url=sentrial_server.url,
        headers={"Authorization": f"Bearer {sentrial_server.api_key}"},
    ) as api:
        for name, sid in sessions.items():
            run = api.post(
                f"/api/experiments/{experiment}/runs",
                json={"variantName": name, "baseSessionId": "s0"},
            ).json()["run"]
            api.patch(
                f"/api/experiments/{experiment}/runs/{run['id']}",
                json={"status": "completed", "resultSessionId": sid},
            ).raise_for_status()
    done = cli(
        "evaluate", experiment, "--metric", "accuracy", "--min-score", "0.5", "--json", env=local
    )
    assert done.returncode == 1
    assert {v["name"]: v["score"] for v in _report(done)["variants"]} == {"a": 0.9, "b": 0.4}
    unknown = cli("evaluate", experiment, "--metric", "speed", "--min-score", "1", env=local)
    assert unknown.returncode == 2 and "accuracy" in unknown.stderr


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--min-score", "80", "--api-url", "http://127.0.0.1:9"], 3, "cannot reach"),
        (["--min-score", "abc"], 2, "--min-score"),
        (["--min-score", "-1"], 2, "--min-score"),
        (["--min-score", "nan"], 2, "--min-score"),
        (["--min-score", "101"], 2, "above 100"),
        (["--min-score", "0.8"], 0, "did you mean 80?"),
        ([], 2, "--min-score"),
        (["--min-score", "80", "--baseline", "nope"], 2, "--baseline"),
        (["--min-score", "80", "--junit", "/nonexistent/dir/r.xml"], 2, "--junit"),
        (["--min-score", "80", "--api-key", "sentrial_live_wrong_key"], 2, "HTTP 401"),
    ],
)
def test_evaluate_exit_codes(
    sentrial_server: LocalServer, local: dict[str, str], args: list[str], code: int, says: str
) -> None:
    experiment = _experiment(sentrial_server, {"only": ["completed"]})
    done = cli("evaluate", experiment, *args, env=local)
    assert done.returncode == code, done.stderr
    assert says in done.stderr


def test_evaluate_unknown_experiment(local: dict[str, str]) -> None:
    done = cli("evaluate", "exp_nope", "--min-score", "80", env=local)
    assert done.returncode == 2 and "exp_nope" in done.stderr


# -- signals and diagnose ----------------------------------------------------------------------

SIGNAL_PAGE = validator(api_ref("SignalPage"))
DIAGNOSIS = validator(api_ref("SessionDiagnosis"))


def test_signals_and_diagnose_read_the_servers_classification(
    local: dict[str, str], recorded: dict[str, str]
) -> None:
    documented = ["signals", "list", "--last", "30d", "--type", "negative", "--source", "heuristic"]
    listed = cli(*documented, env=local)
    assert listed.returncode == 0, listed.stderr
    (row,) = [line for line in listed.stdout.splitlines() if "failed_session" in line]
    assert recorded["bad"] in row and "negative" in row and "billing" in row
    assert recorded["ok"] not in listed.stdout  # it did not fail
    as_json = cli(*documented, "--json", env=local)
    assert as_json.returncode == 0, as_json.stderr
    page = json.loads(as_json.stdout)
    SIGNAL_PAGE.validate(page)
    found = {(s["sessionId"], s["name"]) for s in page["data"]}
    assert (recorded["bad"], "failed_session") in found
    assert {s["type"] for s in page["data"]} == {"negative"}
    named = cli("signals", "list", "--name", "failed_session", "--json", env=local)
    assert {s["sessionId"] for s in json.loads(named.stdout)["data"]} == {recorded["bad"]}

    diagnosed = cli("diagnose", recorded["bad"], env=local)
    assert diagnosed.returncode == 0, diagnosed.stderr
    assert "First failing step: #0 error:lookup_order" in diagnosed.stdout, diagnosed.stdout
    assert "no such order" in diagnosed.stdout
    diagnosis = json.loads(cli("diagnose", recorded["bad"], "--json", env=local).stdout)
    DIAGNOSIS.validate(diagnosis)
    assert diagnosis["sessionId"] == recorded["bad"]
    assert diagnosis["firstFailure"]["toolName"] == "lookup_order"

    unknown = cli("diagnose", "sess_nope", env=local)
    assert unknown.returncode == 2 and "sess_nope" in unknown.stderr
    down = cli("signals", "list", "--api-url", "http://127.0.0.1:9", env=local)
    assert down.returncode == 1 and "cannot reach" in down.stderr
    bad = cli("signals", "list", "--last", "soon", env=local)
    assert bad.returncode == 2 and "--last" in bad.stderr
    kind = cli("signals", "list", "--type", "awful", env=local)
    assert kind.returncode == 2 and "--type: 'awful'" in kind.stderr and "neutral" in kind.stderr


def _without_signals() -> Any:
    """A server from before signals: sessions, and a plain 404 for anything else."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response
    from starlette.routing import Route

    async def session(request: Request) -> Response:
        if request.path_params["id"] != "sess_known":
            return JSONResponse({"error": "Not Found", "message": "no session"}, 404)
        return JSONResponse({"id": "sess_known"})

    async def missing(request: Request) -> Response:
        return PlainTextResponse("Not Found", 404)

    return Starlette(
        routes=[
            Route("/api/sdk/sessions/{id}", session),
            Route("/{path:path}", missing),
        ]
    )


def test_signals_and_diagnose_say_the_server_lacks_them(home: Path) -> None:
    from ._faults import serve_app

    with serve_app(_without_signals()) as url:
        env = {"HOME": str(home), "SENTRIAL_API_URL": url, "SENTRIAL_API_KEY": "sentrial_x"}
        for args in (
            ["signals", "list", "--last", "30d", "--type", "negative", "--source", "heuristic"],
            ["signals", "list", "--json"],
            ["diagnose", "sess_known"],
            ["diagnose", "sess_known", "--json"],
        ):
            done = cli(*args, env=env)
            assert done.returncode == 4, (args, done.stderr)
            assert "this server has no" in done.stderr and "does not classify" in done.stderr
            assert done.stdout == ""
        unknown = cli("diagnose", "sess_nope", env=env)
        assert unknown.returncode == 2 and "sess_nope" in unknown.stderr


# -- init and install ------------------------------------------------------------------------


def test_init_python_runs_as_written(local: dict[str, str], tmp_path: Path) -> None:
    where = tmp_path / "project"
    done = cli("init", "--language", "python", "--dir", str(where), env=local)
    assert done.returncode == 0, done.stderr

    def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        """The example, run as its docstring says: `python sentrial_example.py`."""
        return subprocess.run(
            [sys.executable, "sentrial_example.py"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": os.environ["PATH"], **env},
        )

    ran = run(local)
    assert ran.returncode == 0, ran.stderr
    session_id = re.search(r"session (\S+):", ran.stdout)
    assert session_id, ran.stdout
    got = cli("sessions", "get", session_id[1], "--json", env=local)
    answer = json.loads(got.stdout)
    assert answer["session"]["status"] == "completed"
    assert answer["session"]["userInput"] == "Where is my order 42?"
    assert [e["toolName"] for e in answer["events"]] == ["lookup_order"]
    # Without a key, or with the server down, it says so (and exits 1), not "session ...".
    for broken in ({"HOME": local["HOME"]}, {**local, "SENTRIAL_API_URL": "http://127.0.0.1:9"}):
        failed = run(broken)
        assert failed.returncode == 1
        assert "no API key" in failed.stderr or "not delivered to" in failed.stderr
    again = cli("init", "--dir", str(where), env=local)
    assert again.returncode == 2 and "--force" in again.stderr
    assert cli("init", "--dir", str(where), "--force", env=local).returncode == 0
    assert cli("init", "--language", "rust", env=local).returncode == 2


def test_init_typescript_compiles_and_runs_as_written(
    local: dict[str, str], tmp_path: Path
) -> None:
    """The TypeScript example in an npm project that installed @sentrial/sdk
    (here: this repository's SDK, built into the project's node_modules),
    compiled with strict tsc and run with node against the server."""
    where = tmp_path / "ts"
    assert cli("init", "--language", "typescript", "--dir", str(where), env=local).returncode == 0
    ts = ROOT / "typescript"
    tsc = str(ts / "node_modules" / ".bin" / "tsc")
    sdk = where / "node_modules" / "@sentrial" / "sdk"
    sdk.mkdir(parents=True)
    (sdk / "package.json").write_text((ts / "package.json").read_text())
    (where / "node_modules" / "openapi-fetch").symlink_to(ts / "node_modules" / "openapi-fetch")
    built = subprocess.run(
        [tsc, "-p", str(ts / "tsconfig.json"), "--outDir", str(sdk / "dist")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    # The data the package's build copies beside its code (npm run copy-data).
    shutil.copy(ROOT / "sentrial" / "_pii_patterns.json", sdk / "dist" / "src")
    (where / "package.json").write_text('{"type": "module"}')  # the SDK is ESM, as its users
    (where / "tsconfig.json").write_text(
        json.dumps(
            {
                "compilerOptions": {
                    "target": "ES2022",
                    "module": "NodeNext",
                    "moduleResolution": "NodeNext",
                    "strict": True,
                    "outDir": "out",
                    "types": ["node"],
                    "typeRoots": [str(ts / "node_modules" / "@types")],
                },
                "files": ["sentrial-example.ts"],
            }
        )
    )
    compiled = subprocess.run([tsc, "-p", "."], cwd=where, capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    ran = subprocess.run(
        ["node", "out/sentrial-example.js"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], **local},
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    session_id = re.search(r"session (\S+):", ran.stdout)
    assert session_id, ran.stdout
    answer = json.loads(cli("sessions", "get", session_id[1], "--json", env=local).stdout)
    assert answer["session"]["agentName"] == "example-agent"
    assert answer["session"]["status"] == "completed"
    assert [e["toolName"] for e in answer["events"]] == ["lookup_order"]


def test_install_dry_run_touches_nothing(local: dict[str, str], tmp_path: Path) -> None:
    python = tmp_path / "py"
    python.mkdir()
    (python / "requirements.txt").write_text("httpx\n")
    done = cli("install", "--dry-run", "--dir", str(python), env=local)
    assert done.returncode == 0, done.stderr
    assert "-m pip install sentrial" in done.stdout
    assert f"would write {python / 'sentrial_example.py'}" in done.stdout
    assert sorted(p.name for p in python.iterdir()) == ["requirements.txt"]

    node = tmp_path / "node"
    node.mkdir()
    (node / "package.json").write_text("{}")
    done = cli("install", "--dry-run", "--dir", str(node), env=local)
    assert "would run" in done.stdout and "npm install @sentrial/sdk" in done.stdout
    assert "sentrial-example.ts" in done.stdout
    assert sorted(p.name for p in node.iterdir()) == ["package.json"]

    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = cli("install", "--dry-run", "--dir", str(empty), env=local)
    assert nothing.returncode == 2 and "--language" in nothing.stderr
    assert list(empty.iterdir()) == []


def test_install_installs_into_the_projects_own_venv(local: dict[str, str], tmp_path: Path) -> None:
    """A real install: pip of the project's .venv, offline, from a wheel of this
    checkout standing in for the index (PIP_* options, as pip reads them)."""
    wheels = tmp_path / "wheels"
    build = ["wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT), "-w", str(wheels)]
    subprocess.run(
        [sys.executable, "-m", "pip", *build],
        check=True,
        capture_output=True,
        timeout=300,
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("")
    subprocess.run([sys.executable, "-m", "venv", str(project / ".venv")], check=True, timeout=300)
    offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_NO_DEPS": "1"}
    done = cli("install", "--dir", str(project), env={**local, **offline})
    assert done.returncode == 0, done.stdout + done.stderr
    python = project / ".venv" / "bin" / "python"
    assert f"running: {python} -m pip install sentrial" in done.stdout
    shown = subprocess.run(
        [str(python), "-m", "pip", "show", "sentrial"], capture_output=True, text=True, timeout=120
    )
    assert f"Version: {sentrial.__version__}" in shown.stdout
    assert (project / "sentrial_example.py").is_file()


# -- found by trying -------------------------------------------------------------------------


def test_sessions_for_ci_and_people(local: dict[str, str], recorded: dict[str, str]) -> None:
    for since in ("today", "yesterday", "2000-01-01", "7d"):
        found = cli("sessions", "--since", since, "--json", env=local)
        assert found.returncode == 0, (since, found.stderr)
        assert len(json.loads(found.stdout)["data"]) == 2
    future = cli("sessions", "--since", "2999-01-01", "--json", env=local)
    assert json.loads(future.stdout)["data"] == []

    table = cli("sessions", env=local).stdout.splitlines()
    assert table[0].split()[-2:] == ["failure", "input"]
    bad_row = next(line for line in table if recorded["bad"] in line)
    assert "KeyError: no such order" in bad_row and "Refund order 7, please" in bad_row

    failing = cli("sessions", "--status", "failed", "--fail-if-any", env=local)
    assert failing.returncode == 1 and recorded["bad"] in failing.stdout
    none = cli("sessions", "--status", "active", "--fail-if-any", env=local)
    assert none.returncode == 0 and "no sessions" in none.stdout
    assert cli("sessions", "--count", env=local).stdout.strip() == "2"
    count = cli("sessions", "list", "--status", "failed", "--count", "--json", env=local)
    assert json.loads(count.stdout) == {"count": 1}

    first = cli("sessions", "--status", "completed", "--since", "7d", "--limit", "1", env=local)
    assert recorded["ok"] in first.stdout  # one page; the hint keeps the filters
    hint = cli("sessions", "--since", "7d", "--limit", "1", env=local).stderr
    more = hint.split("more: ", 1)[1].split("  (or --all)")[0]
    words = shlex.split(more)
    assert words[:3] == ["sentrial", "sessions", "--cursor"] and "--since" in words
    assert words[words.index("--limit") + 1] == "1"
    second = cli(*words[1:], "--json", env=local)
    assert [s["id"] for s in json.loads(second.stdout)["data"]] == [recorded["ok"]]

    exported = cli("export", "--format", "csv", env=local)
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {recorded["ok"], recorded["bad"]}
    assert by_id[recorded["bad"]]["failureReason"] == "KeyError: no such order"
    assert by_id[recorded["ok"]]["status"] == "completed"


def test_connection_errors_say_what_to_try(
    sentrial_server: LocalServer, local: dict[str, str]
) -> None:
    https = sentrial_server.url.replace("http://", "https://")
    tls = cli("sessions", "list", "--api-url", https, env=local)
    assert tls.returncode == 1 and "plain http? Try " + sentrial_server.url in tls.stderr
    with_api = cli("sessions", "list", "--api-url", sentrial_server.url + "/api", env=local)
    assert with_api.returncode == 1
    assert f"the API is at the server's root: try {sentrial_server.url}" in with_api.stderr
    proxied = {**local, "HTTP_PROXY": "http://127.0.0.1:9"}
    # A loopback API is reached directly (the SDK's proxy rules) ...
    direct = cli("events", "list", "sess_x", env=proxied)
    assert direct.returncode == 2 and "no session 'sess_x'" in direct.stderr
    # ... so a loopback server that is down is not blamed on the proxy;
    down = cli("sessions", "list", "--api-url", "http://127.0.0.1:9", env=proxied)
    assert down.returncode == 1 and "proxy" not in down.stderr, down.stderr
    # any other host goes through it, and the error says so.
    remote = {**proxied, "SENTRIAL_API_URL": "http://sentrial.invalid:8787"}
    proxy = cli("events", "list", "sess_x", env=remote)
    assert proxy.returncode == 1 and "proxy http://127.0.0.1:9" in proxy.stderr
    assert "NO_PROXY=sentrial.invalid" in proxy.stderr
    bypassed = cli("sessions", "list", env={**remote, "NO_PROXY": "sentrial.invalid"})
    assert bypassed.returncode == 1 and "proxy" not in bypassed.stderr, bypassed.stderr


# -- the README's GitHub Actions job -----------------------------------------------------------

AGENT = """\
import sentrial


def run_agent(message: str) -> str:
    prompt = sentrial.get_system_prompt("Be helpful.")
    if "BROKEN" in prompt:
        raise RuntimeError("the candidate prompt broke the agent")
    return f"{prompt} {message}"
"""


def _readme_job() -> dict[str, Any]:
    text = (ROOT / "README.md").read_text()
    (block,) = [b for b in re.findall(r"^```yaml\n(.*?)^```", text, re.S | re.M) if "jobs:" in b]
    job: dict[str, Any] = yaml.safe_load(block)["jobs"]["evaluate"]
    return job


def _run_job(workspace: Path, port: int) -> dict[str, subprocess.CompletedProcess[str]]:
    """The job's `run` steps in order, as the runner would (GITHUB_ENV carried
    from step to step), in ``workspace``; the Python of this venv is the one
    installed (the Install step is what put it there)."""
    job = _readme_job()
    runner_temp = workspace / "runner-temp"
    runner_temp.mkdir()
    github_env = workspace / "github-env"
    github_env.write_text("")
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": str(workspace),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_ENV": str(github_env),
        "GITHUB_RUN_ID": "4242",
        "SENTRIAL_SPOOL_DIR": str(workspace / "spool"),
        **{k: str(v).replace("8787", str(port)) for k, v in job["env"].items()},
    }
    done: dict[str, subprocess.CompletedProcess[str]] = {}
    groups = []
    try:
        for step in job["steps"]:
            if "run" not in step or step["name"] == "Install":
                continue
            for line in github_env.read_text().splitlines():
                name, _, value = line.partition("=")
                env[name] = value
            # Its own process group: the server it starts in the background is
            # stopped with it below (by that group's id).
            process = subprocess.Popen(
                ["bash", "-e", "-c", step["run"].replace("8787", str(port))],
                cwd=workspace,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            groups.append(process.pid)
            out, err = process.communicate(timeout=300)
            done[step["name"]] = subprocess.CompletedProcess(
                process.args, process.returncode, out, err
            )
            assert "Traceback" not in err, err
            if process.returncode:
                break
    finally:
        for group in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)
    return done


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.parametrize("candidate", ["Be brief.", "Be brief. BROKEN"])
def test_readme_github_actions_job_gates(tmp_path: Path, candidate: str) -> None:
    (tmp_path / "agent.py").write_text(AGENT)
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "current.txt").write_text("Be helpful.")
    (tmp_path / "prompts" / "candidate.txt").write_text(candidate)
    steps = _run_job(tmp_path, _free_port())
    assert list(steps) == ["Start the local server", "Run the experiment", "Gate"]
    for name in ("Start the local server", "Run the experiment"):
        assert steps[name].returncode == 0, steps[name].stdout + steps[name].stderr
    gate = steps["Gate"]
    report = ET.parse(tmp_path / "evaluation.xml").getroot()
    failures = {c.get("name"): c.find("failure") is not None for c in report.iter("testcase")}
    if "BROKEN" in candidate:
        assert gate.returncode == 1 and "gate: FAILED" in gate.stdout
        assert failures == {"current": False, "candidate": True}
    else:
        assert gate.returncode == 0, gate.stdout + gate.stderr
        assert "gate: PASSED" in gate.stdout and failures == {"current": False, "candidate": False}


# -- experiment run, list ----------------------------------------------------------------------


def test_experiment_run_fails_on_failed_runs_and_names_no_winner_at_zero(
    sentrial_server: LocalServer, local: dict[str, str], tmp_path: Path
) -> None:
    experiment = _experiment(sentrial_server, {"broken": [], "also broken": []})
    agent = tmp_path / "agent.py"
    agent.write_text("def run_agent(message: str) -> str:\n    raise RuntimeError('down')\n")
    done = cli("experiment", "run", experiment, "--agent", str(agent), env=local)
    assert done.returncode == 1 and "8 of 8 run(s) failed" in done.stderr
    # Test cases are labelled by their input, not by the id of the session it came from.
    assert 'FAILED broken x "question 0": RuntimeError' in done.stderr.replace("\n", " ")
    assert "winner" not in done.stdout
    with httpx.Client(
        base_url=sentrial_server.url,
        headers={"Authorization": f"Bearer {sentrial_server.api_key}"},
    ) as api:
        assert api.get(f"/api/experiments/{experiment}/results").json()["winner"] is None
    allowed = cli(
        "experiment", "run", experiment, "--agent", str(agent), "--allow-failures", env=local
    )
    assert allowed.returncode == 0, allowed.stderr

    listed = cli("experiment", "list", "--json", env=local)
    assert listed.returncode == 0, listed.stderr
    answer = json.loads(listed.stdout)
    validator(api_ref("ExperimentList")).validate(answer)
    assert [e["id"] for e in answer["data"]] == [experiment]
    assert experiment in cli("experiment", "list", env=local).stdout
    assert cli("experiment", "list", "--limit", "0", env=local).returncode == 2


def test_with_the_hosted_url_and_a_local_server_running_says_how_to_point_at_it(
    sentrial_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where `sentrial serve` listens by default, here the test's own server.
    monkeypatch.setattr(_cli_hints, "LOCAL_URL", sentrial_server.url)
    message = _cli_hints.connection_error(DEFAULT_API_URL, httpx.ConnectError("no route"))
    assert message.splitlines() == [
        f"cannot reach {DEFAULT_API_URL}: no route",
        f"  hint: a local Sentrial server answers at {sentrial_server.url}: pass --api-url"
        f" {sentrial_server.url} or set SENTRIAL_API_URL={sentrial_server.url} to read from it",
    ]
    refused = _cli_hints.answer_error(DEFAULT_API_URL, 401, "invalid API key")
    assert "a local Sentrial server answers" in refused
    # Pointed elsewhere already, or nothing local: no such hint.
    assert "hint" not in _cli_hints.answer_error(sentrial_server.url, 401, "invalid API key")
    monkeypatch.setattr(_cli_hints, "LOCAL_URL", "http://127.0.0.1:9")
    assert "hint" not in _cli_hints.answer_error(DEFAULT_API_URL, 401, "invalid API key")


@pytest.mark.parametrize("path", sorted(set(EXAMPLES) - {"", "serve"}))
def test_every_example_against_an_unreachable_server_is_one_clear_line(
    path: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each command's own example, pointed at nothing: an exit code and a
    message, never an exception; and an unknown option is a usage error."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SENTRIAL_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SENTRIAL_API_KEY", "sentrial_live_test")
    words = shlex.split(EXAMPLES[path])[1:]
    if "--api-url" in words:
        words[words.index("--api-url") + 1] = "http://127.0.0.1:9"
    try:
        code = main(words)
    except SystemExit as stop:  # argparse: a group without its subcommand
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    assert code in (0, 1, 2, 3, 4), (words, err)
    if code and path != "doctor":  # doctor prints its report, with the failed checks
        assert err.startswith(f"sentrial {words[0]}: "), err
    elif code:
        assert "FAILED (cannot reach http://127.0.0.1:9" in out
    with pytest.raises(SystemExit) as bad:
        main([*words, "--no-such-option"])
    assert bad.value.code == 2
    assert "--no-such-option" in capsys.readouterr().err


def test_each_experiment_run_is_kept_apart(
    sentrial_server: LocalServer, local: dict[str, str], tmp_path: Path
) -> None:
    experiment = _experiment(sentrial_server, {"a": [], "b": []})
    broken, fixed = tmp_path / "broken.py", tmp_path / "fixed.py"
    broken.write_text("def run_agent(message: str) -> str:\n    raise RuntimeError('down')\n")
    fixed.write_text("def run_agent(message: str) -> str:\n    return 'ok'\n")
    first = cli("experiment", "run", experiment, "--agent", str(broken), env=local)
    assert first.returncode == 1
    second = cli("experiment", "run", experiment, "--agent", str(fixed), "--json", env=local)
    assert second.returncode == 0, second.stderr
    latest = json.loads(second.stdout)
    validator(api_ref("ExperimentResults")).validate(latest)
    # The second run alone: 4/4 per variant, not 4/8 mixing in the first.
    assert [(v["name"], v["finished"], v["succeeded"]) for v in latest["variants"]] == [
        ("a", 4, 4),
        ("b", 4, 4),
    ]
    assert [b["runs"] for b in latest["batches"]] == [8, 8]
    first_batch, second_batch = (b["batchId"] for b in latest["batches"])
    assert latest["batchId"] == second_batch and {r["batchId"] for r in latest["runs"]} == {
        second_batch
    }
    info = json.loads(cli("experiment", "info", experiment, "--json", env=local).stdout)
    assert info["batchId"] == second_batch and len(info["runs"]) == 8
    text = cli("experiment", "info", experiment, env=local).stdout
    assert f"batch {second_batch} (2 batch(es)" in text
    older = cli("experiment", "info", experiment, "--batch", first_batch, "--json", env=local)
    assert [v["succeeded"] for v in json.loads(older.stdout)["variants"]] == [0, 0]
    every = cli("experiment", "info", experiment, "--batch", "all", "--json", env=local)
    assert [v["finished"] for v in json.loads(every.stdout)["variants"]] == [8, 8]
    unknown = cli("experiment", "info", experiment, "--batch", "batch_nope", env=local)
    assert unknown.returncode == 2 and "batch_nope" in unknown.stderr
    # The gate judges the latest run.
    gate = cli("evaluate", experiment, "--min-score", "100", env=local)
    assert gate.returncode == 0, gate.stdout + gate.stderr


def test_experiment_commands_give_the_same_hints(
    sentrial_server: LocalServer, local: dict[str, str]
) -> None:
    with_api = {**local, "SENTRIAL_API_URL": sentrial_server.url + "/api"}
    info = cli("experiment", "info", "exp_x", env=with_api)
    assert info.returncode == 2
    assert f"the API is at the server's root: try {sentrial_server.url}" in info.stderr
    proxied = {**local, "HTTP_PROXY": "http://127.0.0.1:9"}
    direct = cli("experiment", "info", "exp_x", env=proxied)  # loopback: not proxied
    assert direct.returncode == 2 and "exp_x" in direct.stderr, direct.stderr
    remote = {**proxied, "SENTRIAL_API_URL": "http://sentrial.invalid:8787"}
    down = cli("experiment", "info", "exp_x", env=remote)
    assert down.returncode == 1 and "proxy http://127.0.0.1:9" in down.stderr, down.stderr


def test_the_sdk_reads_the_login_file_only_without_a_key_and_never_raises_on_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    saved = tmp_path / ".sentrial" / "config.json"
    saved.parent.mkdir()
    env = {"HOME": str(tmp_path)}
    saved.write_text(json.dumps({"apiKey": "sentrial_live_saved_0000", "apiUrl": "http://h:1"}))
    config = resolve({}, env=env)
    assert (config.api_key, config.api_url) == ("sentrial_live_saved_0000", "http://h:1")
    given = resolve({"api_key": "sentrial_live_given_0000"}, env=env)
    assert (given.api_key, given.api_url) == ("sentrial_live_given_0000", DEFAULT_API_URL)
    # The URL given wins over the saved one, with the saved key.
    assert resolve({"api_url": "http://other:2"}, env=env).api_url == "http://other:2"

    saved.write_text('{"apiKey": "sentrial_live_half')  # cut short
    with caplog.at_level("WARNING", logger="sentrial"):
        broken = resolve({}, env=env)
    assert broken.api_key is None and not broken.sends
    assert str(saved) in caplog.text and "sentrial_live_half" not in caplog.text
    with pytest.raises(ConfigurationError, match="run `sentrial login`"):
        resolve({"fail_silently": False}, env=env)
    saved.write_text("[]")
    with pytest.raises(ConfigurationError, match="no apiKey"):
        resolve({"fail_silently": False}, env=env)


def test_evaluate_on_a_server_that_keeps_no_evaluations(
    sentrial_server: LocalServer, local: dict[str, str]
) -> None:
    experiment = _experiment(sentrial_server, {"only": ["completed", "completed"]})
    path = f"/api/experiments/{experiment}/evaluations"
    once = {("GET", f"{path}?passed=true&metric=success&limit=1"): 404, ("POST", path): 404}
    proxy = FaultProxy(sentrial_server.url, once=once).start()
    try:
        done = cli(
            "evaluate",
            experiment,
            "--min-score",
            "90",
            "--max-regression",
            "5",
            "--json",
            "--api-url",
            proxy.url,
            env=local,
        )
    finally:
        proxy.stop()
    assert not proxy.once  # both answered 404
    assert done.returncode == 0, done.stderr
    report = _report(done)
    assert report["baseline"] is None and report["evaluationId"] is None
    assert "the evaluation was not recorded: HTTP 404" in done.stderr


def test_flush_spool_says_which_url_each_other_spool_directory_is_for(
    sentrial_server: LocalServer, local: dict[str, str], home: Path
) -> None:
    # Operations spooled for a server that was down, with the key saved by login.
    down, saved_key = "http://127.0.0.1:9", "sentrial_live_saved_key_0000"
    client = SentrialClient(api_key=saved_key, api_url=down, spool_dir=local["SENTRIAL_SPOOL_DIR"])
    client.create_session("spooled", "agent", "u")
    client.shutdown(0.5)
    typo = SentrialClient(
        api_key="sentrial_live_TYPO_0000", api_url=down, spool_dir=local["SENTRIAL_SPOOL_DIR"]
    )
    typo.create_session("spooled", "agent", "u")
    typo.shutdown(0.5)
    (home / ".sentrial").mkdir()
    (home / ".sentrial" / "config.json").write_text(
        json.dumps({"apiKey": saved_key, "apiUrl": down})
    )
    listed = cli("flush-spool", "--timeout", "1", env=local)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    saved = spool_directory(client.config)
    other = spool_directory(typo.config)
    lines = listed.stdout.splitlines()
    line = next(x for x in lines if x.startswith(f"  {saved}:"))
    assert line.endswith(f"(for {down}, with the key `sentrial login` saved)")
    line = next(x for x in lines if x.startswith(f"  {other}:"))
    assert line.endswith(
        "(for an API URL and key not configured here (the name is a hash of both))"
    )
    assert saved_key not in listed.stdout
