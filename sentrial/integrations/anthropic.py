"""``sentrial.wrap_anthropic``: every ``messages.create`` becomes an ``llm_call`` event.

>>> import anthropic, sentrial
>>> client = sentrial.wrap_anthropic(anthropic.Anthropic(api_key="sk-ant-..."))

Same contract as :func:`sentrial.wrap_openai`: same object, same results,
same exceptions, and clients made from it with ``with_options(...)`` or
``copy()`` are wrapped too. Streams (``stream=True``) stay the same
``Stream`` objects; usage comes from the ``message_start`` and
``message_delta`` events. ``messages.stream(...)`` (the SDK's helper, which
does not go through ``create``) is recorded when its ``with`` / ``async with``
block ends, with what was read. Cache reads and writes, reported apart by
Anthropic, are recorded and priced.
"""

from __future__ import annotations

from typing import Any, TypeVar

from ..cost import TokenUsage, usage_from
from ._calls import AnyClient
from ._recorder import Call, Target, start
from ._recorder import target as make_target
from ._wrapping import wrap_sync
from .openai import _MARK, _patch, wrap_copies

C = TypeVar("C")


def wrap_anthropic(
    client: C,
    track_without_session: bool = False,
    *,
    sentrial_client: AnyClient | None = None,
    session_id: str | None = None,
    track_outside_session: bool = False,
) -> C:
    """Observe an ``anthropic.Anthropic`` or ``anthropic.AsyncAnthropic`` client (in place)."""
    # track_without_session: the published SDK's name for track_outside_session
    outside = track_outside_session or track_without_session
    _observe(client, make_target("anthropic", sentrial_client, session_id, outside))
    return client


def _observe(client: Any, target: Target) -> None:
    messages = getattr(client, "messages", None)
    if messages is not None:
        _patch(messages, "create", target, _input, _output, _stream_summary)
        _patch_stream_helper(messages, target)
    wrap_copies(client, lambda copied: _observe(copied, target))


def _input(kwargs: dict[str, Any]) -> Any:
    messages = kwargs.get("messages")
    system = kwargs.get("system")
    if system is None:
        return messages
    return [{"role": "system", "content": system}, *(messages or [])]


def _output(result: Any) -> tuple[Any, str | None]:
    parts = []
    for block in getattr(result, "content", None) or []:
        if getattr(block, "type", None) == "text":
            parts.append(block.text)
        elif getattr(block, "type", None) == "tool_use":
            parts.append({"tool_use": block.name, "input": block.input})
    output: Any = "".join(p for p in parts if isinstance(p, str))
    if any(not isinstance(p, str) for p in parts):
        output = parts
    return output, getattr(result, "model", None)


def _stream_summary(events: list[Any]) -> tuple[Any, TokenUsage | None, str | None]:
    text: list[str] = []
    model = None
    start_usage: Any = None
    output_tokens = 0
    for event in events:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            model = event.message.model
            start_usage = event.message.usage
        elif kind == "content_block_delta" and getattr(event.delta, "type", "") == "text_delta":
            text.append(event.delta.text)
        elif kind == "message_delta" and getattr(event, "usage", None) is not None:
            output_tokens = event.usage.output_tokens or output_tokens
    usage = None
    if start_usage is not None:
        base = usage_from({"usage": start_usage})
        if base is not None:
            usage = TokenUsage(
                input_tokens=base.input_tokens,
                output_tokens=output_tokens,
                cached_input_tokens=base.cached_input_tokens,
                cache_write_tokens=base.cache_write_tokens,
            )
    return "".join(text), usage, model


def _patch_stream_helper(messages: Any, target: Target) -> None:
    """``messages.stream(...)``: the manager it returns, recording the call as its
    block ends (the sync and async helpers both return their manager at once)."""
    original = getattr(messages, "stream", None)
    if not callable(original) or getattr(original, _MARK, False):
        return

    def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        return start(target, kwargs.get("model"), _input(kwargs))

    def settle(call: Call, manager: Any, kwargs: dict[str, Any]) -> Any:
        return _RecordedStream(manager, call)

    wrapper = wrap_sync(original, begin, settle)
    setattr(wrapper, _MARK, True)
    messages.stream = wrapper


class _RecordedStream:
    """A ``MessageStreamManager`` (or its async twin) that records the call when
    its block ends: the message as far as it was read, its usage, and the
    exception that ended the block, if any. Everything else is the manager's."""

    def __init__(self, manager: Any, call: Call) -> None:
        self._manager = manager
        self._call = call
        self._stream: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    def __enter__(self) -> Any:
        self._stream = self._manager.__enter__()
        return self._stream

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self._manager.__exit__(*exc_info)
        finally:
            self._record(exc_info[1])

    async def __aenter__(self) -> Any:
        self._stream = await self._manager.__aenter__()
        return self._stream

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self._manager.__aexit__(*exc_info)
        finally:
            self._record(exc_info[1])

    def _record(self, error: BaseException | None) -> None:
        failed = error if isinstance(error, Exception) else None
        try:
            message = self._stream.current_message_snapshot  # as far as it was read
        except Exception:  # never entered, or nothing arrived
            message = None
        if message is None:
            self._call.record(error=failed)
            return
        try:
            output, model = _output(message)
            usage = usage_from(message)
        except Exception:  # an unexpected shape: the call is still recorded
            output, model, usage = None, None, None
        self._call.record(output=output, usage=usage, model=model, error=failed)
