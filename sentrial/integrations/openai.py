"""``sentrial.wrap_openai``: every chat completion becomes an ``llm_call`` event.

>>> import openai, sentrial
>>> client = sentrial.wrap_openai(openai.OpenAI(api_key="sk-...", base_url="http://127.0.0.1:9"))

The wrapped client is the same object, with ``chat.completions.create`` and
``responses.create`` observed: they return exactly what they returned and
raise exactly what they raised. Streams stay the same ``Stream`` objects;
their usage is read from the final chunk (ask for it with
``stream_options={"include_usage": True}``). Outside a session nothing is
tracked unless ``track_outside_session=True``. Clients made from it with
``with_options(...)`` or ``copy()`` (new clients, in the SDK) are wrapped too,
with the same settings.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ..cost import TokenUsage, usage_from
from ._calls import AnyClient
from ._recorder import Call, Target, observe_stream, start
from ._recorder import target as make_target
from ._wrapping import wrap_sync

C = TypeVar("C")

_MARK = "_sentrial_wrapped"

logger = logging.getLogger("sentrial")


def wrap_openai(
    client: C,
    track_without_session: bool = False,
    *,
    sentrial_client: AnyClient | None = None,
    session_id: str | None = None,
    track_outside_session: bool = False,
) -> C:
    """Observe an ``openai.OpenAI`` or ``openai.AsyncOpenAI`` client (in place); returns it."""
    # track_without_session: the published SDK's name for track_outside_session
    outside = track_outside_session or track_without_session
    _observe(client, make_target("openai", sentrial_client, session_id, outside))
    return client


def _observe(client: Any, target: Target) -> None:
    chat = getattr(getattr(client, "chat", None), "completions", None)
    if chat is not None:
        _patch(chat, "create", target, _chat_input, _chat_output, _chat_stream_summary)
    responses = getattr(client, "responses", None)
    if responses is not None:
        _patch(
            responses,
            "create",
            target,
            _responses_input,
            _responses_output,
            _responses_stream_summary,
        )
    wrap_copies(client, lambda copied: _observe(copied, target))


def wrap_copies(client: Any, observe: Callable[[Any], object]) -> None:
    """Have the clients that ``client.copy()`` and ``client.with_options()`` make
    (the OpenAI and Anthropic SDKs build a new client: ``with_options = copy``)
    passed to ``observe`` before they are returned, so that they are wrapped
    too. Only this client object changes, never its class."""
    for name in ("copy", "with_options"):
        _wrap_copy(client, name, observe)


def _wrap_copy(client: Any, name: str, observe: Callable[[Any], object]) -> None:
    original = getattr(client, name, None)
    if not callable(original) or getattr(original, _MARK, False):
        return  # not an SDK client, or already wrapped

    @functools.wraps(original)
    def copy(*args: Any, **kwargs: Any) -> Any:
        copied = original(*args, **kwargs)
        try:
            observe(copied)
        except Exception:  # tracking must never break the call it observes
            logger.debug("sentrial: could not wrap a copy of a client", exc_info=True)
        return copied

    setattr(copy, _MARK, True)
    try:
        setattr(client, name, copy)
    except (AttributeError, TypeError):
        logger.debug("sentrial: cannot wrap %s of %r", name, type(client), exc_info=True)


def _patch(
    resource: Any, name: str, target: Target, get_input: Any, get_output: Any, summarize: Any
) -> None:
    original = getattr(resource, name)
    if getattr(original, _MARK, False):
        return  # already wrapped

    def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        return start(target, kwargs.get("model"), get_input(kwargs))

    def finish(call: Call, result: Any, is_async: bool) -> Any:
        if _is_stream(result):
            observe_stream(result, call, summarize, is_async)
        else:
            try:
                output, model = get_output(result)
            except Exception:
                output, model = None, None
            call.record(output=output, usage=_usage(result), model=model)
        return result

    async def finish_async(call: Call, pending: Awaitable[Any]) -> Any:
        try:
            result = await pending
        except BaseException as exc:
            call.record(error=exc)
            raise
        return finish(call, result, True)

    def settle(call: Call, result: Any, kwargs: dict[str, Any]) -> Any:
        if inspect.isawaitable(result):  # the async clients' methods return coroutines
            return finish_async(call, result)
        return finish(call, result, False)

    # A plain function even for the async clients: it returns their coroutine,
    # observed by finish_async, as the SDK's method returns one.
    wrapper = wrap_sync(original, begin, settle)
    setattr(wrapper, _MARK, True)
    setattr(resource, name, wrapper)


def _is_stream(result: Any) -> bool:
    return hasattr(result, "_iterator") and hasattr(result, "response")


def _usage(result: Any) -> TokenUsage | None:
    try:
        return usage_from(result)
    except Exception:
        return None


def _chat_input(kwargs: dict[str, Any]) -> Any:
    return kwargs.get("messages")


def _chat_output(result: Any) -> tuple[Any, str | None]:
    message = result.choices[0].message
    content = message.content
    if getattr(message, "tool_calls", None):
        calls = [
            {"name": c.function.name, "arguments": c.function.arguments} for c in message.tool_calls
        ]
        return {"content": content, "tool_calls": calls}, result.model
    return content, result.model


def _chat_stream_summary(chunks: list[Any]) -> tuple[Any, TokenUsage | None, str | None]:
    text = []
    usage = None
    model = None
    for chunk in chunks:
        model = getattr(chunk, "model", None) or model
        for choice in getattr(chunk, "choices", None) or []:
            delta = getattr(choice, "delta", None)
            if delta is not None and getattr(delta, "content", None):
                text.append(delta.content)
        if getattr(chunk, "usage", None) is not None:
            usage = usage_from(chunk)
    return "".join(text), usage, model


def _responses_input(kwargs: dict[str, Any]) -> Any:
    return kwargs.get("input")


def _responses_output(result: Any) -> tuple[Any, str | None]:
    return getattr(result, "output_text", None), getattr(result, "model", None)


def _responses_stream_summary(events: list[Any]) -> tuple[Any, TokenUsage | None, str | None]:
    for event in reversed(events):
        response = getattr(event, "response", None)
        if response is not None and getattr(response, "usage", None) is not None:
            return (
                getattr(response, "output_text", None),
                usage_from(response),
                getattr(response, "model", None),
            )
    return None, None, None
