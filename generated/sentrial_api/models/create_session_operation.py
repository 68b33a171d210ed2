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
    from ..models.session_create import SessionCreate


T = TypeVar("T", bound="CreateSessionOperation")


@_attrs_define
class CreateSessionOperation:
    """
    Attributes:
        op (Literal['createSession']):
        body (SessionCreate): `null` in an optional field means absent. Undeclared properties are
            stored and returned as sent.
    """

    op: Literal["createSession"]
    body: SessionCreate
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        op = self.op

        body = self.body.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "op": op,
                "body": body,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.session_create import SessionCreate  # noqa: PLC0415

        d = dict(src_dict)
        op = cast(Literal["createSession"], d.pop("op"))
        if op != "createSession":
            raise ValueError(f"op must match const 'createSession', got '{op}'")

        body = SessionCreate.from_dict(d.pop("body"))

        create_session_operation = cls(
            op=op,
            body=body,
        )

        create_session_operation.additional_properties = d
        return create_session_operation

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
