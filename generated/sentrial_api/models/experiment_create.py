from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.experiment_session_source import ExperimentSessionSource
    from ..models.experiment_test_case_create import ExperimentTestCaseCreate
    from ..models.experiment_variant_create import ExperimentVariantCreate


T = TypeVar("T", bound="ExperimentCreate")


@_attrs_define
class ExperimentCreate:
    """`null` in an optional field means absent.

    Attributes:
        name (str):
        variants (list[ExperimentVariantCreate]):
        description (None | str | Unset):
        agent_name (None | str | Unset): The agent the runs record their sessions under (default, the `fromSessions`
            agent).
        test_cases (list[ExperimentTestCaseCreate] | None | Unset):
        from_sessions (ExperimentSessionSource | None | Unset):
    """

    name: str
    variants: list[ExperimentVariantCreate]
    description: None | str | Unset = UNSET
    agent_name: None | str | Unset = UNSET
    test_cases: list[ExperimentTestCaseCreate] | None | Unset = UNSET
    from_sessions: ExperimentSessionSource | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.experiment_session_source import ExperimentSessionSource  # noqa: PLC0415

        name = self.name

        variants = []
        for variants_item_data in self.variants:
            variants_item = variants_item_data.to_dict()
            variants.append(variants_item)

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

        test_cases: list[dict[str, Any]] | None | Unset
        if isinstance(self.test_cases, Unset):
            test_cases = UNSET
        elif isinstance(self.test_cases, list):
            test_cases = []
            for test_cases_type_0_item_data in self.test_cases:
                test_cases_type_0_item = test_cases_type_0_item_data.to_dict()
                test_cases.append(test_cases_type_0_item)

        else:
            test_cases = self.test_cases

        from_sessions: dict[str, Any] | None | Unset
        if isinstance(self.from_sessions, Unset):
            from_sessions = UNSET
        elif isinstance(self.from_sessions, ExperimentSessionSource):
            from_sessions = self.from_sessions.to_dict()
        else:
            from_sessions = self.from_sessions

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "variants": variants,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if agent_name is not UNSET:
            field_dict["agentName"] = agent_name
        if test_cases is not UNSET:
            field_dict["testCases"] = test_cases
        if from_sessions is not UNSET:
            field_dict["fromSessions"] = from_sessions

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.experiment_session_source import ExperimentSessionSource  # noqa: PLC0415
        from ..models.experiment_test_case_create import ExperimentTestCaseCreate  # noqa: PLC0415
        from ..models.experiment_variant_create import ExperimentVariantCreate  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        variants = []
        _variants = d.pop("variants")
        for variants_item_data in _variants:
            variants_item = ExperimentVariantCreate.from_dict(variants_item_data)

            variants.append(variants_item)

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

        def _parse_test_cases(
            data: object,
        ) -> list[ExperimentTestCaseCreate] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                test_cases_type_0 = []
                _test_cases_type_0 = data
                for test_cases_type_0_item_data in _test_cases_type_0:
                    test_cases_type_0_item = ExperimentTestCaseCreate.from_dict(
                        test_cases_type_0_item_data
                    )

                    test_cases_type_0.append(test_cases_type_0_item)

                return test_cases_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[ExperimentTestCaseCreate] | None | Unset, data)

        test_cases = _parse_test_cases(d.pop("testCases", UNSET))

        def _parse_from_sessions(
            data: object,
        ) -> ExperimentSessionSource | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                from_sessions_type_0 = ExperimentSessionSource.from_dict(data)

                return from_sessions_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ExperimentSessionSource | None | Unset, data)

        from_sessions = _parse_from_sessions(d.pop("fromSessions", UNSET))

        experiment_create = cls(
            name=name,
            variants=variants,
            description=description,
            agent_name=agent_name,
            test_cases=test_cases,
            from_sessions=from_sessions,
        )

        experiment_create.additional_properties = d
        return experiment_create

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
