"""``@sentrial.tool`` and ``@sentrial.session``: tracking without extra lines.

Both keep the wrapped function's signature, return value and exceptions, and
work on plain functions, coroutines, generators and async generators. ``tool``
records into the current session (see ``_context``) and does nothing outside
one; ``session`` opens a session around each call.

A decorated generator behaves as ``yield from`` the original: ``send()``,
``throw()``, ``close()`` and the return value pass through unchanged (and
``asend()``, ``athrow()``, ``aclose()`` for async generators). The call is
recorded once, when the generator ends: the items it yielded as output (the
first MAX_RECORDED_ITEMS), or the exception it ended with as the error. A
consumer that stops early (``break``, ``close()``, ``aclose()``) is not a
failure: the call is recorded with what was yielded so far (see
:func:`stopped_early`, the rule the LLM stream wrappers follow too).
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import AsyncGenerator, Callable, Generator
from contextvars import Token
from typing import Any, Protocol, TypeVar, overload

from . import _context
from ._context import current_interaction
from ._ids import new_span_id, now_ns
from ._interaction import Interaction, begin

F = TypeVar("F", bound=Callable[..., Any])

MAX_RECORDED_ITEMS = 100


def _arguments(
    signature: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    if signature is not None:
        try:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return dict(bound.arguments)
        except TypeError:
            pass
    return {"args": args, "kwargs": kwargs}


def stopped_early(error: BaseException) -> bool:
    """Whether a generator or stream ended only because its consumer stopped
    (``break``, ``close()``, ``aclose()``: a ``GeneratorExit``), which is not a
    failure of what it observes."""
    return isinstance(error, GeneratorExit)


class _Call:
    """One call of a decorated tool: timing and recording, never raising.

    The call is a step (see ``_context.Step``): while ``inside`` it, what is
    recorded for the same session names it as its parent."""

    __slots__ = ("arguments", "interaction", "name", "started", "step", "token")

    def __init__(self, name: str, interaction: Interaction, arguments: dict[str, Any]) -> None:
        self.name = name
        self.interaction = interaction
        self.arguments = arguments
        self.step = _context.Step(
            interaction.session_id, new_span_id(), now_ns(), _context.current_step.get()
        )
        self.token: Token[_context.Step | None] | None = None
        self.started = time.perf_counter()

    def inside(self) -> _Call:
        """Make this call the current step (a function or coroutine: one context
        from start to end; a generator's would leak into its consumer between items)."""
        self.token = _context.current_step.set(self.step)
        return self

    def done(self, result: Any = None, error: BaseException | None = None) -> None:
        duration_ms = (time.perf_counter() - self.started) * 1000
        if self.token is not None:
            _context.current_step.reset(self.token)
            self.token = None
        output = None if error is not None else {"result": result}
        step = self.step
        recording = _context.recording.set(
            _context.Recording(step.span_id, step.parent, step.started_ns)
        )
        try:
            self.interaction.track_tool_call(
                self.name, self.arguments, output, tool_error=error, duration_ms=duration_ms
            )
        finally:
            _context.recording.reset(recording)


class _Items:
    """What a generator yielded: the first items, and how many there were."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.count = 0

    def add(self, item: Any) -> None:
        self.count += 1
        if len(self.items) < MAX_RECORDED_ITEMS:
            self.items.append(item)

    def result(self) -> Any:
        return (
            self.items
            if self.count <= MAX_RECORDED_ITEMS
            else {"first_items": self.items, "count": self.count}
        )


class _Recorder(Generator[Any, Any, Any]):
    """Forwards next/send/throw/close to a generator, noting each item it
    yields: ``result = yield from _Recorder(gen, items)`` keeps every
    behaviour of ``result = yield from gen``."""

    __slots__ = ("_gen", "_items")

    def __init__(self, gen: Generator[Any, Any, Any], items: _Items) -> None:
        self._gen = gen
        self._items = items

    def __next__(self) -> Any:
        item = next(self._gen)
        self._items.add(item)
        return item

    def send(self, value: Any) -> Any:
        item = self._gen.send(value)
        self._items.add(item)
        return item

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        # the one-argument form when that is how it came (the others are deprecated)
        item = self._gen.throw(typ) if val is None and tb is None else self._gen.throw(typ, val, tb)
        self._items.add(item)
        return item

    def close(self) -> None:
        self._gen.close()


class _Outcome(Protocol):
    """What a decorated call records when it ends."""

    def done(self, result: Any = None, error: BaseException | None = None) -> None: ...


_Start = Callable[[tuple[Any, ...], dict[str, Any]], _Outcome | None]


def _end(call: _Outcome | None, items: _Items, exc: BaseException) -> None:
    """Record a generator that ended with ``exc``: stopped early, what it yielded."""
    if call is None:
        return
    if stopped_early(exc):
        call.done(items.result())
    else:
        call.done(error=exc)


def _wrap_generator(func: Callable[..., Any], start: _Start) -> Callable[..., Any]:
    @functools.wraps(func)
    def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        call = start(args, kwargs)
        items = _Items()
        try:
            result = yield from _Recorder(func(*args, **kwargs), items)
        except BaseException as exc:
            _end(call, items, exc)
            raise
        if call is not None:
            call.done(items.result())
        return result

    return gen_wrapper


def _wrap_async_generator(func: Callable[..., Any], start: _Start) -> Callable[..., Any]:
    @functools.wraps(func)
    async def async_gen_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        call = start(args, kwargs)
        items = _Items()
        try:
            # Async generators have no `yield from`: asend, athrow and aclose by hand.
            agen = func(*args, **kwargs)
            try:
                item = await agen.__anext__()
            except StopAsyncIteration:
                pass
            else:
                while True:
                    items.add(item)
                    try:
                        sent = yield item
                    except GeneratorExit:
                        await agen.aclose()
                        raise
                    except BaseException as exc:
                        try:
                            item = await agen.athrow(exc)
                        except StopAsyncIteration:
                            break
                    else:
                        try:
                            item = await agen.asend(sent)
                        except StopAsyncIteration:
                            break
        except BaseException as exc:
            _end(call, items, exc)
            raise
        if call is not None:
            call.done(items.result())

    return async_gen_wrapper


def _wrap_tool(func: F, name: str) -> F:
    try:
        signature: inspect.Signature | None = inspect.signature(func)
    except (TypeError, ValueError):
        signature = None

    def start(args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Call | None:
        interaction = current_interaction.get()
        if interaction is None or interaction.finished:
            return None
        return _Call(name, interaction, _arguments(signature, args, kwargs))

    if inspect.isasyncgenfunction(func):
        return _wrap_async_generator(func, start)  # type: ignore[return-value]

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            call = start(args, kwargs)
            if call is not None:
                call.inside()
            try:
                result = await func(*args, **kwargs)
            except BaseException as exc:
                if call is not None:
                    call.done(error=exc)
                raise
            if call is not None:
                call.done(result)
            return result

        return async_wrapper  # type: ignore[return-value]

    if inspect.isgeneratorfunction(func):
        return _wrap_generator(func, start)  # type: ignore[return-value]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        call = start(args, kwargs)
        if call is not None:
            call.inside()
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            if call is not None:
                call.done(error=exc)
            raise
        if call is not None:
            call.done(result)
        return result

    return wrapper  # type: ignore[return-value]


@overload
def tool(name_or_func: F) -> F: ...
@overload
def tool(name_or_func: str | None = None, *, name: str | None = None) -> Callable[[F], F]: ...


def tool(name_or_func: str | Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
    """Track each call of the function as a tool call of the current session.

    >>> import sentrial
    >>> @sentrial.tool
    ... def search(query: str) -> list[str]:
    ...     return [query.upper()]
    >>> search("hi")  # outside a session: just the function
    ['HI']
    """
    if callable(name_or_func):
        return _wrap_tool(name_or_func, str(getattr(name_or_func, "__name__", "tool")))
    chosen = name_or_func or name

    def decorate(func: F) -> F:
        return _wrap_tool(func, chosen or str(getattr(func, "__name__", "tool")))

    return decorate


_entry_points: list[Callable[..., Any]] = []


def get_session_entry_points() -> list[Callable[..., Any]]:
    """The functions decorated with ``@session`` so far (as published, for tools
    that discover agents)."""
    return _entry_points


def clear_session_entry_points() -> None:
    _entry_points.clear()


@overload
def session(name_or_func: F) -> F: ...
@overload
def session(
    name_or_func: str | None = None,
    *,
    agent_name: str | None = None,
    user_id_param: str = "user_id",
    input_param: str = "input",
    message_param: str = "message",
    user_id: str | None = None,
) -> Callable[[F], F]: ...


def session(
    name_or_func: str | Callable[..., Any] | None = None,
    *,
    agent_name: str | None = None,
    user_id_param: str = "user_id",
    input_param: str = "input",
    message_param: str = "message",
    user_id: str | None = None,
) -> Any:
    """Open a session around each call: input and return value as output.

    The user id comes from the call's ``user_id_param`` argument when it has
    one, else from ``user_id=`` here, else ``"anonymous"``. The input is the
    ``input_param`` or ``message_param`` argument when the function has one
    (as published), else all arguments. An exception marks the session failed
    (``"Type: message"``) and propagates unchanged. Bare ``@session`` names
    the agent after the function.
    """
    if callable(name_or_func):
        return session(
            agent_name=agent_name,
            user_id_param=user_id_param,
            input_param=input_param,
            message_param=message_param,
            user_id=user_id,
        )(name_or_func)
    chosen = name_or_func or agent_name

    def decorate(func: F) -> F:
        agent = chosen or str(getattr(func, "__name__", "agent"))
        try:
            signature: inspect.Signature | None = inspect.signature(func)
        except (TypeError, ValueError):
            signature = None

        def open_session(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Interaction:
            arguments = _arguments(signature, args, kwargs)
            who = arguments.get(user_id_param, user_id) or "anonymous"
            given = next(
                (arguments[p] for p in (input_param, message_param) if p in arguments), None
            )
            return begin(
                user_id=str(who),
                event=agent,
                input=_describe(given if given is not None else arguments),
            )

        def start(args: tuple[Any, ...], kwargs: dict[str, Any]) -> _SessionCall:
            return _SessionCall(open_session(args, kwargs))

        wrapped: Callable[..., Any]
        if inspect.isasyncgenfunction(func):
            wrapped = _wrap_async_generator(func, start)
        elif inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with open_session(args, kwargs) as interaction:
                    result = await func(*args, **kwargs)
                    interaction.set_output(_describe(result))
                    return result

            wrapped = async_wrapper
        elif inspect.isgeneratorfunction(func):
            wrapped = _wrap_generator(func, start)
        else:

            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                with open_session(args, kwargs) as interaction:
                    result = func(*args, **kwargs)
                    interaction.set_output(_describe(result))
                    return result

            wrapped = wrapper
        _entry_points.append(wrapped)
        return wrapped  # type: ignore[return-value]

    return decorate


class _SessionCall:
    """One call of a session generator: output (what it yielded) or failure at its end."""

    __slots__ = ("interaction",)

    def __init__(self, interaction: Interaction) -> None:
        self.interaction = interaction

    def done(self, result: Any = None, error: BaseException | None = None) -> None:
        if error is not None:
            self.interaction.__exit__(type(error), error, error.__traceback__)
        else:
            self.interaction.set_output(_describe(result))
            self.interaction.__exit__(None, None, None)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return value
    from ._payload import dumps

    return dumps(value).decode()
