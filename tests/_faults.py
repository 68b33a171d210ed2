"""Real network faults on 127.0.0.1: a fault-injecting HTTP proxy.

The proxy speaks HTTP/1.1 over real sockets between the SDK and the local
server, and, at random with a fixed seed, answers 5xx or 429, resets the
connection, forwards the request and then hangs up without answering (the
server stored it, the client never hears back), or stalls past the client's
timeout. It can be stopped and started again on the same port.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from sentrial._server._runner import ASGIThread

FAULTS = ("ok", "500", "502", "503", "429", "reset", "drop_after_forward", "stall")


class FaultProxy:
    """``weights`` maps a fault of FAULTS to its relative probability."""

    def __init__(
        self,
        upstream: str,
        weights: dict[str, float] | None = None,
        *,
        seed: int = 1234,
        stall_seconds: float = 3.0,
        port: int = 0,
        once: dict[tuple[str, str], int] | None = None,
        poison: bytes | None = None,
        retry_after: str = "0",
    ) -> None:
        self.upstream = upstream
        self.weights = weights or {"ok": 1.0}
        self.random = random.Random(seed)
        self.stall_seconds = stall_seconds
        self.counts: Counter[str] = Counter()
        self.requests: list[tuple[str, str, bytes]] = []  # method, path, body (all received)
        self.port = port
        # (method, path) -> a status answered once, to the first such request
        self.once = dict(once or {})
        # a request whose body contains this is answered 500, every time
        self.poison = poison
        # the Retry-After header of every 429 (and of a 503 when not "0")
        self.retry_after = retry_after
        # per request received: when (time.monotonic()) and the client's port
        self.received_at: list[float] = []
        self.client_ports: list[int] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._ready.clear()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="fault-proxy")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fault proxy did not start")
        return self

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def close() -> None:
            server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = self._server = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self._client = httpx.AsyncClient(base_url=self.upstream, timeout=30)
        self._server = loop.run_until_complete(asyncio.start_server(self._handle, sock=sock))
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._client.aclose())
            loop.close()

    def _pick(self) -> str:
        names = list(self.weights)
        return self.random.choices(names, [self.weights[n] for n in names])[0]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, value = line.split(":", 1)
                        headers[key.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append((method, path, body))
                self.received_at.append(time.monotonic())
                self.client_ports.append(writer.get_extra_info("peername")[1])
                once = self.once.pop((method, path), None)
                fault = str(once) if once is not None else self._pick()
                if self.poison is not None and self.poison in body:
                    fault = "500"
                self.counts[fault] += 1
                if fault == "reset":
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.close()
                    return
                if fault.isdigit():
                    retry = fault == "429" or (fault == "503" and self.retry_after != "0")
                    extra = f"Retry-After: {self.retry_after}\r\n" if retry else ""
                    payload = b'{"error":"injected","message":"fault proxy"}'
                    writer.write(
                        f"HTTP/1.1 {fault} Injected\r\nContent-Type: application/json\r\n"
                        f"{extra}Content-Length: {len(payload)}\r\n\r\n".encode()
                        + payload
                    )
                    await writer.drain()
                    continue
                if fault == "stall":
                    await asyncio.sleep(self.stall_seconds)
                    writer.close()
                    return
                forward = {
                    k: v for k, v in headers.items() if k in ("authorization", "content-type")
                }
                response = await self._client.request(method, path, content=body, headers=forward)
                if fault == "drop_after_forward":
                    writer.close()
                    return
                out = response.content
                writer.write(
                    f"HTTP/1.1 {response.status_code} OK\r\n"
                    f"Content-Type: {response.headers.get('content-type', 'application/json')}"
                    f"\r\nContent-Length: {len(out)}\r\n\r\n".encode()
                    + out
                )
                await writer.drain()
        except (
            asyncio.IncompleteReadError,
            ConnectionError,
            asyncio.CancelledError,
            asyncio.LimitOverrunError,
        ):
            pass
        finally:
            writer.close()


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Run an ASGI app on a free loopback port; yields its URL."""
    with ASGIThread(app) as server:
        yield server.url
