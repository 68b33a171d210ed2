"""Requests to the API through the generated client, with failures classified.

The worker needs more than the generated ``sync`` functions give: the HTTP
status even when a body does not parse (a proxy's HTML 502, a plain server's
404), and ``Retry-After``. So this module builds each request with the
generated module's ``_get_kwargs`` (paths, methods and JSON field names stay
the generated package's), sends it with the generated client's httpx client,
and reads answers leniently: any 2xx is success, and from a create only the
server's ``id`` matters (a Sentrial-compatible server may answer 201, 204,
fewer fields or other status strings; the generated models are for typed
calls users make, not for delivery).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import httpx
import orjson
from sentrial_api import AuthenticatedClient
from sentrial_api.api.default import (
    create_event,
    create_session,
    get_health,
    get_pii_config,
    submit_batch,
    update_session,
)
from sentrial_api.models import BatchRequest

from .._capabilities import FULL, PLAIN, Capabilities, from_health
from .._config import Config, hide_key
from .._errors import APIError, AuthenticationError
from .._operation import Operation
from . import _policy as policy
from ._http import MAX_REDIRECTS, client_args, deadline, not_followed, redirect_target
from ._policy import RETRYABLE_STATUSES, BatchUnsupported, ItemResult, RetryableError, is_success
from ._wire import read_batch_results, to_wire, wire_body

_ENDPOINTS: dict[str, ModuleType] = {
    "create_session": create_session,
    "create_event": create_event,
    "update_session": update_session,
}


def _json_body(response: httpx.Response) -> Any:
    try:
        return orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        return None


def _message(response: httpx.Response) -> str:
    """The answer's error text, for logs and dead letters: a server or proxy
    may echo the request, so the key it carried and URL userinfo are hidden."""
    body = _json_body(response)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        text = str(body["message"])
    else:
        text = response.text[:200] or response.reason_phrase
    token = response.request.headers.get("authorization", "").removeprefix("Bearer ")
    return hide_key(text, token or None)


def _answer_id(response: httpx.Response) -> str | None:
    """The ``id`` a server gave its new record, if its answer has one."""
    body = _json_body(response)
    ident = body.get("id") if isinstance(body, dict) else None
    return ident if isinstance(ident, str) and ident else None


def raise_for_status(response: httpx.Response) -> None:
    """Raise what the response policy makes of a non-2xx answer."""
    status = response.status_code
    verdict = policy.for_status(status, response.headers.get("retry-after"))
    if verdict.action == policy.Action.OK:
        return
    message = f"HTTP {status}: {_message(response)}"
    if verdict.action == policy.Action.RETRY:
        raise RetryableError(message, status_code=status, retry_after=verdict.retry_after)
    if verdict.reason == "unauthorized":
        raise AuthenticationError(message, status_code=status)
    raise APIError(message, status_code=status)


class _Prebuilt:
    """A request body already built as a wire dict, handed to a generated
    ``_get_kwargs`` in place of its model (all it calls is ``to_dict``)."""

    __slots__ = ("body",)

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def to_dict(self) -> dict[str, Any]:
        return self.body


_BATCH_KEY = next(iter(BatchRequest(operations=[]).to_dict()))  # its only field


def load_server_pii(config: Config, transport: Transport) -> None:
    """``pii=True``: hand the server's PII settings to the client's mask
    (:class:`sentrial.redact.ServerPiiMask`); without an answer it keeps the
    safe default. Both engines call it once, before they send anything."""
    mask: Any = config.mask
    if getattr(mask, "from_server", False):
        answer = transport.pii_config()
        if answer is not None:
            mask.load(answer)


class Transport:
    """Synchronous sender used by the delivery threads and by ``delivery="sync"``.

    One httpx client, safe to share between threads, keeps up to
    ``max_concurrency`` connections alive for per-operation delivery.
    """

    def __init__(self, config: Config) -> None:
        connections = max(1, config.max_concurrency)
        # Plain HTTP (a local server) never uses TLS: skip building a
        # verifying context, whose CA bundle costs ~35 ms of CPU.
        verify = not config.api_url.lower().startswith("http://")
        self._client = AuthenticatedClient(
            base_url=config.api_url,
            token=config.api_key or "",
            timeout=httpx.Timeout(config.request_timeout, connect=min(config.request_timeout, 5)),
            headers={"User-Agent": "sentrial-python"},
            httpx_args=client_args(config.api_url, verify=verify, connections=connections),
            verify_ssl=verify,
        )
        self._http = self._client.get_httpx_client()  # made once, before threads share it
        self._key = config.api_key  # hidden in error texts, as URL userinfo is
        self._deadline = config.request_timeout  # for a whole request (see _http)

    def close(self) -> None:
        self._http.close()

    def _request(self, module: ModuleType, **kwargs: Any) -> dict[str, Any]:
        request: dict[str, Any] = module._get_kwargs(**kwargs)
        if "json" in request:
            # orjson: fast, and it embeds payloads captured as JSON bytes verbatim.
            request["content"] = orjson.dumps(request.pop("json"))
        return request

    def _post(self, request: dict[str, Any]) -> httpx.Response:
        try:
            with deadline(self._deadline):
                response = self._http.request(**request)
                for _ in range(MAX_REDIRECTS):
                    target = redirect_target(response)
                    if target is None:
                        break
                    response = self._http.request(**{**request, "url": target})
        except httpx.TransportError as exc:  # connect, read, write, timeouts, protocol
            raise RetryableError(hide_key(f"{type(exc).__name__}: {exc}", self._key)) from exc
        if 300 <= response.status_code < 400:
            raise RetryableError(
                hide_key(not_followed(response), self._key), status_code=response.status_code
            )
        return response

    def probe(self) -> Capabilities:
        """The server's extensions, from ``GET /api/sdk/health``.

        An answer that is not a 2xx JSON object listing them (404 from a plain
        server, 401, HTML) means none; network trouble, 429 and 5xx raise
        RetryableError: nothing can be concluded from them.
        """
        response = self._health()
        if not is_success(response.status_code):
            return PLAIN
        return from_health(_json_body(response))

    def _health(self) -> httpx.Response:
        response = self._post(self._request(get_health))
        if response.status_code in RETRYABLE_STATUSES:
            raise_for_status(response)
        return response

    def pii_config(self) -> dict[str, Any] | None:
        """The server's PII settings (``GET /api/sdk/pii-config``), or None when
        it has none to give (a plain server's 404, an error, not JSON)."""
        try:
            response = self._post(self._request(get_pii_config))
        except RetryableError:
            return None
        if not is_success(response.status_code):
            return None
        body = _json_body(response)
        return body if isinstance(body, dict) else None

    def encode_batch(
        self, ops: list[Operation], ids: list[str], caps: Capabilities = FULL
    ) -> dict[str, Any]:
        """The batch request for ``ops``, ready to post (built ahead of time)."""
        items = [to_wire(op, sid, caps) for op, sid in zip(ops, ids, strict=True)]
        return self._request(submit_batch, body=_Prebuilt({_BATCH_KEY: items}))

    def send_batch(
        self,
        ops: list[Operation],
        ids: list[str],
        request: dict[str, Any] | None = None,
        caps: Capabilities = FULL,
    ) -> list[ItemResult]:
        """One request for many operations; one result per operation, in order."""
        response = self._post(request or self.encode_batch(ops, ids, caps))
        if response.status_code in (404, 405):
            raise BatchUnsupported("no batch endpoint", status_code=response.status_code)
        raise_for_status(response)
        rows = read_batch_results(response.content)
        if rows is not None:
            rows.sort(key=lambda row: row[0])
        # One result per operation asked, each index once: an answer that
        # repeats or skips one would file a result under the wrong operation.
        if rows is None or [row[0] for row in rows] != list(range(len(ops))):
            raise RetryableError("malformed batch response", status_code=response.status_code)
        return [ItemResult(status, message, ident) for _, status, ident, message in rows]

    def send_one(self, op: Operation, session_id: str, caps: Capabilities = FULL) -> ItemResult:
        """One operation on its own endpoint (plain servers, ``delivery="sync"``).

        Raises RetryableError for what is worth retrying; any other answer is
        the operation's result.
        """
        body = _Prebuilt(wire_body(op, session_id, caps))
        if op.kind == "update_session":
            request = self._request(update_session, id=session_id, body=body)
        else:
            request = self._request(_ENDPOINTS[op.kind], body=body)
        response = self._post(request)
        status = response.status_code
        if status in RETRYABLE_STATUSES:
            raise_for_status(response)
        if not is_success(status):
            return ItemResult(status, _message(response))
        return ItemResult(status, "", _answer_id(response) if op.kind == "create_session" else None)
