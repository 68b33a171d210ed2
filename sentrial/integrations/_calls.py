"""How an integration calls the client it was given, whichever kind it is.

Why one place: integrations take ``SentrialClient``, ``AsyncSentrialClient``
or a user's subclass of either (``client=``, a handler's first argument). A
subclass may override ``create_session`` or ``complete_session`` and must see
the calls, so they go through the client's public methods, with the published
keyword names; an async client's methods return coroutines, which must be
awaited, never dropped (that loses the operation and warns "never awaited").

- :func:`acall` is for async code: it awaits what the method returns.
- :func:`call_client` is for sync callbacks (LangChain, CrewAI, OpenTelemetry...):
  an ``AsyncSentrialClient`` method the user did not override runs on the
  client's synchronous twin (same tracker, no coroutine made); a coroutine
  that is made anyway (an ``async def`` override) runs to its end on a
  private event loop thread, and its result is returned. (So an override
  that awaits something bound to the app's own loop cannot run from a sync
  callback; it fails, is counted, and the app goes on.)

Neither raises: a method that fails (a subclass's override, say) is logged,
counted as dropped on the client when it has our tracker, and gives None.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import threading
from collections.abc import Awaitable
from typing import Any, TypeAlias

from .._client import AsyncSentrialClient, SentrialClient

logger = logging.getLogger("sentrial")

AnyClient: TypeAlias = SentrialClient | AsyncSentrialClient
"""What an integration's ``client=`` takes: either client, or a subclass of one."""

OVERRIDE_TIMEOUT = 30.0
"""Bound (s) on waiting, in a sync callback, for an ``async def`` override."""

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()
_tasks: set[asyncio.Task[Any]] = set()  # calls made on the private loop itself, running


def _failed(client: Any, name: str, exc: BaseException) -> None:
    tracker = getattr(client, "_tracker", None)
    note = getattr(tracker, "note_error", None)
    if callable(note):
        note(name, exc)
    else:
        logger.debug("sentrial: %s of %r failed", name, client, exc_info=True)


def _method(client: Any, name: str) -> Any:
    """The bound method to call in sync code: the sync twin's when ``client``
    is an ``AsyncSentrialClient`` whose ``name`` is not overridden."""
    if isinstance(client, AsyncSentrialClient) and getattr(type(client), name, None) is getattr(
        AsyncSentrialClient, name, None
    ):
        from .._interaction import _sync_twin

        return getattr(_sync_twin(client), name)
    return getattr(client, name)


def _private_loop() -> asyncio.AbstractEventLoop:
    """One event loop on a daemon thread, for coroutines made in sync code."""
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(
                target=loop.run_forever, name="sentrial-async-calls", daemon=True
            ).start()
            _loop = loop
        return _loop


def _run(awaitable: Awaitable[Any]) -> Any:
    """``awaitable``'s result, run on the private loop; None when called from
    that very loop (an override calling back into an integration), where
    waiting would wait on itself: it then runs as a task of its own."""
    loop = _private_loop()

    async def wait() -> Any:
        return await awaitable

    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        task = loop.create_task(wait())
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)
        return None
    future = asyncio.run_coroutine_threadsafe(wait(), loop)
    try:
        return future.result(OVERRIDE_TIMEOUT)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise


def call_client(client: Any, name: str, /, **kwargs: Any) -> Any:
    """``client.<name>(**kwargs)`` from sync code, run to its end; None on failure."""
    try:
        result = _method(client, name)(**kwargs)
        return _run(result) if inspect.isawaitable(result) else result
    except Exception as exc:
        _failed(client, name, exc)
        return None


def new_session(client: Any, **kwargs: Any) -> str | None:
    """``client.create_session(**kwargs)`` from sync code: the id, or None when
    the client gave none (then nothing else of the run is tracked)."""
    session_id = call_client(client, "create_session", **kwargs)
    return session_id if isinstance(session_id, str) and session_id else None


def complete_session(client: Any, **kwargs: Any) -> dict[str, Any]:
    """``client.complete_session(**kwargs)`` from sync code: the session's
    record, as published, or ``{}`` when the client gave none."""
    record = call_client(client, "complete_session", **kwargs)
    return record if isinstance(record, dict) else {}


async def acall(client: Any, name: str, /, **kwargs: Any) -> Any:
    """``client.<name>(**kwargs)`` from async code, awaited if awaitable; None on failure."""
    try:
        result = getattr(client, name)(**kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result
    except Exception as exc:
        _failed(client, name, exc)
        return None
