from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.signal_type import SignalType

T = TypeVar("T", bound="Signal")


@_attrs_define
class Signal:
    """
    Attributes:
        id (str):
        session_id (str):
        agent_name (str):
        type_ (SignalType):
        source (str): `heuristic` for the server's classification.
        name (str): `failed_session`, `tool_error`, `error_event`, `loop`, `retry_storm`,
            `duration_outlier`, `cost_outlier`, `tokens_outlier`, `empty_output`,
            `low_confidence`, `abandoned`, `clean_success`; new names may appear.
        detail (str): What was seen
        created_at (datetime.datetime):
    """

    id: str
    session_id: str
    agent_name: str
    type_: SignalType
    source: str
    name: str
    detail: str
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        session_id = self.session_id

        agent_name = self.agent_name

        type_ = self.type_.value

        source = self.source

        name = self.name

        detail = self.detail

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "sessionId": session_id,
                "agentName": agent_name,
                "type": type_,
                "source": source,
                "name": name,
                "detail": detail,
                "createdAt": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        session_id = d.pop("sessionId")

        agent_name = d.pop("agentName")

        type_ = SignalType(d.pop("type"))

        source = d.pop("source")

        name = d.pop("name")

        detail = d.pop("detail")

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        signal = cls(
            id=id,
            session_id=session_id,
            agent_name=agent_name,
            type_=type_,
            source=source,
            name=name,
            detail=detail,
            created_at=created_at,
        )

        signal.additional_properties = d
        return signal

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
