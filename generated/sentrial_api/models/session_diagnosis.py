from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.diagnosis_comparison import DiagnosisComparison
    from ..models.diagnosis_step import DiagnosisStep
    from ..models.json_object import JsonObject


T = TypeVar("T", bound="SessionDiagnosis")


@_attrs_define
class SessionDiagnosis:
    """
    Attributes:
        session_id (str):
        text (str):
        agent_name (str | Unset):
        status (str | Unset):
        failure_reason (None | str | Unset):
        steps (int | Unset):
        first_failure (DiagnosisStep | None | Unset):
        last_decision (JsonObject | None | Unset):
        loops (list[JsonObject] | Unset):
        retries (list[JsonObject] | Unset):
        by_step_type (list[JsonObject] | Unset):
        comparison (DiagnosisComparison | None | Unset):
    """

    session_id: str
    text: str
    agent_name: str | Unset = UNSET
    status: str | Unset = UNSET
    failure_reason: None | str | Unset = UNSET
    steps: int | Unset = UNSET
    first_failure: DiagnosisStep | None | Unset = UNSET
    last_decision: JsonObject | None | Unset = UNSET
    loops: list[JsonObject] | Unset = UNSET
    retries: list[JsonObject] | Unset = UNSET
    by_step_type: list[JsonObject] | Unset = UNSET
    comparison: DiagnosisComparison | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.diagnosis_comparison import DiagnosisComparison  # noqa: PLC0415
        from ..models.diagnosis_step import DiagnosisStep  # noqa: PLC0415
        from ..models.json_object import JsonObject  # noqa: PLC0415

        session_id = self.session_id

        text = self.text

        agent_name = self.agent_name

        status = self.status

        failure_reason: None | str | Unset
        if isinstance(self.failure_reason, Unset):
            failure_reason = UNSET
        else:
            failure_reason = self.failure_reason

        steps = self.steps

        first_failure: dict[str, Any] | None | Unset
        if isinstance(self.first_failure, Unset):
            first_failure = UNSET
        elif isinstance(self.first_failure, DiagnosisStep):
            first_failure = self.first_failure.to_dict()
        else:
            first_failure = self.first_failure

        last_decision: dict[str, Any] | None | Unset
        if isinstance(self.last_decision, Unset):
            last_decision = UNSET
        elif isinstance(self.last_decision, JsonObject):
            last_decision = self.last_decision.to_dict()
        else:
            last_decision = self.last_decision

        loops: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.loops, Unset):
            loops = []
            for loops_item_data in self.loops:
                loops_item = loops_item_data.to_dict()
                loops.append(loops_item)

        retries: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.retries, Unset):
            retries = []
            for retries_item_data in self.retries:
                retries_item = retries_item_data.to_dict()
                retries.append(retries_item)

        by_step_type: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.by_step_type, Unset):
            by_step_type = []
            for by_step_type_item_data in self.by_step_type:
                by_step_type_item = by_step_type_item_data.to_dict()
                by_step_type.append(by_step_type_item)

        comparison: dict[str, Any] | None | Unset
        if isinstance(self.comparison, Unset):
            comparison = UNSET
        elif isinstance(self.comparison, DiagnosisComparison):
            comparison = self.comparison.to_dict()
        else:
            comparison = self.comparison

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "sessionId": session_id,
                "text": text,
            }
        )
        if agent_name is not UNSET:
            field_dict["agentName"] = agent_name
        if status is not UNSET:
            field_dict["status"] = status
        if failure_reason is not UNSET:
            field_dict["failureReason"] = failure_reason
        if steps is not UNSET:
            field_dict["steps"] = steps
        if first_failure is not UNSET:
            field_dict["firstFailure"] = first_failure
        if last_decision is not UNSET:
            field_dict["lastDecision"] = last_decision
        if loops is not UNSET:
            field_dict["loops"] = loops
        if retries is not UNSET:
            field_dict["retries"] = retries
        if by_step_type is not UNSET:
            field_dict["byStepType"] = by_step_type
        if comparison is not UNSET:
            field_dict["comparison"] = comparison

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.diagnosis_comparison import DiagnosisComparison  # noqa: PLC0415
        from ..models.diagnosis_step import DiagnosisStep  # noqa: PLC0415
        from ..models.json_object import JsonObject  # noqa: PLC0415

        d = dict(src_dict)
        session_id = d.pop("sessionId")

        text = d.pop("text")

        agent_name = d.pop("agentName", UNSET)

        status = d.pop("status", UNSET)

        def _parse_failure_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        failure_reason = _parse_failure_reason(d.pop("failureReason", UNSET))

        steps = d.pop("steps", UNSET)

        def _parse_first_failure(data: object) -> DiagnosisStep | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                first_failure_type_0 = DiagnosisStep.from_dict(data)

                return first_failure_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DiagnosisStep | None | Unset, data)

        first_failure = _parse_first_failure(d.pop("firstFailure", UNSET))

        def _parse_last_decision(data: object) -> JsonObject | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_decision_type_0 = JsonObject.from_dict(data)

                return last_decision_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JsonObject | None | Unset, data)

        last_decision = _parse_last_decision(d.pop("lastDecision", UNSET))

        _loops = d.pop("loops", UNSET)
        loops: list[JsonObject] | Unset = UNSET
        if _loops is not UNSET:
            loops = []
            for loops_item_data in _loops:
                loops_item = JsonObject.from_dict(loops_item_data)

                loops.append(loops_item)

        _retries = d.pop("retries", UNSET)
        retries: list[JsonObject] | Unset = UNSET
        if _retries is not UNSET:
            retries = []
            for retries_item_data in _retries:
                retries_item = JsonObject.from_dict(retries_item_data)

                retries.append(retries_item)

        _by_step_type = d.pop("byStepType", UNSET)
        by_step_type: list[JsonObject] | Unset = UNSET
        if _by_step_type is not UNSET:
            by_step_type = []
            for by_step_type_item_data in _by_step_type:
                by_step_type_item = JsonObject.from_dict(by_step_type_item_data)

                by_step_type.append(by_step_type_item)

        def _parse_comparison(data: object) -> DiagnosisComparison | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                comparison_type_0 = DiagnosisComparison.from_dict(data)

                return comparison_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DiagnosisComparison | None | Unset, data)

        comparison = _parse_comparison(d.pop("comparison", UNSET))

        session_diagnosis = cls(
            session_id=session_id,
            text=text,
            agent_name=agent_name,
            status=status,
            failure_reason=failure_reason,
            steps=steps,
            first_failure=first_failure,
            last_decision=last_decision,
            loops=loops,
            retries=retries,
            by_step_type=by_step_type,
            comparison=comparison,
        )

        session_diagnosis.additional_properties = d
        return session_diagnosis

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
