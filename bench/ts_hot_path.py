"""The TypeScript SDK's caller-side cost: median per ``trackToolCall`` with the
same ~1 KB payload as ``hot_path_us``, against a local server in its own process.

Runs ``typescript/dist/bench/hot_path.js`` (built by ``make ts-build``, which
``make bench`` runs first) with Node.
"""

from __future__ import annotations

import json
from typing import Any

from bench._common import OUTPUT_1KB, PAYLOAD_1KB, node_figures


def run(calls: int = 20_000) -> dict[str, Any]:
    figures = node_figures("hot_path.js", calls, json.dumps([PAYLOAD_1KB, OUTPUT_1KB]))
    return {
        "ts_hot_path_us": {
            "sentrial": figures["median_us"],
            "sentrial_p99": figures["p99_us"],
            "mean": figures["mean_us"],
            "calls": calls,
            "all_delivered": figures["delivered"] and figures["sent"] >= calls,
        }
    }
