"""The local Sentrial-compatible server (``pip install "sentrial[server]"``).

Not imported by the core SDK: ``import sentrial`` never loads Starlette.
"""

from ._app import create_app
from ._llm_standin import create_llm_app
from ._runner import DEFAULT_API_KEY, ASGIThread, LocalServer
from ._storage import Storage

__all__ = [
    "DEFAULT_API_KEY",
    "ASGIThread",
    "LocalServer",
    "Storage",
    "create_app",
    "create_llm_app",
]
