"""What every LLM wrapper shares: where to record, timing, and never failing.

A wrapper asks :func:`start` for a :class:`Call` before calling the provider;
``None`` means "not tracked" (no current session, and the wrapper was not
told to track outside one). Recording is wrapped so that a failure inside
tracking never reaches the caller: the provider's result or exception passes
through untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import Any

from .. import _context
from .._context import current_interaction
from .._decorators import stopped_early
from .._ids import now_ns
from .._interaction import get_client
from ..cost import TokenUsage
from ._calls import AnyClient, call_client, new_session

logger = logging.getLogger("sentrial")


class Target:
    """Where a wrapped client's calls go, chosen at wrap time."""

    def __init__(
        self,
        *,
        client: AnyClient | None,
        session_id: str | None,
        track_outside_session: bool,
        provider: str,
    ) -> None:
        self.client = client
        self.session_id = session_id
        self.track_outside_session = track_outside_session
        self.provider = provider


def target(
    provider: str,
    sentrial_client: AnyClient | None,
    session_id: str | None,
    track_outside_session: bool,
) -> Target:
    """What every ``wrap_*`` makes of its keyword arguments."""
    return Target(
        client=sentrial_client,
        session_id=session_id,
        track_outside_session=track_outside_session,
        provider=provider,
    )


class Call:
    def __init__(
        self,
        target: Target,
        client: AnyClient,
        session_id: str,
        own_session: bool,
        model: str,
        input: Any,
    ) -> None:
        self.target = target
        self.client = client
        self.session_id = session_id
        self.own_session = own_session
        self.model = model
        self.input = input
        self.started = time.perf_counter()
        # the step it runs in and its start: a stream is recorded when it ends,
        # perhaps after that step (see _context.Step)
        self.step = _context.Recording(None, _context.current_step.get(), now_ns())
        self.recorded = False

    def record(
        self,
        *,
        output: Any = None,
        usage: TokenUsage | None = None,
        error: BaseException | None = None,
        model: str | None = None,
    ) -> None:
        """Record the call once; never raises."""
        if self.recorded:
            return
        self.recorded = True
        try:
            duration_ms = (time.perf_counter() - self.started) * 1000
            kwargs: dict[str, Any] = {}
            if usage is not None:
                kwargs.update(
                    prompt_tokens=usage.input_tokens,
                    completion_tokens=usage.output_tokens,
                    cached_tokens=usage.cached_input_tokens,
                    cache_write_tokens=usage.cache_write_tokens,
                )
            recording = _context.recording.set(self.step)
            try:
                self._track(duration_ms, output, error, model, kwargs)
            finally:
                _context.recording.reset(recording)
            if self.own_session:
                call_client(
                    self.client,
                    "complete_session",
                    session_id=self.session_id,
                    success=error is None,
                    failure_reason=None if error is None else f"{type(error).__name__}: {error}",
                    duration_ms=duration_ms,
                )
        except Exception:  # tracking must never break the call it observes
            logger.debug("sentrial: recording an LLM call failed", exc_info=True)

    def _track(
        self,
        duration_ms: float,
        output: Any,
        error: BaseException | None,
        model: str | None,
        kwargs: dict[str, Any],
    ) -> None:
        call_client(
            self.client,
            "track_llm_call",
            session_id=self.session_id,
            model=model or self.model,
            provider=self.target.provider,
            input=self.input,
            output=output,
            duration_ms=duration_ms,
            error=error,
            **kwargs,
        )


def start(target: Target, model: Any, input: Any) -> Call | None:
    """A Call for the current session, or None when this call is not tracked."""
    try:
        model_name = str(model) if model is not None else "unknown"
        if target.session_id is not None:
            client = target.client or get_client()
            return Call(target, client, target.session_id, False, model_name, input)
        interaction = current_interaction.get()
        if interaction is not None and not interaction.finished:
            return Call(
                target,
                target.client or interaction.client,
                interaction.session_id,
                False,
                model_name,
                input,
            )
        if target.track_outside_session:
            client = target.client or get_client()
            session_id = new_session(
                client,
                name=model_name,
                agent_name=f"{target.provider}-calls",
                user_id="anonymous",
            )
            if session_id is None:  # the client's create_session gave none
                return None
            return Call(target, client, session_id, True, model_name, input)
    except Exception:
        logger.debug("sentrial: could not start tracking an LLM call", exc_info=True)
    return None


def observe_iterator(
    iterator: Iterator[Any],
    call: Call,
    summarize: Callable[[list[Any]], tuple[Any, TokenUsage | None, str | None]],
) -> Generator[Any, None, None]:
    """Pass a stream's items through unchanged; record when it ends, fails or is closed."""
    items: list[Any] = []
    error: BaseException | None = None
    try:
        for item in iterator:
            items.append(item)
            yield item
    except BaseException as exc:
        error = exc
        raise
    finally:
        _record_stream(call, items, error, summarize)


async def observe_async_iterator(
    iterator: AsyncIterator[Any],
    call: Call,
    summarize: Callable[[list[Any]], tuple[Any, TokenUsage | None, str | None]],
) -> AsyncGenerator[Any, None]:
    items: list[Any] = []
    error: BaseException | None = None
    try:
        async for item in iterator:
            items.append(item)
            yield item
    except BaseException as exc:
        error = exc
        raise
    finally:
        _record_stream(call, items, error, summarize)


def observe_stream(
    stream: Any,
    call: Call,
    summarize: Callable[[list[Any]], tuple[Any, TokenUsage | None, str | None]],
    is_async: bool,
) -> None:
    """Observe an SDK stream (OpenAI's and Anthropic's ``Stream``) in place.

    Its items pass through its ``_iterator``, observed; and its ``close()``
    (also what leaving ``with stream:`` calls) closes the observer first, so
    a stream its consumer stops reading is recorded then, with what was read,
    not whenever the collector finds it (maybe at interpreter exit, too late
    to send). A stream closed before its first item is recorded as well."""
    close = stream.close
    if is_async:
        observed_async = observe_async_iterator(stream._iterator, call, summarize)

        async def close_async() -> None:
            await observed_async.aclose()
            _record_stream(call, [], None, summarize)  # no-op once recorded
            await close()

        stream._iterator, stream.close = observed_async, close_async
        return
    observed = observe_iterator(stream._iterator, call, summarize)

    def close_sync() -> None:
        observed.close()
        _record_stream(call, [], None, summarize)  # no-op once recorded
        close()

    stream._iterator, stream.close = observed, close_sync


def _record_stream(
    call: Call,
    items: list[Any],
    error: BaseException | None,
    summarize: Callable[[list[Any]], tuple[Any, TokenUsage | None, str | None]],
) -> None:
    try:
        output, usage, model = summarize(items)
    except Exception:
        output, usage, model = None, None, None
    if error is not None and stopped_early(error):
        error = None  # closed early by the consumer: not a failure
    call.record(output=output, usage=usage, error=error, model=model)
