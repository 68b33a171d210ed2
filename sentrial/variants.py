"""Prompt variants in production: ``sentrial.get_variant`` (ours).

Sentrial's docs name ``getVariant()`` (a sticky assignment of a user to a
prompt variant, with an assignment id) without publishing its signature;
this one follows the published ``Experiment`` / ``get_system_prompt`` API::

    variant = sentrial.get_variant("exp_123", user_id="u1", default="You are helpful.")
    system_prompt = variant.system_prompt
    sid = client.create_session(..., experiment_assignment_id=variant.assignment_id)

The server picks the variant (``POST /api/experiments/{id}/assignments``: a
hash of experiment and user on the variants' weights, stored on first use),
so the same user gets the same variant from every process and after
restarts. Answers are cached in the process (assignments never change), and
concurrent calls for one user share one request.

The caller never waits longer than ``timeout`` seconds (default
:data:`DEFAULT_TIMEOUT`): past it, or on any failure, the answer is the
control variant (``control``, with the ``default`` prompt and no assignment
id, ``fallback=True``), counted by reason in :func:`variant_stats`. A
request still running after a timeout goes on in the background and fills
the cache for the next call. Nothing here raises into the caller.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

from ._config import resolve
from ._errors import SentrialError

__all__ = ["DEFAULT_TIMEOUT", "Variant", "get_variant", "variant_stats"]

logger = logging.getLogger("sentrial")

DEFAULT_TIMEOUT = 0.5  # seconds the caller may wait for an assignment
_CACHE_SIZE = 100_000  # assignments kept per process (oldest dropped first)
_REQUEST_TIMEOUT = 10.0  # the background request's own limit


@dataclass(frozen=True)
class Variant:
    """The variant a user runs: its name and system prompt, and the assignment
    id to give the sessions it records (None for the fallback)."""

    experiment_id: str
    user_id: str
    name: str
    system_prompt: str
    assignment_id: str | None
    fallback: bool = False


class _Pending:
    __slots__ = ("done", "error", "variant")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.variant: Variant | None = None
        self.error = "no_answer"


_lock = threading.Lock()
_cache: OrderedDict[tuple[str, str, str], Variant] = OrderedDict()
_pending: dict[tuple[str, str, str], _Pending] = {}
_counts: Counter[str] = Counter()
_clients: dict[str, Any] = {}


def variant_stats() -> dict[str, Any]:
    """Counts since the process started: ``assigned`` (answered by the
    server), ``cached`` (answered from the cache), ``fallback`` by reason
    (``timeout``, ``unreachable``, ``http_<status>``, ``bad_answer``,
    ``no_api_key``, ``bad_argument``)."""
    with _lock:
        return {
            "assigned": _counts["assigned"],
            "cached": _counts["cached"],
            "fallback": {
                k.removeprefix("fallback:"): n
                for k, n in sorted(_counts.items())
                if k.startswith("fallback:")
            },
        }


def get_variant(
    experiment_id: str,
    user_id: str,
    *,
    default: str = "",
    control: str = "control",
    timeout: float = DEFAULT_TIMEOUT,
    api_key: str | None = None,
    api_url: str | None = None,
) -> Variant:
    """The user's variant of the experiment (see the module's docstring)."""

    def fallback(reason: str) -> Variant:
        with _lock:
            _counts["fallback:" + reason] += 1
        return Variant(str(experiment_id), str(user_id), control, default, None, True)

    for field, value in (("experiment_id", experiment_id), ("user_id", user_id)):
        if not isinstance(value, str) or not value:
            logger.warning("sentrial: get_variant: %s must be a non-empty string", field)
            return fallback("bad_argument")
    try:
        config = resolve({"api_key": api_key, "api_url": api_url})
    except SentrialError:
        return fallback("bad_argument")
    if not config.api_key or config.api_url_error:
        return fallback("no_api_key")
    key = (config.api_url, experiment_id, user_id)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _counts["cached"] += 1
            return found
        pending = _pending.get(key)
        if pending is None:
            pending = _pending[key] = _Pending()
            threading.Thread(
                target=_fetch,
                args=(key, config.api_key, pending),
                name="sentrial-variant",
                daemon=True,
            ).start()
    if not pending.done.wait(max(0.0, timeout)):
        return fallback("timeout")
    if pending.variant is None:
        return fallback(pending.error)
    with _lock:
        _counts["assigned"] += 1
    return pending.variant


def _client(api_url: str) -> Any:
    """One pooled client per API URL, under the SDK's network rules (a loopback
    API is reached directly whatever the proxy variables say; deadlines)."""
    import httpx

    from ._delivery._http import client_args

    with _lock:
        client = _clients.get(api_url)
        if client is None:
            if not _clients:
                atexit.register(_close_clients)
            verify = not api_url.lower().startswith("http://")
            client = _clients[api_url] = httpx.Client(
                base_url=api_url.rstrip("/"),
                timeout=_REQUEST_TIMEOUT,
                **client_args(api_url, verify=verify, connections=4),
            )
        return client


def _close_clients() -> None:
    """Close the pooled connections at exit (no socket left for the collector)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()


def _fetch(key: tuple[str, str, str], api_key: str, pending: _Pending) -> None:
    """Ask the server; fill the cache (and wake the waiting callers)."""
    import httpx

    api_url, experiment_id, user_id = key
    try:
        response = _client(api_url).post(
            f"/api/experiments/{experiment_id}/assignments",
            json={"userId": user_id},
            headers={"Authorization": f"Bearer {api_key}"},
        )
        if response.status_code != 200:
            pending.error = f"http_{response.status_code}"
            return
        answer = response.json()["assignment"]
        variant = Variant(
            experiment_id,
            user_id,
            str(answer["variantName"]),
            str(answer["systemPrompt"]),
            str(answer["id"]),
        )
        with _lock:
            _cache[key] = variant
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        pending.variant = variant
    except httpx.HTTPError:
        pending.error = "unreachable"
    except (ValueError, KeyError, TypeError):
        pending.error = "bad_answer"
    finally:
        with _lock:
            _pending.pop(key, None)
        pending.done.set()
