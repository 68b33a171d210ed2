from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ExperimentRunCreate")


@_attrs_define
class ExperimentRunCreate:
    """
    Attributes:
        variant_name (str):
        base_session_id (str):
        id (None | str | Unset): Client-chosen run id (extension); creation is idempotent.
        batch_id (None | str | Unset): The batch (one run of the whole experiment) this run belongs to (extension).
    """

    variant_name: str
    base_session_id: str
    id: None | str | Unset = UNSET
    batch_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        variant_name = self.variant_name

        base_session_id = self.base_session_id

        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        batch_id: None | str | Unset
        if isinstance(self.batch_id, Unset):
            batch_id = UNSET
        else:
            batch_id = self.batch_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "variantName": variant_name,
                "baseSessionId": base_session_id,
            }
        )
        if id is not UNSET:
            field_dict["id"] = id
        if batch_id is not UNSET:
            field_dict["batchId"] = batch_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        variant_name = d.pop("variantName")

        base_session_id = d.pop("baseSessionId")

        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        def _parse_batch_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        batch_id = _parse_batch_id(d.pop("batchId", UNSET))

        experiment_run_create = cls(
            variant_name=variant_name,
            base_session_id=base_session_id,
            id=id,
            batch_id=batch_id,
        )

        experiment_run_create.additional_properties = d
        return experiment_run_create

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
