"""The published SDK's ``sentrial.client`` names, from this package."""

from __future__ import annotations

from ._client import SentrialClient
from ._interaction import Interaction, begin, configure
from .batcher import BatcherConfig, EventBatcher
from .redact import PiiBuiltinPatterns, PiiConfig, PiiCustomPattern, redact_payload
from .types import EventType

__all__ = [
    "BatcherConfig",
    "EventBatcher",
    "EventType",
    "Interaction",
    "PiiBuiltinPatterns",
    "PiiConfig",
    "PiiCustomPattern",
    "SentrialClient",
    "begin",
    "configure",
    "redact_payload",
]
