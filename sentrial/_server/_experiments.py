"""Experiments on the local server: storage and the ``/api/experiments`` endpoints.

An experiment is a set of variants (system prompts) and test cases (user
inputs of recorded sessions); each run of a variant on a test case records a
session of its own, through the SDK's normal delivery. The server keeps the
experiment and its runs in two tables of the same SQLite database and links
each run to its session by id, so results are computed when read: a session
delivered after its run was marked done (delivery is in the background) still
counts, and nothing is summed twice.

A run is also recorded by its session alone (capability
``experiment_sessions``): a session whose metadata names ``experimentId``,
``experimentRunId``, ``variantName`` and ``baseSessionId`` is that run,
running while the session is active and finished as the session finished;
``experimentBatchId`` names its batch (one ``Experiment.run`` call).
The SDK records runs so: they travel its durable delivery (retried, spooled to
disk while the server is away, replayed), not requests of their own.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import _json, _spec
from ._storage import Conflict, NotFound, Storage, StorageError, Unprocessable, _to_us, iso

logger = logging.getLogger("sentrial.server")

_TABLES = (
    """CREATE TABLE IF NOT EXISTS experiments (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    created_us INTEGER NOT NULL,
    body TEXT NOT NULL  -- name, description, agentName, variants, testCases
)""",
    """CREATE TABLE IF NOT EXISTS experiment_runs (
    seq INTEGER PRIMARY KEY,  -- arrival order
    id TEXT NOT NULL UNIQUE,
    experiment_id TEXT NOT NULL,
    variant_name TEXT NOT NULL,
    base_session_id TEXT NOT NULL,
    status TEXT NOT NULL,  -- running, completed, failed
    result_session_id TEXT,
    error_message TEXT,
    created_us INTEGER NOT NULL,
    completed_us INTEGER
)""",
    "CREATE INDEX IF NOT EXISTS experiment_runs_by_experiment"
    " ON experiment_runs (experiment_id, seq)",
    # The gates `sentrial evaluate` ran: the last passing one is the baseline
    # of the next when no baseline variant is named.
    """CREATE TABLE IF NOT EXISTS experiment_evaluations (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    experiment_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    passed INTEGER NOT NULL,
    created_us INTEGER NOT NULL,
    body TEXT NOT NULL  -- minScore, maxRegression, baseline, scores
)""",
    "CREATE INDEX IF NOT EXISTS experiment_evaluations_by_experiment"
    " ON experiment_evaluations (experiment_id, seq)",
)

# Sessions read when picking test cases from an agent's history: the newest
# first, so a large store costs at most this many rows.
MAX_SCANNED_SESSIONS = 20_000


def _now_us() -> int:
    return time.time_ns() // 1000


def _number(value: Any) -> float | None:
    """A stored JSON number as a float; None for anything else (a store may hold
    a string where a number belongs)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return _json.number(value)


