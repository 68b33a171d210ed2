"""From the public API's arguments to operations, on the caller's thread.

This is the hot path: it captures payloads (JSON bytes, so later mutation of
the caller's objects changes nothing), stamps ids and times, and hands the
operation to the delivery engine. Everything else happens on the delivery
thread. Nothing here touches the network or raises unless the client was
made with ``fail_silently=False``.
"""

from __future__ import annotations

import logging
import math
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from . import _context, _ids, _payload
from ._config import Config, hide_key
from ._errors import ValidationError
from ._operation import Kind, Operation

if TYPE_CHECKING:
    from ._delivery import Delivery

logger = logging.getLogger("sentrial")

_STR_KEYS_OPTIONS = _payload.OPTIONS & ~orjson.OPT_NON_STR_KEYS


class Tracker:
    """What ``SentrialClient`` and ``AsyncSentrialClient`` share."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._errors: dict[str, int] = {}  # dropped before delivery, by reason
        self._errors_lock = threading.Lock()
        self._dropped_unreported = 0  # of those, since flush() last said so
        self._logged_errors: set[str] = set()
        self._delivery: Delivery | None = None
        self._final_stats: dict[str, Any] | None = None  # of the engine shut down last
        self._delivery_lock = threading.Lock()
        # key of this client's state (per thread and asyncio task; see _context)
        self._state_key = weakref.ref(self)
        if not config.api_key and config.enabled:
            logger.warning("sentrial: no API key (api_key= or SENTRIAL_API_KEY): nothing is sent")
        self._sends = config.sends
        self._rate = config.sample_rate
        self._max = config.max_field_bytes
        self._mask, self._redact = _masks(config)
        self._plain = self._mask is None and self._redact is None
        # Sees every operation too (LangfuseIntegration: SentrialClient(langfuse=...))
        self.mirror: Any = None
        if self._sends:
            # httpx is imported here, on the caller's thread, not by the delivery
            # thread: a module another thread is still importing already stands in
            # sys.modules, and libraries that look there (openai's client checks
            # sys.modules["httpx"]) then fail on it, "partially initialized module".
            from ._delivery import _transport  # noqa: F401

    @property
    def delivery(self) -> Delivery:
        delivery = self._delivery
        if delivery is not None:
            return delivery
        with self._delivery_lock:  # one engine per client, however many threads start at once
            if self._delivery is None:
                self._delivery = self._new_delivery()
            return self._delivery

    def _new_delivery(self) -> Delivery:
        from ._delivery import new_delivery

        return new_delivery(self.config)

    def note_error(self, where: str, exc: BaseException) -> None:
        """A call that failed before its operation was made: counted as dropped
        under its true reason (a wrong argument, or a bug of ours)."""
        reason = (
            "invalid_argument"
            if isinstance(exc, (ValidationError, TypeError))
            else ("internal_error")
        )
        self._count_dropped(reason)
        if where not in self._logged_errors:
            self._logged_errors.add(where)
            logger.warning(
                "sentrial: %s failed (%s: %s); tracking continues", where, type(exc).__name__, exc
            )

    def _count_dropped(self, reason: str) -> None:
        with self._errors_lock:
            self._errors[reason] = self._errors.get(reason, 0) + 1
            self._dropped_unreported += 1

    def _bad_field(self, exc: ValidationError) -> None:
        """An optional field that is not valid (a NaN cost, a metric that is no
        number). Raised when the user asked for errors (``fail_silently=False``);
        otherwise only that field is left out, counted as dropped
        (``invalid_field``) and warned about once: the rest of the call is still
        sent, so a division by zero in an app's metric never costs a session its end."""
        if not self.config.fail_silently:
            raise exc
        self._count_dropped("invalid_field")
        field = str(exc).partition(":")[0]
        if f"field {field}" not in self._logged_errors:
            self._logged_errors.add(f"field {field}")
            logger.warning("sentrial: %s; the field is left out, the rest is sent", exc)

    def _put_counts(
        self, fields: dict[str, Any], kind: type[int] | type[float], **values: Any
    ) -> None:
        """Set each given (not None) value, checked to be a number >= 0."""
        for name, value in values.items():
            if value is not None:
                try:
                    fields[name] = _non_negative(name, value, kind)
                except ValidationError as exc:
                    self._bad_field(exc)

    def _metrics(self, values: Mapping[str, Any]) -> dict[str, float]:
        """The finite numbers of ``values``; each other one is a bad field."""
        out: dict[str, float] = {}
        for key, value in dict(values).items():
            try:
                out[str(key)] = _metric(key, value)
            except ValidationError as exc:
                self._bad_field(exc)
        if self._redact is not None and out:  # a metric's name may hold an address
            try:
                out = self._redact(out)
            except Exception as exc:  # a failing redaction must not leak the names
                self._bad_field(ValidationError(f"custom_metrics: redaction failed ({exc!r})"))
                return {}
        return out

    def _dropped_since_asked(self) -> bool:
        """True when a call or field was dropped since the last time this said so."""
        with self._errors_lock:
            dropped, self._dropped_unreported = self._dropped_unreported, 0
        return dropped > 0

    # -- helpers ------------------------------------------------------------

    def _json(self, value: Any, *, as_object: bool = False) -> bytes:
        if self._plain:  # the common case, inlined: one orjson call
            try:  # string keys (the common case) are much faster without OPT_NON_STR_KEYS
                data = orjson.dumps(value, default=_payload.default, option=_STR_KEYS_OPTIONS)
            except Exception:
                try:
                    data = orjson.dumps(value, default=_payload.default, option=_payload.OPTIONS)
                except Exception:
                    data = b""
            if (
                data
                and len(data) <= self._max
                and (not as_object or data[0] == 0x7B)  # "{"
                and not _payload.too_deep(data)
            ):
                return _payload.compact(data)
        return _payload.capture(
            value, max_bytes=self._max, mask=self._mask, redact=self._redact, as_object=as_object
        )

    def _text(self, value: Any) -> str:
        # isascii() is O(1): other text is checked for lone surrogates by capture_text
        if self._plain and type(value) is str and len(value) <= self._max and value.isascii():
            return value
        text = _payload.capture_text(value, max_bytes=self._max)
        if self._mask is not None:
            try:
                masked = self._mask(text)
                text = _payload.clean_text(masked if isinstance(masked, str) else str(masked))
            except Exception as exc:
                text = f"<mask failed: {type(exc).__name__}>"
        if self._redact is not None:
            try:
                text = str(self._redact(text))
            except Exception as exc:  # a failing redaction must not leak the raw text
                text = f"<redaction failed: {type(exc).__name__}>"
        return text

    def _skips(self, session_id: str) -> bool:
        """True when nothing of this session is sent (disabled, no key, sampled out)."""
        return not self._sends or (self._rate < 1.0 and not _ids.sampled_in(session_id, self._rate))

    def _emit(self, kind: Kind, session_id: str, fields: dict[str, Any]) -> None:
        if self.mirror is not None:  # before submit: the delivery thread owns fields after it
            self.mirror.mirror(kind, session_id, fields)
        self.delivery.submit(Operation(kind, session_id, fields))

    @staticmethod
    def _session_id(value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise ValidationError(
                f"session_id: expected the id create_session returned, got {value!r}"
            )
        return value

    # -- operations -------------------------------------------------------------

    # -- state (published: ``client.current_state``) -------------------------------

    def state(self) -> dict[str, Any]:
        """The calling thread's or asyncio task's state (made empty on first use)."""
        return _context.own_state(self._state_key)

    def set_state(self, value: dict[str, Any]) -> None:
        _context.set_state(self._state_key, value)

    def _current_state(self) -> dict[str, Any] | None:
        return _context.peek_state(self._state_key) or None

    # -- tracking calls: the one definition of each signature ----------------------
    # SentrialClient and AsyncSentrialClient forward these (see _client._forward).

    def create_session(
        self,
        name: Any,
        agent_name: Any,
        user_id: Any,
        parent_session_id: str | None = None,
        convo_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        session_id: str | None = None,
        experiment_assignment_id: str | None = None,
    ) -> str:
        """Start a session; returns its id at once (made on the client).

        As published, the calling thread's state starts empty again.
        ``experiment_assignment_id`` (ours): the ``assignment_id`` of
        :func:`sentrial.get_variant`, so the variant's production results
        count the session (a server without the ``variants`` capability never
        receives it).
        """
        if _context.peek_state(self._state_key):
            _context.set_state(self._state_key, {})
        sid = session_id or _ids.new_session_id()
        if self._skips(sid):
            return sid
        fields: dict[str, Any] = {
            "name": self._text(name),
            "agent_name": self._text(agent_name),
            "user_id": self._text(user_id),
            "started_at": _ids.now_ns(),
        }
        step = _context.current_step.get()
        if step is not None and step.session_id != sid and parent_session_id is None:
            parent_session_id = step.session_id  # begun inside a step: its child
        if parent_session_id is not None:
            fields["parent_session_id"] = _payload.clean_text(str(parent_session_id))
            if step is not None and step.session_id == fields["parent_session_id"]:
                fields["parent_span_id"] = step.span_id  # the step that started it
        if convo_id is not None:
            fields["convo_id"] = self._text(str(convo_id))
        if metadata is not None:
            fields["metadata"] = self._json(metadata, as_object=True)
        if experiment_assignment_id is not None:
            fields["experiment_assignment_id"] = _payload.clean_text(str(experiment_assignment_id))
        self._emit("create_session", sid, fields)
        if logger.isEnabledFor(logging.DEBUG):
            shown = hide_key(self.session_url(sid), self.config.api_key)
            logger.debug("sentrial: session %s: %s", sid, shown)
        return sid

    def session_url(self, session_id: str) -> str:
        """Where the viewer shows the session (``sentrial serve`` serves it at the API's URL)."""
        from urllib.parse import quote

        return f"{self.config.api_url.rstrip('/')}/sessions/{quote(str(session_id), safe='')}"

    def _event(self, sid: str, event_type: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Queue the event; returns it as the server will store it (the
        published SDK returned the server's answer)."""
        event_id = _ids.new_event_id()
        fields["id"] = event_id
        fields["event_type"] = event_type
        fields["timestamp"] = timestamp = self._step(sid, fields)
        self._emit("create_event", sid, fields)
        return {
            "id": event_id,
            "sessionId": sid,
            "eventType": event_type,
            "toolName": fields.get("tool_name"),
            "createdAt": iso_time(timestamp),
        }

    @staticmethod
    def _step(sid: str, fields: dict[str, Any]) -> int:
        """When the step began (ns: the event's ``timestamp``), after putting its
        span id and its parent's (the step of this session it ran in) in ``fields``.

        A step that opened a span (``@tool``), or whose start its recorder knows (a
        wrapped LLM call), says so through ``_context.recording``; any other event
        is a leaf of the step current now, stamped now, as the call was made (a
        manual ``track_*`` call's ``duration_ms`` does not move it: calls made one
        after another stay listed in that order)."""
        rec = _context.recording.get()
        if rec is not None:
            parent, started = rec.parent, rec.started_ns
            if rec.span_id is not None:
                fields.setdefault("span_id", rec.span_id)
        else:
            parent = _context.current_step.get()
            started = _ids.now_ns()
        if parent is not None and parent.session_id == sid:
            fields.setdefault("parent_span_id", parent.span_id)
        return started

    def _common(
        self,
        fields: dict[str, Any],
        estimated_cost: Any,
        token_count: Any,
        trace_id: Any,
        span_id: Any,
        metadata: Any,
    ) -> dict[str, Any]:
        if estimated_cost:  # None and the default 0.0 add nothing
            self._put_counts(fields, float, estimated_cost=estimated_cost)
        if token_count is not None:
            self._put_counts(fields, int, token_count=token_count)
        if trace_id is not None:
            fields["trace_id"] = self._text(str(trace_id))
        if span_id is not None:
            fields["span_id"] = self._text(str(span_id))
        if metadata is not None:
            fields["metadata"] = self._json(metadata, as_object=True)
        return fields

    def track_tool_call(
        self,
        session_id: str,
        tool_name: str,
        tool_input: Any = None,
        tool_output: Any = None,
        reasoning: str | None = None,
        estimated_cost: float = 0.0,
        tool_error: Any = None,
        token_count: int | None = None,
        trace_id: str | None = None,
        span_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        duration_ms: float | None = None,
    ) -> dict[str, Any]:
        """Record a tool call; returns the event as it will be stored."""
        sid = self._session_id(session_id)
        if self._skips(sid):
            return {}
        fields: dict[str, Any] = {"tool_name": self._text(tool_name)}
        if tool_input is not None:
            fields["tool_input"] = self._json(tool_input, as_object=True)
        if tool_output is not None:
            fields["tool_output"] = self._json(tool_output, as_object=True)
        if tool_error is not None:
            fields["tool_error"] = self._json(_tool_error(tool_error), as_object=True)
        if reasoning is not None:
            fields["reasoning"] = self._text(reasoning)
        if duration_ms is not None:
            self._put_counts(fields, float, duration_ms=duration_ms)
        self._common(fields, estimated_cost, token_count, trace_id, span_id, metadata)
        state = self._current_state()
        if state:
            fields["state_before"] = fields["state_after"] = self._json(state, as_object=True)
        return self._event(sid, "tool_call", fields)

    def track_decision(
        self,
        session_id: str,
        reasoning: str,
        alternatives: Iterable[str] | None = None,
        confidence: float | None = None,
        estimated_cost: float = 0.0,
        token_count: int | None = None,
        trace_id: str | None = None,
        span_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record a decision of the agent (event type ``llm_decision``)."""
        sid = self._session_id(session_id)
        if self._skips(sid):
            return {}
        fields: dict[str, Any] = {"reasoning": self._text(reasoning)}
        if alternatives is not None:
            if isinstance(alternatives, (str, bytes)):
                alternatives = [str(alternatives)]
            fields["alternatives_considered"] = [self._text(a) for a in alternatives]
        if confidence is not None:
            value = float(confidence)
            if not 0.0 <= value <= 1.0:
                raise ValidationError(f"confidence: must be between 0 and 1, got {confidence!r}")
            fields["confidence"] = value
        self._common(fields, estimated_cost, token_count, trace_id, span_id, metadata)
        state = self._current_state()
        if state:
            fields["state_before"] = fields["state_after"] = self._json(state, as_object=True)
        return self._event(sid, "llm_decision", fields)

    def track_error(
        self,
        session_id: str,
        error_message: Any,
        error_type: str | None = None,
        tool_name: str | None = None,
        stack_trace: str | None = None,
        trace_id: str | None = None,
        span_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record an error; ``error_message`` may be the exception itself."""
        sid = self._session_id(session_id)
        if self._skips(sid):
            return {}
        if isinstance(error_message, BaseException):
            exc = error_message
            error_type = error_type or type(exc).__name__
            stack_trace = stack_trace or _payload.format_exception(exc)
            error_message = _payload.safe_str(exc)
            if error_message == _payload.UNPRINTABLE:  # then at least its type says what it is
                error_message = f"{type(exc).__name__}: {error_message}"
        error: dict[str, Any] = {"message": self._text(error_message)}
        if error_type is not None:
            error["type"] = self._text(str(error_type))
        if stack_trace is not None:
            error["stack_trace"] = self._text(stack_trace)
        fields: dict[str, Any] = {"tool_error": self._json(error, as_object=True)}
        if tool_name is not None:
            fields["tool_name"] = self._text(tool_name)
        self._common(fields, None, None, trace_id, span_id, metadata)
        return self._event(sid, "error", fields)

    def track_llm_call(
        self,
        session_id: str,
        model: str,
        *,
        provider: str | None = None,
        input: Any = None,
        output: Any = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        cached_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        duration_ms: float | None = None,
        estimated_cost: float | None = None,
        error: Any = None,
        trace_id: str | None = None,
        span_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record an LLM call; ``estimated_cost`` is computed from the model's
        prices (on the delivery thread) when omitted."""
        sid = self._session_id(session_id)
        if self._skips(sid):
            return {}
        fields: dict[str, Any] = {"model": self._text(model)}
        if provider is not None:
            fields["provider"] = self._text(str(provider))
        if input is not None:
            fields["input_"] = self._json(input)
        if output is not None:
            fields["output"] = self._json(output)
        self._put_counts(
            fields,
            int,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cached_tokens=cached_tokens,
            cache_write_tokens=cache_write_tokens,
        )
        self._put_counts(fields, float, duration_ms=duration_ms)
        if error is not None:
            fields["tool_error"] = self._json(_tool_error(error), as_object=True)
        total = (prompt_tokens or 0) + (completion_tokens or 0)
        self._common(fields, estimated_cost, total or None, trace_id, span_id, metadata)
        return self._event(sid, "llm_call", fields)

    def complete_session(
        self,
        session_id: str,
        success: bool = True,
        failure_reason: str | None = None,
        estimated_cost: float | None = None,
        custom_metrics: Mapping[str, float] | None = None,
        duration_ms: float | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        total_tokens: int | None = None,
        user_input: Any = None,
        assistant_output: Any = None,
    ) -> dict[str, Any]:
        """End a session; cost and tokens not given are summed from its events.
        Returns the session's new state (``id``, ``status``, ...)."""
        sid = self._session_id(session_id)
        if self._skips(sid):
            return {}
        ok = bool(success)
        fields: dict[str, Any] = {
            "status": "completed" if ok else "failed",
            "success": ok,
            "completed_at": _ids.now_ns(),
        }
        if failure_reason is not None:
            fields["failure_reason"] = self._text(failure_reason)
        if estimated_cost is not None:
            self._put_counts(fields, float, estimated_cost=estimated_cost)
        self._put_counts(fields, float, duration_ms=duration_ms)
        self._put_counts(
            fields,
            int,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=total_tokens,
        )
        if custom_metrics is not None:
            fields["custom_metrics"] = self._metrics(custom_metrics)
        if user_input is not None:
            fields["user_input"] = self._text(user_input)
        if assistant_output is not None:
            fields["assistant_output"] = self._text(assistant_output)
        self._emit("update_session", sid, fields)
        return _session_record(sid, fields)

    # -- lifecycle ----------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        if self.mirror is not None:
            self.mirror.flush()
        delivered = True if self._delivery is None else self._delivery.flush(timeout)
        return not self._dropped_since_asked() and delivered

    def shutdown(self, timeout: float | None = None) -> bool:
        if self.mirror is not None:
            self.mirror.shutdown()
        delivery, self._delivery = self._delivery, None
        if delivery is None:
            return not self._dropped_since_asked()
        try:
            return delivery.shutdown(timeout) and not self._dropped_since_asked()
        finally:
            self._final_stats = delivery.stats()  # still readable afterwards

    def stats(self) -> dict[str, Any]:
        base: dict[str, Any] = {
            "tracked": 0,
            "queued": 0,
            "in_flight": 0,
            "sent": 0,
            "retried": 0,
            "spooled": 0,
            "spool_pending": 0,
            "replayed": 0,
            "dropped": {},
            "dead_lettered": {},
        }
        delivery = self._delivery
        if delivery is not None:
            base.update(delivery.stats())
        elif self._final_stats is not None:
            base.update(self._final_stats)
        if self._errors:
            dropped = dict(base["dropped"])
            for reason, count in self._errors.items():
                dropped[reason] = dropped.get(reason, 0) + count
            base["dropped"] = dropped
        return base


def _masks(config: Config) -> tuple[Any, Any]:
    """(mask, redact) for :func:`_payload.capture`: the user's own ``mask``
    sees values as given; the PII settings (``pii=``, which set ``mask`` to
    a :class:`sentrial.redact.Redactor`) and ``redact=True`` see them as JSON."""
    mask = config.mask
    redactors: list[Callable[[Any], Any]] = []
    if mask is not None and getattr(mask, "redacts_json", False):
        redactors.append(mask)
        mask = None
    if config.redact:
        from .redact import builtin_redactor

        redactors.append(builtin_redactor())
    if len(redactors) < 2:
        return mask, (redactors[0] if redactors else None)
    first, second = redactors

    def both(value: Any) -> Any:
        return second(first(value))

    return mask, both


def iso_time(ns: int) -> str:
    """``2026-01-02T03:04:05.678901Z``: the time of a record built on the client."""
    return _ids.iso_utc(ns, "Z")


_SESSION_KEYS = {
    "status": "status",
    "success": "success",
    "failure_reason": "failureReason",
    "estimated_cost": "estimatedCost",
    "duration_ms": "durationMs",
    "prompt_tokens": "promptTokens",
    "completion_tokens": "completionTokens",
    "total_tokens": "totalTokens",
    "custom_metrics": "customMetrics",
    "user_input": "userInput",
    "assistant_output": "assistantOutput",
}


def _session_record(sid: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The session as updated, in the server's shape (what is known on the client)."""
    record: dict[str, Any] = {"id": sid}
    for name, key in _SESSION_KEYS.items():
        if name in fields:
            record[key] = fields[name]
    record["completedAt"] = iso_time(fields["completed_at"])
    return record


def _non_negative(name: str, value: Any, kind: type[int] | type[float]) -> Any:
    """``value`` as a finite number >= 0 of ``kind`` (a bool is no number), or a
    ValidationError naming ``name``: the one rule for every count and amount."""
    number = value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError(
                f"{name}: expected a number, got {type(value).__name__}"
                f" {_payload.safe_str(value)[:100]!r}"
            ) from None
    if not 0 <= number < math.inf:  # NaN too
        raise ValidationError(
            f"{name}: must be a finite number >= 0, got {_payload.safe_str(value)[:100]!r}"
        )
    return kind(number)


def _metric(key: Any, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"custom_metrics.{key}: expected a number, got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValidationError(f"custom_metrics.{key}: must be finite")
    return number


def _tool_error(value: Any) -> Any:
    if isinstance(value, BaseException):
        return {
            "message": _payload.safe_str(value),
            "type": type(value).__name__,
            "stack_trace": _payload.format_exception(value),
        }
    if isinstance(value, Mapping):
        # The API types these three as strings; anything else is kept as extra keys.
        out = dict(value)
        for key in ("message", "type", "stack_trace"):
            if key in out and out[key] is not None and not isinstance(out[key], str):
                out[key] = str(out[key])
        return out
    return {"message": str(value)}
