from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pii_builtin_patterns import PiiBuiltinPatterns
    from ..models.pii_custom_pattern import PiiCustomPattern


T = TypeVar("T", bound="PiiConfig")


@_attrs_define
class PiiConfig:
    """PII redaction settings, as the published Sentrial SDK reads them.
    Missing fields take the SDK's defaults.

        Attributes:
            enabled (bool | Unset):
            mode (str | Unset): `label` (a match becomes `[EMAIL]`), `hash` (`[PII:<6 hex of its SHA-256>]`) or `remove`.
            fields (list[str] | Unset): The request fields (wire or snake_case names) whose values are redacted, at any
                depth.
            enhanced_detection (bool | Unset):
            builtin_patterns (PiiBuiltinPatterns | Unset):
            custom_patterns (list[PiiCustomPattern] | Unset):
    """

    enabled: bool | Unset = UNSET
    mode: str | Unset = UNSET
    fields: list[str] | Unset = UNSET
    enhanced_detection: bool | Unset = UNSET
    builtin_patterns: PiiBuiltinPatterns | Unset = UNSET
    custom_patterns: list[PiiCustomPattern] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        enabled = self.enabled

        mode = self.mode

        fields: list[str] | Unset = UNSET
        if not isinstance(self.fields, Unset):
            fields = self.fields

        enhanced_detection = self.enhanced_detection

        builtin_patterns: dict[str, Any] | Unset = UNSET
        if not isinstance(self.builtin_patterns, Unset):
            builtin_patterns = self.builtin_patterns.to_dict()

        custom_patterns: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.custom_patterns, Unset):
            custom_patterns = []
            for custom_patterns_item_data in self.custom_patterns:
                custom_patterns_item = custom_patterns_item_data.to_dict()
                custom_patterns.append(custom_patterns_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if mode is not UNSET:
            field_dict["mode"] = mode
        if fields is not UNSET:
            field_dict["fields"] = fields
        if enhanced_detection is not UNSET:
            field_dict["enhancedDetection"] = enhanced_detection
        if builtin_patterns is not UNSET:
            field_dict["builtinPatterns"] = builtin_patterns
        if custom_patterns is not UNSET:
            field_dict["customPatterns"] = custom_patterns

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.pii_builtin_patterns import PiiBuiltinPatterns  # noqa: PLC0415
        from ..models.pii_custom_pattern import PiiCustomPattern  # noqa: PLC0415

        d = dict(src_dict)
        enabled = d.pop("enabled", UNSET)

        mode = d.pop("mode", UNSET)

        fields = cast(list[str], d.pop("fields", UNSET))

        enhanced_detection = d.pop("enhancedDetection", UNSET)

        _builtin_patterns = d.pop("builtinPatterns", UNSET)
        builtin_patterns: PiiBuiltinPatterns | Unset
        if isinstance(_builtin_patterns, Unset):
            builtin_patterns = UNSET
        else:
            builtin_patterns = PiiBuiltinPatterns.from_dict(_builtin_patterns)

        _custom_patterns = d.pop("customPatterns", UNSET)
        custom_patterns: list[PiiCustomPattern] | Unset = UNSET
        if _custom_patterns is not UNSET:
            custom_patterns = []
            for custom_patterns_item_data in _custom_patterns:
                custom_patterns_item = PiiCustomPattern.from_dict(
                    custom_patterns_item_data
                )

                custom_patterns.append(custom_patterns_item)

        pii_config = cls(
            enabled=enabled,
            mode=mode,
            fields=fields,
            enhanced_detection=enhanced_detection,
            builtin_patterns=builtin_patterns,
            custom_patterns=custom_patterns,
        )

        pii_config.additional_properties = d
        return pii_config

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
