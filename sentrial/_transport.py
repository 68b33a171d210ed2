"""Requests to the API through the generated client, with failures classified.

The worker needs more than the generated ``sync`` functions give: the HTTP
status even when a body does not parse (a proxy's HTML 502, a plain server's
404), and ``Retry-After``. So this module builds each request with the
generated module's ``_get_kwargs`` (paths, methods and JSON field names stay
the generated package's), sends it with the generated client's httpx client,
and reads answers with the generated models (or, for batch answers, with
the field names read off them: see ``_ops``).
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import httpx
import orjson
from sentrial_api import AuthenticatedClient
from sentrial_api.api.default import create_event, create_session, submit_batch, update_session
from sentrial_api.models import BatchRequest, Session

from ._config import Config
from ._errors import APIError, AuthenticationError, DeliveryError
from ._operation import Operation
from ._ops import read_batch_results, to_model, to_wire

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class RetryableError(DeliveryError):
    """Worth trying again later: network trouble, 408, 429, 5xx."""

    def __init__(
        self, message: str, *, status_code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class BatchUnsupported(APIError):
    """The server has no batch endpoint (a plain Sentrial server)."""


@dataclass(frozen=True, slots=True)
class ItemResult:
    status: int
    message: str = ""
    server_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE_STATUSES


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return None if parsed is None else max(0.0, parsed.timestamp() - time.time())


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return str(body["message"])
    except ValueError:
        pass
    return response.text[:200] or response.reason_phrase


def raise_for_status(response: httpx.Response) -> None:
    """Map a non-200 response to the right exception."""
    status = response.status_code
    if status == 200:
        return
    message = f"HTTP {status}: {_message(response)}"
    if status in RETRYABLE_STATUSES:
        retry_after = _retry_after(response.headers.get("retry-after"))
        raise RetryableError(message, status_code=status, retry_after=retry_after)
    if status in (401, 403):
        raise AuthenticationError(message, status_code=status)
    raise APIError(message, status_code=status)


class _PrebuiltBatch(BatchRequest):
    """A BatchRequest whose items are already wire dicts (see ``_ops.to_wire``)."""

    items: list[dict[str, Any]]

    @classmethod
    def of(cls, items: list[dict[str, Any]]) -> _PrebuiltBatch:
        batch = cls(operations=[])
        batch.items = items
        return batch

    def to_dict(self) -> dict[str, Any]:
        names = _BATCH_NAMES
        return {names["operations"]: self.items}


_BATCH_NAMES = {"operations": next(iter(BatchRequest(operations=[]).to_dict()))}


class Transport:
    """Synchronous sender used by the delivery thread and by ``delivery="sync"``."""

    def __init__(self, config: Config) -> None:
        self._client = AuthenticatedClient(
            base_url=config.api_url,
            token=config.api_key or "",
            timeout=httpx.Timeout(config.request_timeout, connect=min(config.request_timeout, 5)),
            headers={"User-Agent": "sentrial-python"},
        )

    def close(self) -> None:
        self._client.get_httpx_client().close()

    def _request(self, module: ModuleType, **kwargs: Any) -> dict[str, Any]:
        request: dict[str, Any] = module._get_kwargs(**kwargs)
        if "json" in request:
            # orjson: fast, and it embeds payloads captured as JSON bytes verbatim.
            request["content"] = orjson.dumps(request.pop("json"))
        return request

    def _post(self, request: dict[str, Any]) -> httpx.Response:
        try:
            return self._client.get_httpx_client().request(**request)
        except httpx.TransportError as exc:  # connect, read, write, timeouts, protocol
            raise RetryableError(f"{type(exc).__name__}: {exc}") from exc

    def _send(self, module: ModuleType, **kwargs: Any) -> httpx.Response:
        return self._post(self._request(module, **kwargs))

    def encode_batch(self, ops: list[Operation], ids: list[str]) -> dict[str, Any]:
        """The batch request for ``ops``, ready to post (built ahead of time)."""
        items = [to_wire(op, sid) for op, sid in zip(ops, ids, strict=True)]
        return self._request(submit_batch, body=_PrebuiltBatch.of(items))

    def send_batch(
        self, ops: list[Operation], ids: list[str], request: dict[str, Any] | None = None
    ) -> list[ItemResult]:
        """One request for many operations; one result per operation, in order."""
        response = self._post(request or self.encode_batch(ops, ids))
        if response.status_code in (404, 405):
            raise BatchUnsupported("no batch endpoint", status_code=response.status_code)
        raise_for_status(response)
        rows = read_batch_results(response.content)
        if rows is None or len(rows) != len(ops):
            raise RetryableError("malformed batch response", status_code=200)
        rows.sort(key=lambda row: row[0])
        return [ItemResult(status, message, ident) for _, status, ident, message in rows]

    def send_one(self, op: Operation, session_id: str) -> ItemResult:
        """One operation on its own endpoint (plain servers, ``delivery="sync"``)."""
        model = to_model(op, session_id)
        if op.kind == "create_session":
            response = self._send(create_session, body=model)
        elif op.kind == "create_event":
            response = self._send(create_event, body=model)
        else:
            response = self._send(update_session, id=session_id, body=model)
        if response.status_code in RETRYABLE_STATUSES:
            raise_for_status(response)
        if response.status_code != 200:
            return ItemResult(response.status_code, _message(response))
        server_id = None
        if op.kind == "create_session":
            parsed = create_session._parse_response(client=self._client, response=response)
            server_id = parsed.id if isinstance(parsed, Session) else None
        return ItemResult(200, "", server_id)
