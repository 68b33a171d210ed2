"""The published SDK's ``sentrial.autogen`` names; see ``sentrial.integrations.autogen``."""

from __future__ import annotations

from ._client import SentrialClient
from .cost import calculate_cost
from .integrations.autogen import SentrialAutogenHandler

__all__ = ["SentrialAutogenHandler", "SentrialClient", "calculate_cost"]
