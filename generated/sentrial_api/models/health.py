from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Health")


@_attrs_define
class Health:
    """
    Attributes:
        status (str): `ok`, or `unavailable` when the server cannot store for now (503).
        storage (str | Unset): Why the server cannot store for now (extension; only with `unavailable`).
        version (str | Unset):
        capabilities (list[str] | Unset): The extensions this server supports (extension). SDKs send an
            extension's paths, fields and event types only to a server that
            lists it here, and only what the documented API and the published
            SDK send to any other server. Values: `batch` (`POST
            /api/sdk/batch`), `client_ids` (`id` on creation, idempotent),
            `client_timestamps` (`startedAt`, `timestamp`, `completedAt`),
            `llm_call` (the `llm_call` event type and its fields, `durationMs`
            on events), `reads` (the read endpoints), `otel` (`POST
            /api/otel/v1/traces` and `parentSpanId` on events and sessions: steps nested in steps),
            `experiment_sessions` (a session whose `metadata` names
            `experimentId`, `experimentRunId`, `variantName` and
            `baseSessionId` records that run of the experiment: running while
            the session is active, finished as it finished, its session the one
            `metadata` `resultSessionId` names, else itself, its batch the one
            `metadata` `experimentBatchId` names; so run records
            travel an SDK's durable delivery instead of requests of their
            own). Unknown values are
            ignored. A property of a request schema that belongs to an
            extension names it in `x-sentrial-capability`.
    """

    status: str
    storage: str | Unset = UNSET
    version: str | Unset = UNSET
    capabilities: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status

        storage = self.storage

        version = self.version

        capabilities: list[str] | Unset = UNSET
        if not isinstance(self.capabilities, Unset):
            capabilities = self.capabilities

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
            }
        )
        if storage is not UNSET:
            field_dict["storage"] = storage
        if version is not UNSET:
            field_dict["version"] = version
        if capabilities is not UNSET:
            field_dict["capabilities"] = capabilities

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        status = d.pop("status")

        storage = d.pop("storage", UNSET)

        version = d.pop("version", UNSET)

        capabilities = cast(list[str], d.pop("capabilities", UNSET))

        health = cls(
            status=status,
            storage=storage,
            version=version,
            capabilities=capabilities,
        )

        health.additional_properties = d
        return health

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
