"""Automatic tracking for LLM SDKs and frameworks.

Each integration lives in its own module and imports its provider SDK only
when used (``pip install "sentrial[openai]"``, ``"sentrial[anthropic]"``,
``"sentrial[langchain]"``, ``"sentrial[google]"``). OpenTelemetry both ways:
``otel`` (``"sentrial[otel]"``). Agent frameworks: ``openai_agents``,
``claude_agent``, ``autogen``, ``crewai``; dual-write: ``langfuse``.
"""
