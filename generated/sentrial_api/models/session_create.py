from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_object import JsonObject


T = TypeVar("T", bound="SessionCreate")


@_attrs_define
class SessionCreate:
    """
    Attributes:
        name (str):
        agent_name (str):
        user_id (str):
        id (str | Unset): Client-chosen session id (extension), `sess_` then 1-64 URL-safe characters.
        metadata (JsonObject | Unset):
        parent_session_id (None | str | Unset):
        convo_id (None | str | Unset):
        started_at (datetime.datetime | Unset): When the session began on the client (extension).
    """

    name: str
    agent_name: str
    user_id: str
    id: str | Unset = UNSET
    metadata: JsonObject | Unset = UNSET
    parent_session_id: None | str | Unset = UNSET
    convo_id: None | str | Unset = UNSET
    started_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        agent_name = self.agent_name

        user_id = self.user_id

        id = self.id

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        parent_session_id: None | str | Unset
        if isinstance(self.parent_session_id, Unset):
            parent_session_id = UNSET
        else:
            parent_session_id = self.parent_session_id

        convo_id: None | str | Unset
        if isinstance(self.convo_id, Unset):
            convo_id = UNSET
        else:
            convo_id = self.convo_id

        started_at: str | Unset = UNSET
        if not isinstance(self.started_at, Unset):
            started_at = self.started_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "agentName": agent_name,
                "userId": user_id,
            }
        )
        if id is not UNSET:
            field_dict["id"] = id
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if parent_session_id is not UNSET:
            field_dict["parentSessionId"] = parent_session_id
        if convo_id is not UNSET:
            field_dict["convoId"] = convo_id
        if started_at is not UNSET:
            field_dict["startedAt"] = started_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        agent_name = d.pop("agentName")

        user_id = d.pop("userId")

        id = d.pop("id", UNSET)

        _metadata = d.pop("metadata", UNSET)
        metadata: JsonObject | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = JsonObject.from_dict(_metadata)

        def _parse_parent_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        parent_session_id = _parse_parent_session_id(d.pop("parentSessionId", UNSET))

        def _parse_convo_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        convo_id = _parse_convo_id(d.pop("convoId", UNSET))

        _started_at = d.pop("startedAt", UNSET)
        started_at: datetime.datetime | Unset
        if isinstance(_started_at, Unset):
            started_at = UNSET
        else:
            started_at = datetime.datetime.fromisoformat(_started_at)

        session_create = cls(
            name=name,
            agent_name=agent_name,
            user_id=user_id,
            id=id,
            metadata=metadata,
            parent_session_id=parent_session_id,
            convo_id=convo_id,
            started_at=started_at,
        )

        session_create.additional_properties = d
        return session_create

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
