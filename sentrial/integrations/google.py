"""``sentrial.wrap_google``: every Gemini ``generate_content`` becomes an ``llm_call`` event.

>>> from google import genai
>>> import sentrial
>>> client = sentrial.wrap_google(genai.Client(api_key="..."))

Works on the current ``google-genai`` SDK (``genai.Client``: ``models.
generate_content``, ``models.generate_content_stream`` and the same under
``client.aio``, chats included since they call these; an ``AsyncClient``
alone works too). The legacy ``google-generativeai`` ``GenerativeModel``
(what the published SDK wrapped; deprecated by Google) is tracked too:
``generate_content`` (``stream=True`` included), ``generate_content_async``
and its chats (``start_chat().send_message``, which call these), with the
model's ``system_instruction`` recorded first. Same contract as
:func:`sentrial.wrap_openai`: the same object comes back, calls return
exactly what they returned and raise exactly what they raised (a legacy
stream is the SDK's own response object; it is recorded once iterated).

Tokens come from ``usage_metadata``: the prompt count (implicitly cached
tokens included, as Gemini counts them, and recorded as cached so they are
priced as cache reads) and the candidates count plus thinking tokens, which
Google bills as output. Streams report usage so far on every chunk; the last
chunk's is the call's. Nothing here imports a Google package: the client's
methods are found on the object given, so a missing or different SDK leaves
the host app untouched (one warning when nothing could be wrapped).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from ..cost import TokenUsage, usage_from
from ._calls import AnyClient
from ._recorder import Call, Target, observe_async_iterator, observe_iterator, start
from ._recorder import target as make_target
from ._wrapping import Begin, wrap_async, wrap_sync

C = TypeVar("C")

logger = logging.getLogger("sentrial")

_MARK = "_sentrial_wrapped"


def wrap_google(
    client: C,
    track_without_session: bool = False,
    *,
    sentrial_client: AnyClient | None = None,
    session_id: str | None = None,
    track_outside_session: bool = False,
) -> C:
    """Observe a ``google.genai.Client`` or ``AsyncClient`` (in place); returns it."""
    # track_without_session: the published SDK's name for track_outside_session
    outside = track_outside_session or track_without_session
    target = make_target("google", sentrial_client, session_id, outside)
    wrapped = False
    try:
        if _is_legacy_model(client):
            _patch_legacy(client, target)
            wrapped = True
        for models in _genai_models(client):
            _patch_genai(models, "generate_content", target, stream=False)
            _patch_genai(models, "generate_content_stream", target, stream=True)
            wrapped = True
    except Exception:  # a different SDK version must never break the host app
        logger.debug("sentrial: wrap_google failed", exc_info=True)
        wrapped = False
    if not wrapped:
        logger.warning(
            "sentrial: wrap_google: %s is not a google-genai Client nor a "
            "google-generativeai GenerativeModel (left unchanged, its calls are not tracked)",
            type(client).__name__,
        )
    return client


def is_google_client(client: Any) -> bool:
    """Whether ``client`` looks like a client :func:`wrap_google` handles."""
    module = type(client).__module__ or ""
    return module.startswith(("google.genai", "google.generativeai"))


def _is_legacy_model(client: Any) -> bool:
    """A ``google.generativeai.GenerativeModel`` (the legacy SDK)."""
    module = type(client).__module__ or ""
    return module.startswith("google.generativeai") and callable(
        getattr(client, "generate_content", None)
    )


def _patch_legacy(model: Any, target: Target) -> None:
    """Wrap the legacy model's ``generate_content`` and ``generate_content_async``
    on the instance (its ``ChatSession`` calls them through ``self.model``)."""
    name = _model_name(getattr(model, "model_name", None))
    # The SDK keeps the instruction given to the constructor here (as a Content).
    system = getattr(model, "_system_instruction", None)

    def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        contents = kwargs["contents"] if "contents" in kwargs else (args[0] if args else None)
        return start(target, name, _legacy_input(contents, system))

    def observe_stream(result: Any, call: Call, is_async: bool) -> None:
        """The response object stays the SDK's own: its remaining chunks are read
        through an observer, which records the call when the stream ends."""
        first = getattr(result, "_result", None)  # the chunk already read
        rest = getattr(result, "_iterator", None)

        def summary(chunks: list[Any]) -> tuple[Any, TokenUsage | None, str | None]:
            return _stream_summary([first, *chunks] if first is not None else chunks)

        try:
            if rest is not None and is_async:
                result._iterator = observe_async_iterator(rest, call, summary)
                return
            if rest is not None:
                result._iterator = observe_iterator(rest, call, summary)
                return
        except Exception:  # a different response object: record what there is now
            logger.debug("sentrial: observing a legacy Gemini stream failed", exc_info=True)
        _record_response(call, result)

    def settle(call: Call, result: Any, kwargs: dict[str, Any], is_async: bool) -> Any:
        """Record a returned response now, a stream once it has been iterated."""
        if kwargs.get("stream"):
            observe_stream(result, call, is_async=is_async)
        else:
            _record_response(call, result)
        return result

    _patch(model, "generate_content", begin, settle)
    _patch(model, "generate_content_async", begin, settle)


def _legacy_input(contents: Any, system: Any) -> Any:
    """The legacy SDK's ``contents`` as chat messages, its system instruction first.

    As the SDK reads them: a list of turns (dicts or ``Content`` with parts) is
    the conversation; any other list is the parts of one user turn."""
    try:
        if isinstance(contents, list) and not all(_is_turn(c) for c in contents):
            contents = {"role": "user", "parts": contents}
        turns = contents if isinstance(contents, list) else [contents]
        messages = [_message(c) for c in turns if c is not None]
        if system is not None:
            text = system if isinstance(system, str) else _message(system)["content"]
            messages.insert(0, {"role": "system", "content": text})
        return messages
    except Exception:
        return _jsonable(contents)


def _is_turn(content: Any) -> bool:
    if isinstance(content, dict):
        return "parts" in content
    return not isinstance(content, str) and hasattr(content, "parts")


def _genai_models(client: Any) -> list[Any]:
    """``client.models`` and ``client.aio.models`` (both, for a sync Client)."""
    found = []
    for owner in (client, getattr(client, "aio", None)):
        models = getattr(owner, "models", None) if owner is not None else None
        if models is not None and callable(getattr(models, "generate_content", None)):
            found.append(models)
    return found


def _model_name(model: Any) -> str:
    name = str(model) if model is not None else "unknown"
    # "models/gemini-2.5-flash", "publishers/google/models/...": price by the model id
    return name.rsplit("models/", 1)[-1] if "models/" in name else name


def _patch_genai(resource: Any, name: str, target: Target, *, stream: bool) -> None:
    def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        return start(
            target, _model_name(kwargs.get("model")), _input(kwargs.get("contents"), kwargs)
        )

    def settle(call: Call, result: Any, kwargs: dict[str, Any], is_async: bool) -> Any:
        if stream:
            observe = observe_async_iterator if is_async else observe_iterator
            return observe(result, call, _stream_summary)
        _record_response(call, result)
        return result

    _patch(resource, name, begin, settle)


Settle = Callable[[Call, Any, dict[str, Any], bool], Any]


def _patch(owner: Any, name: str, begin: Begin, settle: Settle) -> None:
    """Replace ``owner.<name>`` (sync or async) by a wrapper that records each
    call: ``begin(args, kwargs)`` starts the record (None: not tracked), an
    exception is recorded and re-raised, and ``settle(call, result, kwargs,
    is_async)`` records the result and returns what the caller gets."""
    original = getattr(owner, name, None)
    if original is None or getattr(original, _MARK, False):
        return
    wrapper: Callable[..., Any]
    if inspect.iscoroutinefunction(original):
        wrapper = wrap_async(original, begin, lambda c, r, kw: settle(c, r, kw, True))
    else:
        wrapper = wrap_sync(original, begin, lambda c, r, kw: settle(c, r, kw, False))
    setattr(wrapper, _MARK, True)
    setattr(owner, name, wrapper)


def _record_response(call: Call, result: Any) -> None:
    try:
        output = _output(result)
    except Exception:
        output = None
    call.record(output=output, usage=_usage_of(result))


def _usage_of(result: Any) -> TokenUsage | None:
    try:
        usage = usage_from(result)
    except Exception:
        return None
    if usage is None or (usage.input_tokens == 0 and usage.output_tokens == 0):
        return None
    return usage


def _jsonable(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json", exclude_none=True)
        except Exception:
            return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def _text_of_parts(parts: Any) -> str:
    out = []
    for part in parts or []:
        if isinstance(part, str):  # the legacy SDK takes plain strings as parts
            out.append(part)
            continue
        text = part.get("text") if isinstance(part, dict) else getattr(part, "text", None)
        if isinstance(text, str):
            out.append(text)
    return "".join(out)


def _message(content: Any) -> dict[str, Any]:
    """One ``contents`` entry as a ``{"role", "content"}`` message."""
    if isinstance(content, str):
        return {"role": "user", "content": content}
    role = content.get("role") if isinstance(content, dict) else getattr(content, "role", None)
    parts = content.get("parts") if isinstance(content, dict) else getattr(content, "parts", None)
    if parts is not None:
        text = _text_of_parts(parts)
        return {"role": role or "user", "content": text if text else _jsonable(parts)}
    return {"role": role or "user", "content": _jsonable(content)}


def _input(contents: Any, kwargs: dict[str, Any]) -> Any:
    """The request as chat messages: the system instruction first, then the turns."""
    try:
        turns = contents if isinstance(contents, list) else [contents]
        messages = [_message(c) for c in turns if c is not None]
        config = kwargs.get("config")
        system = (
            config.get("system_instruction")
            if isinstance(config, dict)
            else getattr(config, "system_instruction", None)
        )
        if system is None and kwargs.get("system_instruction") is not None:
            system = kwargs["system_instruction"]
        if system is not None:
            text = system if isinstance(system, str) else _message(system)["content"]
            messages.insert(0, {"role": "system", "content": text})
        return messages
    except Exception:
        return _jsonable(contents)


def _output(result: Any) -> Any:
    """The first candidate's text, or its parts when it calls functions."""
    candidates = getattr(result, "candidates", None) or []
    if not candidates:
        return None
    content = getattr(candidates[0], "content", None)
    parts = list(getattr(content, "parts", None) or [])
    calls = []
    for part in parts:
        function_call = getattr(part, "function_call", None)
        if function_call is not None and getattr(function_call, "name", None):
            args = getattr(function_call, "args", None)
            calls.append({"name": function_call.name, "arguments": _jsonable(dict(args or {}))})
    text = _text_of_parts(parts)
    if calls:
        return {"content": text or None, "tool_calls": calls}
    return text


def _stream_summary(chunks: list[Any]) -> tuple[Any, TokenUsage | None, str | None]:
    text: list[str] = []
    usage = None
    for chunk in chunks:
        candidates = getattr(chunk, "candidates", None) or []
        if candidates:
            text.append(_text_of_parts(getattr(candidates[0].content, "parts", None)))
        usage = _usage_of(chunk) or usage  # cumulative: the last one is the call's
    return "".join(text), usage, None
