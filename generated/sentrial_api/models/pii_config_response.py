from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.pii_config import PiiConfig


T = TypeVar("T", bound="PiiConfigResponse")


@_attrs_define
class PiiConfigResponse:
    """
    Attributes:
        config (PiiConfig): PII redaction settings, as the published Sentrial SDK reads them.
            Missing fields take the SDK's defaults.
    """

    config: PiiConfig
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        config = self.config.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "config": config,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.pii_config import PiiConfig  # noqa: PLC0415

        d = dict(src_dict)
        config = PiiConfig.from_dict(d.pop("config"))

        pii_config_response = cls(
            config=config,
        )

        pii_config_response.additional_properties = d
        return pii_config_response

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
