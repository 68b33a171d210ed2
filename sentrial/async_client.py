"""The published SDK's ``sentrial.async_client`` names, from this package."""

from __future__ import annotations

from ._client import AsyncSentrialClient
from ._interaction import AsyncInteraction, begin_async, configure_async
from .types import EventType

__all__ = [
    "AsyncInteraction",
    "AsyncSentrialClient",
    "EventType",
    "begin_async",
    "configure_async",
]
