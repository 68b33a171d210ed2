"""Request validation straight from ``openapi/sentrial.yaml``.

The OpenAPI 3.1 document is the only schema: the server compiles its
component schemas (JSON Schema 2020-12) with jsonschema-rs instead of keeping
a second, hand-written copy that could drift from the generated client.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml


class SpecValidationError(ValueError):
    """A body or parameter that the spec rejects; the message names the field."""


def _spec_text() -> str:
    # Installed wheels carry a copy next to this module; a source checkout
    # (editable install) reads the document at the repository root.
    bundled = resources.files(__package__).joinpath("sentrial.yaml")
    if bundled.is_file():
        return bundled.read_text(encoding="utf-8")
    repo_copy = Path(__file__).resolve().parents[2] / "openapi" / "sentrial.yaml"
    return repo_copy.read_text(encoding="utf-8")


@functools.cache
def load_spec() -> dict[str, Any]:
    spec = yaml.safe_load(_spec_text())
    assert isinstance(spec, dict)
    return spec


def _field_path(prefix: str, path: Iterable[str | int]) -> str:
    out = prefix
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out or "body"


class SchemaValidator:
    """Validates instances against one schema of the document."""

    def __init__(self, schema: dict[str, Any]) -> None:
        root = {**schema, "components": load_spec()["components"]}
        self._validator = jsonschema_rs.validator_for(root, validate_formats=True)

    def check(self, instance: Any, where: str = "") -> None:
        """Raise SpecValidationError naming the first field at fault."""
        if self._validator.is_valid(instance):  # the common case, without error objects
            return
        for error in self._validator.iter_errors(instance):
            path = list(error.instance_path)
            if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
                # Name the missing field itself, not the object that lacks it.
                missing = error.kind.property
                path.append(missing if isinstance(missing, str) else str(missing))
                raise SpecValidationError(f"{_field_path(where, path)}: is required")
            raise SpecValidationError(f"{_field_path(where, path)}: {error.message}")


@functools.cache
def component(name: str) -> SchemaValidator:
    """Validator for ``#/components/schemas/<name>``."""
    return SchemaValidator({"$ref": f"#/components/schemas/{name}"})


@functools.cache
def query_parameters(operation_id: str) -> dict[str, SchemaValidator]:
    """Validators of the query parameters of an operation, by name."""
    for item in load_spec()["paths"].values():
        for method, op in item.items():
            if method == "parameters" or op.get("operationId") != operation_id:
                continue
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            return {p["name"]: SchemaValidator(p["schema"]) for p in params if p["in"] == "query"}
    raise KeyError(f"no operation {operation_id}")


def request_limit(name: str) -> int:
    """Numbers the spec documents for the batch endpoint (``x-limits``)."""
    limits: dict[str, int] = load_spec()["x-limits"]
    return limits[name]
