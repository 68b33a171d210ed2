"""Integrations whose real packages cannot share ``.venv`` (issue 14): they need
protobuf 5.29 and the dev lock has protobuf 7 (the OpenTelemetry exporter).

``.venv-legacy/`` (gitignored, built by ``tests/_venvs.py`` from
``requirements/legacy.lock``, reused while that file is unchanged) holds the
legacy Google SDK ``google-generativeai`` 0.8.6 and AutoGen AgentChat 0.7.5 with
its OpenAI-compatible model client, plus this repository's ``sentrial``. A
workload script runs in it against a fresh local server and the LLM stand-in
(both in this process, over HTTP); everything is then read back from the server.

Token counts follow the stand-in's rule (a quarter of the characters, at least
1; OpenAI-style prompts add 3). Costs are written from the list prices:
gemini-2.0-flash $0.10 / $0.40 per million input / output tokens and $0.025
for cached input; gpt-4o-mini $0.15 / $0.60.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sentrial._server import LocalServer
from sentrial.testing import llm_stand_in

from . import _venvs
from .conftest import Reader

HERE = Path(__file__).parent
README = HERE.parent / "README.md"
QUESTION = "How do I reset my password?"
ANSWER = "Open Settings > Security and choose Reset password; the link lasts 1 hour."
REFUND = "I have started your refund; it will arrive within 5 business days."
GEMINI_IN, GEMINI_OUT, GEMINI_CACHED = 0.10e-6, 0.40e-6, 0.025e-6  # gemini-2.0-flash, per token
MINI_IN, MINI_OUT = 0.15e-6, 0.60e-6  # gpt-4o-mini, per token
# The README AutoGen block: the stand-in counts 36 prompt tokens in what AutoGen sends
# (its default system message and the task) and 5 in its reply.
EXPECTED_README_TOKENS = (36, 5)


@pytest.fixture(scope="session")
def legacy_python() -> str:
    try:
        return _venvs.legacy_python()
    except _venvs.VenvError as error:
        pytest.fail(f"cannot build .venv-legacy from requirements/legacy.lock: {error}")


def _run(python: str, script: str, tmp: Path) -> Iterator[tuple[dict[str, Any], Reader]]:
    """Runs ``script`` once in the legacy venv; (its JSON report, a reader)."""
    with LocalServer(":memory:") as server, llm_stand_in(set_environment=False) as llm:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRIAL_")}
        done = subprocess.run(
            [python, "-I", str(HERE / script), server.url, server.api_key, llm, str(tmp)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
        yield json.loads(done.stdout.splitlines()[-1]), Reader(server)


@pytest.fixture(scope="module")
def google(
    legacy_python: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, Any], Reader]]:
    yield from _run(legacy_python, "_legacy_google_workload.py", tmp_path_factory.mktemp("g"))


@pytest.fixture(scope="module")
def autogen(
    legacy_python: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, Any], Reader]]:
    yield from _run(legacy_python, "_autogen_workload.py", tmp_path_factory.mktemp("a"))


def _calls(reader: Reader, session_id: str) -> list[dict[str, Any]]:
    events = reader.events(session_id)
    assert {e["eventType"] for e in events} == {"llm_call"}
    return events


def _tokens(event: dict[str, Any]) -> tuple[int, int, int]:
    return event["promptTokens"], event["completionTokens"], event["cachedTokens"]


def test_legacy_generate_content(google: tuple[dict[str, Any], Reader]) -> None:
    report, reader = google
    seen = report["seen"]
    assert seen["same_object"] is seen["wrapped_once"] is seen["flushed"] is True
    # What the SDK returns is unchanged: its own type, text and usage.
    assert seen["generate"] == {
        "type": "GenerateContentResponse",
        "text": ANSWER,
        "same_as_unwrapped": True,
    }
    session_id = report["labels"]["generate"]
    (event,) = _calls(reader, session_id)
    assert event["model"] == "gemini-2.0-flash" and event["provider"] == "google"
    assert event["input"] == [
        {"role": "system", "content": "You are support."},
        {"role": "user", "content": QUESTION},
    ]
    assert event["output"] == ANSWER
    # 6 for the question + 4 for the system instruction, reported as implicitly cached
    assert _tokens(event) == (10, 18, 4)
    cost = 6 * GEMINI_IN + 4 * GEMINI_CACHED + 18 * GEMINI_OUT
    assert event["estimatedCost"] == pytest.approx(cost, rel=1e-9)
    session = reader.session(session_id)
    assert (session["promptTokens"], session["completionTokens"]) == (10, 18)
    assert session["estimatedCost"] == pytest.approx(cost, rel=1e-9)


def test_legacy_stream_recorded_once_iterated(google: tuple[dict[str, Any], Reader]) -> None:
    report, reader = google
    stream = report["seen"]["stream"]
    assert stream["type"] == "GenerateContentResponse"  # the SDK's own object, not a wrapper
    assert stream["chunks"] == [word + " " for word in REFUND.split(" ")[:-1]] + ["days."]
    (event,) = _calls(reader, report["labels"]["stream"])
    assert event["model"] == "gemini-2.0-flash"  # "models/" dropped for pricing
    assert event["input"] == [{"role": "user", "content": "refund?"}]
    assert event["output"] == REFUND  # the first chunk (read by the SDK at once) included
    assert _tokens(event) == (1, 16, 0)  # the last chunk's usage, not a sum
    assert event["estimatedCost"] == pytest.approx(GEMINI_IN + 16 * GEMINI_OUT, rel=1e-9)


def test_legacy_chat_turns_carry_the_history(google: tuple[dict[str, Any], Reader]) -> None:
    report, reader = google
    assert report["seen"]["chat"] == {"replies": [REFUND, ANSWER], "history": 4}
    session_id = report["labels"]["chat"]
    first, second = _calls(reader, session_id)
    assert first["input"] == [{"role": "user", "content": "refund please"}]
    assert first["output"] == REFUND and _tokens(first) == (3, 16, 0)
    assert second["input"] == [
        {"role": "user", "content": "refund please"},
        {"role": "model", "content": REFUND},
        {"role": "user", "content": QUESTION},
    ]
    assert second["output"] == ANSWER  # streamed, then resolved
    assert _tokens(second) == (3 + 16 + 6, 18, 0)
    session = reader.session(session_id)
    assert (session["promptTokens"], session["completionTokens"]) == (28, 34)
    cost = 28 * GEMINI_IN + 34 * GEMINI_OUT
    assert session["estimatedCost"] == pytest.approx(cost, rel=1e-9)


def test_legacy_async_calls_over_grpc(google: tuple[dict[str, Any], Reader]) -> None:
    report, reader = google
    assert report["seen"]["async"] == {
        "type": "AsyncGenerateContentResponse",
        "text": ANSWER,
        "chunks": [word + " " for word in REFUND.split(" ")[:-1]] + ["days."],
        "chat": REFUND,
    }
    session_id = report["labels"]["async"]
    events = _calls(reader, session_id)
    assert [e["input"][-1]["content"] for e in events] == [QUESTION, "refund?", "refund please"]
    assert [e["output"] for e in events] == [ANSWER, REFUND, REFUND]
    assert [_tokens(e) for e in events] == [(6, 18, 0), (1, 16, 0), (3, 16, 0)]
    cost = (6 + 1 + 3) * GEMINI_IN + (18 + 16 + 16) * GEMINI_OUT
    assert reader.session(session_id)["estimatedCost"] == pytest.approx(cost, rel=1e-9)


def test_legacy_errors_pass_through_and_are_recorded(
    google: tuple[dict[str, Any], Reader],
) -> None:
    report, reader = google
    assert report["seen"]["errors"] == ["InternalServerError", "TooManyRequests"]
    failed, limited = _calls(reader, report["labels"]["errors"])
    assert failed["model"] == "gemini-error" and limited["model"] == "gemini-2.0-flash"
    assert failed["toolError"]["type"] == "InternalServerError"
    assert failed["toolError"]["message"].startswith("500 POST ")
    assert limited["toolError"]["type"] == "TooManyRequests"
    assert limited["toolError"]["message"].endswith("stand-in RESOURCE_EXHAUSTED")
    assert failed.get("output") is None and failed.get("promptTokens") is None


def test_autogen_team_with_a_tool(autogen: tuple[dict[str, Any], Reader]) -> None:
    """A RoundRobinGroupChat of one AssistantAgent with a tool, through AutoGen's
    OpenAIChatCompletionClient: a tool call, its execution, then a reflection."""
    report, reader = autogen
    assert report["flushed"] is True
    assert report["messages"] == [
        "TextMessage",
        "ToolCallRequestEvent",
        "ToolCallExecutionEvent",
        "TextMessage",
    ]
    asked, tool, answered = reader.events(report["session"])
    assert [asked["eventType"], tool["eventType"], answered["eventType"]] == [
        "llm_call",
        "tool_call",
        "llm_call",
    ]
    # The model's client names its model: priced as gpt-4o-mini.
    assert asked["model"] == answered["model"] == "gpt-4o-mini"
    assert asked["output"] == [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    assert asked["metadata"] == {"agent": "weather_agent", "message_type": "ToolCallRequestEvent"}
    # system 7 + task 14 + 3; the stand-in counts its would-be text reply (15)
    assert (asked["promptTokens"], asked["completionTokens"]) == (24, 15)
    assert asked["estimatedCost"] == pytest.approx(24 * MINI_IN + 15 * MINI_OUT, rel=1e-9)
    assert tool["toolName"] == "get_weather" and tool["toolInput"] == {"city": "Paris"}
    assert tool["toolOutput"] == {"value": "Sunny in Paris, 21 C"}
    assert tool["metadata"] == {"call_id": "call_standin_get_weather"}
    assert answered["output"] == "Echo: Sunny in Paris, 21 C"
    # + the assistant's tool call turn (1) and the tool's result (5)
    assert (answered["promptTokens"], answered["completionTokens"]) == (30, 6)
    cost = 54 * MINI_IN + 21 * MINI_OUT
    session = reader.session(report["session"])
    assert session["status"] == "completed" and session["agentName"] == "autogen"
    assert session["userInput"] == 'What is the weather? [call:get_weather {"city": "Paris"}]'
    assert session["assistantOutput"] == "Echo: Sunny in Paris, 21 C"
    assert (session["promptTokens"], session["completionTokens"]) == (54, 21)
    assert session["estimatedCost"] == pytest.approx(cost, rel=1e-9)
    usage = report["usage"]
    assert {k: usage[k] for k in ("prompt_tokens", "completion_tokens", "llm_calls")} == {
        "prompt_tokens": 54,
        "completion_tokens": 21,
        "llm_calls": 2,
    }
    assert usage["tool_calls"] == 1 and usage["estimated_cost"] == pytest.approx(cost, rel=1e-9)


def _readme_legacy_blocks() -> list[str]:
    return re.findall(r"^```python legacy\n(.*?)^```", README.read_text(), re.S | re.M)


def _run_readme_block(
    python: str, marker: str, tmp: Path, llm_env: Callable[[str], dict[str, str]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """README's ``python legacy`` block holding ``marker``, as written, in the
    legacy venv against a fresh server and the stand-in (``llm_env(url)``
    points the framework at it): its one session and that session's events."""
    (code,) = [block for block in _readme_legacy_blocks() if marker in block]
    with LocalServer(":memory:") as server, llm_stand_in(set_environment=False) as llm:
        extra = llm_env(llm)
        prefixes = ("SENTRIAL_", *{name.split("_")[0] + "_" for name in extra})
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        env |= {
            "SENTRIAL_API_URL": server.url,
            "SENTRIAL_API_KEY": server.api_key,
            "SENTRIAL_SPOOL_DIR": str(tmp),
            "SENTRIAL_FAIL_SILENTLY": "false",
            **extra,
        }
        done = subprocess.run(
            [python, "-c", code], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-3000:]
        reader = Reader(server)
        (session,) = reader.sessions()
        return session, _calls(reader, session["id"])


