"""Experiment context of the published SDK (``sentrial.context``): which
variant's system prompt the running code should use, per thread and task.

An experiment run sets it for the code it calls (a context variable, so runs
in parallel threads or tasks never see each other's variant). An agent run as
a subprocess cannot share a context variable, so it reads the environment
instead: ``SENTRIAL_EXPERIMENT_SYSTEM_PROMPT`` (the published name), plus
``SENTRIAL_EXPERIMENT_VARIANT``, ``SENTRIAL_EXPERIMENT_ID`` and
``SENTRIAL_EXPERIMENT_TEST_CASE`` (see ``ExperimentRunTracker.environ``).
"""

from __future__ import annotations

import os
from contextvars import ContextVar, Token
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


ENV_SYSTEM_PROMPT = "SENTRIAL_EXPERIMENT_SYSTEM_PROMPT"
ENV_VARIANT = "SENTRIAL_EXPERIMENT_VARIANT"
ENV_EXPERIMENT_ID = "SENTRIAL_EXPERIMENT_ID"
ENV_TEST_CASE = "SENTRIAL_EXPERIMENT_TEST_CASE"


def _from_environment() -> ExperimentContext | None:
    prompt = os.environ.get(ENV_SYSTEM_PROMPT)
    if not prompt:
        return None
    return ExperimentContext(
        prompt,
        os.environ.get(ENV_VARIANT, ""),
        os.environ.get(ENV_EXPERIMENT_ID, ""),
        os.environ.get(ENV_TEST_CASE) or None,
    )


def get_experiment_context() -> ExperimentContext | None:
    """The current run's context; else one made from the environment (an agent
    started as a subprocess of a run); else None."""
    context = _current.get()
    return context if context is not None else _from_environment()


def is_experiment_mode() -> bool:
    return get_experiment_context() is not None


def get_system_prompt(default: str | None = None) -> str:
    """The variant's system prompt in an experiment, else ``default`` (or "").

    As published, an empty variant prompt falls back to ``default`` too: the
    production prompt is a better answer than none."""
    context = get_experiment_context()
    if context is not None and context.system_prompt:
        return context.system_prompt
    return default if default is not None else ""


def get_variant_name() -> str | None:
    context = get_experiment_context()
    return None if context is None else context.variant_name


def _push(context: ExperimentContext) -> Token[ExperimentContext | None]:
    """Make ``context`` current (a run starting); ``_pop`` restores what was before."""
    return _current.set(context)


def _pop(token: Token[ExperimentContext | None]) -> None:
    try:
        _current.reset(token)
    except ValueError:  # ended in another context than it began in
        _current.set(None)
