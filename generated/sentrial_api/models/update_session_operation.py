from __future__ import annotations

from collections.abc import Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    TypeVar,
    cast,
)

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.session_update import SessionUpdate


T = TypeVar("T", bound="UpdateSessionOperation")


@_attrs_define
class UpdateSessionOperation:
    """
    Attributes:
        op (Literal['updateSession']):
        session_id (str):
        body (SessionUpdate): `null` in a field means absent (the stored value stays). Undeclared
            properties are stored and returned as sent.
    """

    op: Literal["updateSession"]
    session_id: str
    body: SessionUpdate
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        op = self.op

        session_id = self.session_id

        body = self.body.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "op": op,
                "sessionId": session_id,
                "body": body,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.session_update import SessionUpdate  # noqa: PLC0415

        d = dict(src_dict)
        op = cast(Literal["updateSession"], d.pop("op"))
        if op != "updateSession":
            raise ValueError(f"op must match const 'updateSession', got '{op}'")

        session_id = d.pop("sessionId")

        body = SessionUpdate.from_dict(d.pop("body"))

        update_session_operation = cls(
            op=op,
            session_id=session_id,
            body=body,
        )

        update_session_operation.additional_properties = d
        return update_session_operation

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
