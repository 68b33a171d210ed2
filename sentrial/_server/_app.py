"""The HTTP layer of the local server: Starlette routes over :class:`Storage`.

Every body and query parameter is checked against ``openapi/sentrial.yaml``
before storage sees it; every failure is the documented ``{"error",
"message"}`` body, and no input, however odd, may produce a 500.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import _capabilities as capabilities
from .._serve import is_loopback
from . import _json, _spec
from ._pii import DEFAULT_PII_CONFIG
from ._spec import SpecValidationError
from ._storage import RETRY_AFTER, Storage, StorageError, Unavailable

logger = logging.getLogger("sentrial.server")

SERVER_VERSION = "1.0.0"

Handler = Callable[[Request], Awaitable[Response]]


class HTTPError(Exception):
    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def json_response(data: Any, status: int = 200) -> Response:
    return Response(_json.dumps(data), status_code=status, media_type="application/json")


EVERY_METHOD = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT"]


def resource(path: str, **methods: Handler) -> Route:
    """One route per path, so a 405 lists every method of the resource."""
    allowed = ", ".join(sorted(m.upper() for m in methods))

    async def dispatch(request: Request) -> Response:
        handler = methods.get(request.method.lower())
        if handler is None:
            response = error_response(
                405, "Method Not Allowed", f"{request.method} {path}: allowed {allowed}"
            )
            response.headers["Allow"] = allowed
            return response
        return await handler(request)

    return Route(path, dispatch, methods=EVERY_METHOD)


def error_response(status: int, title: str, message: str) -> Response:
    response = json_response({"error": title, "message": message}, status)
    # Messages quote what the client sent: never let a browser sniff it as HTML.
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def storage_error_response(exc: StorageError) -> Response:
    """What the store refused, as the API answers it: an outage (Unavailable) is
    503 with Retry-After, so clients keep the operations and try again."""
    response = error_response(exc.status, exc.title, exc.message)
    if isinstance(exc, Unavailable):
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def keyed(check_key: Callable[[Request], None] | None, handler: Handler) -> Handler:
    """``handler`` behind the API's key check (None: open, as health is), every
    failure answered with the API's error body: the one response policy of every
    API route (400 naming the field, 503 + Retry-After for an outage, 500 logged)."""

    async def wrapped(request: Request) -> Response:
        try:
            if check_key is not None:
                check_key(request)
            return await handler(request)
        except HTTPError as exc:
            return error_response(exc.status, exc.title, exc.message)
        except (SpecValidationError, _json.TooDeep) as exc:
            return error_response(400, "Bad Request", str(exc))
        except StorageError as exc:
            return storage_error_response(exc)
        except Exception:
            logger.exception("unexpected error on %s %s", request.method, request.url.path)
            return error_response(500, "Internal Server Error", "unexpected server error; retry")

    return wrapped


class _KeyCheck:
    """API-key check in constant time: ``Authorization: Bearer <key>`` or
    ``x-sentrial-api-key: <key>`` (Sentrial documents both, on every route).
    Keys are never logged or echoed."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = [k.encode() for k in keys]

    def __call__(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        presented = [request.headers.get("x-sentrial-api-key", "").strip()]
        if scheme.lower() == "bearer":
            presented.append(token.strip())
        ok = False
        for candidate in presented:
            given = candidate.encode("utf-8", "surrogateescape")
            for key in self._keys:  # no early exit: time does not depend on which key
                ok |= bool(given) and hmac.compare_digest(given, key)
        if not ok:
            raise HTTPError(
                401,
                "Unauthorized",
                "Missing or invalid API key (Authorization: Bearer <key> or x-sentrial-api-key)",
            )


async def _read_json(request: Request, limit: int) -> Any:
    return _parse_json(await _read_body(request, limit))


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPError(413, "Payload Too Large", f"body: larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPError(413, "Payload Too Large", f"body: larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(raw: bytes) -> Any:
    try:
        return _json.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc):  # past the parser's 1024 levels (its wording varies)
            raise HTTPError(
                400, "Bad Request", f"body: nested deeper than {_json.MAX_DEPTH} objects and arrays"
            ) from None
        raise HTTPError(400, "Bad Request", f"body: not valid JSON ({exc})") from exc


def _query(
    request: Request,
    operation_id: str,
    integers: frozenset[str] = frozenset(),
    booleans: frozenset[str] = frozenset(),
) -> Any:
    """The query parameters, checked against the operation's spec; unknown ones are 400.
    ``booleans`` are ``true`` or ``false``."""
    validators = _spec.query_parameters(operation_id)
    values: dict[str, Any] = {}
    for name, raw in request.query_params.multi_items():
        if name not in validators:
            known = ", ".join(validators)
            raise HTTPError(400, "Bad Request", f"{name}: unknown query parameter (known: {known})")
        value: Any = raw
        if name in integers:
            try:
                value = int(raw)
            except ValueError:
                raise HTTPError(400, "Bad Request", f"{name}: {raw!r} is not an integer") from None
        if name in booleans:
            if raw not in ("true", "false"):
                raise HTTPError(400, "Bad Request", f"{name}: {raw!r} is not true or false")
            value = raw == "true"
        validators[name].check(value, name)
        values[name] = value
    return values


def create_app(
    storage: Storage,
    api_keys: Sequence[str],
    *,
    viewer: bool = True,
    pii_config: Mapping[str, Any] | None = None,
    host: str | None = None,
) -> Starlette:
    """The ASGI app serving every operation of the spec over ``storage``, and the
    session viewer at ``/`` unless ``viewer`` is False (non-loopback servers).

    ``pii_config`` is what ``GET /api/sdk/pii-config`` answers (default:
    :data:`DEFAULT_PII_CONFIG`). A server with the viewer, or listening on a
    loopback ``host``, answers only requests naming this machine in ``Host``
    (``localhost``, a loopback address, or ``host``), on every route: see
    :class:`~._viewer.OnlyThisMachine`."""
    check_key = _KeyCheck(api_keys)
    pii_answer = orjson.dumps({"config": dict(pii_config or DEFAULT_PII_CONFIG)})
    body_limit = _spec.request_limit("maxBodyBytes")
    batch_bytes = _spec.request_limit("maxBatchBytes")
    batch_items = _spec.request_limit("maxBatchOperations")

    def endpoint(handler: Handler, *, auth: bool = True) -> Handler:
        return keyed(check_key if auth else None, handler)

    async def health(request: Request) -> Response:
        """Up, and whether the store takes writes: 503 with Retry-After while it
        does not (a full disk...), so clients hold their operations meanwhile."""
        answer = {"version": SERVER_VERSION, "capabilities": sorted(capabilities.ALL)}
        trouble = storage.health()
        if trouble is None:
            return json_response({"status": "ok", **answer})
        response = json_response({"status": "unavailable", "storage": trouble, **answer}, 503)
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response

    async def get_pii_config(request: Request) -> Response:
        return Response(pii_answer, media_type="application/json")

    async def create_session(request: Request) -> Response:
        body = await _read_json(request, body_limit)
        _spec.component("SessionCreate").check(body)
        return json_response(await run_in_threadpool(storage.create_session, body))

    async def list_sessions(request: Request) -> Response:
        q = _query(request, "listSessions", frozenset({"limit"}))
        page, cursor, changes = await run_in_threadpool(
            storage.session_page,
            agent_name=q.get("agentName"),
            user_id=q.get("userId"),
            status=q.get("status"),
            convo_id=q.get("convoId"),
            since=q.get("since"),
            until=q.get("until"),
            limit=q.get("limit", 50),
            cursor=q.get("cursor"),
            changed_after=q.get("changedAfter"),
        )
        return json_response({"data": page, "nextCursor": cursor, "changeCursor": changes})

    async def get_session(request: Request) -> Response:
        return json_response(
            await run_in_threadpool(storage.get_session, request.path_params["id"])
        )

    async def update_session(request: Request) -> Response:
        body = await _read_json(request, body_limit)
        _spec.component("SessionUpdate").check(body)
        record = await run_in_threadpool(storage.update_session, request.path_params["id"], body)
        return json_response(record)

    async def list_events(request: Request) -> Response:
        q = _query(request, "listSessionEvents", frozenset({"limit"}))
        page, cursor = await run_in_threadpool(
            storage.list_events,
            request.path_params["id"],
            limit=q.get("limit", 500),
            cursor=q.get("cursor"),
        )
        return json_response({"data": page, "nextCursor": cursor})

    async def create_event(request: Request) -> Response:
        body = await _read_json(request, body_limit)
        _spec.component("EventCreate").check(body)
        return json_response(await run_in_threadpool(storage.create_event, body))

    operation_schemas = {
        "createSession": "CreateSessionOperation",
        "createEvent": "CreateEventOperation",
        "updateSession": "UpdateSessionOperation",
    }

    async def submit_batch(request: Request) -> Response:
        raw = await _read_body(request, batch_bytes)
        # Parsing, checking and storing take milliseconds for a large batch: off the
        # event loop.
        return await run_in_threadpool(apply_batch, raw)

    def apply_batch(raw: bytes) -> Response:
        body = _parse_json(raw)
        operations = body.get("operations") if isinstance(body, dict) else None
        if not isinstance(operations, list):
            raise HTTPError(400, "Bad Request", "operations: required, an array of operations")
        if len(operations) > batch_items:
            raise HTTPError(
                413, "Payload Too Large", f"operations: more than {batch_items} operations"
            )
        # Each item is checked against its own variant (picked by `op`) so a
        # bad item gets a precise message and does not sink the others.
        results: list[dict[str, Any] | None] = [None] * len(operations)
        valid: list[tuple[int, tuple[str, str | None, dict[str, Any]]]] = []
        for index, item in enumerate(operations):
            where = f"operations[{index}]"
            op = item.get("op") if isinstance(item, dict) else None
            schema = operation_schemas.get(op) if isinstance(op, str) else None
            try:
                if schema is None:
                    raise SpecValidationError(
                        f"{where}.op: must be one of {', '.join(operation_schemas)}"
                    )
                _spec.component(schema).check(item, where)
            except SpecValidationError as exc:
                results[index] = _item_error(index, 400, "Bad Request", str(exc))
                continue
            assert isinstance(item, dict) and isinstance(op, str)
            valid.append((index, (op, item.get("sessionId"), item["body"])))
        outcomes = storage.apply_batch([operation for _, operation in valid])
        for (index, _), outcome in zip(valid, outcomes, strict=True):
            if isinstance(outcome, StorageError):
                message = f"operations[{index}].{outcome.message}"
                results[index] = _item_error(index, outcome.status, outcome.title, message)
            else:
                results[index] = {"index": index, "status": 200, "id": outcome}
        return json_response({"results": results})

    routes = [
        resource("/api/sdk/health", get=endpoint(health, auth=False)),
        resource("/api/sdk/pii-config", get=endpoint(get_pii_config)),
        resource("/api/sdk/sessions", post=endpoint(create_session), get=endpoint(list_sessions)),
        resource(
            "/api/sdk/sessions/{id}", get=endpoint(get_session), patch=endpoint(update_session)
        ),
        resource("/api/sdk/sessions/{id}/events", get=endpoint(list_events)),
        resource("/api/sdk/events", post=endpoint(create_event)),
        resource("/api/sdk/batch", post=endpoint(submit_batch)),
    ]
    from ._experiments import experiment_routes

    routes += experiment_routes(storage, check_key)
    from ._otlp import InFlight, otlp_routes

    otlp_in_flight = InFlight()
    routes += otlp_routes(storage, check_key, otlp_in_flight)
    from ._signals_api import signal_routes

    insight_routes, classifier = signal_routes(storage, check_key)
    routes += insight_routes
    if viewer:
        from ._experiment_page import experiment_page_routes
        from ._viewer import viewer_routes

        routes += experiment_page_routes(storage)  # before the viewer's catch-all
        routes += viewer_routes(storage)

    async def http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = f"{request.method} {request.url.path}: {exc.detail}"
        response = error_response(exc.status_code, str(exc.detail), message)
        response.headers.update(exc.headers or {})  # e.g. Allow on 405
        return response

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_exception})
    app.state.storage = storage
    app.state.otlp_in_flight = otlp_in_flight
    app.state.classifier = classifier
    if viewer or (host is not None and is_loopback(host)):
        from ._viewer import OnlyThisMachine

        app.add_middleware(OnlyThisMachine, host=host)
    return app


def _item_error(index: int, status: int, title: str, message: str) -> dict[str, Any]:
    return {"index": index, "status": status, "error": title, "message": message}
