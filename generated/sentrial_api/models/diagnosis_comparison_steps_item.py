from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="DiagnosisComparisonStepsItem")


@_attrs_define
class DiagnosisComparisonStepsItem:
    """
    Attributes:
        index (int | Unset):
        this (None | str | Unset):
        other (None | str | Unset):
        same (bool | Unset):
    """

    index: int | Unset = UNSET
    this: None | str | Unset = UNSET
    other: None | str | Unset = UNSET
    same: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        index = self.index

        this: None | str | Unset
        if isinstance(self.this, Unset):
            this = UNSET
        else:
            this = self.this

        other: None | str | Unset
        if isinstance(self.other, Unset):
            other = UNSET
        else:
            other = self.other

        same = self.same

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if index is not UNSET:
            field_dict["index"] = index
        if this is not UNSET:
            field_dict["this"] = this
        if other is not UNSET:
            field_dict["other"] = other
        if same is not UNSET:
            field_dict["same"] = same

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        index = d.pop("index", UNSET)

        def _parse_this(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        this = _parse_this(d.pop("this", UNSET))

        def _parse_other(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        other = _parse_other(d.pop("other", UNSET))

        same = d.pop("same", UNSET)

        diagnosis_comparison_steps_item = cls(
            index=index,
            this=this,
            other=other,
            same=same,
        )

        diagnosis_comparison_steps_item.additional_properties = d
        return diagnosis_comparison_steps_item

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
