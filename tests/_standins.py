"""Stand-ins for Sentrial servers that are not ours.

The hosted API documents three endpoints and promises little about its
answers. ``StandIn`` answers the way such a server may: ids of its own, no
batch endpoint, no health endpoint (or one without capabilities), 201/202/204,
fewer or extra fields, other status strings, latency, and, when strict,
400 for any field or event type the documented API and the published SDK
never send. The field lists below are written from the documentation
(``shared/notes/sentrial-api.md``), not from the SDK, on purpose.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

DOCUMENTED_FIELDS = {
    "session": {"name", "agentName", "userId", "metadata", "parentSessionId", "convoId"},
    "update": {
        "status",
        "success",
        "failureReason",
        "estimatedCost",
        "durationMs",
        "promptTokens",
        "completionTokens",
        "totalTokens",
        "customMetrics",
        "userInput",
        "assistantOutput",
    },
    "event": {
        "sessionId",
        "eventType",
        "toolName",
        "toolInput",
        "toolOutput",
        "toolError",
        "reasoning",
        "alternativesConsidered",
        "confidence",
        "estimatedCost",
        "tokenCount",
        "traceId",
        "spanId",
        "metadata",
        "stateBefore",
        "stateAfter",
    },
}
DOCUMENTED_EVENT_TYPES = {"tool_call", "llm_decision", "state_change", "error"}
OBJECT_FIELDS = {"metadata", "toolInput", "toolOutput", "toolError", "stateBefore", "stateAfter"}


@dataclass
class Behaviour:
    """How a stand-in answers; the defaults are the documented API, strictly."""

    answer: str = "documented"  # documented | id_only | no_created_at | extra_fields | other_status
    create_status: int = 200
    update_status: int = 200  # 204: empty body
    event_status: int = 200
    strict: bool = True  # 400 for undocumented fields, event types and field types
    health: dict[str, Any] | None = None  # None: no health endpoint (404)
    latency: float = 0.0
    # (status, Retry-After) answered to the first requests, one per entry
    faults: list[tuple[int, str | None]] = field(default_factory=list)
    poison: bytes | None = None  # a body containing it is answered poison_status, every time
    poison_status: int = 500
    # POST /api/sdk/batch (our format) with ids of its own: a server may
    # advertise "batch" without "client_ids"
    batch: bool = False


class StandIn:
    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.sessions: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        # (method, path, body, monotonic time received, status answered)
        self.requests: list[tuple[str, str, bytes, float, int]] = []
        self.rejections: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.fault_answered_at: list[float] = []
        self._lock = threading.Lock()
        self._counter = 0

    def events_of(self, session_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["sessionId"] == session_id]

    def paths(self) -> list[str]:
        return [f"{method} {path}" for method, path, *_ in self.requests]

    def _record(self, on: str, body: dict[str, Any]) -> dict[str, Any]:
        """The stored record plus what this stand-in's answers add."""
        b = self.behaviour
        if b.answer == "id_only":
            return {"id": body["id"]}
        out = dict(body)
        if b.answer != "no_created_at":
            out["createdAt"] = "2026-01-01T00:00:00Z"
        if b.answer == "extra_fields":
            out.update({"region": "eu", "_links": {"self": "/x"}, "version": 7})
        if b.answer == "other_status" and on != "event":
            out["status"] = {"active": "running", "completed": "done", "failed": "errored"}.get(
                str(out.get("status")), "queued"
            )
        return out

    def _check(self, on: str, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "body: expected an object"
        if not self.behaviour.strict:
            return None
        for key, value in body.items():
            if key not in DOCUMENTED_FIELDS[on]:
                return f"{key}: unknown field"
            if key in OBJECT_FIELDS and value is not None and not isinstance(value, dict):
                return f"{key}: expected an object"
        if on == "event" and body.get("eventType") not in DOCUMENTED_EVENT_TYPES:
            return f"eventType: {body.get('eventType')!r} is not a documented event type"
        if on == "session" and not all(isinstance(body.get(k), str) for k in ("name", "userId")):
            return "name/userId: required"
        return None

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route

        def answer(status: int, payload: Any) -> Response:
            if status == 204:
                return Response(status_code=204)
            return JSONResponse(payload, status)

        async def handle(request: Request) -> Response:
            raw = await request.body()
            received = time.monotonic()
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if self.behaviour.latency:
                    await asyncio.sleep(self.behaviour.latency)
                with self._lock:
                    response: Response = self._answer(request, raw, answer)
                    self.requests.append(
                        (request.method, request.url.path, raw, received, response.status_code)
                    )
                return response
            finally:
                with self._lock:
                    self.in_flight -= 1

        routes = [
            Route("/api/sdk/sessions", handle, methods=["POST"]),
            Route("/api/sdk/sessions/{id}", handle, methods=["PATCH"]),
            Route("/api/sdk/events", handle, methods=["POST"]),
        ]

        async def dump(request: Request) -> Response:
            """What was stored, for a stand-in running in another process."""
            with self._lock:
                return JSONResponse(
                    {
                        "sessions": self.sessions,
                        "events": self.events,
                        "rejections": self.rejections,
                    }
                )

        async def batch(request: Request) -> Response:
            raw = await request.body()
            with self._lock:
                answered = self._batch(raw)
                self.requests.append(("POST", "/api/sdk/batch", raw, time.monotonic(), 200))
            return JSONResponse(answered)

        if self.behaviour.batch:
            routes.append(Route("/api/sdk/batch", batch, methods=["POST"]))
        routes.append(Route("/_standin/dump", dump))
        if self.behaviour.health is not None:
            health = self.behaviour.health
            routes.append(Route("/api/sdk/health", lambda _: JSONResponse(health)))
        return Starlette(routes=routes)

    def _answer(self, request: Any, raw: bytes, answer: Any) -> Any:
        b = self.behaviour
        if b.faults:
            status, retry_after = b.faults.pop(0)
            self.fault_answered_at.append(time.monotonic())
            response = answer(status, {"error": "Injected", "message": "stand-in fault"})
            if retry_after is not None:
                response.headers["Retry-After"] = retry_after
            return response
        if b.poison is not None and b.poison in raw:
            return answer(b.poison_status, {"error": "Failing", "message": "poison"})
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return answer(400, {"error": "Bad Request", "message": "body: not JSON"})
        path = request.url.path
        on = "event" if path == "/api/sdk/events" else "session"
        if request.method == "PATCH":
            on = "update"
        return answer(*self._store(on, body, request.path_params.get("id")))

    def _store(self, on: str, body: Any, sid: str | None) -> tuple[int, Any]:
        """Check and store one operation: the status and body to answer."""
        b = self.behaviour
        problem = self._check(on, body)
        if problem is not None:
            self.rejections.append(problem)
            return 400, {"error": "Bad Request", "message": problem}
        if on == "session":
            self._counter += 1
            sid = f"srv-{self._counter}"  # not even our id format
            self.sessions[sid] = {**body, "id": sid, "status": "active"}
            return b.create_status, self._record(on, self.sessions[sid])
        if on == "update":
            if sid not in self.sessions:
                return 404, {"error": "Not Found", "message": f"session {sid}"}
            self.sessions[sid].update(body)
            return b.update_status, self._record(on, self.sessions[sid])
        if body.get("sessionId") not in self.sessions:
            return 404, {"error": "Not Found", "message": "session"}
        self._counter += 1
        event = {**body, "id": f"ev-{self._counter}"}
        self.events.append(event)
        return b.event_status, self._record(on, event)

    def _batch(self, raw: bytes) -> dict[str, Any]:
        """Our batch format, with this server's own ids: a client's session id
        in a createEvent names no session here (404), as on any such server."""
        on = {"createSession": "session", "updateSession": "update", "createEvent": "event"}
        results = []
        for index, op in enumerate(orjson.loads(raw)["operations"]):
            status, payload = self._store(on[op["op"]], op["body"], op.get("sessionId"))
            result: dict[str, Any] = {"index": index, "status": status}
            if status < 300:
                result["id"] = payload.get("id") if isinstance(payload, dict) else None
            else:
                result["message"] = payload["message"]
            results.append(result)
        return {"results": results}
