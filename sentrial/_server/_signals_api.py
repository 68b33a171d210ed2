"""``GET /api/signals`` (and the diagnosis of a session): the HTTP side of
:mod:`._signals` and :mod:`._diagnosis`, behind the API's key check."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ._diagnosis import diagnose
from ._signals import Classifier, settle, signal_store
from ._storage import Storage

# ``SENTRIAL_SIGNALS=off`` stores no signals (the ingest benchmark's baseline).
SIGNALS_ENV = "SENTRIAL_SIGNALS"


def classification_enabled() -> bool:
    return os.environ.get(SIGNALS_ENV, "on").strip().lower() not in ("off", "0", "false", "no")


def signal_routes(
    storage: Storage, check_key: Callable[[Request], None]
) -> tuple[list[Route], Classifier | None]:
    """The routes, and the classifier feeding them (None when turned off)."""
    from ._app import _query, json_response, keyed, resource

    store = signal_store(storage)
    classifier = Classifier(store) if classification_enabled() else None

    def read_signals(params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        settle(storage)
        return store.list(**params)

    async def list_signals(request: Request) -> Response:
        q = _query(request, "listSignals", frozenset({"limit"}))
        params = {
            "since": q.get("since"),
            "until": q.get("until"),
            "type": q.get("type"),
            "source": q.get("source"),
            "agent_name": q.get("agentName"),
            "session_id": q.get("sessionId"),
            "name": q.get("name"),
            "limit": q.get("limit", 50),
            "cursor": q.get("cursor"),
        }
        page, cursor = await run_in_threadpool(read_signals, params)
        return json_response({"data": page, "nextCursor": cursor})

    async def get_diagnosis(request: Request) -> Response:
        q = _query(request, "getSessionDiagnosis")
        found = await run_in_threadpool(diagnose, storage, request.path_params["id"])
        if q.get("format") == "text":
            return PlainTextResponse(found["text"])
        return json_response(found)

    routes = [
        resource("/api/signals", get=keyed(check_key, list_signals)),
        resource("/api/sessions/{id}/diagnosis", get=keyed(check_key, get_diagnosis)),
    ]
    return routes, classifier
