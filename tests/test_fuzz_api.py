"""Whatever the host passes, the SDK never raises into it (fail_silently=True)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sentrial

anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.binary()
    | st.datetimes()
    | st.decimals()
    | st.uuids(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=5) | st.integers(), children, max_size=4)
        | st.tuples(children, children)
        | st.frozensets(st.integers(), max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    args=st.lists(anything, max_size=6),
    kwargs=st.dictionaries(
        st.sampled_from(
            [
                "session_id",
                "tool_name",
                "tool_input",
                "tool_output",
                "reasoning",
                "estimated_cost",
                "tool_error",
                "token_count",
                "metadata",
                "confidence",
                "alternatives",
                "error_message",
                "prompt_tokens",
                "duration_ms",
                "success",
                "custom_metrics",
                "user_input",
                "name",
                "agent_name",
                "user_id",
                "model",
                "bogus_argument",
            ]
        ),
        anything,
        max_size=6,
    ),
    method=st.sampled_from(
        [
            "create_session",
            "track_tool_call",
            "track_decision",
            "track_error",
            "track_llm_call",
            "complete_session",
            "close_session",
        ]
    ),
)
def test_public_api_never_raises(
    tmp_path_factory: Any, args: list[Any], kwargs: dict[str, Any], method: str
) -> None:
    client = _client(tmp_path_factory.getbasetemp())
    getattr(client, method)(*args, **kwargs)


_clients: dict[str, sentrial.SentrialClient] = {}


def _client(base: Path) -> sentrial.SentrialClient:
    key = str(base)
    if key not in _clients:
        # Nothing listens on port 9: delivery fails quietly in the background too.
        _clients[key] = sentrial.SentrialClient(
            api_key="k",
            api_url="http://127.0.0.1:9",
            spool_dir=str(base / "fuzz-spool"),
            max_queue_size=100_000,
        )
    return _clients[key]


def test_begin_and_interaction_never_raise_on_odd_input(tmp_path: Path) -> None:
    sentrial.configure(api_key="k", api_url="http://127.0.0.1:9", spool_dir=str(tmp_path))
    odd: Any = object()
    interaction = sentrial.begin(user_id=odd, event=odd, input={1, 2}, metadata=odd)
    interaction.track_tool_call(odd, odd, odd)
    interaction.track_decision(odd, odd, odd)
    interaction.finish(output=odd, success=odd, estimated_cost=odd, custom_metrics=odd)
    assert interaction.finished
    sentrial.get_client().shutdown(0.5)
