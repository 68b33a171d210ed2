"""What ``wrapAISDK`` adds to one ``generateText`` call of the Vercel AI SDK:
median wrapped minus median unwrapped, the two alternating in one run, on the
``ai`` package's own mock model, against a local server in its own process.

Runs ``typescript/dist/bench/vercel_overhead.js`` (built by ``make ts-build``,
which ``make bench`` runs first) with Node.
"""

from __future__ import annotations

from typing import Any

from bench._common import node_figures


def run(calls: int = 2_000) -> dict[str, Any]:
    figures = node_figures("vercel_overhead.js", calls)
    return {
        "ts_vercel_overhead_us": {
            "sentrial": figures["overhead_us"],
            "wrapped": figures["wrapped_us"],
            "unwrapped": figures["unwrapped_us"],
            "calls": calls,
            "all_delivered": figures["delivered"],
        }
    }
