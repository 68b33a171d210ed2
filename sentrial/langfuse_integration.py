"""The published SDK's ``sentrial.langfuse_integration`` names; see
``sentrial.integrations.langfuse``."""

from __future__ import annotations

from .integrations.langfuse import LangfuseIntegration, LangfuseTraceContext

__all__ = ["LangfuseIntegration", "LangfuseTraceContext"]
