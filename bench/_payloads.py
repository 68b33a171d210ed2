"""Payloads of the benchmarks (no imports: a measured process loads nothing extra)."""

from __future__ import annotations

from typing import Any

# A search tool's call: what agents track most. About 1 KB as JSON.
PAYLOAD_1KB: dict[str, Any] = {
    "query": "How do I reset my password on the mobile app when the reset email never arrives?",
    "top_k": 3,
    "filters": {"locale": "en-US", "product": "mobile"},
    "conversation": "User says they tried twice, checked spam, and use an iCloud address. " * 5,
}
OUTPUT_1KB: dict[str, Any] = {
    "results": [
        {
            "id": f"kb-{i}",
            "score": 0.9 - i / 10,
            "snippet": "Open Settings > Account > Security, tap Reset password, then confirm. " * 2,
        }
        for i in range(3)
    ]
}
