from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.experiment_test_case import ExperimentTestCase
    from ..models.experiment_variant import ExperimentVariant


T = TypeVar("T", bound="Experiment")


@_attrs_define
class Experiment:
    """
    Attributes:
        id (str | Unset):
        name (str | Unset):
        description (None | str | Unset):
        agent_name (None | str | Unset):
        status (str | Unset): `draft` (no run yet), `running`, or `completed` (every variant ran on every test case);
            new values may appear.
        variants (list[ExperimentVariant] | Unset):
        test_cases (list[ExperimentTestCase] | Unset):
        created_at (datetime.datetime | Unset):
    """

    id: str | Unset = UNSET
    name: str | Unset = UNSET
    description: None | str | Unset = UNSET
    agent_name: None | str | Unset = UNSET
    status: str | Unset = UNSET
    variants: list[ExperimentVariant] | Unset = UNSET
    test_cases: list[ExperimentTestCase] | Unset = UNSET
    created_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        agent_name: None | str | Unset
        if isinstance(self.agent_name, Unset):
            agent_name = UNSET
        else:
            agent_name = self.agent_name

        status = self.status

        variants: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.variants, Unset):
            variants = []
            for variants_item_data in self.variants:
                variants_item = variants_item_data.to_dict()
                variants.append(variants_item)

        test_cases: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.test_cases, Unset):
            test_cases = []
            for test_cases_item_data in self.test_cases:
                test_cases_item = test_cases_item_data.to_dict()
                test_cases.append(test_cases_item)

        created_at: str | Unset = UNSET
        if not isinstance(self.created_at, Unset):
            created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if name is not UNSET:
            field_dict["name"] = name
        if description is not UNSET:
            field_dict["description"] = description
        if agent_name is not UNSET:
            field_dict["agentName"] = agent_name
        if status is not UNSET:
            field_dict["status"] = status
        if variants is not UNSET:
            field_dict["variants"] = variants
        if test_cases is not UNSET:
            field_dict["testCases"] = test_cases
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.experiment_test_case import ExperimentTestCase  # noqa: PLC0415
        from ..models.experiment_variant import ExperimentVariant  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id", UNSET)

        name = d.pop("name", UNSET)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_agent_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        agent_name = _parse_agent_name(d.pop("agentName", UNSET))

        status = d.pop("status", UNSET)

        _variants = d.pop("variants", UNSET)
        variants: list[ExperimentVariant] | Unset = UNSET
        if _variants is not UNSET:
            variants = []
            for variants_item_data in _variants:
                variants_item = ExperimentVariant.from_dict(variants_item_data)

                variants.append(variants_item)

        _test_cases = d.pop("testCases", UNSET)
        test_cases: list[ExperimentTestCase] | Unset = UNSET
        if _test_cases is not UNSET:
            test_cases = []
            for test_cases_item_data in _test_cases:
                test_cases_item = ExperimentTestCase.from_dict(test_cases_item_data)

                test_cases.append(test_cases_item)

        _created_at = d.pop("createdAt", UNSET)
        created_at: datetime.datetime | Unset
        if isinstance(_created_at, Unset):
            created_at = UNSET
        else:
            created_at = datetime.datetime.fromisoformat(_created_at)

        experiment = cls(
            id=id,
            name=name,
            description=description,
            agent_name=agent_name,
            status=status,
            variants=variants,
            test_cases=test_cases,
            created_at=created_at,
        )

        experiment.additional_properties = d
        return experiment

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
