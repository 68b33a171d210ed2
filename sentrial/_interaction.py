"""``sentrial.configure`` / ``sentrial.begin`` and the :class:`Interaction` they return."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import Token
from types import TracebackType
from typing import Any

from ._client import SentrialClient
from ._context import current_interaction

_default: SentrialClient | None = None
_default_lock = threading.Lock()


def configure(
    api_key: str | None = None,
    api_url: str | None = None,
    fail_silently: bool = True,
    pii: bool | Callable[[Any], Any] | None = None,
    batching: Any = None,
    **options: Any,
) -> SentrialClient:
    """Set up the client ``begin`` and the decorators use; returns it.

    ``pii=True`` turns on the built-in redaction of emails, phone and card
    numbers and keys; a callable is used as the ``mask``. ``batching`` is
    accepted for compatibility: delivery is always batched in the background
    (pass ``delivery="sync"`` for one request per call).
    """
    global _default
    if pii is True:
        options.setdefault("redact", True)
    elif callable(pii):
        options.setdefault("mask", pii)
    client = SentrialClient(
        api_key=api_key, api_url=api_url, fail_silently=fail_silently, **options
    )
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


def begin(
    user_id: str,
    event: str,
    input: Any = None,
    event_id: str | None = None,
    convo_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    *,
    client: SentrialClient | None = None,
) -> Interaction:
    """Start tracking one interaction (a session whose agent name is ``event``)."""
    return Interaction(
        client or get_client(),
        user_id=user_id,
        event=event,
        input=input,
        event_id=event_id,
        convo_id=convo_id,
        metadata=metadata,
    )


class Interaction:
    """One run of the agent: finish it, or use it as a context manager."""

    def __init__(
        self,
        client: SentrialClient,
        *,
        user_id: str,
        event: str,
        input: Any = None,
        event_id: str | None = None,
        convo_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.user_id = user_id
        self.event = event
        self.input = input
        self.output: Any = None
        self.finished = False
        self._started = time.perf_counter()
        if event_id is not None:
            metadata = {**(metadata or {}), "event_id": event_id}
        self.session_id = client.create_session(
            name=str(event),
            agent_name=str(event),
            user_id=user_id,
            convo_id=convo_id,
            metadata=metadata,
        )
        self._token: Token[Interaction | None] | None = current_interaction.set(self)

    def set_output(self, output: Any) -> None:
        self.output = output

    def track_tool_call(
        self, tool_name: str, tool_input: Any = None, tool_output: Any = None, **kwargs: Any
    ) -> str | None:
        return self.client.track_tool_call(
            self.session_id, tool_name, tool_input, tool_output, **kwargs
        )

    def track_decision(
        self,
        reasoning: str,
        alternatives: Iterable[str] | None = None,
        confidence: float | None = None,
        **kwargs: Any,
    ) -> str | None:
        return self.client.track_decision(
            self.session_id, reasoning, alternatives, confidence, **kwargs
        )

    def track_error(
        self, error_message: Any, error_type: str | None = None, **kwargs: Any
    ) -> str | None:
        return self.client.track_error(self.session_id, error_message, error_type, **kwargs)

    def track_llm_call(self, model: str, **kwargs: Any) -> str | None:
        return self.client.track_llm_call(self.session_id, model, **kwargs)

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
    ) -> None:
        """End the session; the duration is measured unless given. A second call is a no-op."""
        if self.finished:
            return
        self.finished = True
        if output is not None:
            self.output = output
        if duration_ms is None:
            duration_ms = (time.perf_counter() - self._started) * 1000
        self.client.complete_session(
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
        self._leave()

    def _leave(self) -> None:
        token, self._token = self._token, None
        if token is None:
            return
        try:
            current_interaction.reset(token)
        except ValueError:  # finished in another context than it began in
            if current_interaction.get() is self:
                current_interaction.set(None)

    def __enter__(self) -> Interaction:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self.finish(success=False, failure_reason=f"{type(exc).__name__}: {exc}")
        else:
            self.finish()

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