def test_readme_block_for_the_legacy_sdk(legacy_python: str, tmp_path: Path) -> None:
    """README's legacy Gemini block: one generate_content."""
    session, (event,) = _run_readme_block(
        legacy_python,
        "google.generativeai",
        tmp_path,
        lambda llm: {"GEMINI_API_KEY": "readme-key", "GEMINI_ENDPOINT": llm},
    )
    assert session["agentName"] == "legacy-gemini" and session["status"] == "completed"
    assert session["assistantOutput"] == ANSWER
    assert _tokens(event) == (3, 18, 0)  # "password reset?" is 3 tokens
    assert session["estimatedCost"] == pytest.approx(3 * GEMINI_IN + 18 * GEMINI_OUT, rel=1e-9)


def test_readme_block_for_autogen(legacy_python: str, tmp_path: Path) -> None:
    """README's AutoGen block: one model reply."""
    session, (event,) = _run_readme_block(
        legacy_python,
        "autogen_agentchat",
        tmp_path,
        lambda llm: {"OPENAI_API_KEY": "sk-readme", "OPENAI_BASE_URL": llm + "/v1"},
    )
    assert (session["agentName"], session["status"]) == ("autogen-team", "completed")
    assert event["model"] == "gpt-4o-mini"
    tokens = (event["promptTokens"], event["completionTokens"])
    assert tokens == EXPECTED_README_TOKENS
    assert event["estimatedCost"] == pytest.approx(
        tokens[0] * MINI_IN + tokens[1] * MINI_OUT, rel=1e-9
    )
