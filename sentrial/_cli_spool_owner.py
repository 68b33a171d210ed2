"""Which API URL a spool directory beside ours was made for, when it can be told.

A spool directory's name is a hash of an API URL and key (``spool_directory``),
so it says neither. ``flush-spool`` lists such directories; this names the URL
(and which key) of each whose name matches a pair known here: the URLs and
keys of the options, the environment and the saved login, the hosted API and
the local server's default address. A directory made with a key known nowhere
here (a typo since fixed) stays unnamed, and says so.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any


def spool_owner(directory: Path, config: Any) -> str:
    """``for URL, with KEY`` for ``directory``, or why it cannot be told."""
    from sentrial._cli_hints import LOCAL_URL
    from sentrial._config import DEFAULT_API_URL, read_login
    from sentrial._delivery._spool import spool_directory

    try:
        saved = read_login()
    except ValueError:
        saved = {}
    urls = [config.api_url, os.environ.get("SENTRIAL_API_URL"), saved.get("api_url")]
    urls += [DEFAULT_API_URL, LOCAL_URL]
    keys = [
        (config.api_key, "the key in effect now"),
        (os.environ.get("SENTRIAL_API_KEY"), "SENTRIAL_API_KEY"),
        (saved.get("api_key"), "the key `sentrial login` saved"),
    ]
    for url in dict.fromkeys(u.rstrip("/") for u in urls if u):
        for key, whose in keys:
            made = spool_directory(replace(config, api_url=url, api_key=key))
            if key and made.name == directory.name:
                return f"for {url}, with {whose}"
    return "for an API URL and key not configured here (the name is a hash of both)"
