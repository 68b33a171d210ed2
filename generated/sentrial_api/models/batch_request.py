from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.create_event_operation import CreateEventOperation
    from ..models.create_session_operation import CreateSessionOperation
    from ..models.update_session_operation import UpdateSessionOperation


T = TypeVar("T", bound="BatchRequest")


@_attrs_define
class BatchRequest:
    """
    Attributes:
        operations (list[CreateEventOperation | CreateSessionOperation | UpdateSessionOperation]):
    """

    operations: list[
        CreateEventOperation | CreateSessionOperation | UpdateSessionOperation
    ]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.create_event_operation import CreateEventOperation  # noqa: PLC0415
        from ..models.create_session_operation import CreateSessionOperation  # noqa: PLC0415

        operations = []
        for operations_item_data in self.operations:
            operations_item: dict[str, Any]
            if isinstance(operations_item_data, CreateSessionOperation):
                operations_item = operations_item_data.to_dict()
            elif isinstance(operations_item_data, CreateEventOperation):
                operations_item = operations_item_data.to_dict()
            else:
                operations_item = operations_item_data.to_dict()

            operations.append(operations_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "operations": operations,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.create_event_operation import CreateEventOperation  # noqa: PLC0415
        from ..models.create_session_operation import CreateSessionOperation  # noqa: PLC0415
        from ..models.update_session_operation import UpdateSessionOperation  # noqa: PLC0415

        d = dict(src_dict)
        operations = []
        _operations = d.pop("operations")
        for operations_item_data in _operations:

            def _parse_operations_item(
                data: object,
            ) -> CreateEventOperation | CreateSessionOperation | UpdateSessionOperation:
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_batch_operation_type_0 = (
                        CreateSessionOperation.from_dict(data)
                    )

                    return componentsschemas_batch_operation_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_batch_operation_type_1 = (
                        CreateEventOperation.from_dict(data)
                    )

                    return componentsschemas_batch_operation_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_batch_operation_type_2 = (
                    UpdateSessionOperation.from_dict(data)
                )

                return componentsschemas_batch_operation_type_2

            operations_item = _parse_operations_item(operations_item_data)

            operations.append(operations_item)

        batch_request = cls(
            operations=operations,
        )

        batch_request.additional_properties = d
        return batch_request

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