def _present(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without its null fields: null means absent, as everywhere in the API."""
    return {k: v for k, v in body.items() if v is not None}


class ExperimentStore:
    """Experiments and runs in the tables above, next to the sessions of ``storage``.

    Writes go through ``storage.transaction()`` (the one writing connection,
    and the store's WAL checkpointing); reads through its reading connections.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        with storage.transaction():
            for statement in _TABLES:
                storage._db.execute(statement)
            columns = {row[1] for row in storage._db.execute("PRAGMA table_info(experiments)")}
            if "reset_seq" not in columns:  # runs recorded by sessions after this seq count
                storage._db.execute(
                    "ALTER TABLE experiments ADD COLUMN reset_seq INTEGER NOT NULL DEFAULT 0"
                )
            columns = {row[1] for row in storage._db.execute("PRAGMA table_info(experiment_runs)")}
            if "batch_id" not in columns:  # a database made before batches
                storage._db.execute("ALTER TABLE experiment_runs ADD COLUMN batch_id TEXT")

    # -- experiments --------------------------------------------------------

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        body = _present(body)
        variants = [_present(v) for v in body["variants"]]
        seen: set[str] = set()
        for index, variant in enumerate(variants):
            if variant["name"] in seen:
                raise StorageError(
                    f"variants[{index}].name: {variant['name']!r} names two variants"
                )
            seen.add(variant["name"])
        cases = [
            {"sessionId": c["sessionId"], "userInput": c["userInput"]}
            for c in body.get("testCases") or []
        ]
        source = body.get("fromSessions")
        agent = body.get("agentName")
        if source is not None:
            source = _present(source)
            picked = self._pick_test_cases(source["agentName"], source.get("limit", 20), cases)
            if not picked:
                raise Unprocessable(
                    f"fromSessions.agentName: no finished session of agent"
                    f" {source['agentName']!r} recorded a userInput"
                )
            cases += picked
            agent = agent or source["agentName"]
        definition = {
            "name": body["name"],
            "description": body.get("description"),
            "agentName": agent,
            "variants": [
                {
                    "name": v["name"],
                    "systemPrompt": v["systemPrompt"],
                    "description": v.get("description"),
                    **({"weight": v["weight"]} if "weight" in v else {}),
                }
                for v in variants
            ],
            "testCases": cases,
        }
        experiment_id = "exp_" + secrets.token_urlsafe(12)
        with self.storage.transaction():
            self.storage._db.execute(
                "INSERT INTO experiments (id, created_us, body) VALUES (?, ?, ?)",
                (experiment_id, _now_us(), _json.canonical(definition)),
            )
        return self.get(experiment_id)

    def _pick_test_cases(
        self, agent: str, limit: int, given: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The newest finished sessions of ``agent`` with a non-empty ``userInput``,
        one per distinct input (a repeated question tests nothing new), leaving
        out sessions that experiment runs recorded."""
        inputs = {c["userInput"] for c in given}
        picked: list[dict[str, Any]] = []
        cursor: str | None = None
        scanned = 0
        while len(picked) < limit and scanned < MAX_SCANNED_SESSIONS:
            page, cursor = self.storage.list_sessions(agent_name=agent, limit=500, cursor=cursor)
            scanned += len(page)
            for session in page:
                text = session.get("userInput")
                if session.get("status") not in ("completed", "failed"):
                    continue
                if not isinstance(text, str) or not text.strip() or text in inputs:
                    continue
                metadata = session.get("metadata")
                if isinstance(metadata, dict) and "experimentId" in metadata:
                    continue  # a run of an experiment, not a recorded input
                inputs.add(text)
                picked.append({"sessionId": session["id"], "userInput": text})
                if len(picked) == limit:
                    break
            if cursor is None:
                break
        return picked

    def _row(self, experiment_id: str) -> tuple[dict[str, Any], int, list[dict[str, Any]]]:
        """The definition, creation time and runs (oldest first) of one experiment.

        Each run carries ``_wallMs`` (server time from start to finish), dropped
        before it goes on the wire."""
        with self.storage._reading() as db:
            row = db.execute(
                "SELECT body, created_us, reset_seq FROM experiments WHERE id = ?",
                (experiment_id,),
            ).fetchone()
            if row is None:
                raise NotFound(f"id: no experiment {experiment_id!r}")
            runs = db.execute(
                "SELECT * FROM experiment_runs WHERE experiment_id = ? ORDER BY seq",
                (experiment_id,),
            ).fetchall()
            sessions = db.execute(
                "SELECT * FROM sessions INDEXED BY sessions_by_experiment"
                " WHERE json_extract(create_body, '$.metadata.experimentId') = ? AND seq > ?"
                " ORDER BY seq",
                (experiment_id, row["reset_seq"]),
            ).fetchall()
        rows = [dict(r) for r in runs]
        known = {r["id"] for r in rows}
        for session in sessions:
            derived = _run_of_session(experiment_id, self.storage._session_record(session))
            if derived is not None and derived["id"] not in known:
                known.add(derived["id"])
                rows.append(derived)
        records = []
        for r in rows:
            record = _run_record(r)
            if r["completed_us"] is not None:
                record["_wallMs"] = (r["completed_us"] - r["created_us"]) / 1000
            records.append(record)
        return _json.loads(row["body"]), row["created_us"], records

    def get(self, experiment_id: str) -> dict[str, Any]:
        definition, created, runs = self._row(experiment_id)
        return _experiment_record(experiment_id, definition, created, runs)

    def config(self, experiment_id: str) -> dict[str, Any]:
        definition, created, runs = self._row(experiment_id)
        return {
            "experiment": _experiment_record(experiment_id, definition, created, runs),
            "runs": [{k: v for k, v in r.items() if k != "_wallMs"} for r in runs],
        }

    def list(self, limit: int = 200) -> list[dict[str, Any]]:
        """The newest experiments (for the viewer)."""
        with self.storage._reading() as db:
            ids = [
                row[0]
                for row in db.execute(
                    "SELECT id FROM experiments ORDER BY seq DESC LIMIT ?", (limit,)
                ).fetchall()
            ]
        return [self.get(experiment_id) for experiment_id in ids]

    # -- runs -----------------------------------------------------------------

    def _definition(self, experiment_id: str) -> dict[str, Any]:
        """The definition alone (no runs): what starting a run needs."""
        with self.storage._reading() as db:
            row = db.execute("SELECT body FROM experiments WHERE id = ?", (experiment_id,))
            found = row.fetchone()
        if found is None:
            raise NotFound(f"id: no experiment {experiment_id!r}")
        definition: dict[str, Any] = _json.loads(found["body"])
        return definition

    def create_run(self, experiment_id: str, body: dict[str, Any]) -> dict[str, Any]:
        definition = self._definition(experiment_id)
        names = [v["name"] for v in definition["variants"]]
        if body["variantName"] not in names:
            raise StorageError(
                f"variantName: no variant {body['variantName']!r} in experiment"
                f" {experiment_id} (variants: {', '.join(names)})"
            )
        run_id = body.get("id") or "run_" + secrets.token_urlsafe(12)
        asked = (experiment_id, body["variantName"], body["baseSessionId"])
        with self.storage.transaction():
            inserted = self.storage._db.execute(
                "INSERT OR IGNORE INTO experiment_runs (id, experiment_id, variant_name,"
                " base_session_id, status, created_us, batch_id)"
                " VALUES (?, ?, ?, ?, 'running', ?, ?)",
                (run_id, *asked, _now_us(), body.get("batchId")),
            )
            run = self._run(run_id)
        if inserted.rowcount == 0:  # a repeated id: a retry, or a mistake
            stored = (run["experimentId"], run["variantName"], run["baseSessionId"])
            if stored != asked:
                raise Conflict(f"id: run {run_id} exists with a different body")
        return run

    def _run(self, run_id: str) -> dict[str, Any]:
        row = self.storage._db.execute(
            "SELECT * FROM experiment_runs WHERE id = ?", (run_id,)
        ).fetchone()
        return _run_record(row)

    def update_run(self, experiment_id: str, run_id: str, body: dict[str, Any]) -> dict[str, Any]:
        body = _present(body)
        with self.storage.transaction():
            db = self.storage._db
            row = db.execute(
                "SELECT completed_us FROM experiment_runs WHERE id = ? AND experiment_id = ?",
                (run_id, experiment_id),
            ).fetchone()
            if row is None:
                if db.execute(
                    "SELECT 1 FROM experiments WHERE id = ?", (experiment_id,)
                ).fetchone():
                    raise NotFound(f"runId: no run {run_id!r} in experiment {experiment_id}")
                raise NotFound(f"id: no experiment {experiment_id!r}")
            status = body.get("status")
            completed = row["completed_us"]
            if status is not None and completed is None:
                completed = _now_us()
            db.execute(
                "UPDATE experiment_runs SET status = coalesce(?, status),"
                " result_session_id = coalesce(?, result_session_id),"
                " error_message = coalesce(?, error_message), completed_us = ? WHERE id = ?",
                (
                    status,
                    body.get("resultSessionId"),
                    body.get("errorMessage"),
                    completed,
                    run_id,
                ),
            )
            return self._run(run_id)

    def reset(self, experiment_id: str) -> int:
        """Forget every run: delete the recorded ones, and count only sessions
        that arrive from now on (the sessions themselves are kept)."""
        runs = len(self._row(experiment_id)[2])  # 404 for an unknown experiment
        with self.storage.transaction():
            self.storage._db.execute(
                "DELETE FROM experiment_runs WHERE experiment_id = ?", (experiment_id,)
            )
            self.storage._db.execute(
                "UPDATE experiments SET reset_seq ="
                " (SELECT coalesce(max(seq), 0) FROM sessions) WHERE id = ?",
                (experiment_id,),
            )
        return runs

    # -- evaluations --------------------------------------------------------------

    def add_evaluation(self, experiment_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self._definition(experiment_id)  # 404 for an unknown experiment
        evaluation_id = "eval_" + secrets.token_urlsafe(12)
        kept = {
            "minScore": body["minScore"],
            "maxRegression": body.get("maxRegression"),
            "baseline": body.get("baseline"),
            "scores": body["scores"],
        }
        with self.storage.transaction():
            self.storage._db.execute(
                "INSERT INTO experiment_evaluations (id, experiment_id, metric, passed,"
                " created_us, body) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    evaluation_id,
                    experiment_id,
                    body["metric"],
                    int(body["passed"]),
                    _now_us(),
                    _json.canonical(kept),
                ),
            )
        newest: dict[str, Any] = self.evaluations(experiment_id, limit=1)[0]
        return newest

    def evaluations(
        self,
        experiment_id: str,
        *,
        passed: bool | None = None,
        metric: str | None = None,
        limit: int = 50,
    ) -> builtins.list[dict[str, Any]]:
        """The experiment's evaluations, newest first, optionally only those
        that passed (or failed) and only on one metric."""
        self._definition(experiment_id)
        sql = "SELECT * FROM experiment_evaluations WHERE experiment_id = ?"
        params: list[Any] = [experiment_id]
        if passed is not None:
            sql += " AND passed = ?"
            params.append(int(passed))
        if metric is not None:
            sql += " AND metric = ?"
            params.append(metric)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit)
        with self.storage._reading() as db:
            rows = db.execute(sql, params).fetchall()
        return [
            {
                "id": row["id"],
                "experimentId": row["experiment_id"],
                "metric": row["metric"],
                "passed": bool(row["passed"]),
                **_json.loads(row["body"]),
                "createdAt": iso(row["created_us"]),
            }
            for row in rows
        ]

    # -- results ----------------------------------------------------------------

    def results(self, experiment_id: str, batch: str | None = None) -> dict[str, Any]:
        """The variants compared on the runs of one batch: ``batch``, else the
        latest (the newest run's); ``all`` for every run."""
        definition, created, every_run = self._row(experiment_id)
        batches = _batches(every_run)
        if batch is None:
            batch_id = _latest_batch(every_run)
        elif batch == "all":
            batch_id = None
        elif batch in {b["batchId"] for b in batches}:
            batch_id = batch
        else:
            known = ", ".join(str(b["batchId"]) for b in batches) or "none"
            raise NotFound(f"batch: no batch {batch!r} in experiment {experiment_id} ({known})")
        runs = every_run
        if batch != "all":
            runs = [r for r in every_run if r["batchId"] == batch_id]
        sessions: dict[str, dict[str, Any]] = {}
        for run in runs:
            sid = run["resultSessionId"]
            if sid and sid not in sessions:
                # Not found: not delivered yet, or recorded on another server.
                with contextlib.suppress(NotFound):
                    sessions[sid] = self.storage.get_session(sid)
        outcomes = [_outcome(run, sessions.get(run["resultSessionId"] or "")) for run in runs]
        variants = [
            _variant_result(v["name"], [o for o in outcomes if o["variantName"] == v["name"]])
            for v in definition["variants"]
        ]
        return {
            "experiment": _experiment_record(experiment_id, definition, created, every_run),
            "variants": variants,
            "runs": outcomes,
            "winner": _winner(variants),
            "batchId": batch_id,
            "batches": batches,
        }


_RUN_STATUS = {"active": "running", "completed": "completed", "failed": "failed"}


def _run_of_session(experiment_id: str, session: dict[str, Any]) -> dict[str, Any] | None:
    """The run a session of ``experiment_id`` records (as a row of
    experiment_runs), or None when its metadata names no run."""
    meta = session.get("metadata")
    if not isinstance(meta, dict):
        return None
    run_id, variant, base = (
        meta.get(k) for k in ("experimentRunId", "variantName", "baseSessionId")
    )
    if not all(isinstance(v, str) and v for v in (run_id, variant, base)):
        return None
    status = _RUN_STATUS.get(session["status"], "running")
    result = meta.get("resultSessionId")
    batch = meta.get("experimentBatchId")
    failure = session.get("failureReason")
    return {
        "id": run_id,
        "experiment_id": experiment_id,
        "variant_name": variant,
        "base_session_id": base,
        "status": status,
        "result_session_id": result if isinstance(result, str) and result else session["id"],
        "error_message": failure if status == "failed" and isinstance(failure, str) else None,
        "created_us": _us(session["startedAt"]),
        "completed_us": _us(session["completedAt"]) if status != "running" else None,
        "batch_id": batch if isinstance(batch, str) and batch else None,
    }


def _us(value: str | None) -> int | None:
    return None if value is None else _to_us(value, "time")


def _batches(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each batch of ``runs`` (oldest first), with its run count and first run's time."""
    found: dict[str | None, dict[str, Any]] = {}
    for run in runs:
        batch = found.setdefault(
            run["batchId"], {"batchId": run["batchId"], "runs": 0, "createdAt": run["createdAt"]}
        )
        batch["runs"] += 1
    return list(found.values())


def _latest_batch(runs: list[dict[str, Any]]) -> str | None:
    """The batch of the run started last (``createdAt``; the later-listed of a
    tie): a session of an earlier batch replayed late from a spool stays there."""
    if not runs:
        return None
    _, _, newest = max((r["createdAt"] or "", i, r) for i, r in enumerate(runs))
    batch: str | None = newest["batchId"]
    return batch


def _run_record(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "experimentId": row["experiment_id"],
        "variantName": row["variant_name"],
        "baseSessionId": row["base_session_id"],
        "status": row["status"],
        "resultSessionId": row["result_session_id"],
        "errorMessage": row["error_message"],
        "batchId": row["batch_id"],
        "createdAt": iso(row["created_us"]),
        "completedAt": iso(row["completed_us"]),
    }


def _status(definition: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "draft"
    done = {(r["variantName"], r["baseSessionId"]) for r in runs if r["status"] != "running"}
    wanted = {
        (v["name"], c["sessionId"]) for v in definition["variants"] for c in definition["testCases"]
    }
    if wanted <= done and all(r["status"] != "running" for r in runs):
        return "completed"
    return "running"


def _experiment_record(
    experiment_id: str, definition: dict[str, Any], created_us: int, runs: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": experiment_id,
        **definition,
        "status": _status(definition, runs),
        "createdAt": iso(created_us),
    }


def _outcome(run: dict[str, Any], session: dict[str, Any] | None) -> dict[str, Any]:
    """One run with what its session recorded; a run succeeds when it completed
    and its session (when there is one) did not fail."""
    success: bool | None
    if run["status"] == "running":
        success = None
    elif run["status"] != "completed":
        success = False
    else:
        success = session is None or (
            session.get("status") != "failed" and session.get("success") is not False
        )
    session = session or {}
    duration = _number(session.get("durationMs"))
    if duration is None:
        # The run's own wall time, as the server saw it, when its session gave none.
        duration = run.get("_wallMs")
    tokens = _number(session.get("totalTokens"))
    if tokens is None:
        parts = [_number(session.get(k)) for k in ("promptTokens", "completionTokens")]
        tokens = (
            sum(p for p in parts if p is not None) if any(p is not None for p in parts) else None
        )
    metrics = session.get("customMetrics")
    return {
        "id": run["id"],
        "variantName": run["variantName"],
        "baseSessionId": run["baseSessionId"],
        "status": run["status"],
        "resultSessionId": run["resultSessionId"],
        "errorMessage": run["errorMessage"],
        "success": success,
        "durationMs": duration,
        "estimatedCost": _number(session.get("estimatedCost")),
        "totalTokens": tokens,
        "customMetrics": metrics if isinstance(metrics, dict) else {},
        "batchId": run["batchId"],
        "createdAt": run["createdAt"],
        "completedAt": run["completedAt"],
    }


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _variant_result(name: str, outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    finished = [o for o in outcomes if o["success"] is not None]
    succeeded = sum(1 for o in finished if o["success"])
    durations = [o["durationMs"] for o in finished if o["durationMs"] is not None]
    metrics: dict[str, list[float]] = {}
    for o in finished:
        for key, value in o["customMetrics"].items():
            number = _number(value)
            if number is not None:
                metrics.setdefault(str(key), []).append(number)
    return {
        "name": name,
        "runs": len(outcomes),
        "finished": len(finished),
        "succeeded": succeeded,
        "failed": len(finished) - succeeded,
        "successRate": succeeded / len(finished) if finished else None,
        "meanDurationMs": sum(durations) / len(durations) if durations else None,
        "p95DurationMs": _p95(durations),
        "totalCost": sum((o["estimatedCost"] or 0.0 for o in outcomes), 0.0),
        "totalTokens": sum((o["totalTokens"] or 0.0 for o in outcomes), 0.0),
        "customMetrics": {k: sum(v) / len(v) for k, v in sorted(metrics.items())},
    }


def _winner(variants: list[dict[str, Any]]) -> str | None:
    """Best success rate; ties: lower mean cost per finished run, then shorter
    mean duration. None without evidence: no finished run, or none succeeded."""
    ranked = [v for v in variants if v["finished"]]
    if not any(v["succeeded"] for v in ranked):
        return None

    def key(v: dict[str, Any]) -> tuple[float, float, float]:
        mean_cost = v["totalCost"] / v["finished"]
        duration = v["meanDurationMs"] if v["meanDurationMs"] is not None else float("inf")
        return (-v["successRate"], mean_cost, duration)

    best: str = min(ranked, key=key)["name"]
    return best


# -- HTTP ----------------------------------------------------------------------------


Handler = Callable[[Request], Any]


def experiment_routes(storage: Storage, check_key: Callable[[Request], None]) -> list[Route]:
    """The ``/api/experiments`` routes over ``storage``, with the API's bearer-key
    check and its error bodies (``{"error", "message"}``, 400 naming the field)."""
    from ._app import _query, _read_json, json_response, keyed, resource

    store = ExperimentStore(storage)
    body_limit = _spec.request_limit("maxBodyBytes")

    def endpoint(handler: Handler) -> Handler:
        return keyed(check_key, handler)

    async def checked_body(request: Request, schema: str) -> dict[str, Any]:
        body = await _read_json(request, body_limit)
        _spec.component(schema).check(body)
        assert isinstance(body, dict)
        return body

    async def create(request: Request) -> Response:
        body = await checked_body(request, "ExperimentCreate")
        return json_response({"experiment": await run_in_threadpool(store.create, body)})

    async def config(request: Request) -> Response:
        return json_response(await run_in_threadpool(store.config, request.path_params["id"]))

    async def create_run(request: Request) -> Response:
        body = await checked_body(request, "ExperimentRunCreate")
        run = await run_in_threadpool(store.create_run, request.path_params["id"], body)
        return json_response({"run": run})

    async def reset(request: Request) -> Response:
        deleted = await run_in_threadpool(store.reset, request.path_params["id"])
        return json_response({"deleted": deleted})

    async def update_run(request: Request) -> Response:
        body = await checked_body(request, "ExperimentRunUpdate")
        params = request.path_params
        run = await run_in_threadpool(store.update_run, params["id"], params["runId"], body)
        return json_response({"run": run})

    from ._variants import variant_routes

    assignments, production = variant_routes(storage, store.get, endpoint)

    def results_with_production(experiment_id: str, batch: str | None) -> dict[str, Any]:
        found = store.results(experiment_id, batch)
        names = [v["name"] for v in found["experiment"]["variants"]]
        return {**found, "production": production.production(experiment_id, names)}

    async def results(request: Request) -> Response:
        batch = _query(request, "getExperimentResults").get("batch")
        found = await run_in_threadpool(results_with_production, request.path_params["id"], batch)
        return json_response(found)

    async def add_evaluation(request: Request) -> Response:
        body = await checked_body(request, "EvaluationCreate")
        stored = await run_in_threadpool(store.add_evaluation, request.path_params["id"], body)
        return json_response({"evaluation": stored})

    async def evaluations(request: Request) -> Response:
        q = _query(
            request, "listExperimentEvaluations", frozenset({"limit"}), frozenset({"passed"})
        )
        found = await run_in_threadpool(
            lambda: store.evaluations(
                request.path_params["id"],
                passed=q.get("passed"),
                metric=q.get("metric"),
                limit=q.get("limit", 50),
            )
        )
        return json_response({"data": found})

    async def listing(request: Request) -> Response:
        q = _query(request, "listExperiments", frozenset({"limit"}))
        found = await run_in_threadpool(store.list, q.get("limit", 50))
        return json_response({"data": found})

    return [
        *assignments,
        resource("/api/experiments", get=endpoint(listing), post=endpoint(create)),
        resource(
            "/api/experiments/{id}/evaluations",
            get=endpoint(evaluations),
            post=endpoint(add_evaluation),
        ),
        resource(
            "/api/experiments/{id}/runs",
            get=endpoint(config),
            post=endpoint(create_run),
            delete=endpoint(reset),
        ),
        resource("/api/experiments/{id}/runs/{runId}", patch=endpoint(update_run)),
        resource("/api/experiments/{id}/results", get=endpoint(results)),
    ]
