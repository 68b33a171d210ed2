"""``SentrialClient`` and ``AsyncSentrialClient``: full control over sessions.

Both return at once: ids are made on the client and operations are delivered
by a background thread (or one request per call with ``delivery="sync"``).
"""

from __future__ import annotations

import atexit
import functools
import inspect
import sys
from collections.abc import Callable, Coroutine, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Self, TypeVar

from . import _ids
from ._config import Config, resolve
from ._errors import SentrialError
from ._tracker import Tracker

if TYPE_CHECKING:
    from ._interaction import AsyncInteraction, Interaction

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")


async def _to_thread(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    import asyncio  # only async users pay for importing asyncio

    return await asyncio.to_thread(function, *args, **kwargs)


def _false() -> bool:
    return False


def _deliver_at_exit() -> None:
    """Shut every delivery engine down (flush, then keep the rest on disk).

    Registered when sentrial is imported, not when the engine first loads:
    atexit runs the handlers registered last first, so what an app's own
    exit handlers track (registered after ``import sentrial``) is still sent.
    The engine's module is not imported here: without it nothing was tracked."""
    background = sys.modules.get("sentrial._delivery._background")
    if background is not None:
        background._at_exit()


atexit.register(_deliver_at_exit)


def guarded(default: Callable[[], Any] | None = None) -> Callable[[F], F]:
    """No error of the SDK, not even a wrong call, reaches the host application
    unless the client was made with ``fail_silently=False``."""

    def decorate(method: F) -> F:
        def handle(self: _Base, exc: Exception) -> Any:
            if not self.config.fail_silently:
                if isinstance(exc, SentrialError):
                    raise exc
                raise SentrialError(f"{method.__name__}: {type(exc).__name__}: {exc}") from exc
            self._tracker.note_error(method.__name__, exc)
            return default() if default is not None else None

        if inspect.iscoroutinefunction(method):

            @functools.wraps(method)
            async def async_wrapper(self: _Base, *args: Any, **kwargs: Any) -> Any:
                try:
                    return await method(self, *args, **kwargs)
                except Exception as exc:
                    return handle(self, exc)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(method)
        def wrapper(self: _Base, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                return handle(self, exc)

        return wrapper  # type: ignore[return-value]

    return decorate


def _forward(
    target: Callable[Concatenate[Tracker, P], R], default: Callable[[], Any]
) -> Callable[Concatenate[_Base, P], R]:
    """A client method with ``target``'s signature, written once in ``Tracker``,
    and the client's guard (``fail_silently``) around it."""

    def method(self: _Base, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return target(self._tracker, *args, **kwargs)

    functools.update_wrapper(method, target)
    return guarded(default)(method)


def _forward_async(
    target: Callable[Concatenate[Tracker, P], R], default: Callable[[], Any]
) -> Callable[Concatenate[_Base, P], Coroutine[Any, Any, R]]:
    """``_forward`` for ``AsyncSentrialClient``. In the default background mode
    a call is a few microseconds of CPU, so it runs inline; with
    ``delivery="sync"`` it sends a request, so it runs in a worker thread."""

    async def method(self: _Base, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.config.delivery == "sync":
            result: R = await _to_thread(target, self._tracker, *args, **kwargs)
            return result
        return target(self._tracker, *args, **kwargs)

    functools.update_wrapper(method, target)
    return guarded(default)(method)


class _Base:
    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        fail_silently: bool = True,
        langfuse: Any = None,
        pii: Any = None,
        batching: Any = None,
        **options: Any,
    ) -> None:
        """Positional order as in the published SDK: URL, then key.

        ``fail_silently=True`` (the default) lets ``SENTRIAL_FAIL_SILENTLY``
        decide; ``pii`` and ``batching`` are mapped onto our options (see
        ``compat_options``). Any other option is keyword-only.
        """
        from ._compat import compat_options

        compat_options(options, pii=pii, batching=batching, langfuse=langfuse)
        config = resolve(
            {
                "api_key": api_key,
                "api_url": api_url,
                "fail_silently": None if fail_silently is True else fail_silently,
                **options,
            }
        )
        self._tracker = Tracker(config)
        # Dual-write (published option): every operation also goes to Langfuse.
        self.langfuse = langfuse
        if langfuse is not None and callable(getattr(langfuse, "mirror", None)):
            self._tracker.mirror = langfuse

    @classmethod
    def _sharing(cls, other: _Base) -> Self:
        """A client of this class over ``other``'s tracker (its config, delivery,
        state and counts), not a second engine: the synchronous view of an
        ``AsyncInteraction`` that ``@tool`` and the integrations call."""
        client = cls.__new__(cls)
        client._tracker = other._tracker
        client.langfuse = other.langfuse
        return client

    @property
    def api_url(self) -> str:
        return self.config.api_url

    @property
    def api_key(self) -> str | None:
        return self.config.api_key

    @property
    def fail_silently(self) -> bool:
        return self.config.fail_silently

    @property
    def current_state(self) -> dict[str, Any]:
        """State of the calling thread, as in the published SDK: cleared by
        ``create_session``, set with ``update_state``; when not empty it is sent
        with each tool call and decision as ``stateBefore``/``stateAfter``."""
        return self._tracker.state()

    @current_state.setter
    def current_state(self, value: dict[str, Any]) -> None:
        self._tracker.set_state(value)

    def update_state(self, key: str, value: Any) -> None:
        self._tracker.state()[key] = value

    @property
    def config(self) -> Config:
        return self._tracker.config

    def stats(self) -> dict[str, Any]:
        """Counts of operations: tracked, queued, sent, retried, spooled, dropped by reason."""
        return self._tracker.stats()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_url={self.config.shown_url!r})"

    def session_url(self, session_id: str) -> str:
        """The session's page in the viewer, to jump from a failing test to its trace."""
        return self._tracker.session_url(session_id)

    # Cost helpers, reachable as static methods like in the published SDK.
    @staticmethod
    def calculate_openai_cost(
        model: str, input_tokens: int, output_tokens: int, **kwargs: Any
    ) -> float:
        from .cost import calculate_openai_cost

        return calculate_openai_cost(model, input_tokens, output_tokens, **kwargs)

    @staticmethod
    def calculate_anthropic_cost(
        model: str, input_tokens: int, output_tokens: int, **kwargs: Any
    ) -> float:
        from .cost import calculate_anthropic_cost

        return calculate_anthropic_cost(model, input_tokens, output_tokens, **kwargs)

    @staticmethod
    def calculate_google_cost(
        model: str, input_tokens: int, output_tokens: int, **kwargs: Any
    ) -> float:
        from .cost import calculate_google_cost

        return calculate_google_cost(model, input_tokens, output_tokens, **kwargs)


class SentrialClient(_Base):
    """Track sessions and their events.

    >>> client = SentrialClient(api_key="sentrial_live_xxx", enabled=False)
    >>> sid = client.create_session(name="demo", agent_name="agent", user_id="u1")
    >>> isinstance(client.track_tool_call(sid, "search", {"q": "hi"}, {"hits": 3}), dict)
    True
    >>> _ = client.complete_session(sid, success=True)
    >>> client.close()
    """

    create_session = _forward(Tracker.create_session, _ids.new_session_id)
    track_tool_call = _forward(Tracker.track_tool_call, dict)
    track_decision = _forward(Tracker.track_decision, dict)
    track_error = _forward(Tracker.track_error, dict)
    track_llm_call = _forward(Tracker.track_llm_call, dict)
    complete_session = _forward(Tracker.complete_session, dict)

    @guarded(dict)
    def close_session(
        self,
        session_id: str,
        duration_ms: float | None = None,
        success: bool | None = None,
        failure_reason: str | None = None,
    ) -> dict[str, Any]:
        """The published SDK's older name, with its own positional order."""
        return self.complete_session(
            session_id,
            success=True if success is None else success,
            failure_reason=failure_reason,
            duration_ms=duration_ms,
        )

    def begin(
        self,
        user_id: str,
        event: str,
        input: Any = None,
        event_id: str | None = None,
        convo_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Interaction:
        """Start tracking one interaction with this client (see ``sentrial.begin``)."""
        from ._interaction import begin

        return begin(user_id, event, input, event_id, convo_id, metadata, client=self)

    @guarded(_false)
    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything tracked so far is delivered; False on timeout."""
        return self._tracker.flush(timeout)

    @guarded(_false)
    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush within ``timeout`` (default ``shutdown_timeout``) and stop; what is
        left is kept on disk and delivered by the next process."""
        return self._tracker.shutdown(timeout)

    def close(self) -> None:
        self.shutdown()

    def __enter__(self) -> SentrialClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncSentrialClient(_Base):
    """The same methods as coroutines; none of them blocks the event loop.

    In the default background mode a call is a few microseconds of CPU, so it
    runs inline; ``flush``, ``shutdown`` and ``delivery="sync"`` requests run
    in a worker thread.
    """

    create_session = _forward_async(Tracker.create_session, _ids.new_session_id)
    track_tool_call = _forward_async(Tracker.track_tool_call, dict)
    track_decision = _forward_async(Tracker.track_decision, dict)
    track_error = _forward_async(Tracker.track_error, dict)
    track_llm_call = _forward_async(Tracker.track_llm_call, dict)
    complete_session = _forward_async(Tracker.complete_session, dict)

    @guarded(dict)
    async def close_session(
        self,
        session_id: str,
        duration_ms: float | None = None,
        success: bool | None = None,
        failure_reason: str | None = None,
    ) -> dict[str, Any]:
        """The published SDK's older name, with its own positional order."""
        result: dict[str, Any] = await self.complete_session(
            session_id,
            success=True if success is None else success,
            failure_reason=failure_reason,
            duration_ms=duration_ms,
        )
        return result

    async def begin(
        self,
        user_id: str,
        event: str,
        input: Any = None,
        event_id: str | None = None,
        convo_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> AsyncInteraction:
        """Start tracking one interaction (see ``sentrial.begin_async``)."""
        from ._interaction import begin_async

        return await begin_async(user_id, event, input, event_id, convo_id, metadata, client=self)

    @guarded(_false)
    async def flush(self, timeout: float | None = None) -> bool:
        delivered: bool = await _to_thread(self._tracker.flush, timeout)
        return delivered

    @guarded(_false)
    async def shutdown(self, timeout: float | None = None) -> bool:
        delivered: bool = await _to_thread(self._tracker.shutdown, timeout)
        return delivered

    async def close(self) -> None:
        await self.shutdown()

    async def __aenter__(self) -> AsyncSentrialClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
