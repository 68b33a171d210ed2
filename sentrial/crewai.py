"""The published SDK's ``sentrial.crewai`` names; see ``sentrial.integrations.crewai``."""

from __future__ import annotations

from ._client import SentrialClient
from .integrations.crewai import SentrialCrewHandler, calculate_cost, track_crew

__all__ = ["SentrialClient", "SentrialCrewHandler", "calculate_cost", "track_crew"]
