from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.experiment_run_status_update import ExperimentRunStatusUpdate
from ..types import UNSET, Unset

T = TypeVar("T", bound="ExperimentRunUpdate")


@_attrs_define
class ExperimentRunUpdate:
    """`null` in a field means absent (the stored value stays).

    Attributes:
        status (ExperimentRunStatusUpdate | None | Unset):
        result_session_id (None | str | Unset):
        error_message (None | str | Unset):
    """

    status: ExperimentRunStatusUpdate | None | Unset = UNSET
    result_session_id: None | str | Unset = UNSET
    error_message: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status: None | str | Unset
        if isinstance(self.status, Unset):
            status = UNSET
        elif isinstance(self.status, ExperimentRunStatusUpdate):
            status = self.status.value
        else:
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

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if status is not UNSET:
            field_dict["status"] = status
        if result_session_id is not UNSET:
            field_dict["resultSessionId"] = result_session_id
        if error_message is not UNSET:
            field_dict["errorMessage"] = error_message

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_status(data: object) -> ExperimentRunStatusUpdate | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                status_type_0 = ExperimentRunStatusUpdate(data)

                return status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ExperimentRunStatusUpdate | None | Unset, data)

        status = _parse_status(d.pop("status", UNSET))

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

        experiment_run_update = cls(
            status=status,
            result_session_id=result_session_id,
            error_message=error_message,
        )

        experiment_run_update.additional_properties = d
        return experiment_run_update

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
