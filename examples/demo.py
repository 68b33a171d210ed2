"""``make demo``: local server, the example agent, then what was recorded.

Starts ``sentrial serve`` on 127.0.0.1:8787 (database in ``.sentrial/demo.db``)
unless one already listens there, runs ``examples/support_agent.py`` against
it, prints the sessions and the viewer URL. In a terminal it keeps the server
up for the viewer until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("SENTRIAL_DEMO_PORT", "8787"))
URL = f"http://127.0.0.1:{PORT}"
KEY = "sentrial_local_dev"


def _up() -> bool:
    try:
        return httpx.get(URL + "/api/sdk/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> int:
    server = None
    if not _up():
        (ROOT / ".sentrial").mkdir(exist_ok=True)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sentrial",
                "serve",
                "--port",
                str(PORT),
                "--db",
                str(ROOT / ".sentrial" / "demo.db"),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not _up():
            if time.monotonic() > deadline or server.poll() is not None:
                print(f"could not start the local server on {URL}", file=sys.stderr)
                return 1
            time.sleep(0.1)
    env = {**os.environ, "SENTRIAL_API_URL": URL, "SENTRIAL_API_KEY": KEY}
    try:
        print(f"== running examples/support_agent.py against {URL}")
        agent = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "support_agent.py")], env=env, check=False
        )
        print("\n== sessions recorded")
        subprocess.run(
            [sys.executable, "-m", "sentrial", "sessions", "--limit", "10"], env=env, check=True
        )
        print(f"\n== viewer: {URL}/")
        print(
            f"   timeline of one session: sentrial show <session id>  "
            f"(with SENTRIAL_API_URL={URL} SENTRIAL_API_KEY={KEY})"
        )
        if server is not None and sys.stdin.isatty():
            print("   the server keeps running for the viewer; Ctrl-C to stop")
            with contextlib.suppress(KeyboardInterrupt):
                server.wait()
        return agent.returncode
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    sys.exit(main())
