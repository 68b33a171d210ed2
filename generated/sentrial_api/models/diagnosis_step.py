from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="DiagnosisStep")


@_attrs_define
class DiagnosisStep:
    """
    Attributes:
        index (int | Unset):
        event_id (str | Unset):
        step (str | Unset): `<eventType>:<toolName>`, `llm:<model>` or the event type.
        event_type (None | str | Unset):
        tool_name (None | str | Unset):
        input_ (Any | Unset): The step's input (any JSON).
        error (Any | Unset): Its error (a ToolError object or a text).
        timestamp (datetime.datetime | None | Unset):
    """

    index: int | Unset = UNSET
    event_id: str | Unset = UNSET
    step: str | Unset = UNSET
    event_type: None | str | Unset = UNSET
    tool_name: None | str | Unset = UNSET
    input_: Any | Unset = UNSET
    error: Any | Unset = UNSET
    timestamp: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        index = self.index

        event_id = self.event_id

        step = self.step

        event_type: None | str | Unset
        if isinstance(self.event_type, Unset):
            event_type = UNSET
        else:
            event_type = self.event_type

        tool_name: None | str | Unset
        if isinstance(self.tool_name, Unset):
            tool_name = UNSET
        else:
            tool_name = self.tool_name

        input_ = self.input_

        error = self.error

        timestamp: None | str | Unset
        if isinstance(self.timestamp, Unset):
            timestamp = UNSET
        elif isinstance(self.timestamp, datetime.datetime):
            timestamp = self.timestamp.isoformat()
        else:
            timestamp = self.timestamp

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if index is not UNSET:
            field_dict["index"] = index
        if event_id is not UNSET:
            field_dict["eventId"] = event_id
        if step is not UNSET:
            field_dict["step"] = step
        if event_type is not UNSET:
            field_dict["eventType"] = event_type
        if tool_name is not UNSET:
            field_dict["toolName"] = tool_name
        if input_ is not UNSET:
            field_dict["input"] = input_
        if error is not UNSET:
            field_dict["error"] = error
        if timestamp is not UNSET:
            field_dict["timestamp"] = timestamp

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        index = d.pop("index", UNSET)

        event_id = d.pop("eventId", UNSET)

        step = d.pop("step", UNSET)

        def _parse_event_type(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        event_type = _parse_event_type(d.pop("eventType", UNSET))

        def _parse_tool_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tool_name = _parse_tool_name(d.pop("toolName", UNSET))

        input_ = d.pop("input", UNSET)

        error = d.pop("error", UNSET)

        def _parse_timestamp(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                timestamp_type_0 = datetime.datetime.fromisoformat(data)

                return timestamp_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        timestamp = _parse_timestamp(d.pop("timestamp", UNSET))

        diagnosis_step = cls(
            index=index,
            event_id=event_id,
            step=step,
            event_type=event_type,
            tool_name=tool_name,
            input_=input_,
            error=error,
            timestamp=timestamp,
        )

        diagnosis_step.additional_properties = d
        return diagnosis_step

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
