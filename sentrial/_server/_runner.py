"""Run the local server (or any ASGI app) in a background thread.

For tests, examples and the demo: start on a free loopback port, get the URL,
stop cleanly.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import uvicorn

from ._app import create_app
from ._storage import Storage

DEFAULT_API_KEY = "sentrial_local_dev"


class ASGIThread:
    """Any ASGI app served by uvicorn from a daemon thread."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Inherited by accepted connections: no Nagle + delayed-ACK stalls.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[self._socket])),
            name="sentrial-asgi-server",
            daemon=True,
        )
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the server failed to start")
            self._thread.join(0.01)

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._socket.close()

    def __enter__(self) -> ASGIThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class LocalServer(ASGIThread):
    """A Sentrial-compatible server on 127.0.0.1, started in a thread.

    >>> with LocalServer() as server:
    ...     print(server.url)  # doctest: +SKIP
    http://127.0.0.1:53817
    """

    def __init__(
        self,
        db: str = ":memory:",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_keys: Sequence[str] = (DEFAULT_API_KEY,),
    ) -> None:
        self.storage = Storage(db)
        self.api_keys = list(api_keys)
        self.api_key = self.api_keys[0]
        # The viewer reads the store without a key: only for loopback servers.
        viewer = host in ("127.0.0.1", "localhost", "::1")
        super().__init__(
            create_app(self.storage, self.api_keys, viewer=viewer), host=host, port=port
        )

    def stop(self) -> None:
        super().stop()
        self.storage.close()

    def __enter__(self) -> LocalServer:
        self.start()
        return self
