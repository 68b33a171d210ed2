"""Experiments end to end over real HTTP: the local server, the offline LLM
stand-in, the CLI, the published usage, the published SDK itself, and the
viewer's comparison page in a real Chromium."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

import sentrial
from sentrial import (
    Experiment,
    ExperimentRunResult,
    ExperimentTestCase,
    ExperimentVariant,
    get_experiment_context,
    get_system_prompt,
    get_variant_name,
    is_experiment_mode,
)
from sentrial._cli import main
from sentrial._cli_experiment import Progress
from sentrial._server import LocalServer
from sentrial._server._viewer import _money
from sentrial.experiment import ExperimentError

from .conftest import Reader
from .test_published_sdk import published_python  # noqa: F401 - a fixture

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "viewer"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's, as in test_viewer

BRIEF = "Be brief."
DETAILED = "You are support. Context: Refunds are accepted within 30 days."
QUESTIONS = [
    "How do I reset my password?",
    "Can I get a refund for order 7?",
    "Please break [fail]",  # the stand-in answers 500: both variants crash on it
]

AGENT = textwrap.dedent("""
    import os

    import openai

    import sentrial

    llm = sentrial.wrap_openai(
        openai.OpenAI(
            api_key="sk-test", base_url=os.environ["STANDIN_LLM_URL"] + "/v1", max_retries=0
        )
    )


    @sentrial.session("support")
    def support_agent(message: str) -> str:
        prompt = sentrial.get_system_prompt("You are support.")
        reply = llm.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": prompt},
                {"role": "user", "content": message},
            ],
        )
        text = reply.choices[0].message.content
        sentrial.get_current_interaction().finish(
            output=text, custom_metrics={"mentions_policy": 1.0 if "30 days" in text else 0.0}
        )
        return text
