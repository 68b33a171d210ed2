"""An experiment's results while some of its runs are still to do
(``sentrial._server._experiments``): running and missing runs count neither
as successes nor as failures, and the experiment is not completed."""

from __future__ import annotations

from typing import Any

import httpx

from sentrial._server import LocalServer


def test_results_with_runs_still_to_do(sentrial_server: LocalServer) -> None:
    headers = {"Authorization": f"Bearer {sentrial_server.api_key}"}
    with httpx.Client(base_url=sentrial_server.url, headers=headers, timeout=10) as api:
        made = api.post(
            "/api/experiments",
            json={
                "name": "partial",
                "variants": [
                    {"name": "a", "systemPrompt": "A"},
                    {"name": "b", "systemPrompt": "B"},
                ],
                "testCases": [
                    {"sessionId": "case1", "userInput": "q1"},
                    {"sessionId": "case2", "userInput": "q2"},
                ],
            },
        ).json()["experiment"]
        runs = f"/api/experiments/{made['id']}/runs"

        def run(variant: str, case: str, status: str | None) -> None:
            body = {"variantName": variant, "baseSessionId": case}
            run_id = api.post(runs, json=body).json()["run"]["id"]
            if status is not None:
                update = api.patch(f"{runs}/{run_id}", json={"status": status})
                assert update.status_code == 200, update.text

        def results() -> dict[str, Any]:
            answer = api.get(f"/api/experiments/{made['id']}/results")
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        run("a", "case1", "completed")
        run("a", "case2", "failed")
        run("b", "case1", "completed")  # b's case2: not started yet
        partial = results()
        assert partial["experiment"]["status"] == "running"  # a run is still to do
        variants = {v["name"]: v for v in partial["variants"]}
        assert (variants["a"]["runs"], variants["a"]["finished"]) == (2, 2)
        assert (variants["a"]["succeeded"], variants["a"]["failed"]) == (1, 1)
        assert variants["a"]["successRate"] == 0.5
        assert (variants["b"]["runs"], variants["b"]["finished"]) == (1, 1)
        assert variants["b"]["successRate"] == 1.0

        run("b", "case2", None)  # started, still running
        running = results()
        assert running["experiment"]["status"] == "running"
        b = {v["name"]: v for v in running["variants"]}["b"]
        assert (b["runs"], b["finished"], b["succeeded"], b["failed"]) == (2, 1, 1, 0)
        assert b["successRate"] == 1.0  # the running run is not a failure
        assert running["winner"] == "b"

        run("b", "case2", "failed")  # a second run of the pair, finished this time
        still = results()["experiment"]["status"]
        assert still == "running"  # the first run of b/case2 is still running
