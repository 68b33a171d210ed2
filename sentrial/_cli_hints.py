"""What to try when the API cannot be reached or answers as no Sentrial API.

One helper for every command's connection-error path (``doctor`` included):
the reason the socket gave, then the hints that explain most such failures:
an ``https`` URL against a plain-http server, a URL with a path (the API is
at the server's root), a proxy variable pointing at nothing, and the hosted
URL in effect while a local ``sentrial serve`` is running.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

#: Where ``sentrial serve`` listens by default (see ``sentrial._serve``).
LOCAL_URL = "http://127.0.0.1:8787"


def unreachable(url: str, exc: Exception) -> str:
    """``cannot reach <url>: connection refused`` (or the reason the socket gave)."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        reason = "timed out"
    else:
        reason = str(exc) or type(exc).__name__
        if reason.startswith("[Errno"):
            reason = reason.split("]", 1)[-1].strip()
        reason = reason[:1].lower() + reason[1:]
    return f"cannot reach {url}: {reason}"


def root(url: str) -> str:
    """The server's root: ``url`` without its path."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def path_hint(url: str) -> str | None:
    """The URL has a path (``.../api``): the API is at the server's root."""
    path = urlsplit(url).path
    if path in ("", "/"):
        return None
    return f"the URL has the path {path!r}; the API is at the server's root: try {root(url)}"


def _proxy_hint(url: str) -> str | None:
    """The proxy requests to ``url`` really go through (the SDK's rule: a
    loopback host or one ``NO_PROXY`` names is reached directly), if any."""
    from sentrial._config import display_url
    from sentrial._delivery._http import proxy_in_effect

    proxy = proxy_in_effect(url)
    if proxy is None:
        return None
    variable, proxy_url = proxy
    return (
        f"requests go through the proxy {display_url(proxy_url)} ({variable}): is it"
        f" running? To bypass it for this host: NO_PROXY={urlsplit(url).hostname or ''}"
    )


def _tls_hint(url: str, exc: Exception) -> str | None:
    if urlsplit(url).scheme != "https":
        return None
    text = str(exc).upper()
    if not any(mark in text for mark in ("SSL", "TLS", "WRONG_VERSION", "RECORD LAYER")):
        return None
    plain = "http://" + url.split("://", 1)[1]
    return f"TLS failed: does the server speak plain http? Try {plain}"


def local_hint(url: str) -> str | None:
    """The hosted URL is in effect while a local ``sentrial serve`` answers:
    say how to point at it."""
    import httpx

    from sentrial._config import DEFAULT_API_URL

    if url.rstrip("/") != DEFAULT_API_URL:
        return None
    try:
        answer = httpx.get(LOCAL_URL + "/api/sdk/health", timeout=1.0)
        local = answer.status_code == 200 and answer.json().get("status") == "ok"
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    if not local:
        return None
    return (
        f"a local Sentrial server answers at {LOCAL_URL}: pass --api-url {LOCAL_URL}"
        f" or set SENTRIAL_API_URL={LOCAL_URL} to read from it"
    )


def with_hints(message: str, hints: list[str | None]) -> str:
    found = [hint for hint in hints if hint]
    return "\n".join([message, *(f"  hint: {hint}" for hint in found)])


def connection_hints(url: str, exc: Exception) -> list[str | None]:
    """The hints for ``url`` not reached (``exc``): TLS, proxy, local server."""
    return [_tls_hint(url, exc), _proxy_hint(url), local_hint(url)]


def connection_error(url: str, exc: Exception) -> str:
    """Why ``url`` could not be reached, with every hint that applies."""
    return with_hints(unreachable(url, exc), connection_hints(url, exc))


def answer_error(url: str, status: int, message: str) -> str:
    """An HTTP error from ``url``, with the hints that explain a 404 (a path in
    the URL) or a refused key (the hosted API while a local server runs)."""
    return with_hints(f"HTTP {status}: {message}", answer_hints(url, status))


def answer_hints(url: str, status: int) -> list[str | None]:
    """The hints for an HTTP error ``status`` from ``url``."""
    if status in (404, 405):
        return [path_hint(url)]
    if status in (401, 403):
        return [local_hint(url)]
    return []
