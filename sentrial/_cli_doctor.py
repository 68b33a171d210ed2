"""``sentrial doctor``: the configuration in effect, and whether it can work.

Each check names what failed: an unreachable server (and why), a URL that
answers but is no Sentrial API (often a path too many), a missing key, a key
the server refuses; and the spool waiting on disk. ``--json`` for scripts.
Exit code 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sentrial._cli import EXIT_API, EXIT_OK, NO_KEY, _config
from sentrial._cli_hints import connection_error, path_hint
from sentrial._cli_text import safe

SETTINGS = (
    "api_url",
    "api_key",
    "enabled",
    "sample_rate",
    "delivery",
    "shutdown_timeout",
    "max_queue_size",
    "redact",
)


def _connectivity(http: Any, url: str) -> dict[str, Any]:
    import httpx

    health = url.rstrip("/") + "/api/sdk/health"
    try:
        answer = http.get(health)
    except httpx.HTTPError as exc:
        return {"ok": False, "reachable": False, "detail": connection_error(url, exc)}
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code == 200 and isinstance(body, dict) and body.get("status") == "ok":
        version = body.get("version")
        return {"ok": True, "reachable": True, "detail": "ok", "serverVersion": version}
    if isinstance(body, dict) and body.get("status") == "unavailable":  # a full disk...
        why = body.get("storage") or "its storage is unavailable"
        detail = f"the server is up but cannot store for now: {why}"
        return {"ok": False, "reachable": True, "detail": detail}
    detail = f"{health} answered HTTP {answer.status_code}: not a Sentrial API"
    hint = path_hint(url)
    if hint:
        detail += f" ({hint})"
    return {"ok": False, "reachable": True, "detail": detail}


def probe_key(http: Any, url: str, key: str) -> Any:
    """The server's answer to the smallest authenticated read with ``key``
    (200: taken; 401/403: refused); raises httpx.HTTPError when unreachable."""
    return http.get(
        url.rstrip("/") + "/api/sdk/sessions",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {key}"},
    )


def _auth(http: Any, url: str, key: str | None, reachable: bool) -> dict[str, Any]:
    import httpx

    if not key:
        return {"ok": False, "detail": NO_KEY}
    if not reachable:
        return {"ok": None, "detail": "not checked (server unreachable)"}
    try:
        answer = probe_key(http, url, key)
    except httpx.HTTPError as exc:
        return {"ok": False, "detail": connection_error(url, exc)}
    if answer.status_code == 200:
        return {"ok": True, "detail": "ok"}
    if answer.status_code in (401, 403):
        return {"ok": False, "detail": f"HTTP {answer.status_code}: the server refused the key"}
    return {"ok": False, "detail": f"HTTP {answer.status_code}"}


def _spool(config: Any) -> dict[str, Any]:
    from sentrial._delivery._spool import spool_directory

    directory = spool_directory(config)
    files = list(directory.glob("*.spool")) if directory.is_dir() else []
    return {
        "directory": str(directory),
        "files": len(files),
        "bytes": sum(f.stat().st_size for f in files),
    }


def doctor(args: argparse.Namespace) -> int:
    import httpx

    from sentrial._config import display_url, mask_key

    config = _config(args)
    settings = {
        name: mask_key(config.api_key) if name == "api_key" else getattr(config, name)
        for name in SETTINGS
    }
    from sentrial._delivery._http import client_args, deadline, proxy_in_effect

    # The SDK's own proxy rules (a loopback API is reached directly).
    verify = not config.api_url.lower().startswith("http://")
    args_ = client_args(config.api_url, verify=verify, connections=2)
    # 5 s for each check as a whole: a server trickling its answer cannot hold it.
    with httpx.Client(timeout=httpx.Timeout(5.0), **args_) as http:
        with deadline(5.0):
            connectivity = _connectivity(http, config.api_url)
        with deadline(5.0):
            auth = _auth(http, config.api_url, config.api_key, connectivity["reachable"])
    proxy = proxy_in_effect(config.api_url)
    if proxy is not None:  # what failed may be the proxy, not the server: say which
        connectivity["proxy"] = {"variable": proxy[0], "url": display_url(proxy[1])}
        through = f" (through the proxy {display_url(proxy[1])} ({proxy[0]}))"
        for check in (connectivity, auth):
            if check["ok"] is False:
                check["detail"] += through
    spool = _spool(config)
    ok = bool(connectivity["ok"] and auth["ok"])
    if args.json:
        report = {
            "ok": ok,
            "config": settings,
            "connectivity": connectivity,
            "auth": auth,
            "spool": spool,
        }
        print(json.dumps(report, default=str))
        return EXIT_OK if ok else EXIT_API
    print("configuration in effect:")
    for name, value in settings.items():
        print(f"  {name:<17} {value}")
    verdict = "ok" if connectivity["ok"] else f"FAILED ({connectivity['detail']})"
    if connectivity.get("serverVersion"):
        verdict += f" (server {connectivity['serverVersion']})"
    print(f"connectivity:      {safe(verdict)}")  # the server's words: escaped
    shown = auth["detail"] if auth["ok"] is not False else f"FAILED ({auth['detail']})"
    print(f"auth:              {safe(shown)}")
    print(
        f"spool:             {spool['directory']}  ({spool['files']} file(s),"
        f" {spool['bytes']:,} bytes waiting)"
    )
    if spool["files"]:
        print("                   run `sentrial flush-spool` to deliver them now")
    return EXIT_OK if ok else EXIT_API
