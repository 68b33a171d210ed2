"""``make bench``: run every benchmark, print a table, write bench-results.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench import server_ingest

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    results: dict[str, Any] = {}
    print("server_ingest_eps ...", flush=True)
    ingest = server_ingest.run()
    results["server_ingest_eps"] = ingest["events_per_s"]
    results["server_ingest"] = ingest

    (ROOT / "bench-results.json").write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(f"{'metric':<24} value")
    print(
        f"{'server_ingest_eps':<24} {results['server_ingest_eps']:,} events/s "
        f"(target >= 20,000; batches of {ingest['batch_size']})"
    )
    print(f"\nwrote {ROOT / 'bench-results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
