from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PiiBuiltinPatterns")


@_attrs_define
class PiiBuiltinPatterns:
    """
    Attributes:
        emails (bool | Unset):
        phones (bool | Unset):
        ssns (bool | Unset):
        credit_cards (bool | Unset):
        ip_addresses (bool | Unset):
    """

    emails: bool | Unset = UNSET
    phones: bool | Unset = UNSET
    ssns: bool | Unset = UNSET
    credit_cards: bool | Unset = UNSET
    ip_addresses: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        emails = self.emails

        phones = self.phones

        ssns = self.ssns

        credit_cards = self.credit_cards

        ip_addresses = self.ip_addresses

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if emails is not UNSET:
            field_dict["emails"] = emails
        if phones is not UNSET:
            field_dict["phones"] = phones
        if ssns is not UNSET:
            field_dict["ssns"] = ssns
        if credit_cards is not UNSET:
            field_dict["creditCards"] = credit_cards
        if ip_addresses is not UNSET:
            field_dict["ipAddresses"] = ip_addresses

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        emails = d.pop("emails", UNSET)

        phones = d.pop("phones", UNSET)

        ssns = d.pop("ssns", UNSET)

        credit_cards = d.pop("creditCards", UNSET)

        ip_addresses = d.pop("ipAddresses", UNSET)

        pii_builtin_patterns = cls(
            emails=emails,
            phones=phones,
            ssns=ssns,
            credit_cards=credit_cards,
            ip_addresses=ip_addresses,
        )

        pii_builtin_patterns.additional_properties = d
        return pii_builtin_patterns

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
