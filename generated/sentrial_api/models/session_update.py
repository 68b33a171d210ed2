from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.session_status_update import SessionStatusUpdate
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.session_update_custom_metrics import SessionUpdateCustomMetrics


T = TypeVar("T", bound="SessionUpdate")


@_attrs_define
class SessionUpdate:
    """`null` in a field means absent (the stored value stays). Undeclared
    properties are stored and returned as sent.

        Attributes:
            status (None | SessionStatusUpdate | Unset):
            success (bool | None | Unset):
            failure_reason (None | str | Unset):
            estimated_cost (float | None | Unset): USD.
            duration_ms (float | None | Unset):
            prompt_tokens (float | None | Unset):
            completion_tokens (float | None | Unset):
            total_tokens (float | None | Unset):
            custom_metrics (None | SessionUpdateCustomMetrics | Unset):
            user_input (None | str | Unset):
            assistant_output (None | str | Unset):
            completed_at (datetime.datetime | None | Unset): When the session ended on the client (extension).
    """

    status: None | SessionStatusUpdate | Unset = UNSET
    success: bool | None | Unset = UNSET
    failure_reason: None | str | Unset = UNSET
    estimated_cost: float | None | Unset = UNSET
    duration_ms: float | None | Unset = UNSET
    prompt_tokens: float | None | Unset = UNSET
    completion_tokens: float | None | Unset = UNSET
    total_tokens: float | None | Unset = UNSET
    custom_metrics: None | SessionUpdateCustomMetrics | Unset = UNSET
    user_input: None | str | Unset = UNSET
    assistant_output: None | str | Unset = UNSET
    completed_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.session_update_custom_metrics import SessionUpdateCustomMetrics  # noqa: PLC0415

        status: None | str | Unset
        if isinstance(self.status, Unset):
            status = UNSET
        elif isinstance(self.status, SessionStatusUpdate):
            status = self.status.value
        else:
            status = self.status

        success: bool | None | Unset
        if isinstance(self.success, Unset):
            success = UNSET
        else:
            success = self.success

        failure_reason: None | str | Unset
        if isinstance(self.failure_reason, Unset):
            failure_reason = UNSET
        else:
            failure_reason = self.failure_reason

        estimated_cost: float | None | Unset
        if isinstance(self.estimated_cost, Unset):
            estimated_cost = UNSET
        else:
            estimated_cost = self.estimated_cost

        duration_ms: float | None | Unset
        if isinstance(self.duration_ms, Unset):
            duration_ms = UNSET
        else:
            duration_ms = self.duration_ms

        prompt_tokens: float | None | Unset
        if isinstance(self.prompt_tokens, Unset):
            prompt_tokens = UNSET
        else:
            prompt_tokens = self.prompt_tokens

        completion_tokens: float | None | Unset
        if isinstance(self.completion_tokens, Unset):
            completion_tokens = UNSET
        else:
            completion_tokens = self.completion_tokens

        total_tokens: float | None | Unset
        if isinstance(self.total_tokens, Unset):
            total_tokens = UNSET
        else:
            total_tokens = self.total_tokens

        custom_metrics: dict[str, Any] | None | Unset
        if isinstance(self.custom_metrics, Unset):
            custom_metrics = UNSET
        elif isinstance(self.custom_metrics, SessionUpdateCustomMetrics):
            custom_metrics = self.custom_metrics.to_dict()
        else:
            custom_metrics = self.custom_metrics

        user_input: None | str | Unset
        if isinstance(self.user_input, Unset):
            user_input = UNSET
        else:
            user_input = self.user_input

        assistant_output: None | str | Unset
        if isinstance(self.assistant_output, Unset):
            assistant_output = UNSET
        else:
            assistant_output = self.assistant_output

        completed_at: None | str | Unset
        if isinstance(self.completed_at, Unset):
            completed_at = UNSET
        elif isinstance(self.completed_at, datetime.datetime):
            completed_at = self.completed_at.isoformat()
        else:
            completed_at = self.completed_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if status is not UNSET:
            field_dict["status"] = status
        if success is not UNSET:
            field_dict["success"] = success
        if failure_reason is not UNSET:
            field_dict["failureReason"] = failure_reason
        if estimated_cost is not UNSET:
            field_dict["estimatedCost"] = estimated_cost
        if duration_ms is not UNSET:
            field_dict["durationMs"] = duration_ms
        if prompt_tokens is not UNSET:
            field_dict["promptTokens"] = prompt_tokens
        if completion_tokens is not UNSET:
            field_dict["completionTokens"] = completion_tokens
        if total_tokens is not UNSET:
            field_dict["totalTokens"] = total_tokens
        if custom_metrics is not UNSET:
            field_dict["customMetrics"] = custom_metrics
        if user_input is not UNSET:
            field_dict["userInput"] = user_input
        if assistant_output is not UNSET:
            field_dict["assistantOutput"] = assistant_output
        if completed_at is not UNSET:
            field_dict["completedAt"] = completed_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.session_update_custom_metrics import SessionUpdateCustomMetrics  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_status(data: object) -> None | SessionStatusUpdate | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                status_type_0 = SessionStatusUpdate(data)

                return status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SessionStatusUpdate | Unset, data)

        status = _parse_status(d.pop("status", UNSET))

        def _parse_success(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        success = _parse_success(d.pop("success", UNSET))

        def _parse_failure_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        failure_reason = _parse_failure_reason(d.pop("failureReason", UNSET))

        def _parse_estimated_cost(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        estimated_cost = _parse_estimated_cost(d.pop("estimatedCost", UNSET))

        def _parse_duration_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        duration_ms = _parse_duration_ms(d.pop("durationMs", UNSET))

        def _parse_prompt_tokens(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        prompt_tokens = _parse_prompt_tokens(d.pop("promptTokens", UNSET))

        def _parse_completion_tokens(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        completion_tokens = _parse_completion_tokens(d.pop("completionTokens", UNSET))

        def _parse_total_tokens(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        total_tokens = _parse_total_tokens(d.pop("totalTokens", UNSET))

        def _parse_custom_metrics(
            data: object,
        ) -> None | SessionUpdateCustomMetrics | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                custom_metrics_type_0 = SessionUpdateCustomMetrics.from_dict(data)

                return custom_metrics_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SessionUpdateCustomMetrics | Unset, data)

        custom_metrics = _parse_custom_metrics(d.pop("customMetrics", UNSET))

        def _parse_user_input(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_input = _parse_user_input(d.pop("userInput", UNSET))

        def _parse_assistant_output(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        assistant_output = _parse_assistant_output(d.pop("assistantOutput", UNSET))

        def _parse_completed_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                completed_at_type_0 = datetime.datetime.fromisoformat(data)

                return completed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        completed_at = _parse_completed_at(d.pop("completedAt", UNSET))

        session_update = cls(
            status=status,
            success=success,
            failure_reason=failure_reason,
            estimated_cost=estimated_cost,
            duration_ms=duration_ms,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=total_tokens,
            custom_metrics=custom_metrics,
            user_input=user_input,
            assistant_output=assistant_output,
            completed_at=completed_at,
        )

        session_update.additional_properties = d
        return session_update

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