""")


@pytest.fixture
def api(sentrial_server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=sentrial_server.url,
        headers={"Authorization": f"Bearer {sentrial_server.api_key}"},
    ) as client:
        yield client


@pytest.fixture
def env(sentrial_server: LocalServer, monkeypatch: pytest.MonkeyPatch, llm: str) -> None:
    monkeypatch.setenv("SENTRIAL_API_URL", sentrial_server.url)
    monkeypatch.setenv("SENTRIAL_API_KEY", sentrial_server.api_key)
    monkeypatch.setenv("STANDIN_LLM_URL", llm)


def _record(server: LocalServer, tmp_path: Path, agent: str, inputs: list[str]) -> list[str]:
    """Sessions of ``agent`` with these inputs, as production traffic would record them."""
    client = sentrial.SentrialClient(
        api_key=server.api_key, api_url=server.url, spool_dir=str(tmp_path / "recorded")
    )
    ids = []
    for text in inputs:
        with sentrial.begin("user_1", agent, input=text, client=client) as interaction:
            interaction.set_output("recorded answer")
        ids.append(interaction.session_id)
    assert client.flush(10)
    client.close()
    return ids


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _prompt_files(tmp_path: Path) -> list[str]:
    (tmp_path / "brief.txt").write_text(BRIEF + "\n")
    (tmp_path / "detailed.txt").write_text(DETAILED)
    return [
        "--variant",
        f"brief={tmp_path / 'brief.txt'}",
        "--variant",
        f"detailed={tmp_path / 'detailed.txt'}",
    ]


def test_full_experiment_from_the_cli_in_parallel_with_the_llm_standin(
    sentrial_server: LocalServer,
    tmp_path: Path,
    env: None,
    api: httpx.Client,
    reader: Reader,
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorded = _record(sentrial_server, tmp_path, "support", [*QUESTIONS, QUESTIONS[0]])
    _record(sentrial_server, tmp_path, "billing", ["Where is my invoice?"])

    code, out, err = _cli(
        capsys,
        "experiment",
        "create",
        "--name",
        "brief vs detailed",
        *_prompt_files(tmp_path),
        "--from-sessions",
        "support",
        "--limit",
        "10",
        "--json",
    )
    assert code == 0, err
    created = json.loads(out)
    exp_id = created["id"]
    # Newest first, one per distinct input: the repeated question is the newest.
    assert created["testCases"] == [
        {"sessionId": recorded[3], "userInput": QUESTIONS[0]},
        {"sessionId": recorded[2], "userInput": QUESTIONS[2]},
        {"sessionId": recorded[1], "userInput": QUESTIONS[1]},
    ]
    assert [(v["name"], v["systemPrompt"]) for v in created["variants"]] == [
        ("brief", BRIEF),
        ("detailed", DETAILED),
    ]
    assert created["status"] == "draft" and created["agentName"] == "support"

    # As published, `run` without --agent shows the experiment and how to run it.
    code, out, err = _cli(capsys, "experiment", "run", exp_id)
    assert code == 2 and "[draft]" in out and f"  brief: {BRIEF}" in out
    assert f"sentrial experiment run {exp_id} --agent my_agent.py" in err

    agent = tmp_path / "agent.py"
    agent.write_text(AGENT)
    code, out, err = _cli(
        capsys,
        "experiment",
        "run",
        exp_id,
        "--agent",
        str(agent),
        "--parallel",
        "--max-workers",
        "4",
        "--json",
    )
    # Two runs failed (the stand-in's 500): exit 1, saying so.
    assert code == 1 and "2 of 6 run(s) failed" in err, err
    # Not a terminal: one plain progress line per run.
    lines = [line for line in err.splitlines() if line.startswith("[")]
    assert sorted(line.split("]")[0] for line in lines) == [f"[{n}/6" for n in range(1, 7)]
    assert sum(" FAILED " in line for line in lines) == 2
    results = json.loads(out)

    assert results["experiment"]["status"] == "completed"
    runs = results["runs"]
    assert len(runs) == 6
    inputs = {c["sessionId"]: c["userInput"] for c in created["testCases"]}
    prompts = {"brief": BRIEF, "detailed": DETAILED}
    for run in runs:
        session = reader.session(run["resultSessionId"])
        # Each run is its own session, holding its input, under the agent's name.
        assert session["agentName"] == "support"
        assert session["userInput"] == inputs[run["baseSessionId"]]
        assert session["metadata"]["variantName"] == run["variantName"]
        assert session["metadata"]["experimentRunId"] == run["id"]
        # The variant's prompt reached the LLM: parallel runs did not mix.
        (call,) = [e for e in reader.events(session["id"]) if e["eventType"] == "llm_call"]
        assert call["input"][0] == {"role": "system", "content": prompts[run["variantName"]]}
        crashed = "[fail]" in inputs[run["baseSessionId"]]
        assert run["success"] is not crashed
        assert run["status"] == ("failed" if crashed else "completed")
        if crashed:
            assert run["errorMessage"].startswith("InternalServerError: Error code: 500")
            assert session["status"] == "failed"
        else:
            assert run["errorMessage"] is None
            assert session["totalTokens"] == call["promptTokens"] + call["completionTokens"]
            assert run["totalTokens"] == session["totalTokens"]
            assert run["durationMs"] == session["durationMs"]

    by_name = {v["name"]: v for v in results["variants"]}
    for name, variant in by_name.items():
        mine = [r for r in runs if r["variantName"] == name]
        sessions = [reader.session(r["resultSessionId"]) for r in mine]
        assert (variant["runs"], variant["finished"], variant["succeeded"]) == (3, 3, 2)
        assert variant["successRate"] == pytest.approx(2 / 3)
        assert variant["totalTokens"] == sum(s.get("totalTokens") or 0 for s in sessions)
        assert variant["totalCost"] == pytest.approx(
            sum(s.get("estimatedCost") or 0 for s in sessions)
        )
        durations = sorted(r["durationMs"] for r in mine)
        assert variant["meanDurationMs"] == pytest.approx(sum(durations) / 3)
        assert variant["p95DurationMs"] == durations[-1]
    assert by_name["brief"]["customMetrics"] == {"mentions_policy": 0.0}
    assert by_name["detailed"]["customMetrics"] == {"mentions_policy": 1.0}
    # Same success rate: the cheaper variant wins (the detailed prompt costs tokens).
    assert by_name["detailed"]["totalTokens"] > by_name["brief"]["totalTokens"]
    assert results["winner"] == "brief"

    # What the API returns is what `info --json` prints; the table marks the winner.
    assert api.get(f"/api/experiments/{exp_id}/results").json() == results
    code, out, err = _cli(capsys, "experiment", "info", exp_id)
    assert code == 0, err
    assert "[completed]" in out and "test cases: 3" in out
    (brief_row,) = [line for line in out.splitlines() if line.startswith("brief *")]
    assert brief_row.split()[2:4] == ["2/3", "67%"]
    assert "mentions_policy=0" in brief_row and "* winner: brief" in out

    # Experiment runs are not recorded inputs: a new experiment picks the same three.
    again = api.post(
        "/api/experiments",
        json={
            "name": "again",
            "variants": [{"name": "a", "systemPrompt": "A"}],
            "fromSessions": {"agentName": "support"},
        },
    ).json()["experiment"]
    assert again["testCases"] == created["testCases"]


def test_published_usage_runs_unchanged(
    sentrial_server: LocalServer,
    tmp_path: Path,
    env: None,
    api: httpx.Client,
    reader: Reader,
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorded = _record(sentrial_server, tmp_path, "support", QUESTIONS[:2])
    with Experiment.create(
        "published", {"a": "Prompt A", "b": "Prompt B"}, from_sessions="support"
    ) as made:
        exp_id = made.experiment_id

    # The published docstrings, as written.
    client = sentrial.SentrialClient(api_key=sentrial_server.api_key, api_url=sentrial_server.url)
    seen: list[tuple[str, str, str | None]] = []

    def my_agent(test_case: ExperimentTestCase, variant: ExperimentVariant, tracker: Any) -> None:
        session_id = client.create_session(
            name=f"Experiment: {test_case.session_id}",
            agent_name="support-agent",
            user_id="experiment",
        )
        tracker.set_result_session_id(session_id)
        seen.append((variant.name, get_system_prompt("default"), get_variant_name()))
        client.complete_session(session_id, success=True)

    exp = Experiment(exp_id)
    print(f"Testing {len(exp.variants)} variants on {len(exp.test_cases)} inputs")
    results = exp.run(my_agent, parallel=True)
    out = capsys.readouterr().out
    assert "Testing 2 variants on 2 inputs" in out
    assert "Running experiment: published" in out and "Successful: 4/4" in out
    assert all(isinstance(r, ExperimentRunResult) and r.success for r in results)
    assert sorted(seen) == [
        ("a", "Prompt A", "a"),
        ("a", "Prompt A", "a"),
        ("b", "Prompt B", "b"),
        ("b", "Prompt B", "b"),
    ]
    stored = api.get(f"/api/experiments/{exp_id}/runs").json()
    assert stored["experiment"]["status"] == "completed" and exp.status == "completed"
    assert sorted((r["variantName"], r["baseSessionId"]) for r in stored["runs"]) == sorted(
        (v, s) for v in ("a", "b") for s in recorded
    )
    assert {r["resultSessionId"] for r in stored["runs"]} == {r.result_session_id for r in results}
    assert client.flush(10)
    for run in stored["runs"]:
        assert reader.session(run["resultSessionId"])["status"] == "completed"

    # Or run manually (the published docstring's loop), then reset.
    assert exp.reset() is True
    assert api.get(f"/api/experiments/{exp_id}/runs").json()["runs"] == []
    for variant in exp.variants:
        for test_case in exp.test_cases:
            with exp.track_run(variant.name, test_case.session_id) as tracker:
                assert get_system_prompt() == variant.system_prompt
                session_id = client.create_session("manual", "support-agent", "experiment")
                tracker.set_result_session_id(session_id)
                client.complete_session(session_id, success=variant.name == "a")
    assert client.flush(10)  # results read the sessions the server holds
    assert exp.get_results()["variants"][0]["successRate"] == 1.0
    results_b = exp.get_results()["variants"][1]
    assert (results_b["name"], results_b["succeeded"], results_b["successRate"]) == ("b", 0, 0.0)
    assert exp.get_results()["winner"] == "a"
    assert is_experiment_mode() is False and get_system_prompt("mine") == "mine"
    client.close()
    exp.close()


def test_a_crashed_run_is_a_failed_run_with_its_error(
    sentrial_server: LocalServer, tmp_path: Path, env: None, api: httpx.Client, reader: Reader
) -> None:
    _record(sentrial_server, tmp_path, "support", ["hi"])
    exp = Experiment.create("crash", {"only": "P"}, from_sessions="support")

    def agent(test_case: ExperimentTestCase, variant: ExperimentVariant, tracker: Any) -> None:
        with tracker.begin(input=test_case.user_input):
            raise KeyError("missing tool")

    (result,) = exp.run(agent, on_result=lambda *_: None)
    assert not result.success and result.error_message == "KeyError: 'missing tool'"
    (run,) = api.get(f"/api/experiments/{exp.experiment_id}/runs").json()["runs"]
    assert (run["status"], run["errorMessage"]) == ("failed", "KeyError: 'missing tool'")
    session = reader.session(run["resultSessionId"])
    assert (session["status"], session["failureReason"]) == ("failed", "KeyError: 'missing tool'")
    assert session["metadata"]["experimentId"] == exp.experiment_id
    exp.close()


def test_async_agents_and_subprocess_agents_get_their_variant(
    sentrial_server: LocalServer, tmp_path: Path, env: None, api: httpx.Client
) -> None:
    _record(sentrial_server, tmp_path, "support", ["one", "two"])
    exp = Experiment.create("envs", {"x": "Prompt X", "y": "Prompt Y"}, from_sessions="support")
    child = "from sentrial import get_system_prompt, get_variant_name; " + (
        "print(get_system_prompt('none'), '|', get_variant_name())"
    )
    answers: list[tuple[str, str]] = []

    async def agent(
        test_case: ExperimentTestCase, variant: ExperimentVariant, tracker: Any
    ) -> None:
        context = get_experiment_context()
        assert context is not None and context.test_case_id == test_case.session_id
        done = subprocess.run(
            [sys.executable, "-c", child],
            env=tracker.environ(),
            capture_output=True,
            text=True,
            check=True,
        )
        answers.append((variant.name, done.stdout.strip()))

    results = exp.run(agent, parallel=True, max_workers=4, on_result=lambda *_: None)
    assert [r.success for r in results] == [True] * 4
    assert sorted(answers) == [
        ("x", "Prompt X | x"),
        ("x", "Prompt X | x"),
        ("y", "Prompt Y | y"),
        ("y", "Prompt Y | y"),
    ]
    exp.close()


def test_api_errors_name_the_field(
    sentrial_server: LocalServer, tmp_path: Path, api: httpx.Client
) -> None:
    _record(sentrial_server, tmp_path, "support", ["hi"])
    variants = [{"name": "a", "systemPrompt": "A"}]

    def error(response: httpx.Response) -> tuple[int, str]:
        return response.status_code, response.json()["message"]

    assert error(api.post("/api/experiments", json={"variants": variants})) == (
        400,
        "name: is required",
    )
    twice = {"name": "n", "variants": [*variants, {"name": "a", "systemPrompt": "B"}]}
    assert error(api.post("/api/experiments", json=twice)) == (
        400,
        "variants[1].name: 'a' names two variants",
    )
    nobody = {"name": "n", "variants": variants, "fromSessions": {"agentName": "ghost"}}
    assert error(api.post("/api/experiments", json=nobody)) == (
        422,
        "fromSessions.agentName: no finished session of agent 'ghost' recorded a userInput",
    )
    made = api.post(
        "/api/experiments",
        json={
            "name": "n",
            "variants": variants,
            "testCases": [{"sessionId": "s", "userInput": "q"}],
        },
    ).json()["experiment"]
    runs = f"/api/experiments/{made['id']}/runs"
    assert error(api.post(runs, json={"variantName": "z", "baseSessionId": "s"})) == (
        400,
        f"variantName: no variant 'z' in experiment {made['id']} (variants: a)",
    )
    assert error(api.post(runs, json={"variantName": "a"})) == (400, "baseSessionId: is required")
    assert error(api.patch(f"{runs}/run_nope", json={"status": "completed"})) == (
        404,
        f"runId: no run 'run_nope' in experiment {made['id']}",
    )
    run_id = api.post(runs, json={"variantName": "a", "baseSessionId": "s"}).json()["run"]["id"]
    assert error(api.patch(f"{runs}/{run_id}", json={"status": "done"}))[0] == 400
    # null means absent: the stored values stay.
    api.patch(f"{runs}/{run_id}", json={"status": "failed", "errorMessage": "first"})
    kept = api.patch(f"{runs}/{run_id}", json={"status": None, "errorMessage": None}).json()
    assert (kept["run"]["status"], kept["run"]["errorMessage"]) == ("failed", "first")
    assert error(api.get("/api/experiments/exp_nope/results")) == (
        404,
        "id: no experiment 'exp_nope'",
    )
    assert httpx.get(sentrial_server.url + runs).status_code == 401
    wrong = api.put(runs)
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "DELETE, GET, POST")
    # A client-chosen id makes a retry harmless; the same id for another run is a conflict.
    once = {"id": "run_mine1", "variantName": "a", "baseSessionId": "s"}
    first = api.post(runs, json=once).json()["run"]
    assert api.post(runs, json=once).json()["run"] == first
    assert error(api.post(runs, json={**once, "baseSessionId": "t"})) == (
        409,
        "id: run run_mine1 exists with a different body",
    )
    assert error(api.post(runs, json={**once, "id": "mine"}))[0] == 400
    assert api.delete(runs).json() == {"deleted": 2}


def test_sdk_and_cli_errors(
    sentrial_server: LocalServer,
    tmp_path: Path,
    env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Experiment("exp_nope") as missing:
        with pytest.raises(ExperimentError, match="HTTP 404: id: no experiment 'exp_nope'"):
            _ = missing.variants
        with pytest.raises(RuntimeError):  # what the published SDK raised
            _ = missing.name
        assert missing.get_results() == {}
    code, _, err = _cli(capsys, "experiment", "info", "exp_nope")
    assert code == 2 and "no experiment 'exp_nope'" in err
    code, _, err = _cli(
        capsys, "experiment", "create", "--name", "n", "--variant", "a", "--from-sessions", "x"
    )
    assert code == 2 and "'a' is not NAME=PROMPT_FILE" in err
    code, _, err = _cli(
        capsys, "experiment", "create", "--name", "n", *_prompt_files(tmp_path),
        "--from-sessions", "ghost",
    )  # fmt: skip
    assert code == 2 and "no finished session of agent 'ghost'" in err
    code, _, err = _cli(
        capsys, "experiment", "run", "exp_nope", "--agent", str(tmp_path / "none.py")
    )
    assert code == 2 and "--agent: no file" in err
    code, _, err = _cli(capsys, "experiment", "info", "exp_x", "--api-url", _closed_url())
    assert code == 1 and "API unreachable" in err


def _closed_url() -> str:
    """A loopback URL nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_plain_lines_elsewhere() -> None:
    ok = ExperimentRunResult("a", "sess_1", "sess_r1", True)
    bad = ExperimentRunResult("b", "sess_1", None, False, "ValueError: x")
    terminal = _Terminal()
    bar = Progress(terminal)
    bar(ok, 1, 2)
    bar(bad, 2, 2)
    assert terminal.getvalue() == (
        "\r[###############...............] 1/2  failed 0"
        "\r\x1b[K  failed b x sess_1: ValueError: x\n"
        "\r[##############################] 2/2  failed 1\n"
    )
    plain = io.StringIO()
    lines = Progress(plain)
    lines(ok, 1, 2)
    lines(bad, 2, 2)
    assert plain.getvalue() == ("[1/2] ok a x sess_1\n[2/2] FAILED b x sess_1: ValueError: x\n")


