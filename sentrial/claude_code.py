"""The published SDK's ``sentrial.claude_code`` names (Claude Agent SDK); see
``sentrial.integrations.claude_agent``."""

from __future__ import annotations

from .integrations.claude_agent import (
    QueryFunction,
    TrackedClaudeClient,
    wrap_claude_agent,
    wrap_claude_client,
)

__all__ = ["QueryFunction", "TrackedClaudeClient", "wrap_claude_agent", "wrap_claude_client"]
