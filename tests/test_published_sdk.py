"""The published Sentrial SDK (0.6.0, from PyPI) against ``sentrial serve`` (issue 12).

A test-only venv, ``.venv-published/`` at the repository root (gitignored), holds
``sentrial[async]==0.6.0`` with the dependency versions of
``requirements/dev.lock``; it is created on first use (a minute at most) and
reused afterwards. ``_published_sdk_workload.py`` runs in it and calls every
request-making method of that SDK; everything it sent must have been answered
200 and must read back, field by field, through the read endpoints.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sentrial._server import LocalServer
from sentrial._server._pii import pii_config

from . import _venvs
from .conftest import ROOT, Reader

PUBLISHED = "sentrial[async]==0.6.0"
VENV = ROOT / ".venv-published"
WORKLOAD = Path(__file__).with_name("_published_sdk_workload.py")


def _install(python: str) -> None:
    """Exactly PUBLISHED, with the dependency versions of the dev lock."""
    _venvs.pip_install(python, "-c", str(ROOT / "requirements" / "dev.lock"), PUBLISHED)


@pytest.fixture(scope="session")
def published_python() -> Iterator[str]:
    """The Python of the venv holding the published SDK, created if missing."""
    try:
        python = _venvs.ensure(VENV.name, PUBLISHED + "\n", _install)
    except _venvs.VenvError as error:
        pytest.fail(f"cannot install {PUBLISHED} from the package index: {error}")
    yield python


# The server's PII settings: the defaults plus a pattern of its own, so the
# test can tell that the SDK used the server's answer.
PII = pii_config({"customPatterns": [{"pattern": r"ORD-\d+", "label": "ORDER"}]})


@pytest.fixture(scope="module")
def run(published_python: str) -> Iterator[tuple[dict[str, Any], Reader]]:
    """Runs the workload once against a fresh server; (its report, a reader)."""
    with LocalServer(":memory:", pii_config=PII) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRIAL_")}
        done = subprocess.run(
            [published_python, "-I", str(WORKLOAD), server.url, server.api_key],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            cwd=str(WORKLOAD.parent),
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
        report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
        yield report, Reader(server)


def _same(stored: dict[str, Any], sent: dict[str, Any], where: str) -> None:
    for key, value in sent.items():
        if value is None:  # null means absent
            assert stored.get(key) is None, (where, key, stored.get(key))
        else:
            assert stored.get(key) == value, (where, key, stored.get(key), value)


def test_no_request_of_the_published_sdk_is_refused(run: tuple[dict[str, Any], Reader]) -> None:
    report, _ = run
    refused = [(r["method"], r["path"], r["status"], r["answer"]) for r in report["log"]]
    refused = [r for r in refused if r[2] != 200]
    assert refused == []
    paths = Counter((r["method"], r["path"].rsplit("/", 1)[0]) for r in report["log"])
    assert paths[("GET", "/api/sdk")] == 1  # pii-config, asked once
    assert paths[("POST", "/api/sdk")] >= 30 and paths[("PATCH", "/api/sdk/sessions")] >= 20


def test_everything_it_sent_reads_back(run: tuple[dict[str, Any], Reader]) -> None:
    report, reader = run
    sent_events: Counter[str] = Counter()
    sessions = 0
    for request in report["log"]:
        method, path, body, answer = (request[k] for k in ("method", "path", "body", "answer"))
        if (method, path) == ("POST", "/api/sdk/sessions"):
            sessions += 1
            _same(reader.session(answer["id"]), body, f"session {answer['id']}")
        elif method == "PATCH":
            session_id = path.rsplit("/", 1)[1]
            stored = reader.session(session_id)
            _same(stored, body, f"update of {session_id}")
            assert stored["completedAt"] is not None
        elif (method, path) == ("POST", "/api/sdk/events"):
            sent_events[body["sessionId"]] += 1
            (stored,) = [e for e in reader.events(body["sessionId"]) if e["id"] == answer["id"]]
            _same(stored, body, f"event {answer['id']}")
    for session_id, count in sent_events.items():
        assert len(reader.events(session_id)) == count, session_id  # no more, no fewer
    assert len(reader.sessions()) == sessions


def test_every_kind_of_call_was_made(run: tuple[dict[str, Any], Reader]) -> None:
    """The workload did what it claims: the defaults the published SDK sends
    (nulls), every event type, with and without optional fields."""
    report, _ = run
    bodies = [(r["path"], r["body"]) for r in report["log"] if r["method"] == "POST"]
    sessions = [b for p, b in bodies if p == "/api/sdk/sessions"]
    events = [b for p, b in bodies if p == "/api/sdk/events"]
    assert any(b["metadata"] is None for b in sessions)
    assert any(b.get("parentSessionId") and b.get("convoId") for b in sessions)
    decisions = [b for b in events if b["eventType"] == "llm_decision"]
    assert any(b["alternativesConsidered"] is None for b in decisions)
    assert any(b["alternativesConsidered"] and b.get("traceId") for b in decisions)
    assert {b["eventType"] for b in events} == {"tool_call", "llm_decision", "error"}
    assert any(b.get("toolError") and b.get("tokenCount") for b in events)


def test_labelled_sessions(run: tuple[dict[str, Any], Reader]) -> None:
    report, reader = run
    labels = report["labels"]

    bare = reader.session(labels["bare"])
    assert bare["status"] == "completed" and bare["success"] is True
    assert "metadata" not in bare
    assert [e["eventType"] for e in reader.events(labels["bare"])] == [
        "tool_call",
        "llm_decision",
        "error",
    ]
    full = reader.session(labels["full"])
    assert full["status"] == "failed" and full["failureReason"] == "no agent available"
    assert full["metadata"] == {"tier": "gold", "n": 1, "nested": {"list": [1, "two", None]}}
    assert full["customMetrics"] == {"quality": 4.5, "steps": 3}
    assert full["parentSessionId"] == labels["bare"] and full["convoId"] == "convo-1"
    rolled = reader.session(labels["rolled"])
    assert rolled["estimatedCost"] == 0.25 and rolled["totalTokens"] == 9
    assert rolled["promptTokens"] == 3 and rolled["completionTokens"] == 4

    assert reader.session(labels["legacy"])["status"] == "completed"
    assert reader.session(labels["legacy_failed"])["failureReason"] == "gave up"
    begun = reader.session(labels["begin_full"])
    assert begun["agentName"] == "chat" and begun["convoId"] == "convo-2"
    assert begun["metadata"] == {
        "channel": "web",
        "input": "hello there",
        "convo_id": "convo-2",
        "event_id": "evt-fixed-0001",
    }
    assert begun["userInput"] == "hello there" and begun["assistantOutput"] == "sorry"
    assert len(reader.events(labels["begin_full"])) == 3
    assert reader.session(labels["ctx_ok"])["assistantOutput"] == "done"
    failed = reader.session(labels["ctx_failed"])
    assert failed["status"] == "failed" and failed["failureReason"] == "ValueError: nope"

    assert reader.session(labels["module"])["assistantOutput"] == "module done"
    deco = reader.session(labels["deco"])
    assert deco["agentName"] == "deco-agent" and deco["assistantOutput"] == "handled question"
    tool, error = reader.events(labels["deco"])
    assert tool["toolName"] == "add" and tool["toolInput"] == {"a": 1, "b": 2}
    assert tool["toolOutput"] == {"result": 3}
    assert error["toolName"] == "divide" and error["toolError"]["type"] == "ZeroDivisionError"
    exploded = reader.session(labels["deco_failed"])
    assert exploded["status"] == "failed" and exploded["failureReason"].startswith("KeyError")
    assert reader.session(labels["deco_async"])["status"] == "completed"
    assert reader.session(labels["session_context"])["assistantOutput"] == "ctx output"

    async_full = reader.session(labels["async_full"])
    assert async_full["metadata"] == {"async": True} and async_full["totalTokens"] == 11
    assert len(reader.events(labels["async_full"])) == 3
    async_begin = reader.session(labels["async_begin"])
    assert async_begin["promptTokens"] == 10 and async_begin["assistantOutput"] == "async answer"
    assert reader.session(labels["async_ctx"])["status"] == "completed"
    assert reader.session(labels["async_module"])["customMetrics"] == {"k": 1.5}

    # pii=True: the SDK took the server's settings (its custom pattern too).
    assert labels["pii_mode"] == "label" and labels["pii_custom_labels"] == "ORDER"
    pii = reader.session(labels["pii"])
    assert pii["metadata"] == {"email": "[EMAIL]", "order": "[ORDER]"}
    assert pii["userInput"] == "call me at [PHONE]"
    (mail,) = reader.events(labels["pii"])
    assert mail["toolInput"] == {"to": "[EMAIL]"} and mail["toolOutput"] == {
        "sent": "to [IP_ADDRESS]"
    }

    batched = reader.events(labels["batched"])
    assert [e["toolName"] for e in batched if e["eventType"] == "tool_call"] == [
        *["step"] * 5,
        "after-flush",
    ]
    assert reader.session(labels["batched"])["status"] == "completed"
    ticks = reader.events(labels["batched_config"])
    assert sorted(e["toolInput"]["n"] for e in ticks) == list(range(7))
    assert reader.session(labels["batched_config"])["estimatedCost"] == 0.07
