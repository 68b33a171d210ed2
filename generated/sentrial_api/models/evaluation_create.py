from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.evaluation_scores import EvaluationScores


T = TypeVar("T", bound="EvaluationCreate")


@_attrs_define
class EvaluationCreate:
    """
    Attributes:
        metric (str): `success` (share of runs that succeeded) or a custom metric's name.
        min_score (float):
        passed (bool):
        scores (EvaluationScores): Each variant's score (0-100 for `success`), null when it had no finished run.
        max_regression (float | None | Unset):
        baseline (None | str | Unset): The baseline variant's name, or the id of the evaluation compared with.
    """

    metric: str
    min_score: float
    passed: bool
    scores: EvaluationScores
    max_regression: float | None | Unset = UNSET
    baseline: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        metric = self.metric

        min_score = self.min_score

        passed = self.passed

        scores = self.scores.to_dict()

        max_regression: float | None | Unset
        if isinstance(self.max_regression, Unset):
            max_regression = UNSET
        else:
            max_regression = self.max_regression

        baseline: None | str | Unset
        if isinstance(self.baseline, Unset):
            baseline = UNSET
        else:
            baseline = self.baseline

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "metric": metric,
                "minScore": min_score,
                "passed": passed,
                "scores": scores,
            }
        )
        if max_regression is not UNSET:
            field_dict["maxRegression"] = max_regression
        if baseline is not UNSET:
            field_dict["baseline"] = baseline

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.evaluation_scores import EvaluationScores  # noqa: PLC0415

        d = dict(src_dict)
        metric = d.pop("metric")

        min_score = d.pop("minScore")

        passed = d.pop("passed")

        scores = EvaluationScores.from_dict(d.pop("scores"))

        def _parse_max_regression(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        max_regression = _parse_max_regression(d.pop("maxRegression", UNSET))

        def _parse_baseline(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        baseline = _parse_baseline(d.pop("baseline", UNSET))

        evaluation_create = cls(
            metric=metric,
            min_score=min_score,
            passed=passed,
            scores=scores,
            max_regression=max_regression,
            baseline=baseline,
        )

        evaluation_create.additional_properties = d
        return evaluation_create

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
