"""The one shape of a patched LLM method: begin a record, call, record, settle.

Why it is written once: ``wrap_openai`` (and ``wrap_anthropic``, which uses
its patching) and ``wrap_google`` replace SDK methods in place, and every
replacement must keep the same promises: ``begin`` decides once per call
whether it is tracked (None: the original is called as if not wrapped); the
original is called exactly once; an exception it raises (``BaseException``
too: a cancellation is recorded as well) is recorded and re-raised as the very
same object; otherwise ``settle`` records the result and returns what the
caller gets (the result itself, or the stream it observes). Kept in one place,
these promises cannot drift apart between the SDKs; what does differ (what a
request looks like, how a result or stream is read) stays in each integration,
in its ``begin`` and ``settle``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from ._recorder import Call

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

Begin = Callable[[tuple[Any, ...], dict[str, Any]], Call | None]
"""``begin(args, kwargs)``: the record of this call, or None when it is not tracked."""


def wrap_sync(
    original: Callable[P, R],
    begin: Begin,
    settle: Callable[[Call, R, dict[str, Any]], T],
) -> Callable[P, R | T]:
    """``original`` recorded: ``begin(args, kwargs)``, the call, and either the
    exception recorded and re-raised or ``settle(call, result, kwargs)`` returned."""

    @functools.wraps(original)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | T:
        call = begin(args, kwargs)
        if call is None:
            return original(*args, **kwargs)
        try:
            result = original(*args, **kwargs)
        except BaseException as exc:
            call.record(error=exc)
            raise
        return settle(call, result, kwargs)

    return wrapper


def wrap_async(
    original: Callable[P, Awaitable[R]],
    begin: Begin,
    settle: Callable[[Call, R, dict[str, Any]], T],
) -> Callable[P, Coroutine[Any, Any, R | T]]:
    """:func:`wrap_sync` for a coroutine function: the wrapper is one too, and
    what is recorded is the awaited result or the exception raised awaiting it."""

    @functools.wraps(original)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | T:
        call = begin(args, kwargs)
        if call is None:
            return await original(*args, **kwargs)
        try:
            result = await original(*args, **kwargs)
        except BaseException as exc:
            call.record(error=exc)
            raise
        return settle(call, result, kwargs)

    return wrapper
