from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_object import JsonObject


T = TypeVar("T", bound="Session")


@_attrs_define
class Session:
    """This server sends every field; the documented API promises none, so
    none is required.

        Attributes:
            id (str | Unset):
            name (str | Unset):
            agent_name (str | Unset):
            user_id (str | Unset):
            status (str | Unset): `active`, `completed` or `failed`; new values may appear.
            success (bool | None | Unset):
            failure_reason (None | str | Unset):
            estimated_cost (float | None | Unset):
            duration_ms (float | None | Unset):
            prompt_tokens (float | None | Unset):
            completion_tokens (float | None | Unset):
            total_tokens (float | None | Unset):
            custom_metrics (JsonObject | Unset):
            user_input (None | str | Unset):
            assistant_output (None | str | Unset):
            metadata (JsonObject | Unset):
            parent_session_id (None | str | Unset):
            convo_id (None | str | Unset):
            experiment_assignment_id (None | str | Unset): Extension, variants.
            event_count (int | Unset):
            created_at (datetime.datetime | Unset):
            started_at (datetime.datetime | None | Unset):
            completed_at (datetime.datetime | None | Unset):
    """

    id: str | Unset = UNSET
    name: str | Unset = UNSET
    agent_name: str | Unset = UNSET
    user_id: str | Unset = UNSET
    status: str | Unset = UNSET
    success: bool | None | Unset = UNSET
    failure_reason: None | str | Unset = UNSET
    estimated_cost: float | None | Unset = UNSET
    duration_ms: float | None | Unset = UNSET
    prompt_tokens: float | None | Unset = UNSET
    completion_tokens: float | None | Unset = UNSET
    total_tokens: float | None | Unset = UNSET
    custom_metrics: JsonObject | Unset = UNSET
    user_input: None | str | Unset = UNSET
    assistant_output: None | str | Unset = UNSET
    metadata: JsonObject | Unset = UNSET
    parent_session_id: None | str | Unset = UNSET
    convo_id: None | str | Unset = UNSET
    experiment_assignment_id: None | str | Unset = UNSET
    event_count: int | Unset = UNSET
    created_at: datetime.datetime | Unset = UNSET
    started_at: datetime.datetime | None | Unset = UNSET
    completed_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        agent_name = self.agent_name

        user_id = self.user_id

        status = self.status

        success: bool | None | Unset
        if isinstance(self.success, Unset):
            success = UNSET
        else:
            success = self.success

        failure_reason: None | str | Unset
        if isinstance(self.failure_reason, Unset):
            failure_reason = UNSET
        else:
            failure_reason = self.failure_reason

        estimated_cost: float | None | Unset
        if isinstance(self.estimated_cost, Unset):
            estimated_cost = UNSET
        else:
            estimated_cost = self.estimated_cost

        duration_ms: float | None | Unset
        if isinstance(self.duration_ms, Unset):
            duration_ms = UNSET
        else:
            duration_ms = self.duration_ms

        prompt_tokens: float | None | Unset
        if isinstance(self.prompt_tokens, Unset):
            prompt_tokens = UNSET
        else:
            prompt_tokens = self.prompt_tokens

        completion_tokens: float | None | Unset
        if isinstance(self.completion_tokens, Unset):
            completion_tokens = UNSET
        else:
            completion_tokens = self.completion_tokens

        total_tokens: float | None | Unset
        if isinstance(self.total_tokens, Unset):
            total_tokens = UNSET
        else:
            total_tokens = self.total_tokens

        custom_metrics: dict[str, Any] | Unset = UNSET
        if not isinstance(self.custom_metrics, Unset):
            custom_metrics = self.custom_metrics.to_dict()

        user_input: None | str | Unset
        if isinstance(self.user_input, Unset):
            user_input = UNSET
        else:
            user_input = self.user_input

        assistant_output: None | str | Unset
        if isinstance(self.assistant_output, Unset):
            assistant_output = UNSET
        else:
            assistant_output = self.assistant_output

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

        experiment_assignment_id: None | str | Unset
        if isinstance(self.experiment_assignment_id, Unset):
            experiment_assignment_id = UNSET
        else:
            experiment_assignment_id = self.experiment_assignment_id

        event_count = self.event_count

        created_at: str | Unset = UNSET
        if not isinstance(self.created_at, Unset):
            created_at = self.created_at.isoformat()

        started_at: None | str | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        elif isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        completed_at: None | str | Unset
        if isinstance(self.completed_at, Unset):
            completed_at = UNSET
        elif isinstance(self.completed_at, datetime.datetime):
            completed_at = self.completed_at.isoformat()
        else:
            completed_at = self.completed_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if name is not UNSET:
            field_dict["name"] = name
        if agent_name is not UNSET:
            field_dict["agentName"] = agent_name
        if user_id is not UNSET:
            field_dict["userId"] = user_id
        if status is not UNSET:
            field_dict["status"] = status
        if success is not UNSET:
            field_dict["success"] = success
        if failure_reason is not UNSET:
            field_dict["failureReason"] = failure_reason
        if estimated_cost is not UNSET:
            field_dict["estimatedCost"] = estimated_cost
        if duration_ms is not UNSET:
            field_dict["durationMs"] = duration_ms
        if prompt_tokens is not UNSET:
            field_dict["promptTokens"] = prompt_tokens
        if completion_tokens is not UNSET:
            field_dict["completionTokens"] = completion_tokens
        if total_tokens is not UNSET:
            field_dict["totalTokens"] = total_tokens
        if custom_metrics is not UNSET:
            field_dict["customMetrics"] = custom_metrics
        if user_input is not UNSET:
            field_dict["userInput"] = user_input
        if assistant_output is not UNSET:
            field_dict["assistantOutput"] = assistant_output
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if parent_session_id is not UNSET:
            field_dict["parentSessionId"] = parent_session_id
        if convo_id is not UNSET:
            field_dict["convoId"] = convo_id
        if experiment_assignment_id is not UNSET:
            field_dict["experimentAssignmentId"] = experiment_assignment_id
        if event_count is not UNSET:
            field_dict["eventCount"] = event_count
        if created_at is not UNSET:
            field_dict["createdAt"] = created_at
        if started_at is not UNSET:
            field_dict["startedAt"] = started_at
        if completed_at is not UNSET:
            field_dict["completedAt"] = completed_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object import JsonObject  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id", UNSET)

        name = d.pop("name", UNSET)

        agent_name = d.pop("agentName", UNSET)

        user_id = d.pop("userId", UNSET)

        status = d.pop("status", UNSET)

        def _parse_success(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        success = _parse_success(d.pop("success", UNSET))

        def _parse_failure_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        failure_reason = _parse_failure_reason(d.pop("failureReason", UNSET))

        def _parse_estimated_cost(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        estimated_cost = _parse_estimated_cost(d.pop("estimatedCost", UNSET))

        def _parse_duration_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        duration_ms = _parse_duration_ms(d.pop("durationMs", UNSET))

        def _parse_prompt_tokens(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        prompt_tokens = _parse_prompt_tokens(d.pop("promptTokens", UNSET))

        def _parse_completion_tokens(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        completion_tokens = _parse_completion_tokens(d.pop("completionTokens", UNSET))

        def _parse_total_tokens(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        total_tokens = _parse_total_tokens(d.pop("totalTokens", UNSET))

        _custom_metrics = d.pop("customMetrics", UNSET)
        custom_metrics: JsonObject | Unset
        if isinstance(_custom_metrics, Unset):
            custom_metrics = UNSET
        else:
            custom_metrics = JsonObject.from_dict(_custom_metrics)

        def _parse_user_input(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_input = _parse_user_input(d.pop("userInput", UNSET))

        def _parse_assistant_output(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        assistant_output = _parse_assistant_output(d.pop("assistantOutput", UNSET))

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

        def _parse_experiment_assignment_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        experiment_assignment_id = _parse_experiment_assignment_id(
            d.pop("experimentAssignmentId", UNSET)
        )

        event_count = d.pop("eventCount", UNSET)

        _created_at = d.pop("createdAt", UNSET)
        created_at: datetime.datetime | Unset
        if isinstance(_created_at, Unset):
            created_at = UNSET
        else:
            created_at = datetime.datetime.fromisoformat(_created_at)

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

        def _parse_completed_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                completed_at_type_0 = datetime.datetime.fromisoformat(data)

                return completed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        completed_at = _parse_completed_at(d.pop("completedAt", UNSET))

        session = cls(
            id=id,
            name=name,
            agent_name=agent_name,
            user_id=user_id,
            status=status,
            success=success,
            failure_reason=failure_reason,
            estimated_cost=estimated_cost,
            duration_ms=duration_ms,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            total_tokens=total_tokens,
            custom_metrics=custom_metrics,
            user_input=user_input,
            assistant_output=assistant_output,
            metadata=metadata,
            parent_session_id=parent_session_id,
            convo_id=convo_id,
            experiment_assignment_id=experiment_assignment_id,
            event_count=event_count,
            created_at=created_at,
            started_at=started_at,
            completed_at=completed_at,
        )

        session.additional_properties = d
        return session

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
