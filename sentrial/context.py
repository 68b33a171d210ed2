"""Experiment context of the published SDK (``sentrial.context``): which
variant's system prompt the running code should use, per thread and task."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ExperimentContext",
    "clear_experiment_context",
    "get_experiment_context",
    "get_system_prompt",
    "get_variant_name",
    "is_experiment_mode",
    "set_experiment_context",
]


@dataclass
class ExperimentContext:
    system_prompt: str
    variant_name: str
    experiment_id: str
    test_case_id: str | None = None
    metadata: dict[str, Any] | None = field(default=None)


_current: ContextVar[ExperimentContext | None] = ContextVar(
    "sentrial_experiment_context", default=None
)


def set_experiment_context(
    system_prompt: str,
    variant_name: str,
    experiment_id: str,
    test_case_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> None:
    _current.set(
        ExperimentContext(system_prompt, variant_name, experiment_id, test_case_id, metadata)
    )


def clear_experiment_context() -> None:
    _current.set(None)


def get_experiment_context() -> ExperimentContext | None:
    return _current.get()


def is_experiment_mode() -> bool:
    return _current.get() is not None


def get_system_prompt(default: str | None = None) -> str:
    """The variant's system prompt in an experiment, else ``default`` (or "")."""
    context = _current.get()
    if context is not None:
        return context.system_prompt
    return default if default is not None else ""


def get_variant_name() -> str | None:
    context = _current.get()
    return None if context is None else context.variant_name
