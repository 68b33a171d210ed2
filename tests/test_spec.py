"""The OpenAPI document: valid, compatible with the documented API, drift-checked."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from sentrial._server import _spec
from sentrial._server._spec import SpecValidationError

# Bodies exactly as the published Sentrial SDK (0.6.0) sends them.
DOCUMENTED_BODIES: list[tuple[str, dict[str, Any]]] = [
    (
        "SessionCreate",
        {
            "name": "Request: How do I reset my password?...",
            "agentName": "my-custom-agent",
            "userId": "user_123",
            "metadata": {"source": "api"},
            "parentSessionId": None,
            "convoId": "convo_1",
        },
    ),
    (
        "SessionUpdate",
        {
            "status": "completed",
            "success": True,
            "failureReason": None,
            "estimatedCost": 0.023,
            "durationMs": 1234,
            "promptTokens": 120,
            "completionTokens": 45,
            "totalTokens": 165,
            "customMetrics": {"satisfaction": 4.5},
            "userInput": "hi",
            "assistantOutput": "hello",
        },
    ),
    ("SessionUpdate", {"status": "failed", "success": False, "failureReason": "boom"}),
    (
        "EventCreate",
        {
            "sessionId": "sess_abc",
            "eventType": "tool_call",
            "toolName": "search_database",
            "toolInput": {"query": "reset password"},
            "toolOutput": {"results": ["doc1"]},
            "reasoning": "Searching for relevant information",
            "estimatedCost": 0.0,
            "tokenCount": None,
            "traceId": None,
            "spanId": None,
            "metadata": {},
        },
    ),
    (
        "EventCreate",
        {
            "sessionId": "sess_abc",
            "eventType": "tool_call",
            "toolName": "send_email",
            "toolInput": {"to": "a@b.c"},
            "toolOutput": {"error": "smtp down"},
            "toolError": {"message": "smtp down", "type": "IOError", "stack_trace": "..."},
        },
    ),
    (
        "EventCreate",
        {
            "sessionId": "sess_abc",
            "eventType": "llm_decision",
            "reasoning": "User asked a question, will search then respond",
            "alternativesConsidered": ["direct_response", "clarify_question"],
            "confidence": 0.8,
            "estimatedCost": 0.0,
        },
    ),
    (
        "EventCreate",
        {
            "sessionId": "sess_abc",
            "eventType": "error",
            "toolName": "search_database",
            "toolError": {"message": "timeout", "type": "TimeoutError", "stack_trace": None},
        },
    ),
    # The published SDK's defaults: null for what the caller did not give.
    ("SessionCreate", {"name": "n", "agentName": "a", "userId": "u", "metadata": None}),
    (
        "EventCreate",
        {
            "sessionId": "sess_abc",
            "eventType": "llm_decision",
            "reasoning": "r",
            "alternativesConsidered": None,
            "confidence": None,
            "stateBefore": {},
            "stateAfter": {},
            "estimatedCost": 0.0,
        },
    ),
    # Looser than a strict reading, as loose as the documented API.
    ("SessionUpdate", {"promptTokens": 1.5, "customMetrics": {"label": "x"}, "durationMs": -1}),
    ("EventCreate", {"sessionId": "s", "eventType": "llm_decision", "confidence": 3}),
    (
        "EventCreate",
        {
            "sessionId": "sess_abc",
            "eventType": "state_change",
            "stateBefore": {"step": 1},
            "stateAfter": {"step": 2},
        },
    ),
]


def test_document_is_valid_openapi_31(root: Path) -> None:
    spec = yaml.safe_load((root / "openapi" / "sentrial.yaml").read_text())
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_documented_paths_and_methods(root: Path) -> None:
    paths = yaml.safe_load((root / "openapi" / "sentrial.yaml").read_text())["paths"]
    assert "post" in paths["/api/sdk/sessions"]
    assert "patch" in paths["/api/sdk/sessions/{id}"]
    assert "post" in paths["/api/sdk/events"]
    assert "post" in paths["/api/sdk/batch"]
    assert paths["/api/sdk/health"]["get"]["security"] == []


@pytest.mark.parametrize(("schema", "body"), DOCUMENTED_BODIES)
def test_documented_bodies_validate(schema: str, body: dict[str, Any]) -> None:
    _spec.component(schema).check(body)


@pytest.mark.parametrize(
    ("schema", "body", "field"),
    [
        ("SessionCreate", {"name": "n", "agentName": "a"}, "userId"),
        ("SessionCreate", {"name": "n", "agentName": "a", "userId": "u", "id": "bad"}, "id"),
        ("EventCreate", {"sessionId": "s", "eventType": "nope"}, "eventType"),
        ("EventCreate", {"sessionId": "s", "eventType": "error", "confidence": "hi"}, "confidence"),
        ("EventCreate", {"sessionId": "s", "eventType": "error", "metadata": [1]}, "metadata"),
        ("SessionUpdate", {"promptTokens": "12"}, "promptTokens"),
        ("SessionUpdate", {"status": "active"}, "status"),
    ],
)
def test_bad_bodies_name_the_field(schema: str, body: dict[str, Any], field: str) -> None:
    with pytest.raises(SpecValidationError, match=field):
        _spec.component(schema).check(body)


def _copy_project(root: Path, dest: Path) -> None:
    for name in ("openapi", "generated", "scripts"):
        shutil.copytree(root / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    generated_ts = Path("typescript", "src", "generated")
    shutil.copytree(root / generated_ts, dest / generated_ts)


def test_drift_check_fails_when_spec_changes_without_regenerating(
    root: Path, tmp_path: Path
) -> None:
    _copy_project(root, tmp_path)
    env_bin = {
        **os.environ,
        "VENV_BIN": str(root / ".venv" / "bin"),
        "TS_BIN": str(root / "typescript" / "node_modules" / ".bin"),
    }
    check = [str(tmp_path / "scripts" / "check-generated.sh")]
    clean = subprocess.run(check, capture_output=True, text=True, env=env_bin, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    spec_path = tmp_path / "openapi" / "sentrial.yaml"
    spec_path.write_text(
        spec_path.read_text().replace(
            '        reasoning: {type: [string, "null"]}\n        alternativesConsidered:',
            '        reasoning: {type: [string, "null"]}\n        mood: {type: string}\n'
            "        alternativesConsidered:",
            1,
        )
    )
    drifted = subprocess.run(check, capture_output=True, text=True, env=env_bin, check=False)
    assert drifted.returncode != 0
    assert "mood" in drifted.stdout
    assert "make generate" in drifted.stderr
