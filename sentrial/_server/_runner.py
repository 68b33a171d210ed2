"""Run the local server (or any ASGI app) in a background thread.

For tests, examples and the demo: start on a free loopback port, get the URL,
stop cleanly.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import uvicorn

from .._serve import is_loopback
from ._app import create_app
from ._storage import Storage

DEFAULT_API_KEY = "sentrial_local_dev"


class ASGIThread:
    """Any ASGI app served by uvicorn from a daemon thread."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        """Binds at once: OSError (a name that does not resolve, a port in use)
        or ValueError (a port outside 0-65535) here, not in the thread."""
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} is not in 0-65535")
        self.host = host
        # IPv4 or IPv6, whichever the host names (`::1` needs an AF_INET6 socket);
        # IPv4 first for a name with both, as before (`localhost`: 127.0.0.1).
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        found.sort(key=lambda info: info[0] != socket.AF_INET)
        family, kind, proto, _, address = found[0]
        self._socket = socket.socket(family, kind, proto)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # Inherited by accepted connections: no Nagle + delayed-ACK stalls.
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._socket.bind(address)
        except OSError:
            self._socket.close()
            raise
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

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
        pii_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.api_keys = list(api_keys)
        if not self.api_keys or not all(key.strip() for key in self.api_keys):
            raise ValueError("API keys must not be empty")
        self.api_key = self.api_keys[0]
        self.storage = Storage(db)
        # The viewer reads the store without a key: only for loopback servers,
        # and only for requests whose Host names this machine (DNS rebinding).
        viewer = is_loopback(host)
        app = create_app(
            self.storage, self.api_keys, viewer=viewer, pii_config=pii_config, host=host
        )
        try:
            super().__init__(app, host=host, port=port)
        except BaseException:
            self.storage.close()
            raise

    def stop(self) -> None:
        super().stop()
        self.storage.close()

    def __enter__(self) -> LocalServer:
        self.start()
        return self
