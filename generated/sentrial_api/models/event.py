from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_object import JsonObject


T = TypeVar("T", bound="Event")


@_attrs_define
class Event:
    """This server sends every field; the documented API promises none, so
    none is required.

        Attributes:
            id (str | Unset):
            session_id (str | Unset):
            event_type (str | Unset): An `EventType` value; new values may appear.
            tool_name (None | str | Unset):
            created_at (datetime.datetime | Unset):
            timestamp (datetime.datetime | None | Unset):
            tool_input (JsonObject | Unset):
            tool_output (JsonObject | Unset):
            tool_error (JsonObject | Unset):
            reasoning (None | str | Unset):
            alternatives_considered (list[str] | Unset):
            confidence (float | None | Unset):
            estimated_cost (float | None | Unset):
            token_count (float | None | Unset):
            trace_id (None | str | Unset):
            span_id (None | str | Unset):
            parent_span_id (None | str | Unset):
            metadata (JsonObject | Unset):
            state_before (JsonObject | Unset):
            state_after (JsonObject | Unset):
            duration_ms (float | None | Unset):
            model (None | str | Unset):
            provider (None | str | Unset):
            prompt_tokens (int | None | Unset):
            completion_tokens (int | None | Unset):
            cached_tokens (int | None | Unset):
            cache_write_tokens (int | None | Unset):
            input_ (Any | Unset): Any JSON.
            output (Any | Unset): Any JSON.
    """

    id: str | Unset = UNSET
    session_id: str | Unset = UNSET
    event_type: str | Unset = UNSET
    tool_name: None | str | Unset = UNSET
    created_at: datetime.datetime | Unset = UNSET
    timestamp: datetime.datetime | None | Unset = UNSET
    tool_input: JsonObject | Unset = UNSET
    tool_output: JsonObject | Unset = UNSET
    tool_error: JsonObject | Unset = UNSET
    reasoning: None | str | Unset = UNSET
    alternatives_considered: list[str] | Unset = UNSET
    confidence: float | None | Unset = UNSET
    estimated_cost: float | None | Unset = UNSET
    token_count: float | None | Unset = UNSET
    trace_id: None | str | Unset = UNSET
    span_id: None | str | Unset = UNSET
    parent_span_id: None | str | Unset = UNSET
    metadata: JsonObject | Unset = UNSET
    state_before: JsonObject | Unset = UNSET
    state_after: JsonObject | Unset = UNSET
    duration_ms: float | None | Unset = UNSET
    model: None | str | Unset = UNSET
    provider: None | str | Unset = UNSET
    prompt_tokens: int | None | Unset = UNSET
    completion_tokens: int | None | Unset = UNSET
    cached_tokens: int | None | Unset = UNSET
    cache_write_tokens: int | None | Unset = UNSET
    input_: Any | Unset = UNSET
    output: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        session_id = self.session_id

        event_type = self.event_type

        tool_name: None | str | Unset
        if isinstance(self.tool_name, Unset):
            tool_name = UNSET
        else:
            tool_name = self.tool_name

        created_at: str | Unset = UNSET
        if not isinstance(self.created_at, Unset):
            created_at = self.created_at.isoformat()

        timestamp: None | str | Unset
        if isinstance(self.timestamp, Unset):
            timestamp = UNSET
        elif isinstance(self.timestamp, datetime.datetime):
            timestamp = self.timestamp.isoformat()
        else:
            timestamp = self.timestamp

        tool_input: dict[str, Any] | Unset = UNSET
        if not isinstance(self.tool_input, Unset):
            tool_input = self.tool_input.to_dict()

        tool_output: dict[str, Any] | Unset = UNSET
        if not isinstance(self.tool_output, Unset):
            tool_output = self.tool_output.to_dict()

        tool_error: dict[str, Any] | Unset = UNSET
        if not isinstance(self.tool_error, Unset):
            tool_error = self.tool_error.to_dict()

        reasoning: None | str | Unset
        if isinstance(self.reasoning, Unset):
            reasoning = UNSET
        else:
            reasoning = self.reasoning

        alternatives_considered: list[str] | Unset = UNSET
        if not isinstance(self.alternatives_considered, Unset):
            alternatives_considered = self.alternatives_considered

        confidence: float | None | Unset
        if isinstance(self.confidence, Unset):
            confidence = UNSET
        else:
            confidence = self.confidence

        estimated_cost: float | None | Unset
        if isinstance(self.estimated_cost, Unset):
            estimated_cost = UNSET
        else:
            estimated_cost = self.estimated_cost

        token_count: float | None | Unset
        if isinstance(self.token_count, Unset):
            token_count = UNSET
        else:
            token_count = self.token_count

        trace_id: None | str | Unset
        if isinstance(self.trace_id, Unset):
            trace_id = UNSET
        else:
            trace_id = self.trace_id

        span_id: None | str | Unset
        if isinstance(self.span_id, Unset):
            span_id = UNSET
        else:
            span_id = self.span_id

        parent_span_id: None | str | Unset
        if isinstance(self.parent_span_id, Unset):
            parent_span_id = UNSET
        else:
            parent_span_id = self.parent_span_id

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        state_before: dict[str, Any] | Unset = UNSET
        if not isinstance(self.state_before, Unset):
            state_before = self.state_before.to_dict()

        state_after: dict[str, Any] | Unset = UNSET
        if not isinstance(self.state_after, Unset):
            state_after = self.state_after.to_dict()

        duration_ms: float | None | Unset
        if isinstance(self.duration_ms, Unset):
            duration_ms = UNSET
        else:
            duration_ms = self.duration_ms

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        provider: None | str | Unset
        if isinstance(self.provider, Unset):
            provider = UNSET
        else:
            provider = self.provider

        prompt_tokens: int | None | Unset
        if isinstance(self.prompt_tokens, Unset):
            prompt_tokens = UNSET
        else:
            prompt_tokens = self.prompt_tokens

        completion_tokens: int | None | Unset
        if isinstance(self.completion_tokens, Unset):
            completion_tokens = UNSET
        else:
            completion_tokens = self.completion_tokens

        cached_tokens: int | None | Unset
        if isinstance(self.cached_tokens, Unset):
            cached_tokens = UNSET
        else:
            cached_tokens = self.cached_tokens

        cache_write_tokens: int | None | Unset
        if isinstance(self.cache_write_tokens, Unset):
            cache_write_tokens = UNSET
        else:
            cache_write_tokens = self.cache_write_tokens

        input_ = self.input_

        output = self.output

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if session_id is not UNSET:
            field_dict["sessionId"] = session_id
        if event_type is not UNSET:
            field_dict["eventType"] = event_type
        if tool_name is not UNSET:
            field_dict["toolName"] = tool_name
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if timestamp is not UNSET:
            field_dict["timestamp"] = timestamp
        if tool_input is not UNSET:
            field_dict["toolInput"] = tool_input
        if tool_output is not UNSET:
            field_dict["toolOutput"] = tool_output
        if tool_error is not UNSET:
            field_dict["toolError"] = tool_error
        if reasoning is not UNSET:
            field_dict["reasoning"] = reasoning
        if alternatives_considered is not UNSET:
            field_dict["alternativesConsidered"] = alternatives_considered
        if confidence is not UNSET:
            field_dict["confidence"] = confidence
        if estimated_cost is not UNSET:
            field_dict["estimatedCost"] = estimated_cost
        if token_count is not UNSET:
            field_dict["tokenCount"] = token_count
        if trace_id is not UNSET:
            field_dict["traceId"] = trace_id
        if span_id is not UNSET:
            field_dict["spanId"] = span_id
        if parent_span_id is not UNSET:
            field_dict["parentSpanId"] = parent_span_id
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if state_before is not UNSET:
            field_dict["stateBefore"] = state_before
        if state_after is not UNSET:
            field_dict["stateAfter"] = state_after
        if duration_ms is not UNSET:
            field_dict["durationMs"] = duration_ms
        if model is not UNSET:
            field_dict["model"] = model
        if provider is not UNSET:
            field_dict["provider"] = provider
        if prompt_tokens is not UNSET:
            field_dict["promptTokens"] = prompt_tokens
        if completion_tokens is not UNSET:
            field_dict["completionTokens"] = completion_tokens
        if cached_tokens is not UNSET:
            field_dict["cachedTokens"] = cached_tokens
        if cache_write_tokens is not UNSET:
            field_dict["cacheWriteTokens"] = cache_write_tokens
        if input_ is not UNSET:
            field_dict["input"] = input_
        if output is not UNSET:
            field_dict["output"] = output

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id", UNSET)

        session_id = d.pop("sessionId", UNSET)

        event_type = d.pop("eventType", UNSET)

        def _parse_tool_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tool_name = _parse_tool_name(d.pop("toolName", UNSET))

        _created_at = d.pop("createdAt", UNSET)
        created_at: datetime.datetime | Unset
        if isinstance(_created_at, Unset):
            created_at = UNSET
        else:
            created_at = datetime.datetime.fromisoformat(_created_at)

        def _parse_timestamp(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                timestamp_type_0 = datetime.datetime.fromisoformat(data)

                return timestamp_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        timestamp = _parse_timestamp(d.pop("timestamp", UNSET))

        _tool_input = d.pop("toolInput", UNSET)
        tool_input: JsonObject | Unset
        if isinstance(_tool_input, Unset):
            tool_input = UNSET
        else:
            tool_input = JsonObject.from_dict(_tool_input)

        _tool_output = d.pop("toolOutput", UNSET)
        tool_output: JsonObject | Unset
        if isinstance(_tool_output, Unset):
            tool_output = UNSET
        else:
            tool_output = JsonObject.from_dict(_tool_output)

        _tool_error = d.pop("toolError", UNSET)
        tool_error: JsonObject | Unset
        if isinstance(_tool_error, Unset):
            tool_error = UNSET
        else:
            tool_error = JsonObject.from_dict(_tool_error)

        def _parse_reasoning(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reasoning = _parse_reasoning(d.pop("reasoning", UNSET))

        alternatives_considered = cast(
            list[str], d.pop("alternativesConsidered", UNSET)
        )

        def _parse_confidence(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        confidence = _parse_confidence(d.pop("confidence", UNSET))

        def _parse_estimated_cost(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        estimated_cost = _parse_estimated_cost(d.pop("estimatedCost", UNSET))

        def _parse_token_count(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        token_count = _parse_token_count(d.pop("tokenCount", UNSET))

        def _parse_trace_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        trace_id = _parse_trace_id(d.pop("traceId", UNSET))

        def _parse_span_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        span_id = _parse_span_id(d.pop("spanId", UNSET))

        def _parse_parent_span_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        parent_span_id = _parse_parent_span_id(d.pop("parentSpanId", UNSET))

        _metadata = d.pop("metadata", UNSET)
        metadata: JsonObject | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = JsonObject.from_dict(_metadata)

        _state_before = d.pop("stateBefore", UNSET)
        state_before: JsonObject | Unset
        if isinstance(_state_before, Unset):
            state_before = UNSET
        else:
            state_before = JsonObject.from_dict(_state_before)

        _state_after = d.pop("stateAfter", UNSET)
        state_after: JsonObject | Unset
        if isinstance(_state_after, Unset):
            state_after = UNSET
        else:
            state_after = JsonObject.from_dict(_state_after)

        def _parse_duration_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        duration_ms = _parse_duration_ms(d.pop("durationMs", UNSET))

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        def _parse_provider(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        provider = _parse_provider(d.pop("provider", UNSET))

        def _parse_prompt_tokens(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        prompt_tokens = _parse_prompt_tokens(d.pop("promptTokens", UNSET))

        def _parse_completion_tokens(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        completion_tokens = _parse_completion_tokens(d.pop("completionTokens", UNSET))

        def _parse_cached_tokens(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        cached_tokens = _parse_cached_tokens(d.pop("cachedTokens", UNSET))

        def _parse_cache_write_tokens(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        cache_write_tokens = _parse_cache_write_tokens(d.pop("cacheWriteTokens", UNSET))

        input_ = d.pop("input", UNSET)

        output = d.pop("output", UNSET)

        event = cls(
            id=id,
            session_id=session_id,
            event_type=event_type,
            tool_name=tool_name,
            created_at=created_at,
            timestamp=timestamp,
            tool_input=tool_input,
            tool_output=tool_output,
            tool_error=tool_error,
            reasoning=reasoning,
            alternatives_considered=alternatives_considered,
            confidence=confidence,
            estimated_cost=estimated_cost,
            token_count=token_count,
            trace_id=trace_id,
            span_id=span_id,
            parent_span_id=parent_span_id,
            metadata=metadata,
            state_before=state_before,
            state_after=state_after,
            duration_ms=duration_ms,
            model=model,
            provider=provider,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cached_tokens=cached_tokens,
            cache_write_tokens=cache_write_tokens,
            input_=input_,
            output=output,
        )

        event.additional_properties = d
        return event

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
