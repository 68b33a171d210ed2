"""Automatic tracking for LLM SDKs and frameworks.

Each integration lives in its own module and imports its provider SDK only
when used (``pip install "sentrial[openai]"``, ``"sentrial[anthropic]"``,
``"sentrial[langchain]"``).
"""
