from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_object import JsonObject


T = TypeVar("T", bound="ExperimentVariantResult")


@_attrs_define
class ExperimentVariantResult:
    """
    Attributes:
        name (str | Unset):
        runs (int | Unset): Runs recorded.
        finished (int | Unset):
        succeeded (int | Unset):
        failed (int | Unset):
        success_rate (float | None | Unset): succeeded / finished.
        mean_duration_ms (float | None | Unset):
        p_95_duration_ms (float | None | Unset):
        total_cost (float | Unset): USD.
        total_tokens (float | Unset):
        custom_metrics (JsonObject | Unset):
    """

    name: str | Unset = UNSET
    runs: int | Unset = UNSET
    finished: int | Unset = UNSET
    succeeded: int | Unset = UNSET
    failed: int | Unset = UNSET
    success_rate: float | None | Unset = UNSET
    mean_duration_ms: float | None | Unset = UNSET
    p_95_duration_ms: float | None | Unset = UNSET
    total_cost: float | Unset = UNSET
    total_tokens: float | Unset = UNSET
    custom_metrics: JsonObject | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        runs = self.runs

        finished = self.finished

        succeeded = self.succeeded

        failed = self.failed

        success_rate: float | None | Unset
        if isinstance(self.success_rate, Unset):
            success_rate = UNSET
        else:
            success_rate = self.success_rate

        mean_duration_ms: float | None | Unset
        if isinstance(self.mean_duration_ms, Unset):
            mean_duration_ms = UNSET
        else:
            mean_duration_ms = self.mean_duration_ms

        p_95_duration_ms: float | None | Unset
        if isinstance(self.p_95_duration_ms, Unset):
            p_95_duration_ms = UNSET
        else:
            p_95_duration_ms = self.p_95_duration_ms

        total_cost = self.total_cost

        total_tokens = self.total_tokens

        custom_metrics: dict[str, Any] | Unset = UNSET
        if not isinstance(self.custom_metrics, Unset):
            custom_metrics = self.custom_metrics.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if runs is not UNSET:
            field_dict["runs"] = runs
        if finished is not UNSET:
            field_dict["finished"] = finished
        if succeeded is not UNSET:
            field_dict["succeeded"] = succeeded
        if failed is not UNSET:
            field_dict["failed"] = failed
        if success_rate is not UNSET:
            field_dict["successRate"] = success_rate
        if mean_duration_ms is not UNSET:
            field_dict["meanDurationMs"] = mean_duration_ms
        if p_95_duration_ms is not UNSET:
            field_dict["p95DurationMs"] = p_95_duration_ms
        if total_cost is not UNSET:
            field_dict["totalCost"] = total_cost
        if total_tokens is not UNSET:
            field_dict["totalTokens"] = total_tokens
        if custom_metrics is not UNSET:
            field_dict["customMetrics"] = custom_metrics

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name", UNSET)

        runs = d.pop("runs", UNSET)

        finished = d.pop("finished", UNSET)

        succeeded = d.pop("succeeded", UNSET)

        failed = d.pop("failed", UNSET)

        def _parse_success_rate(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        success_rate = _parse_success_rate(d.pop("successRate", UNSET))

        def _parse_mean_duration_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        mean_duration_ms = _parse_mean_duration_ms(d.pop("meanDurationMs", UNSET))

        def _parse_p_95_duration_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        p_95_duration_ms = _parse_p_95_duration_ms(d.pop("p95DurationMs", UNSET))

        total_cost = d.pop("totalCost", UNSET)

        total_tokens = d.pop("totalTokens", UNSET)

        _custom_metrics = d.pop("customMetrics", UNSET)
        custom_metrics: JsonObject | Unset
        if isinstance(_custom_metrics, Unset):
            custom_metrics = UNSET
        else:
            custom_metrics = JsonObject.from_dict(_custom_metrics)

        experiment_variant_result = cls(
            name=name,
            runs=runs,
            finished=finished,
            succeeded=succeeded,
            failed=failed,
            success_rate=success_rate,
            mean_duration_ms=mean_duration_ms,
            p_95_duration_ms=p_95_duration_ms,
            total_cost=total_cost,
            total_tokens=total_tokens,
            custom_metrics=custom_metrics,
        )

        experiment_variant_result.additional_properties = d
        return experiment_variant_result

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
