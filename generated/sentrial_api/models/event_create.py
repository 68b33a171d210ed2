from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.event_type import EventType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_object import JsonObject
    from ..models.tool_error import ToolError


T = TypeVar("T", bound="EventCreate")


@_attrs_define
class EventCreate:
    """One flat body for every event type; fields that do not apply to a type
    are omitted. `null` in an optional field means absent. Undeclared
    properties are stored and returned as sent.

        Attributes:
            session_id (str):
            event_type (EventType): `llm_call` is an extension (capability `llm_call`); the documented
                types are `tool_call`, `llm_decision`, `state_change` and `error`.
                Reads may also show `span` (an OpenTelemetry span that is neither a
                model call nor a tool execution, from `POST /api/otel/v1/traces`).
            id (None | str | Unset): Client-chosen event id (extension); creation is idempotent.
            timestamp (datetime.datetime | None | Unset): When the event happened on the client (extension).
            tool_name (None | str | Unset):
            tool_input (JsonObject | None | Unset): A JSON object; `null` means absent.
            tool_output (JsonObject | None | Unset): A JSON object; `null` means absent.
            tool_error (None | ToolError | Unset):
            reasoning (None | str | Unset):
            alternatives_considered (list[str] | None | Unset):
            confidence (float | None | Unset): 0..1 by convention; any number is kept.
            estimated_cost (float | None | Unset): USD.
            token_count (float | None | Unset):
            trace_id (None | str | Unset):
            span_id (None | str | Unset):
            parent_span_id (None | str | Unset): The span's parent span (extension, otel).
            metadata (JsonObject | None | Unset): A JSON object; `null` means absent.
            state_before (JsonObject | None | Unset): A JSON object; `null` means absent.
            state_after (JsonObject | None | Unset): A JSON object; `null` means absent.
            duration_ms (float | None | Unset): Duration of a tool or LLM call (extension).
            model (None | str | Unset): LLM model (extension, llm_call).
            provider (None | str | Unset): LLM provider (extension, llm_call).
            prompt_tokens (int | None | Unset): Extension, llm_call.
            completion_tokens (int | None | Unset): Extension, llm_call.
            cached_tokens (int | None | Unset): Input tokens read from the provider's cache, included in promptTokens
                (extension, llm_call).
            cache_write_tokens (int | None | Unset): Input tokens written to the provider's cache, included in promptTokens
                (extension, llm_call).
            input_ (Any | Unset): Any JSON: the LLM call's input messages (extension, llm_call).
            output (Any | Unset): Any JSON: the LLM call's output (extension, llm_call).
    """

    session_id: str
    event_type: EventType
    id: None | str | Unset = UNSET
    timestamp: datetime.datetime | None | Unset = UNSET
    tool_name: None | str | Unset = UNSET
    tool_input: JsonObject | None | Unset = UNSET
    tool_output: JsonObject | None | Unset = UNSET
    tool_error: None | ToolError | Unset = UNSET
    reasoning: None | str | Unset = UNSET
    alternatives_considered: list[str] | None | Unset = UNSET
    confidence: float | None | Unset = UNSET
    estimated_cost: float | None | Unset = UNSET
    token_count: float | None | Unset = UNSET
    trace_id: None | str | Unset = UNSET
    span_id: None | str | Unset = UNSET
    parent_span_id: None | str | Unset = UNSET
    metadata: JsonObject | None | Unset = UNSET
    state_before: JsonObject | None | Unset = UNSET
    state_after: JsonObject | None | Unset = UNSET
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
        from ..models.json_object import JsonObject  # noqa: PLC0415
        from ..models.tool_error import ToolError  # noqa: PLC0415

        session_id = self.session_id

        event_type = self.event_type.value

        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        timestamp: None | str | Unset
        if isinstance(self.timestamp, Unset):
            timestamp = UNSET
        elif isinstance(self.timestamp, datetime.datetime):
            timestamp = self.timestamp.isoformat()
        else:
            timestamp = self.timestamp

        tool_name: None | str | Unset
        if isinstance(self.tool_name, Unset):
            tool_name = UNSET
        else:
            tool_name = self.tool_name

        tool_input: dict[str, Any] | None | Unset
        if isinstance(self.tool_input, Unset):
            tool_input = UNSET
        elif isinstance(self.tool_input, JsonObject):
            tool_input = self.tool_input.to_dict()
        else:
            tool_input = self.tool_input

        tool_output: dict[str, Any] | None | Unset
        if isinstance(self.tool_output, Unset):
            tool_output = UNSET
        elif isinstance(self.tool_output, JsonObject):
            tool_output = self.tool_output.to_dict()
        else:
            tool_output = self.tool_output

        tool_error: dict[str, Any] | None | Unset
        if isinstance(self.tool_error, Unset):
            tool_error = UNSET
        elif isinstance(self.tool_error, ToolError):
            tool_error = self.tool_error.to_dict()
        else:
            tool_error = self.tool_error

        reasoning: None | str | Unset
        if isinstance(self.reasoning, Unset):
            reasoning = UNSET
        else:
            reasoning = self.reasoning

        alternatives_considered: list[str] | None | Unset
        if isinstance(self.alternatives_considered, Unset):
            alternatives_considered = UNSET
        elif isinstance(self.alternatives_considered, list):
            alternatives_considered = self.alternatives_considered

        else:
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

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, JsonObject):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        state_before: dict[str, Any] | None | Unset
        if isinstance(self.state_before, Unset):
            state_before = UNSET
        elif isinstance(self.state_before, JsonObject):
            state_before = self.state_before.to_dict()
        else:
            state_before = self.state_before

        state_after: dict[str, Any] | None | Unset
        if isinstance(self.state_after, Unset):
            state_after = UNSET
        elif isinstance(self.state_after, JsonObject):
            state_after = self.state_after.to_dict()
        else:
            state_after = self.state_after

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
        field_dict.update(
            {
                "sessionId": session_id,
                "eventType": event_type,
            }
        )
        if id is not UNSET:
            field_dict["id"] = id
        if timestamp is not UNSET:
            field_dict["timestamp"] = timestamp
        if tool_name is not UNSET:
            field_dict["toolName"] = tool_name
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
        from ..models.tool_error import ToolError  # noqa: PLC0415

        d = dict(src_dict)
        session_id = d.pop("sessionId")

        event_type = EventType(d.pop("eventType"))

        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

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

        def _parse_tool_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tool_name = _parse_tool_name(d.pop("toolName", UNSET))

        def _parse_tool_input(data: object) -> JsonObject | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_nullable_json_object_type_0 = JsonObject.from_dict(
                    data
                )

                return componentsschemas_nullable_json_object_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JsonObject | None | Unset, data)

        tool_input = _parse_tool_input(d.pop("toolInput", UNSET))

        def _parse_tool_output(data: object) -> JsonObject | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_nullable_json_object_type_0 = JsonObject.from_dict(
                    data
                )

                return componentsschemas_nullable_json_object_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JsonObject | None | Unset, data)

        tool_output = _parse_tool_output(d.pop("toolOutput", UNSET))

        def _parse_tool_error(data: object) -> None | ToolError | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                tool_error_type_0 = ToolError.from_dict(data)

                return tool_error_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ToolError | Unset, data)

        tool_error = _parse_tool_error(d.pop("toolError", UNSET))

        def _parse_reasoning(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reasoning = _parse_reasoning(d.pop("reasoning", UNSET))

        def _parse_alternatives_considered(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                alternatives_considered_type_0 = cast(list[str], data)

                return alternatives_considered_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        alternatives_considered = _parse_alternatives_considered(
            d.pop("alternativesConsidered", UNSET)
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

        def _parse_metadata(data: object) -> JsonObject | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_nullable_json_object_type_0 = JsonObject.from_dict(
                    data
                )

                return componentsschemas_nullable_json_object_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JsonObject | None | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        def _parse_state_before(data: object) -> JsonObject | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_nullable_json_object_type_0 = JsonObject.from_dict(
                    data
                )

                return componentsschemas_nullable_json_object_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JsonObject | None | Unset, data)

        state_before = _parse_state_before(d.pop("stateBefore", UNSET))

        def _parse_state_after(data: object) -> JsonObject | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_nullable_json_object_type_0 = JsonObject.from_dict(
                    data
                )

                return componentsschemas_nullable_json_object_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JsonObject | None | Unset, data)

        state_after = _parse_state_after(d.pop("stateAfter", UNSET))

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

        event_create = cls(
            session_id=session_id,
            event_type=event_type,
            id=id,
            timestamp=timestamp,
            tool_name=tool_name,
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

        event_create.additional_properties = d
        return event_create

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
