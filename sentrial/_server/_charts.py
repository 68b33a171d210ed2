"""Small inline SVG charts of an agent's recent sessions (no script, no CDN).

Shapes are placed with SVG attributes and coloured by the viewer's
stylesheet: nothing here needs a style attribute the CSP would refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ._storage import iso
from ._viewer import _e, _money, _ms, _rate

BUCKETS = 24
WIDTH, HEIGHT = 100.0, 40.0


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def buckets(history: Sequence[dict[str, Any]], count: int = BUCKETS) -> list[list[dict[str, Any]]]:
    """``history`` (oldest first) in ``count`` equal spans of time (empty ones kept)."""
    if not history:
        return []
    first, last = history[0]["startedUs"], history[-1]["startedUs"]
    span = max(last - first, 1)
    out: list[list[dict[str, Any]]] = [[] for _ in range(count)]
    for item in history:
        out[min(count - 1, (item["startedUs"] - first) * count // span)].append(item)
    return out


def _points(values: Sequence[float | None], top: float) -> str:
    step = WIDTH / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.2f},{HEIGHT - (v / top) * (HEIGHT - 2) - 1:.2f}"
        for i, v in enumerate(values)
        if v is not None
    )


def line_chart(label: str, series: dict[str, Sequence[float | None]], caption: str) -> str:
    top = max((v for s in series.values() for v in s if v is not None), default=0.0) or 1.0
    lines = "".join(
        f"<polyline class='{_e(name)}' points='{_points(values, top)}'/>"
        for name, values in series.items()
    )
    return _figure(label, lines, caption)


def bar_chart(label: str, values: Sequence[float], caption: str) -> str:
    top = max(values, default=0.0) or 1.0
    width = WIDTH / max(len(values), 1)
    bars = "".join(
        f"<rect x='{i * width + width * 0.1:.2f}' width='{width * 0.8:.2f}' "
        f"y='{HEIGHT - v / top * HEIGHT:.2f}' height='{v / top * HEIGHT:.2f}'/>"
        for i, v in enumerate(values)
        if v > 0
    )
    return _figure(label, bars, caption)


def _figure(label: str, shapes: str, caption: str) -> str:
    return (
        f"<figure class='chart' data-chart='{_e(label)}'>"
        f"<svg class='chart' viewBox='0 0 {WIDTH:g} {HEIGHT:g}' preserveAspectRatio='none' "
        f"role='img' aria-label='{_e(label)}'><title>{_e(label)}</title>{shapes}</svg>"
        f"<figcaption>{_e(label)}: {caption}</figcaption></figure>"
    )


def _per_bucket(
    spans: list[list[dict[str, Any]]], measure: Callable[[list[dict[str, Any]]], float | None]
) -> list[float | None]:
    return [measure(span) if span else None for span in spans]


def _success(span: list[dict[str, Any]]) -> float | None:
    finished = [s for s in span if s["status"] in ("completed", "failed")]
    return sum(s["status"] == "completed" for s in finished) / len(finished) if finished else None


def _durations(q: float) -> Callable[[list[dict[str, Any]]], float | None]:
    def measure(span: list[dict[str, Any]]) -> float | None:
        values = [s["durationMs"] for s in span if s["durationMs"] is not None]
        return _quantile(values, q) if values else None

    return measure


def _day(us: int) -> str:
    """``YYYY-MM-DD HH:MM`` of a stored time, in whole microseconds: through a
    float, 9999-12-31T23:59:59.999999 rounded into year 10000 (and failed)."""
    return str(iso(us))[:16].replace("T", " ")


def agent_charts(agent: str, history: Sequence[dict[str, Any]]) -> str:
    """Success rate, p50/p95 duration, cost and tokens of ``history`` over time."""
    if not history:
        return ""
    spans = buckets(history)
    success = _per_bucket(spans, _success)
    p50 = _per_bucket(spans, _durations(0.5))
    p95 = _per_bucket(spans, _durations(0.95))
    cost = [sum(s["cost"] for s in span) for span in spans]
    tokens = [sum(s["tokens"] for s in span) for span in spans]
    latest = next((v for v in reversed(success) if v is not None), None)
    latest_p95 = next((v for v in reversed(p95) if v is not None), None)
    return (
        f"<section class='agent-charts' data-agent='{_e(agent)}'><h2>{_e(agent)}</h2>"
        f"<p class='tag'>last {len(history):,} sessions, {_day(history[0]['startedUs'])} to "
        f"{_day(history[-1]['startedUs'])} UTC</p><div class='charts'>"
        + line_chart("success rate", {"rate": success}, f"latest {_rate(latest) or 'n/a'}")
        + line_chart(
            "duration p50 / p95", {"p50": p50, "p95": p95}, f"latest p95 {_ms(latest_p95) or 'n/a'}"
        )
        + bar_chart("cost", cost, f"total {_money(sum(cost)) or '$0'}")
        + bar_chart("tokens", tokens, f"total {sum(tokens):,.0f}")
        + "</div></section>"
    )
