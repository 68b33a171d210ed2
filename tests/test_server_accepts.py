"""The local server accepts what real clients send (issue 12).

Every body the documented Sentrial API accepts and every body the published
SDK (0.6.0) sends is stored and read back: ``null`` in an optional field means
absent, numbers follow the documented API (not stricter), undeclared fields
are kept, and ``GET /api/sdk/pii-config`` answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sentrial_api.models import Event, Session

from sentrial._server import LocalServer, _spec
from sentrial._server._pii import DEFAULT_PII_CONFIG, PiiConfigError, load_pii_config

from .conftest import Reader

SESSION = {"name": "n", "agentName": "agent", "userId": "u"}
EVENT_TYPES = ["tool_call", "llm_decision", "state_change", "error", "llm_call"]


def _http(server: LocalServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.api_key}"})


@pytest.fixture
def http(sentrial_server: LocalServer) -> httpx.Client:
    return _http(sentrial_server)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _optional_fields(schema: str) -> list[str]:
    component = _spec.load_spec()["components"]["schemas"][schema]
    required = set(component.get("required", []))
    return [name for name in component["properties"] if name not in required]


# -- null means absent -------------------------------------------------------------


def test_create_session_with_null_metadata_as_the_published_sdk_sends_it(
    http: httpx.Client, reader: Reader
) -> None:
    created = _ok(http.post("/api/sdk/sessions", json={**SESSION, "metadata": None}))
    stored = reader.session(created["id"])
    assert stored["name"] == "n" and stored["agentName"] == "agent" and stored["userId"] == "u"
    assert "metadata" not in stored


def test_decision_with_null_alternatives_as_the_published_sdk_sends_it(
    http: httpx.Client, reader: Reader
) -> None:
    sid = _ok(http.post("/api/sdk/sessions", json=SESSION))["id"]
    body = {
        "sessionId": sid,
        "eventType": "llm_decision",
        "reasoning": "pick one",
        "alternativesConsidered": None,
        "confidence": None,
        "stateBefore": {},
        "stateAfter": {},
        "estimatedCost": 0.0,
    }
    _ok(http.post("/api/sdk/events", json=body))
    (event,) = reader.events(sid)
    assert event["reasoning"] == "pick one" and event["estimatedCost"] == 0.0
    assert "alternativesConsidered" not in event and event.get("confidence") is None


def test_null_in_every_optional_field_means_absent(http: httpx.Client, reader: Reader) -> None:
    nulls = dict.fromkeys(_optional_fields("SessionCreate"))
    created = _ok(http.post("/api/sdk/sessions", json={**SESSION, **nulls}))
    sid = created["id"]
    assert sid.startswith("sess_")  # "id": null is no id: the server picks one
    for event_type in EVENT_TYPES:
        body = {
            "sessionId": sid,
            "eventType": event_type,
            **dict.fromkeys(_optional_fields("EventCreate")),
        }
        event = _ok(http.post("/api/sdk/events", json=body))
        assert event["id"].startswith("evt_")
    _ok(
        http.patch(
            f"/api/sdk/sessions/{sid}", json=dict.fromkeys(_optional_fields("SessionUpdate"))
        )
    )
    stored = reader.session(sid)
    assert stored["status"] == "active"  # an update of nothing but nulls changes nothing
    assert stored["completedAt"] is None and stored["eventCount"] == len(EVENT_TYPES)
    for event in reader.events(sid):
        assert {k for k, v in event.items() if v is not None} == {
            "id",
            "sessionId",
            "eventType",
            "createdAt",
            "timestamp",
        }


def test_null_fields_in_a_tool_error_and_a_batch(http: httpx.Client, reader: Reader) -> None:
    ops = [
        {"op": "createSession", "body": {**SESSION, "id": "sess_nb", "metadata": None}},
        {
            "op": "createEvent",
            "body": {
                "sessionId": "sess_nb",
                "eventType": "error",
                "toolError": {"message": None, "type": None, "stack_trace": None},
                "toolInput": None,
            },
        },
        {
            "op": "updateSession",
            "sessionId": "sess_nb",
            "body": {"status": None, "success": False, "customMetrics": None},
        },
    ]
    results = _ok(http.post("/api/sdk/batch", json={"operations": ops}))["results"]
    assert [r["status"] for r in results] == [200, 200, 200], results
    assert reader.session("sess_nb")["status"] == "failed"
    (event,) = reader.events("sess_nb")
    assert "toolInput" not in event
    assert event["toolError"] == {"message": None, "type": None, "stack_trace": None}


def test_a_replay_with_null_for_absent_is_the_same_body(http: httpx.Client) -> None:
    first = _ok(http.post("/api/sdk/sessions", json={**SESSION, "id": "sess_rn"}))
    again = _ok(http.post("/api/sdk/sessions", json={**SESSION, "id": "sess_rn", "metadata": None}))
    assert first == again


# -- the documented API's types, not stricter ones ---------------------------------


def test_numbers_as_loose_as_the_documented_api(http: httpx.Client, reader: Reader) -> None:
    sid = _ok(http.post("/api/sdk/sessions", json=SESSION))["id"]
    event = {
        "sessionId": sid,
        "eventType": "llm_decision",
        "confidence": 7,
        "estimatedCost": -0.25,
        "tokenCount": 2.5,
    }
    _ok(http.post("/api/sdk/events", json=event))
    update = {
        "status": "completed",
        "promptTokens": 1.5,
        "completionTokens": 0.5,
        "totalTokens": 2.0,
        "estimatedCost": -1.0,
        "durationMs": -3,
        "customMetrics": {"label": "good", "steps": [1, 2], "nested": {"a": None}, "n": 4.5},
    }
    _ok(http.patch(f"/api/sdk/sessions/{sid}", json=update))
    stored = reader.session(sid)
    for key, value in update.items():
        assert stored[key] == value, key
    (stored_event,) = reader.events(sid)
    for key, value in event.items():
        assert stored_event[key] == value, key


def test_undeclared_fields_are_kept_and_returned(http: httpx.Client, reader: Reader) -> None:
    session = {
        **SESSION,
        "id": "sess_extra",
        "team": {"name": "support", "size": 3},
        "tags": ["a", "b"],
        "status": "hacked",  # a field of the record: the record's own value wins
        "eventCount": "many",
    }
    _ok(http.post("/api/sdk/sessions", json=session))
    event = {"sessionId": "sess_extra", "eventType": "tool_call", "mood": ["calm"], "createdAt": 1}
    _ok(http.post("/api/sdk/events", json=event))
    _ok(
        http.patch(
            "/api/sdk/sessions/sess_extra",
            json={"success": True, "reviewer": "ana", "name": "renamed", "eventCount": 9},
        )
    )
    stored = reader.session("sess_extra")
    assert stored["team"] == {"name": "support", "size": 3} and stored["tags"] == ["a", "b"]
    assert stored["reviewer"] == "ana"
    assert stored["status"] == "completed" and stored["eventCount"] == 1
    assert stored["name"] == "n"
    (listed,) = reader.sessions(agentName="agent")
    assert listed == stored
    (stored_event,) = reader.events("sess_extra")
    assert stored_event["mood"] == ["calm"]
    assert isinstance(stored_event["createdAt"], str)
    _spec.component("Session").check(stored)
    _spec.component("Event").check(stored_event)


# -- response schemas a plain server's answers fit ----------------------------------


def test_response_schemas_require_nothing_the_documented_api_does_not_promise() -> None:
    schemas = _spec.load_spec()["components"]["schemas"]
    assert "required" not in schemas["Session"]
    assert "required" not in schemas["Event"]
    # A plain server's lean answers parse with the generated models.
    assert Session.from_dict({"id": "sess_1"}).id == "sess_1"
    assert Event.from_dict({"id": "evt_1", "sessionId": "sess_1"}).session_id == "sess_1"
    assert Session.from_dict({"id": "s", "status": "done", "totalTokens": 1.5}).total_tokens == 1.5


# -- GET /api/sdk/pii-config ----------------------------------------------------------


def test_pii_config_default(http: httpx.Client) -> None:
    body = _ok(http.get("/api/sdk/pii-config"))
    _spec.component("PiiConfigResponse").check(body)
    config = body["config"]
    assert config == DEFAULT_PII_CONFIG
    assert config["enabled"] is True and config["mode"] == "label"
    assert set(config["builtinPatterns"].values()) == {True}
    assert {"userInput", "assistantOutput", "toolInput", "toolOutput", "metadata"} <= set(
        config["fields"]
    )


def test_pii_config_needs_the_key(sentrial_server: LocalServer) -> None:
    r = httpx.get(sentrial_server.url + "/api/sdk/pii-config")
    assert r.status_code == 401 and set(r.json()) == {"error", "message"}


def test_pii_config_is_in_the_document() -> None:
    operation = _spec.load_spec()["paths"]["/api/sdk/pii-config"]["get"]
    assert operation["operationId"] == "getPiiConfig"


def test_pii_config_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "pii.json"
    custom = {
        "enabled": True,
        "mode": "hash",
        "fields": ["userInput"],
        "builtinPatterns": {"emails": True, "phones": False},
        "customPatterns": [{"pattern": r"ORD-\d+", "label": "ORDER"}],
    }
    path.write_text(json.dumps(custom))
    config = load_pii_config(str(path))
    assert config["mode"] == "hash" and config["fields"] == ["userInput"]
    assert config["builtinPatterns"]["phones"] is False
    assert config["builtinPatterns"]["ssns"] is True  # unset: the default
    with LocalServer(pii_config=config) as server:
        assert _ok(_http(server).get("/api/sdk/pii-config"))["config"] == config


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "cannot read"),
        ("{not json", "not JSON"),
        ("[]", "object"),
        ('{"mode": "shout"}', "mode"),
        ('{"customPatterns": [{"pattern": "(", "label": "X"}]}', "customPatterns[0].pattern"),
        ('{"fields": "userInput"}', "fields"),
    ],
)
def test_a_bad_pii_config_file_is_one_clear_error(
    tmp_path: Path, content: str | None, words: str
) -> None:
    path = tmp_path / "pii.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PiiConfigError) as caught:
        load_pii_config(str(path))
    message = str(caught.value)
    assert words in message and "\n" not in message and str(path) in message


# -- property-based: any body of the documented request schemas ---------------------
#
# The schemas below are written from the documented API (shared notes), not from
# openapi/sentrial.yaml: every optional field may be absent or null, numbers are
# any JSON numbers, objects hold any JSON, and undeclared fields (named apart
# from this server's extensions) come along.

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_NUMBER = st.integers() | st.floats(allow_nan=False, allow_infinity=False)
_JSON = st.recursive(
    st.none() | st.booleans() | _NUMBER | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)
_OBJECT = st.dictionaries(_TEXT, _JSON, max_size=3)
_EXTRA = st.dictionaries(st.from_regex(r"x_[a-z]{1,6}", fullmatch=True), _JSON, max_size=2)


def _nullable(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _body(
    required: dict[str, st.SearchStrategy[Any]], optional: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    fields = st.fixed_dictionaries(
        required, optional={k: _nullable(v) for k, v in optional.items()}
    )
    return st.tuples(fields, _EXTRA).map(lambda pair: {**pair[1], **pair[0]})


DOCUMENTED_SESSION = _body(
    {"name": _TEXT, "agentName": _TEXT, "userId": _TEXT},
    {"metadata": _OBJECT, "parentSessionId": _TEXT, "convoId": _TEXT},
)
DOCUMENTED_UPDATE = _body(
    {},
    {
        "status": st.sampled_from(["completed", "failed"]),
        "success": st.booleans(),
        "failureReason": _TEXT,
        "estimatedCost": _NUMBER,
        "durationMs": _NUMBER,
        "promptTokens": _NUMBER,
        "completionTokens": _NUMBER,
        "totalTokens": _NUMBER,
        "customMetrics": _OBJECT,
        "userInput": _TEXT,
        "assistantOutput": _TEXT,
    },
)
DOCUMENTED_EVENT = _body(
    {"eventType": st.sampled_from(["tool_call", "llm_decision", "state_change", "error"])},
    {
        "toolName": _TEXT,
        "toolInput": _OBJECT,
        "toolOutput": _OBJECT,
        "toolError": st.fixed_dictionaries(
            {}, optional={k: _nullable(_TEXT) for k in ("message", "type", "stack_trace")}
        ),
        "reasoning": _TEXT,
        "alternativesConsidered": st.lists(_TEXT, max_size=3),
        "confidence": _NUMBER,
        "estimatedCost": _NUMBER,
        "tokenCount": _NUMBER,
        "traceId": _TEXT,
        "spanId": _TEXT,
        "metadata": _OBJECT,
        "stateBefore": _OBJECT,
        "stateAfter": _OBJECT,
    },
)


@pytest.fixture(scope="module")
def documented_server() -> Iterator[tuple[httpx.Client, Reader, str]]:
    with LocalServer(":memory:") as server:
        http = _http(server)
        session_id = _ok(http.post("/api/sdk/sessions", json=SESSION))["id"]
        yield http, Reader(server), session_id


def _stored_as_sent(stored: dict[str, Any], sent: dict[str, Any]) -> None:
    for key, value in sent.items():
        if key == "status":  # a column of its own, checked apart
            continue
        if value is None:
            assert stored.get(key) is None, key
        else:
            assert stored[key] == value, key


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@_SETTINGS
@given(body=DOCUMENTED_SESSION)
def test_any_documented_session_body_is_stored(
    documented_server: tuple[httpx.Client, Reader, str], body: dict[str, Any]
) -> None:
    http, reader, _ = documented_server
    created = _ok(http.post("/api/sdk/sessions", content=json.dumps(body)))
    _stored_as_sent(reader.session(created["id"]), body)


@_SETTINGS
@given(body=DOCUMENTED_EVENT)
def test_any_documented_event_body_is_stored(
    documented_server: tuple[httpx.Client, Reader, str], body: dict[str, Any]
) -> None:
    http, reader, session_id = documented_server
    body = {**body, "sessionId": session_id}
    created = _ok(http.post("/api/sdk/events", content=json.dumps(body)))
    (stored,) = [e for e in reader.events(session_id) if e["id"] == created["id"]]
    _stored_as_sent(stored, body)


@_SETTINGS
@given(body=DOCUMENTED_UPDATE)
def test_any_documented_update_body_is_stored(
    documented_server: tuple[httpx.Client, Reader, str], body: dict[str, Any]
) -> None:
    http, reader, _ = documented_server
    status, success = body.get("status"), body.get("success")
    # The one refusal: a body contradicting itself (422, see SessionUpdate).
    assume(status is None or success is None or (status == "completed") == success)
    session_id = _ok(http.post("/api/sdk/sessions", json=SESSION))["id"]
    _ok(http.patch(f"/api/sdk/sessions/{session_id}", content=json.dumps(body)))
    stored = reader.session(session_id)
    _stored_as_sent(stored, body)
    if status is not None:
        assert stored["status"] == status
