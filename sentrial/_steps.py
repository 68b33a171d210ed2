"""Which step each step ran in: the one rule of nesting, for the viewer's
timeline and ``sentrial show``.

A step names its parent by ``parentSpanId`` (the ``spanId`` of the step it
ran in, see ``_context.Step``). Stored data may be anything: a parent that is
not in the list, or a chain of parents that loops, makes the step a root, so
every step is shown once.
"""

from __future__ import annotations

from typing import Any


def key(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def parents(events: list[dict[str, Any]]) -> dict[int, int]:
    """Each event's parent step in the same list (index -> index), by
    ``parentSpanId``; a parent that is missing, or a chain that loops, makes
    the event a root. The one rule of nesting (the viewer and ``sentrial show``)."""
    by_span: dict[str, int] = {}
    for index, event in enumerate(events):
        span = key(event.get("spanId"))
        if span is not None:
            by_span.setdefault(span, index)
    up: dict[int, int] = {}
    for index, event in enumerate(events):
        parent = by_span.get(key(event.get("parentSpanId")) or "")
        if parent is not None and parent != index:
            up[index] = parent
    reach_a_root: set[int] = set()  # each event walked once: linear in the list
    for index in list(up):
        path: set[int] = set()
        node = index
        while node in up and node not in reach_a_root and node not in path:
            path.add(node)
            node = up[node]
        if node in path:  # a loop of parents has no root: it is cut where it closes
            del up[node]
        reach_a_root.update(path)
    return up
