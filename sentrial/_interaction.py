"""``sentrial.configure`` / ``sentrial.begin`` and the :class:`Interaction` they return."""

from __future__ import annotations

import functools
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Coroutine, Iterable, Mapping
from contextvars import Token
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

from . import _payload
from ._client import AsyncSentrialClient, SentrialClient, _Base, _to_thread
from ._context import current_interaction
from ._errors import ValidationError
from ._tracker import _non_negative

P = ParamSpec("P")
R = TypeVar("R")


def _for_session(
    target: Callable[Concatenate[_Base, str, P], R],
) -> Callable[Concatenate[Interaction, P], R]:
    """A client method as an interaction's: the session is the interaction's."""

    def method(self: Interaction, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return target(self.client, self.session_id, *args, **kwargs)

    functools.update_wrapper(method, target)
    return method


def _async_of(
    target: Callable[Concatenate[Interaction, P], R],
) -> Callable[Concatenate[AsyncInteraction, P], Coroutine[Any, Any, R]]:
    """An ``Interaction`` method as a coroutine of ``AsyncInteraction`` (same
    signature, same behaviour). Inline in the default background mode, where a
    call is microseconds of CPU; in a worker thread with ``delivery="sync"``."""

    async def method(self: AsyncInteraction, /, *args: P.args, **kwargs: P.kwargs) -> R:
        interaction: Any = self  # the same attributes as an Interaction
        if self.client.config.delivery == "sync":
            result: R = await _to_thread(target, interaction, *args, **kwargs)
            return result
        return target(interaction, *args, **kwargs)

    functools.update_wrapper(method, target)
    return method


def _describe(exc: BaseException) -> str:
    """A failure reason: the exception's type and message."""
    return f"{type(exc).__name__}: {_payload.safe_str(exc)}"


def _amount(name: str, value: Any, kind: type[int] | type[float]) -> float:
    """``value`` as a finite number >= 0 (``None`` is 0), or a ValidationError naming ``name``."""
    return 0 if value is None else float(_non_negative(name, value, kind))


_default: SentrialClient | None = None
_default_lock = threading.Lock()


def configure(
    api_key: str | None = None,
    api_url: str | None = None,
    fail_silently: bool = True,
    pii: Any = None,
    batching: Any = None,
    **options: Any,
) -> SentrialClient:
    """Set up the client ``begin`` and the decorators use; returns it.

    ``pii=True`` (or a ``sentrial.redact.PiiConfig``) redacts emails, phone,
    SSN and card numbers, IP addresses and keys; a callable is used as the
    ``mask``. ``batching`` is accepted for compatibility: delivery is always
    batched in the background (pass ``delivery="sync"`` for one request per call).
    """
    global _default
    client = SentrialClient(api_url, api_key, fail_silently, pii=pii, batching=batching, **options)
    with _default_lock:
        previous, _default = _default, client
    if previous is not None:
        previous.close()
    return client


def get_client() -> SentrialClient:
    """The configured client (made from the environment if ``configure`` was never called)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = SentrialClient()
    return _default


def _session_args(
    event: Any,
    input: Any,
    event_id: str | None,
    convo_id: str | None,
    metadata: Mapping[str, Any] | None,
) -> tuple[str, str, dict[str, Any]]:
    """Session name, event id and metadata of ``begin``, as the published SDK
    made them: ``"<event>:<first 8 of the event id>"``, and the input, convo id
    and event id in the metadata."""
    event_id = str(event_id) if event_id is not None else str(uuid.uuid4())
    full: dict[str, Any] = {}
    if isinstance(metadata, Mapping):
        full.update(metadata)
    elif metadata is not None:  # not an object: kept, under a key of its own
        full["metadata"] = metadata
    if input is not None:
        full["input"] = input
    if convo_id:
        full["convo_id"] = convo_id
    full["event_id"] = event_id
    return f"{event}:{event_id[:8]}", event_id, full


def begin(
    user_id: str,
    event: str,
    input: Any = None,
    event_id: str | None = None,
    convo_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    *,
    client: SentrialClient | None = None,
    experiment_assignment_id: str | None = None,
) -> Interaction:
    """Start tracking one interaction (a session whose agent name is ``event``);
    ``experiment_assignment_id`` (ours): see :func:`sentrial.get_variant`."""
    client = client or get_client()
    name, event_id, full = _session_args(event, input, event_id, convo_id, metadata)
    session_id = client.create_session(
        name=name,
        agent_name=str(event),
        user_id=user_id,
        convo_id=convo_id,
        metadata=full,
        experiment_assignment_id=experiment_assignment_id,
    )
    if input is not None:
        client.current_state["input"] = input  # this thread's or task's state (see _context)
    return Interaction(client, session_id, event_id, user_id, event, input=input)


class _Run:
    """What both kinds of interaction keep while the agent runs."""

    _prompt_tokens: int
    _completion_tokens: int
    _cost: float
    _token: Token[Interaction | None] | None
    _view: Interaction | None = None  # what is current for an AsyncInteraction
    client: _Base
    output: Any

    def set_output(self, output: Any) -> None:
        self.output = output

    def add_tokens(
        self, prompt_tokens: int = 0, completion_tokens: int = 0, cost: float = 0.0
    ) -> None:
        """Add to the tokens and cost ``finish`` reports (unless it is given them).

        A value that is no finite number >= 0 (NaN, "n/a") raises a
        ValidationError naming it with ``fail_silently=False``; otherwise it is
        left out (counted as ``invalid_argument``, warned about once) and the
        call's other values are still added."""
        prompt = self._checked("prompt_tokens", prompt_tokens, int)
        completion = self._checked("completion_tokens", completion_tokens, int)
        spent = self._checked("cost", cost, float)
        self._prompt_tokens += int(prompt)
        self._completion_tokens += int(completion)
        self._cost += spent

    def _checked(self, name: str, value: Any, kind: type[int] | type[float]) -> float:
        try:
            return _amount(name, value, kind)
        except ValidationError as exc:
            if not self.client.config.fail_silently:
                raise
            self.client._tracker.note_error(f"add_tokens {name}", exc)
            return 0

    def _leave(self) -> None:
        view = self._view
        if view is not None:
            view.finished = True
        token, self._token = self._token, None
        if token is None:
            return
        try:
            current_interaction.reset(token)
        except ValueError:  # finished in another context than it began in
            current = current_interaction.get()
            if current is not None and (current is self or current is view):
                current_interaction.set(None)


class Interaction(_Run):
    """One run of the agent: finish it, or use it as a context manager."""

    client: SentrialClient

    def __init__(
        self,
        client: SentrialClient,
        session_id: str,
        event_id: str,
        user_id: str,
        event: str,
        langfuse_context: Any = None,
        *,
        input: Any = None,
    ) -> None:
        self.client = client
        self.session_id = session_id
        self.event_id = event_id
        self.user_id = user_id
        self.event = event
        self.input = input
        self.output: Any = None
        self.finished = False
        self._success = True
        self._failure_reason: str | None = None
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self._cost = 0.0
        self._started = time.perf_counter()
        self._token: Token[Interaction | None] | None = current_interaction.set(self)

    @property
    def url(self) -> str:
        """This session's page in the viewer (``client.session_url(session_id)``)."""
        return self.client.session_url(self.session_id)

    def track_tool_call(
        self,
        tool_name: str,
        tool_input: Any = None,
        tool_output: Any = None,
        reasoning: str | None = None,
        estimated_cost: float = 0.0,
        tool_error: Any = None,
        token_count: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        trace_id: str | None = None,
        span_id: str | None = None,
        duration_ms: float | None = None,
    ) -> dict[str, Any]:
        return SentrialClient.track_tool_call(
            self.client,
            self.session_id,
            tool_name,
            tool_input,
            tool_output,
            reasoning,
            estimated_cost,
            tool_error,
            token_count,
            trace_id,
            span_id,
            metadata,
            duration_ms=duration_ms,
        )

    def track_decision(
        self,
        reasoning: str,
        alternatives: Iterable[str] | None = None,
        confidence: float | None = None,
        estimated_cost: float = 0.0,
        token_count: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        trace_id: str | None = None,
        span_id: str | None = None,
    ) -> dict[str, Any]:
        return SentrialClient.track_decision(
            self.client,
            self.session_id,
            reasoning,
            alternatives,
            confidence,
            estimated_cost,
            token_count,
            trace_id,
            span_id,
            metadata,
        )

    def track_error(
        self,
        error_message: Any,
        error_type: str | None = None,
        tool_name: str | None = None,
        stack_trace: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        trace_id: str | None = None,
        span_id: str | None = None,
    ) -> dict[str, Any]:
        """Record an error; as published, the interaction then ends as failed
        (with this message as the reason) unless ``finish`` says otherwise."""
        self._success = False
        self._failure_reason = _payload.safe_str(error_message)
        return SentrialClient.track_error(
            self.client,
            self.session_id,
            error_message,
            error_type,
            tool_name,
            stack_trace,
            trace_id,
            span_id,
            metadata,
        )

    track_llm_call = _for_session(SentrialClient.track_llm_call)

    def finish(
        self,
        output: Any = None,
        success: bool = True,
        failure_reason: str | None = None,
        estimated_cost: float | None = None,
        custom_metrics: Mapping[str, float] | None = None,
        duration_ms: float | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        total_tokens: int | None = None,
    ) -> dict[str, Any]:
        """End the session; the duration is measured unless given. Returns the
        session's new state; a second call is a no-op returning ``{}``."""
        if self.finished:
            return {}
        self.finished = True
        if output is not None:
            self.output = output
        if duration_ms is None:
            duration_ms = (time.perf_counter() - self._started) * 1000
        if prompt_tokens is None and self._prompt_tokens:
            prompt_tokens = self._prompt_tokens
        if completion_tokens is None and self._completion_tokens:
            completion_tokens = self._completion_tokens
        if estimated_cost is None and self._cost:
            estimated_cost = self._cost
        try:
            return SentrialClient.complete_session(
                self.client,
                self.session_id,
                success=success,
                failure_reason=failure_reason,
                estimated_cost=estimated_cost,
                custom_metrics=custom_metrics,
                duration_ms=duration_ms,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                total_tokens=total_tokens,
                user_input=self.input,
                assistant_output=self.output,
            )
        finally:
            self._leave()

    def __enter__(self) -> Interaction:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.finish(success=False, failure_reason=_describe(exc))
        else:
            self.finish(success=self._success, failure_reason=self._failure_reason)

    async def __aenter__(self) -> Interaction:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"Interaction(session_id={self.session_id!r}, event={self.event!r})"


_default_async: AsyncSentrialClient | None = None


async def configure_async(
    api_key: str | None = None,
    api_url: str | None = None,
    fail_silently: bool = True,
    **options: Any,
) -> AsyncSentrialClient:
    """Set up the client ``begin_async`` uses; returns it."""
    global _default_async
    previous, _default_async = (
        _default_async,
        AsyncSentrialClient(api_url, api_key, fail_silently, **options),
    )
    if previous is not None:
        await previous.close()
    return _default_async


def get_async_client() -> AsyncSentrialClient:
    """The client of ``configure_async`` (made from the environment if never called)."""
    global _default_async
    if _default_async is None:
        _default_async = AsyncSentrialClient()
    return _default_async


async def begin_async(
    user_id: str,
    event: str,
    input: Any = None,
    event_id: str | None = None,
    convo_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    *,
    client: AsyncSentrialClient | None = None,
    experiment_assignment_id: str | None = None,
) -> AsyncInteraction:
    """``begin`` for asyncio code: the interaction's methods are coroutines."""
    client = client or get_async_client()
    name, event_id, full = _session_args(event, input, event_id, convo_id, metadata)
    session_id = await client.create_session(
        name=name,
        agent_name=str(event),
        user_id=user_id,
        convo_id=convo_id,
        metadata=full,
        experiment_assignment_id=experiment_assignment_id,
    )
    if input is not None:
        client.current_state["input"] = input  # this task's state (see _context)
    return AsyncInteraction(client, session_id, event_id, user_id, event, input)


_sync_twins: weakref.WeakKeyDictionary[AsyncSentrialClient, SentrialClient] = (
    weakref.WeakKeyDictionary()
)


def _sync_twin(client: AsyncSentrialClient) -> SentrialClient:
    """A ``SentrialClient`` sharing ``client``'s tracker (its delivery, state and
    counts): what ``@tool``, the wrappers and integrations call synchronously on
    the current interaction."""
    twin = _sync_twins.get(client)
    if twin is None:
        twin = _sync_twins[client] = SentrialClient._sharing(client)
    return twin


class AsyncInteraction(_Run):
    """One run of the agent with an ``AsyncSentrialClient``."""

    client: AsyncSentrialClient

    def __init__(
        self,
        client: AsyncSentrialClient,
        session_id: str,
        event_id: str,
        user_id: str,
        event: str,
        user_input: Any = None,
    ) -> None:
        self.client = client
        self.session_id = session_id
        self.event_id = event_id
        self.user_id = user_id
        self.event = event
        self.user_input = self.input = user_input
        self.output: Any = None
        self.finished = False
        self._success = True
        self._failure_reason: str | None = None
        self._prompt_tokens = 0
        self._completion_tokens = 0
        self._cost = 0.0
        self._started = time.perf_counter()
        # Current for the task that began it (as ``begin`` is), until finished:
        # the decorators and integrations see a synchronous view of it.
        view = Interaction(
            _sync_twin(client), session_id, event_id, user_id, event, input=user_input
        )
        self._view = view
        self._token: Token[Interaction | None] | None = view._token
        view._token = None

    @property
    def url(self) -> str:
        """This session's page in the viewer (``client.session_url(session_id)``)."""
        return self.client.session_url(self.session_id)

    # The published signatures, written once in Interaction.
    track_tool_call = _async_of(Interaction.track_tool_call)
    track_decision = _async_of(Interaction.track_decision)
    track_error = _async_of(Interaction.track_error)
    track_llm_call = _async_of(Interaction.track_llm_call)
    finish = _async_of(Interaction.finish)

    async def __aenter__(self) -> AsyncInteraction:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            await self.finish(success=False, failure_reason=_describe(exc))
        else:
            await self.finish(success=self._success, failure_reason=self._failure_reason)

    def __repr__(self) -> str:
        return f"AsyncInteraction(session_id={self.session_id!r}, event={self.event!r})"
