"""Every operation through the generated sync and asyncio functions, over real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt

from sentrial_api import AuthenticatedClient
from sentrial_api.api.default import (
    create_event,
    create_session,
    get_health,
    get_session,
    list_session_events,
    list_sessions,
    submit_batch,
    update_session,
)
from sentrial_api.models import (
    BatchRequest,
    BatchResponse,
    CreateEventOperation,
    CreateSessionOperation,
    Error,
    Event,
    EventCreate,
    EventPage,
    EventType,
    Health,
    JsonObject,
    Session,
    SessionCreate,
    SessionPage,
    SessionStatusFilter,
    SessionStatusUpdate,
    SessionUpdate,
    UpdateSessionOperation,
)

from sentrial._server import LocalServer


def _client(server: LocalServer, key: str | None = None) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=server.url, token=key or server.api_key)


def _tool_input(query: str) -> JsonObject:
    obj = JsonObject()
    obj["query"] = query
    return obj


def test_sync_round_trip_of_every_operation(sentrial_server: LocalServer) -> None:
    client = _client(sentrial_server)
    health = get_health.sync(client=client)
    assert isinstance(health, Health) and health.status == "ok"

    started = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    created = create_session.sync(
        client=client,
        body=SessionCreate(
            name="n", agent_name="agent", user_id="u1", id="sess_sync1", started_at=started
        ),
    )
    assert isinstance(created, Session)
    assert created.id == "sess_sync1" and created.status == "active"
    assert created.started_at == started

    event = create_event.sync(
        client=client,
        body=EventCreate(
            session_id="sess_sync1",
            event_type=EventType.TOOL_CALL,
            tool_name="search",
            tool_input=_tool_input("q"),
            duration_ms=12.5,
        ),
    )
    assert isinstance(event, Event) and isinstance(event.id, str)
    assert event.id.startswith("evt_") and event.tool_name == "search"

    llm = create_event.sync(
        client=client,
        body=EventCreate(
            session_id="sess_sync1",
            event_type=EventType.LLM_CALL,
            model="gpt-4o",
            provider="openai",
            prompt_tokens=10,
            completion_tokens=5,
            cached_tokens=2,
            input_=[{"role": "user", "content": "hi"}],
            output="hello",
        ),
    )
    assert isinstance(llm, Event) and llm.model == "gpt-4o" and llm.output == "hello"
    assert llm.input_ == [{"role": "user", "content": "hi"}]

    updated = update_session.sync(
        "sess_sync1",
        client=client,
        body=SessionUpdate(
            status=SessionStatusUpdate.COMPLETED, success=True, estimated_cost=0.5, prompt_tokens=10
        ),
    )
    assert isinstance(updated, Session)
    assert updated.status == "completed" and updated.success is True
    assert updated.estimated_cost == 0.5

    fetched = get_session.sync("sess_sync1", client=client)
    assert isinstance(fetched, Session) and fetched.event_count == 2

    page = list_sessions.sync(
        client=client, agent_name="agent", status=SessionStatusFilter.COMPLETED
    )
    assert isinstance(page, SessionPage)
    assert [s.id for s in page.data] == ["sess_sync1"]

    events = list_session_events.sync("sess_sync1", client=client)
    assert isinstance(events, EventPage)
    assert [e.event_type for e in events.data] == ["tool_call", "llm_call"]

    batch = submit_batch.sync(
        client=client,
        body=BatchRequest(
            operations=[
                CreateSessionOperation(
                    op="createSession",
                    body=SessionCreate(
                        name="b", agent_name="agent", user_id="u2", id="sess_batch1"
                    ),
                ),
                CreateEventOperation(
                    op="createEvent",
                    body=EventCreate(
                        session_id="sess_batch1", event_type=EventType.ERROR, id="evt_batch1"
                    ),
                ),
                CreateEventOperation(
                    op="createEvent",
                    body=EventCreate(session_id="sess_missing", event_type=EventType.ERROR),
                ),
                UpdateSessionOperation(
                    op="updateSession",
                    session_id="sess_batch1",
                    body=SessionUpdate(status=SessionStatusUpdate.FAILED),
                ),
            ]
        ),
    )
    assert isinstance(batch, BatchResponse)
    assert [r.status for r in batch.results] == [200, 200, 404, 200]
    assert batch.results[1].id == "evt_batch1"


def test_errors_parse_as_typed_models(sentrial_server: LocalServer) -> None:
    bad_key = get_session.sync("sess_x", client=_client(sentrial_server, "wrong"))
    assert isinstance(bad_key, Error) and "API key" in bad_key.message
    missing = get_session.sync_detailed("sess_x", client=_client(sentrial_server))
    assert missing.status_code == 404 and isinstance(missing.parsed, Error)


def test_async_round_trip_of_every_operation(sentrial_server: LocalServer) -> None:
    async def scenario() -> None:
        async with _client(sentrial_server) as client:
            health = await get_health.asyncio(client=client)
            assert isinstance(health, Health)
            created = await create_session.asyncio(
                client=client, body=SessionCreate(name="n", agent_name="a", user_id="u")
            )
            assert isinstance(created, Session) and isinstance(created.id, str)
            sid = created.id
            event = await create_event.asyncio(
                client=client,
                body=EventCreate(
                    session_id=sid,
                    event_type=EventType.LLM_DECISION,
                    reasoning="why",
                    alternatives_considered=["a", "b"],
                    confidence=0.5,
                ),
            )
            assert isinstance(event, Event) and event.alternatives_considered == ["a", "b"]
            updated = await update_session.asyncio(
                sid, client=client, body=SessionUpdate(success=False, failure_reason="x")
            )
            assert isinstance(updated, Session) and updated.status == "failed"
            fetched = await get_session.asyncio(sid, client=client)
            assert isinstance(fetched, Session) and fetched.failure_reason == "x"
            page = await list_sessions.asyncio(client=client, user_id="u")
            assert isinstance(page, SessionPage) and page.data[0].id == sid
            events = await list_session_events.asyncio(sid, client=client)
            assert isinstance(events, EventPage) and events.data[0].id == event.id
            batch = await submit_batch.asyncio(
                client=client,
                body=BatchRequest(
                    operations=[
                        CreateEventOperation(
                            op="createEvent",
                            body=EventCreate(session_id=sid, event_type=EventType.STATE_CHANGE),
                        )
                    ]
                ),
            )
            assert isinstance(batch, BatchResponse) and batch.results[0].status == 200

    asyncio.run(scenario())


def test_responses_with_unknown_fields_and_values_still_parse() -> None:
    session = Session.from_dict(
        {
            "id": "sess_1",
            "name": "n",
            "agentName": "a",
            "userId": "u",
            "status": "archived",  # a status this SDK does not know yet
            "createdAt": "2026-01-01T00:00:00Z",
            "riskScore": 0.3,
        }
    )
    assert session.status == "archived"
    assert session.additional_properties == {"riskScore": 0.3}
    event = Event.from_dict(
        {
            "id": "evt_1",
            "sessionId": "sess_1",
            "eventType": "retrieval",
            "createdAt": "2026-01-01T00:00:00Z",
            "chunks": [1, 2],
        }
    )
    assert event.event_type == "retrieval" and event["chunks"] == [1, 2]
