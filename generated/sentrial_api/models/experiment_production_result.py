from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ExperimentProductionResult")


@_attrs_define
class ExperimentProductionResult:
    """
    Attributes:
        variant_name (str | Unset):
        sessions (int | Unset):
        finished (int | Unset):
        success_rate (float | None | Unset):
        total_cost (float | Unset):
        mean_cost (float | None | Unset):
        mean_duration_ms (float | None | Unset):
        negative_signals (int | Unset):
    """

    variant_name: str | Unset = UNSET
    sessions: int | Unset = UNSET
    finished: int | Unset = UNSET
    success_rate: float | None | Unset = UNSET
    total_cost: float | Unset = UNSET
    mean_cost: float | None | Unset = UNSET
    mean_duration_ms: float | None | Unset = UNSET
    negative_signals: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        variant_name = self.variant_name

        sessions = self.sessions

        finished = self.finished

        success_rate: float | None | Unset
        if isinstance(self.success_rate, Unset):
            success_rate = UNSET
        else:
            success_rate = self.success_rate

        total_cost = self.total_cost

        mean_cost: float | None | Unset
        if isinstance(self.mean_cost, Unset):
            mean_cost = UNSET
        else:
            mean_cost = self.mean_cost

        mean_duration_ms: float | None | Unset
        if isinstance(self.mean_duration_ms, Unset):
            mean_duration_ms = UNSET
        else:
            mean_duration_ms = self.mean_duration_ms

        negative_signals = self.negative_signals

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if variant_name is not UNSET:
            field_dict["variantName"] = variant_name
        if sessions is not UNSET:
            field_dict["sessions"] = sessions
        if finished is not UNSET:
            field_dict["finished"] = finished
        if success_rate is not UNSET:
            field_dict["successRate"] = success_rate
        if total_cost is not UNSET:
            field_dict["totalCost"] = total_cost
        if mean_cost is not UNSET:
            field_dict["meanCost"] = mean_cost
        if mean_duration_ms is not UNSET:
            field_dict["meanDurationMs"] = mean_duration_ms
        if negative_signals is not UNSET:
            field_dict["negativeSignals"] = negative_signals

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        variant_name = d.pop("variantName", UNSET)

        sessions = d.pop("sessions", UNSET)

        finished = d.pop("finished", UNSET)

        def _parse_success_rate(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        success_rate = _parse_success_rate(d.pop("successRate", UNSET))

        total_cost = d.pop("totalCost", UNSET)

        def _parse_mean_cost(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        mean_cost = _parse_mean_cost(d.pop("meanCost", UNSET))

        def _parse_mean_duration_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        mean_duration_ms = _parse_mean_duration_ms(d.pop("meanDurationMs", UNSET))

        negative_signals = d.pop("negativeSignals", UNSET)

        experiment_production_result = cls(
            variant_name=variant_name,
            sessions=sessions,
            finished=finished,
            success_rate=success_rate,
            total_cost=total_cost,
            mean_cost=mean_cost,
            mean_duration_ms=mean_duration_ms,
            negative_signals=negative_signals,
        )

        experiment_production_result.additional_properties = d
        return experiment_production_result

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
