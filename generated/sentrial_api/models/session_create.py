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
    """`null` in an optional field means absent. Undeclared properties are
    stored and returned as sent.

        Attributes:
            name (str):
            agent_name (str):
            user_id (str):
            id (None | str | Unset): Client-chosen session id (extension); creation is idempotent.
            metadata (JsonObject | None | Unset): A JSON object; `null` means absent.
            parent_session_id (None | str | Unset):
            convo_id (None | str | Unset):
            started_at (datetime.datetime | None | Unset): When the session began on the client (extension).
            experiment_assignment_id (None | str | Unset): The production assignment (`POST
                /api/experiments/{id}/assignments`)
                the session ran under (extension); its variant's results count it.
    """

    name: str
    agent_name: str
    user_id: str
    id: None | str | Unset = UNSET
    metadata: JsonObject | None | Unset = UNSET
    parent_session_id: None | str | Unset = UNSET
    convo_id: None | str | Unset = UNSET
    started_at: datetime.datetime | None | Unset = UNSET
    experiment_assignment_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        name = self.name

        agent_name = self.agent_name

        user_id = self.user_id

        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, JsonObject):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

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

        started_at: None | str | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        elif isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        experiment_assignment_id: None | str | Unset
        if isinstance(self.experiment_assignment_id, Unset):
            experiment_assignment_id = UNSET
        else:
            experiment_assignment_id = self.experiment_assignment_id

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
        if experiment_assignment_id is not UNSET:
            field_dict["experimentAssignmentId"] = experiment_assignment_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        agent_name = d.pop("agentName")

        user_id = d.pop("userId")

        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        def _parse_metadata(data: object) -> JsonObject | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_nullable_json_object_type_0 = JsonObject.from_dict(
                    data
                )

                return componentsschemas_nullable_json_object_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JsonObject | None | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

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

        def _parse_started_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        started_at = _parse_started_at(d.pop("startedAt", UNSET))

        def _parse_experiment_assignment_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        experiment_assignment_id = _parse_experiment_assignment_id(
            d.pop("experimentAssignmentId", UNSET)
        )

        session_create = cls(
            name=name,
            agent_name=agent_name,
            user_id=user_id,
            id=id,
            metadata=metadata,
            parent_session_id=parent_session_id,
            convo_id=convo_id,
            started_at=started_at,
            experiment_assignment_id=experiment_assignment_id,
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