def test_the_published_sdk_runs_an_experiment_on_our_server(
    published_python: str,  # noqa: F811 - the fixture imported above
    sentrial_server: LocalServer,
    tmp_path: Path,
    api: httpx.Client,
    reader: Reader,
) -> None:
    recorded = _record(sentrial_server, tmp_path, "support", QUESTIONS[:2])
    exp_id = api.post(
        "/api/experiments",
        json={
            "name": "published sdk",
            "variants": [{"name": "a", "systemPrompt": "A"}, {"name": "b", "systemPrompt": "B"}],
            "fromSessions": {"agentName": "support"},
        },
    ).json()["experiment"]["id"]
    script = textwrap.dedent("""
        import json, sys
        from sentrial.experiment import Experiment

        exp = Experiment(sys.argv[1], api_key=sys.argv[3], api_url=sys.argv[2])
        client = exp._client

        def agent(test_case, variant, tracker):
            sid = client.create_session(
                name="run " + test_case.session_id, agent_name="published", user_id="exp"
            )
            tracker.set_result_session_id(sid)
            if variant.name == "b" and test_case.user_input.startswith("Can"):
                raise ValueError("refund tool down")
            client.complete_session(sid, success=True, custom_metrics={"score": 2})

        results = exp.run(agent, parallel=True)
        print(json.dumps({
            "name": exp.name,
            "results": [[r.variant_name, r.test_case_session_id, r.success, r.error_message,
                         r.result_session_id] for r in results],
            "comparison": exp.get_results(),
        }))
    """)
    (tmp_path / "published_experiment.py").write_text(script)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SENTRIAL_")}
    done = subprocess.run(
        [
            published_python,
            "-I",
            str(tmp_path / "published_experiment.py"),
            exp_id,
            sentrial_server.url,
            sentrial_server.api_key,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["name"] == "published sdk"
    outcomes = sorted((r[0], r[1], r[2], r[3]) for r in report["results"])
    assert outcomes == [
        ("a", recorded[0], True, None),
        ("a", recorded[1], True, None),
        ("b", recorded[0], True, None),
        ("b", recorded[1], False, "refund tool down"),
    ]
    comparison = report["comparison"]
    variants = {v["name"]: v for v in comparison["variants"]}
    assert (variants["a"]["succeeded"], variants["b"]["succeeded"]) == (2, 1)
    assert variants["a"]["customMetrics"] == {"score": 2.0}
    assert comparison["winner"] == "a"
    for *_, session_id in report["results"]:
        if session_id:
            assert reader.session(session_id)["agentName"] == "published"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        yield browser
        browser.close()


def test_comparison_page_in_a_browser(
    sentrial_server: LocalServer, tmp_path: Path, env: None, browser: Browser
) -> None:
    _record(sentrial_server, tmp_path, "support", ["<b>bold</b> question", "plain question"])
    exp = Experiment.create(
        "<script>alert(1)</script> compare",
        [ExperimentVariant("cheap", "P1", "short"), ExperimentVariant("careful", "P2 <i>x</i>")],
        from_sessions="support",
    )

    def agent(test_case: ExperimentTestCase, variant: ExperimentVariant, tracker: Any) -> None:
        with tracker.begin(input=test_case.user_input) as interaction:
            if variant.name == "careful" and test_case.user_input.startswith("plain"):
                raise TimeoutError("too slow")
            interaction.finish(
                output="ok", estimated_cost=0.25, total_tokens=100, custom_metrics={"stars": 4}
            )

    exp.run(agent, on_result=lambda *_: None)
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    page.goto(sentrial_server.url + "/experiments")
    page.click("#experiments a")
    assert page.url == f"{sentrial_server.url}/experiments/{exp.experiment_id}"
    assert page.locator("h1").inner_text() == "<script>alert(1)</script> compare"
    assert page.locator("#status").inner_text() == "completed"
    rows = page.locator("#variants tr.variant")
    assert rows.count() == 2
    cheap = rows.nth(0).locator("td").all_inner_texts()
    assert cheap[:3] == ["cheap winner", "2", "100%"]
    assert cheap[5:] == [_money(0.5), "200", "stars: 4.000"]  # the viewer's own format
    careful = rows.nth(1).locator("td").all_inner_texts()
    assert careful[:3] == ["careful", "2", "50%"] and careful[5:7] == [_money(0.25), "100"]
    failed = page.locator("#runs tr.run.error")
    assert failed.count() == 1
    assert failed.locator("td").nth(7).inner_text() == "TimeoutError: too slow"
    assert "P2 <i>x</i>" in page.locator("#prompts").inner_text()
    page.screenshot(path=str(ARTIFACTS / "experiment.png"), full_page=True)
    # Each run links to the session it recorded.
    failed.locator("td").nth(3).locator("a").click()
    assert page.url.startswith(sentrial_server.url + "/sessions/sess_")
    assert "TimeoutError: too slow" in page.content()
    assert dialogs == []
    page.close()
    exp.close()


def _parameters(function: Any) -> list[str]:
    import inspect

    return [
        name if p.default is inspect.Parameter.empty else f"{name}={p.default!r}"
        for name, p in inspect.signature(function).parameters.items()
        if p.kind is not inspect.Parameter.KEYWORD_ONLY and name != "self"
    ]


def test_the_published_surface() -> None:
    import sentrial.experiment as published

    for name in (
        "Experiment",
        "ExperimentContext",
        "ExperimentRunResult",
        "ExperimentRunTracker",
        "ExperimentTestCase",
        "ExperimentVariant",
        "get_experiment_context",
        "get_system_prompt",
        "get_variant_name",
        "is_experiment_mode",
    ):
        assert name in sentrial.__all__ and getattr(sentrial, name) is not None
    assert published.SentrialClient is sentrial.SentrialClient
    assert _parameters(Experiment) == ["experiment_id", "api_key=None", "api_url=None"]
    assert _parameters(Experiment.run) == ["agent_fn", "parallel=False", "max_workers=4"]
    assert _parameters(Experiment.track_run) == ["variant_name", "base_session_id"]
    assert _parameters(published.ExperimentRunTracker) == [
        "experiment",
        "variant_name",
        "base_session_id",
    ]
    assert _parameters(ExperimentRunResult)[:5] == [
        "variant_name",
        "test_case_session_id",
        "result_session_id",
        "success",
        "error_message=None",
    ]
    assert _parameters(ExperimentTestCase) == ["session_id", "user_input"]
    assert _parameters(ExperimentVariant) == ["name", "system_prompt", "description=None"]
    for prop in ("name", "status", "variants", "test_cases"):
        assert isinstance(getattr(Experiment, prop), property)


def test_generated_client_has_typed_experiment_calls(
    sentrial_server: LocalServer, tmp_path: Path
) -> None:
    import asyncio

    from sentrial_api import AuthenticatedClient
    from sentrial_api.api.default import (
        create_experiment,
        create_experiment_run,
        get_experiment_results,
        get_experiment_runs,
        reset_experiment_runs,
        update_experiment_run,
    )
    from sentrial_api.models import (
        Error,
        ExperimentConfig,
        ExperimentCreate,
        ExperimentReset,
        ExperimentResponse,
        ExperimentResults,
        ExperimentRunCreate,
        ExperimentRunResponse,
        ExperimentRunStatusUpdate,
        ExperimentRunUpdate,
        ExperimentSessionSource,
        ExperimentVariantCreate,
    )

    (base,) = _record(sentrial_server, tmp_path, "typed", ["question"])
    client = AuthenticatedClient(base_url=sentrial_server.url, token=sentrial_server.api_key)
    made = create_experiment.sync(
        client=client,
        body=ExperimentCreate(
            name="typed",
            variants=[ExperimentVariantCreate(name="v", system_prompt="P", description="d")],
            from_sessions=ExperimentSessionSource(agent_name="typed", limit=5),
        ),
    )
    assert isinstance(made, ExperimentResponse) and isinstance(made.experiment.id, str)
    exp_id = made.experiment.id
    assert isinstance(made.experiment.test_cases, list)
    assert [(c.session_id, c.user_input) for c in made.experiment.test_cases] == [
        (base, "question")
    ]
    run = create_experiment_run.sync(
        exp_id, client=client, body=ExperimentRunCreate(variant_name="v", base_session_id=base)
    )
    assert isinstance(run, ExperimentRunResponse) and run.run.status == "running"
    assert isinstance(run.run.id, str)
    done = update_experiment_run.sync(
        exp_id,
        run.run.id,
        client=client,
        body=ExperimentRunUpdate(status=ExperimentRunStatusUpdate.FAILED, error_message="x"),
    )
    assert isinstance(done, ExperimentRunResponse)
    assert (done.run.status, done.run.error_message) == ("failed", "x")
    missing = get_experiment_runs.sync("exp_missing", client=client)
    assert isinstance(missing, Error) and missing.message == "id: no experiment 'exp_missing'"

    async def read() -> tuple[Any, Any, Any]:
        async with AuthenticatedClient(
            base_url=sentrial_server.url, token=sentrial_server.api_key
        ) as aclient:
            config = await get_experiment_runs.asyncio(exp_id, client=aclient)
            results = await get_experiment_results.asyncio(exp_id, client=aclient)
            reset = await reset_experiment_runs.asyncio(exp_id, client=aclient)
            return config, results, reset

    # In a thread: the browser test's Playwright keeps an event loop in this one.
    with ThreadPoolExecutor(1) as thread:
        config, results, reset = thread.submit(asyncio.run, read()).result()
    assert isinstance(config, ExperimentConfig) and config.experiment.status == "completed"
    # Its only run failed: no winner without evidence.
    assert isinstance(results, ExperimentResults) and results.winner is None
    assert (
        isinstance(results.variants, list)
        and results.variants[0].failed == 1
        and results.variants[0].success_rate == 0.0
    )
    assert isinstance(reset, ExperimentReset) and reset.deleted == 1


def test_runs_are_recorded_once_through_network_faults(
    sentrial_server: LocalServer, tmp_path: Path, api: httpx.Client, reader: Reader
) -> None:
    from ._faults import FaultProxy

    recorded = _record(sentrial_server, tmp_path, "support", QUESTIONS[:3])
    exp_id = api.post(
        "/api/experiments",
        json={
            "name": "faults",
            "variants": [{"name": "a", "systemPrompt": "A"}, {"name": "b", "systemPrompt": "B"}],
            "fromSessions": {"agentName": "support"},
        },
    ).json()["experiment"]["id"]
    with FaultProxy(sentrial_server.url, {"ok": 1}, seed=15) as proxy:
        client = sentrial.SentrialClient(
            api_key=sentrial_server.api_key, api_url=proxy.url, spool_dir=str(tmp_path / "spool")
        )
        exp = Experiment(exp_id, client=client)
        assert len(exp.variants) == 2 and exp._takes_client_ids()
        # Answers lost after the server stored the request, 5xx, 429, resets.
        proxy.weights = {"ok": 9, "drop_after_forward": 2, "500": 0.5, "429": 0.5, "reset": 0.5}

        def agent(test_case: ExperimentTestCase, variant: ExperimentVariant, tracker: Any) -> None:
            with tracker.begin(input=test_case.user_input) as interaction:
                interaction.set_output(f"{variant.name}: {test_case.user_input}")

        results = exp.run(agent, parallel=True, on_result=lambda *_: None)
        faults = dict(proxy.counts)
        proxy.weights = {"ok": 1}
        assert client.flush(20)
        exp.close()
        client.close()
    assert faults.get("drop_after_forward", 0) >= 1, faults
    # Runs are recorded by their sessions (the delivery retries those), not by
    # requests of their own ...
    posted = [p for m, p, _ in proxy.requests if m == "POST" and p.endswith("/runs")]
    assert posted == []
    runs = api.get(f"/api/experiments/{exp_id}/runs").json()["runs"]
    # ... and each run is recorded exactly once, completed, with its session.
    assert sorted((r["variantName"], r["baseSessionId"]) for r in runs) == sorted(
        (v, s) for v in ("a", "b") for s in recorded
    )
    assert {r["id"] for r in runs} == {r.run_id for r in results}
    for run in runs:
        assert run["status"] == "completed"
        session = reader.session(run["resultSessionId"])
        assert session["status"] == "completed"
        assert session["assistantOutput"] == f"{run['variantName']}: " + session["userInput"]


def test_results_count_sessions_of_the_configured_client(
    sentrial_server: LocalServer, tmp_path: Path, env: None, api: httpx.Client
) -> None:
    _record(sentrial_server, tmp_path, "support", ["q1", "q2"])
    # Delivery waits a minute unless flushed: the run must flush this client itself.
    configured = sentrial.configure(spool_dir=str(tmp_path / "spool"), flush_interval=60)
    exp = Experiment.create("configured", {"v": "P"}, from_sessions="support")

    def agent(test_case: ExperimentTestCase, variant: ExperimentVariant, tracker: Any) -> None:
        with sentrial.begin("u1", "support-configured", input=test_case.user_input) as session:
            tracker.set_result_session_id(session.session_id)
            session.finish(output="no", success=test_case.user_input == "q1")

    exp.run(agent, on_result=lambda *_: None)
    results = api.get(f"/api/experiments/{exp.experiment_id}/results").json()
    (variant,) = results["variants"]
    assert (variant["finished"], variant["succeeded"]) == (2, 1)
    assert sorted(r["success"] for r in results["runs"]) == [False, True]
    exp.close()
    configured.close()


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_an_async_client_runs_an_experiment(
    sentrial_server: LocalServer, tmp_path: Path, env: None, api: httpx.Client
) -> None:
    """``client=`` takes an AsyncSentrialClient too (issue 26): the runs'
    sessions are created, flushed and read back; no coroutine is dropped."""
    _record(sentrial_server, tmp_path, "support", ["q1"])
    client = sentrial.AsyncSentrialClient(spool_dir=str(tmp_path / "spool"), flush_interval=60)
    exp = Experiment.create("async", {"v": "P"}, from_sessions="support", client=client)

    def agent(test_case: ExperimentTestCase, variant: ExperimentVariant, tracker: Any) -> None:
        with tracker.begin(test_case.user_input) as session:
            session.set_output("yes")

    (result,) = exp.run(agent, on_result=lambda *_: None)
    assert result.success
    results = api.get(f"/api/experiments/{exp.experiment_id}/results").json()
    assert (results["variants"][0]["finished"], results["variants"][0]["succeeded"]) == (1, 1)
    exp.close()
    # In a thread of its own: this module's browser fixture keeps an event
    # loop running in the main thread (Playwright's sync API).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(client.close())).result()


@pytest.mark.parametrize("recorded_by", ["sessions", "requests"])
def test_each_run_call_is_a_batch_of_its_own(
    sentrial_server: LocalServer, tmp_path: Path, api: httpx.Client, recorded_by: str
) -> None:
    """Two ``Experiment.run`` calls: results compare the second alone, whether
    runs are recorded by their sessions (``sentrial serve``) or by requests
    (a server without ``experiment_sessions``, as the hosted API)."""
    client = sentrial.SentrialClient(
        api_key=sentrial_server.api_key,
        api_url=sentrial_server.url,
        spool_dir=str(tmp_path / "spool"),
    )
    exp = Experiment.create(
        "batches",
        {"v": "P", "w": "Q"},
        test_cases=[ExperimentTestCase("sess_q", "q")],
        client=client,
    )
    if recorded_by == "requests":
        exp._capabilities = frozenset({"client_ids"})  # as the hosted API would answer
    fail = {"w"}

    def agent(test_case: ExperimentTestCase, variant: ExperimentVariant, tracker: Any) -> None:
        with tracker.begin(input=test_case.user_input) as interaction:
            if variant.name in fail:
                raise RuntimeError("down")
            interaction.set_output("ok")

    exp.run(agent, on_result=lambda *_: None)
    first_batch = exp.batch_id
    fail.clear()
    exp.run(agent, on_result=lambda *_: None)
    second_batch = exp.batch_id
    assert first_batch and second_batch and first_batch != second_batch
    runs = api.get(f"/api/experiments/{exp.experiment_id}/runs").json()["runs"]
    assert sorted((r["batchId"], r["variantName"]) for r in runs) == sorted(
        (b, v) for b in (first_batch, second_batch) for v in ("v", "w")
    )
    results = exp.get_results()
    assert results["batchId"] == second_batch
    assert [(b["batchId"], b["runs"]) for b in results["batches"]] == [
        (first_batch, 2),
        (second_batch, 2),
    ]
    assert [(v["name"], v["finished"], v["succeeded"]) for v in results["variants"]] == [
        ("v", 1, 1),
        ("w", 1, 1),
    ]
    older = api.get(
        f"/api/experiments/{exp.experiment_id}/results", params={"batch": first_batch}
    ).json()
    assert [(v["name"], v["succeeded"]) for v in older["variants"]] == [("v", 1), ("w", 0)]
    exp.close()
    client.close()
