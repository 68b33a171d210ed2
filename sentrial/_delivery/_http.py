"""The httpx client under the generated one: a total deadline per request,
and proxies chosen here.

**A total deadline.** httpx's timeouts apply to each socket operation: an
answer trickling one byte a second never trips a 10 s read timeout, and held
the sender for ~50 minutes. Here each request gets a deadline (the client's
``request_timeout``, for the whole exchange: connect, send, headers and
body); every socket operation waits at most what is left of it, and past it
the request fails as a timeout (retried like one). It works at the network
layer httpcore lets a client replace, so headers and bodies, plain, TLS and
proxied connections are all covered.

**Proxies.** ``HTTP_PROXY``/``HTTPS_PROXY``/``ALL_PROXY`` (and ``NO_PROXY``)
apply as usual, except to a loopback API (``localhost``, ``127.0.0.0/8``,
``::1``): a proxy can never reach the local server on the caller's behalf,
and a stale proxy variable used to cut every process off from it.
``sentrial doctor`` names the variable in effect (:func:`proxy_in_effect`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

_local = threading.local()  # the deadline of the request this thread is making


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every socket operation of this thread, within ``seconds`` from now."""
    _local.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.deadline = None


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to what is left of the deadline; ``error`` past it."""
    end: float | None = getattr(_local, "deadline", None)
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise error("the request's total deadline (request_timeout) passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        timeout = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(super().connect_tcp(host, port, timeout, local_address, socket_options))


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower().rstrip(".") == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# Looked up in this order, as httpx does: the scheme's own, then ALL_PROXY.
_PROXY_VARIABLES = {
    "http": ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"),
    "https": ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"),
}


def proxy_in_effect(url: str) -> tuple[str, str] | None:
    """(variable, proxy URL) of the proxy requests to ``url`` go through, or
    None: no proxy variable, ``NO_PROXY`` names the host, or a loopback host."""
    parts = urlsplit(url)
    if is_loopback(parts.hostname):
        return None
    for variable in _PROXY_VARIABLES.get(parts.scheme.lower(), ()):
        value = os.environ.get(variable)
        if value:
            if "://" not in value:  # "proxy.corp:3128", as httpx reads it
                value = f"http://{value}"
            return None if _no_proxy(parts.hostname or "") else (variable, value)
    return None


def _no_proxy(host: str) -> bool:
    """``NO_PROXY`` (or ``no_proxy``) names ``host``: ``*``, the host, or a
    domain it is in (``example.com`` and ``.example.com`` both cover
    ``api.example.com``)."""
    host = host.lower().rstrip(".")
    for entry in (os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or "").split(","):
        entry = entry.strip().lower().lstrip(".").split(":")[0]
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False


class _Transport(httpx.HTTPTransport):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # httpcore's documented hook for the network layer; httpx does not
        # pass it through, so it is set on the pool before any connection.
        self._pool._network_backend = _Backend()


def client_args(url: str, *, verify: bool, connections: int) -> dict[str, Any]:
    """``httpx.Client`` arguments: the transport (deadlines, the proxy of
    :func:`proxy_in_effect`), and no proxy read from the environment by httpx."""
    proxy = proxy_in_effect(url)
    transport = _Transport(
        verify=verify,
        proxy=proxy[1] if proxy else None,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )
    return {"transport": transport, "trust_env": False}


# -- redirects --------------------------------------------------------------------------

MAX_REDIRECTS = 5


def redirect_target(response: httpx.Response) -> str | None:
    """Where to send the request again: a 307/308 (which keep the method and
    body) to the same scheme, host and port. Anything else is not followed:
    the key would go to another host, a scheme change may downgrade, and
    301/302/303 turn a POST into a GET."""
    if response.status_code not in (307, 308) or "location" not in response.headers:
        return None
    target = response.request.url.join(response.headers["location"])
    origin = response.request.url
    if (target.scheme, target.host, target.port) != (origin.scheme, origin.host, origin.port):
        return None
    return str(target)


def not_followed(response: httpx.Response) -> str:
    """Why a redirect was not followed, for the one warning about it."""
    location = response.headers.get("location", "")
    target = str(response.request.url.join(location)) if location else "nowhere"
    return (
        f"HTTP {response.status_code}: the server redirects to {target}; a redirect to"
        " another host or scheme, or a 301/302/303, is not followed (set api_url to"
        " where the API is); operations are kept and retried"
    )
