"""Every benchmark of ``make bench`` runs, with tiny sizes, so a broken one fails here.

The figures of a smoke run mean nothing; what is checked is that each
benchmark completes and reports what it measured, delivered included
(from the server's records or ``stats()``, as ``make bench`` reports it).
"""

from __future__ import annotations

from typing import Any

from bench import (
    cold_start,
    hot_path,
    import_time,
    otel_ingest,
    outage,
    peers,
    plain_server,
    server_ingest,
    throughput,
    ts_hot_path,
    viewer,
)


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and value > 0


def test_hot_path() -> None:
    result = hot_path.run(calls=200, baseline_calls=20, warmup=20, rounds=20)
    hot = result["hot_path_us"]
    assert hot["calls"] == 200 and hot["all_delivered"] is True
    assert _positive(hot["sentrial"]) and _positive(hot["baseline"])
    assert _positive(result["begin_finish_us"]["sentrial"])


def test_ts_hot_path() -> None:
    hot = ts_hot_path.run(calls=200)["ts_hot_path_us"]
    assert hot["calls"] == 200 and hot["all_delivered"] is True
    assert _positive(hot["sentrial"])


def test_peers_times_ours_like_the_peers() -> None:
    # The peers' own venvs are installed by `make bench`; ours runs the same script.
    result = peers.run(samples=200, warmup=20, peers=())
    ours = result["sentrial"]
    assert set(result) == {"sentrial"} and ours["samples"] == 200
    assert ours["tracked"] == ours["sent"] == 1 + 220 + 1 and ours["dropped"] == {}
    assert ours["delivered"] is True and ours["stored_events"] == 220
    assert _positive(ours["median_us"]) and ours["p99_us"] >= ours["median_us"]


def test_server_ingest() -> None:
    result = server_ingest.run(batches=3, size=20, repeats=1)
    assert result["events"] == 2 * 19 and _positive(result["sentrial"])


def test_otel_ingest() -> None:
    result = otel_ingest.run(batches=3, size=20, repeats=1)
    assert result["spans"] == 2 * 20 and result["all_stored"] is True
    assert _positive(result["sentrial"])


def test_viewer() -> None:
    result = viewer.run(sessions=60)
    assert result["sessions"] == 60 and result["events"] > 0
    assert _positive(result["sessions_page_p95"]) and _positive(result["session_page_p95"])


def test_throughput() -> None:
    result = throughput.run(events=400, threads=2)
    assert result["tracked"] == result["delivered"] == 400 and result["dropped"] == {}


def test_plain_server() -> None:
    result = plain_server.run(sessions=3, events=4, slow_sessions=1)
    assert result["operations"] == 3 * 6 and result["exactly_once"] is True
    assert result["dropped"] == {}


def test_outage() -> None:
    result = outage.run(events=500, sessions=5)
    assert result["tracked"] == result["delivered"] == 500 and result["dropped"] == {}


def test_import_time() -> None:
    result = import_time.run(runs=1)
    assert result["runs"] == 1 and _positive(result["sentrial"])


def test_cold_start() -> None:
    result = cold_start.run(runs=1, events=200)
    assert result["first_call_ms"]["runs"] == 1
    assert result["cpu_us_per_event"]["events"] == 200
    assert result["cpu_us_per_event"]["delivered"] is True
