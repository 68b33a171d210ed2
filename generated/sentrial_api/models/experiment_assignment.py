from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ExperimentAssignment")


@_attrs_define
class ExperimentAssignment:
    """
    Attributes:
        id (str): `asg_...`: the same for the same experiment and user, everywhere.
        experiment_id (str):
        user_id (str):
        variant_name (str):
        system_prompt (str):
        created_at (datetime.datetime | Unset):
    """

    id: str
    experiment_id: str
    user_id: str
    variant_name: str
    system_prompt: str
    created_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        experiment_id = self.experiment_id

        user_id = self.user_id

        variant_name = self.variant_name

        system_prompt = self.system_prompt

        created_at: str | Unset = UNSET
        if not isinstance(self.created_at, Unset):
            created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "experimentId": experiment_id,
                "userId": user_id,
                "variantName": variant_name,
                "systemPrompt": system_prompt,
            }
        )
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        experiment_id = d.pop("experimentId")

        user_id = d.pop("userId")

        variant_name = d.pop("variantName")

        system_prompt = d.pop("systemPrompt")

        _created_at = d.pop("createdAt", UNSET)
        created_at: datetime.datetime | Unset
        if isinstance(_created_at, Unset):
            created_at = UNSET
        else:
            created_at = datetime.datetime.fromisoformat(_created_at)

        experiment_assignment = cls(
            id=id,
            experiment_id=experiment_id,
            user_id=user_id,
            variant_name=variant_name,
            system_prompt=system_prompt,
            created_at=created_at,
        )

        experiment_assignment.additional_properties = d
        return experiment_assignment

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
