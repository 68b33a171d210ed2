from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_object import JsonObject


T = TypeVar("T", bound="ExperimentRunOutcome")


@_attrs_define
class ExperimentRunOutcome:
    """A run with what its session recorded.

    Attributes:
        id (str | Unset):
        variant_name (str | Unset):
        base_session_id (str | Unset):
        status (str | Unset):
        result_session_id (None | str | Unset):
        error_message (None | str | Unset):
        success (bool | None | Unset):
        duration_ms (float | None | Unset):
        estimated_cost (float | None | Unset):
        total_tokens (float | None | Unset):
        custom_metrics (JsonObject | Unset):
        batch_id (None | str | Unset):
        created_at (datetime.datetime | Unset):
        completed_at (datetime.datetime | None | Unset):
    """

    id: str | Unset = UNSET
    variant_name: str | Unset = UNSET
    base_session_id: str | Unset = UNSET
    status: str | Unset = UNSET
    result_session_id: None | str | Unset = UNSET
    error_message: None | str | Unset = UNSET
    success: bool | None | Unset = UNSET
    duration_ms: float | None | Unset = UNSET
    estimated_cost: float | None | Unset = UNSET
    total_tokens: float | None | Unset = UNSET
    custom_metrics: JsonObject | Unset = UNSET
    batch_id: None | str | Unset = UNSET
    created_at: datetime.datetime | Unset = UNSET
    completed_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        variant_name = self.variant_name

        base_session_id = self.base_session_id

        status = self.status

        result_session_id: None | str | Unset
        if isinstance(self.result_session_id, Unset):
            result_session_id = UNSET
        else:
            result_session_id = self.result_session_id

        error_message: None | str | Unset
        if isinstance(self.error_message, Unset):
            error_message = UNSET
        else:
            error_message = self.error_message

        success: bool | None | Unset
        if isinstance(self.success, Unset):
            success = UNSET
        else:
            success = self.success

        duration_ms: float | None | Unset
        if isinstance(self.duration_ms, Unset):
            duration_ms = UNSET
        else:
            duration_ms = self.duration_ms

        estimated_cost: float | None | Unset
        if isinstance(self.estimated_cost, Unset):
            estimated_cost = UNSET
        else:
            estimated_cost = self.estimated_cost

        total_tokens: float | None | Unset
        if isinstance(self.total_tokens, Unset):
            total_tokens = UNSET
        else:
            total_tokens = self.total_tokens

        custom_metrics: dict[str, Any] | Unset = UNSET
        if not isinstance(self.custom_metrics, Unset):
            custom_metrics = self.custom_metrics.to_dict()

        batch_id: None | str | Unset
        if isinstance(self.batch_id, Unset):
            batch_id = UNSET
        else:
            batch_id = self.batch_id

        created_at: str | Unset = UNSET
        if not isinstance(self.created_at, Unset):
            created_at = self.created_at.isoformat()

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
        if id is not UNSET:
            field_dict["id"] = id
        if variant_name is not UNSET:
            field_dict["variantName"] = variant_name
        if base_session_id is not UNSET:
            field_dict["baseSessionId"] = base_session_id
        if status is not UNSET:
            field_dict["status"] = status
        if result_session_id is not UNSET:
            field_dict["resultSessionId"] = result_session_id
        if error_message is not UNSET:
            field_dict["errorMessage"] = error_message
        if success is not UNSET:
            field_dict["success"] = success
        if duration_ms is not UNSET:
            field_dict["durationMs"] = duration_ms
        if estimated_cost is not UNSET:
            field_dict["estimatedCost"] = estimated_cost
        if total_tokens is not UNSET:
            field_dict["totalTokens"] = total_tokens
        if custom_metrics is not UNSET:
            field_dict["customMetrics"] = custom_metrics
        if batch_id is not UNSET:
            field_dict["batchId"] = batch_id
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if completed_at is not UNSET:
            field_dict["completedAt"] = completed_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id", UNSET)

        variant_name = d.pop("variantName", UNSET)

        base_session_id = d.pop("baseSessionId", UNSET)

        status = d.pop("status", UNSET)

        def _parse_result_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        result_session_id = _parse_result_session_id(d.pop("resultSessionId", UNSET))

        def _parse_error_message(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error_message = _parse_error_message(d.pop("errorMessage", UNSET))

        def _parse_success(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        success = _parse_success(d.pop("success", UNSET))

        def _parse_duration_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        duration_ms = _parse_duration_ms(d.pop("durationMs", UNSET))

        def _parse_estimated_cost(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        estimated_cost = _parse_estimated_cost(d.pop("estimatedCost", UNSET))

        def _parse_total_tokens(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        total_tokens = _parse_total_tokens(d.pop("totalTokens", UNSET))

        _custom_metrics = d.pop("customMetrics", UNSET)
        custom_metrics: JsonObject | Unset
        if isinstance(_custom_metrics, Unset):
            custom_metrics = UNSET
        else:
            custom_metrics = JsonObject.from_dict(_custom_metrics)

        def _parse_batch_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        batch_id = _parse_batch_id(d.pop("batchId", UNSET))

        _created_at = d.pop("createdAt", UNSET)
        created_at: datetime.datetime | Unset
        if isinstance(_created_at, Unset):
            created_at = UNSET
        else:
            created_at = datetime.datetime.fromisoformat(_created_at)

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

        experiment_run_outcome = cls(
            id=id,
            variant_name=variant_name,
            base_session_id=base_session_id,
            status=status,
            result_session_id=result_session_id,
            error_message=error_message,
            success=success,
            duration_ms=duration_ms,
            estimated_cost=estimated_cost,
            total_tokens=total_tokens,
            custom_metrics=custom_metrics,
            batch_id=batch_id,
            created_at=created_at,
            completed_at=completed_at,
        )

        experiment_run_outcome.additional_properties = d
        return experiment_run_outcome

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
