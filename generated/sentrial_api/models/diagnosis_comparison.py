from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.diagnosis_comparison_steps_item import DiagnosisComparisonStepsItem


T = TypeVar("T", bound="DiagnosisComparison")


@_attrs_define
class DiagnosisComparison:
    """
    Attributes:
        session_id (str | Unset):
        similarity (float | Unset):
        diverges_at (int | None | Unset):
        steps (list[DiagnosisComparisonStepsItem] | Unset):
    """

    session_id: str | Unset = UNSET
    similarity: float | Unset = UNSET
    diverges_at: int | None | Unset = UNSET
    steps: list[DiagnosisComparisonStepsItem] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        session_id = self.session_id

        similarity = self.similarity

        diverges_at: int | None | Unset
        if isinstance(self.diverges_at, Unset):
            diverges_at = UNSET
        else:
            diverges_at = self.diverges_at

        steps: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.steps, Unset):
            steps = []
            for steps_item_data in self.steps:
                steps_item = steps_item_data.to_dict()
                steps.append(steps_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if session_id is not UNSET:
            field_dict["sessionId"] = session_id
        if similarity is not UNSET:
            field_dict["similarity"] = similarity
        if diverges_at is not UNSET:
            field_dict["divergesAt"] = diverges_at
        if steps is not UNSET:
            field_dict["steps"] = steps

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.diagnosis_comparison_steps_item import (
            DiagnosisComparisonStepsItem,  # noqa: PLC0415
        )

        d = dict(src_dict)
        session_id = d.pop("sessionId", UNSET)

        similarity = d.pop("similarity", UNSET)

        def _parse_diverges_at(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        diverges_at = _parse_diverges_at(d.pop("divergesAt", UNSET))

        _steps = d.pop("steps", UNSET)
        steps: list[DiagnosisComparisonStepsItem] | Unset = UNSET
        if _steps is not UNSET:
            steps = []
            for steps_item_data in _steps:
                steps_item = DiagnosisComparisonStepsItem.from_dict(steps_item_data)

                steps.append(steps_item)

        diagnosis_comparison = cls(
            session_id=session_id,
            similarity=similarity,
            diverges_at=diverges_at,
            steps=steps,
        )

        diagnosis_comparison.additional_properties = d
        return diagnosis_comparison

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
