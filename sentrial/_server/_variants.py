"""Prompt variants in production: sticky assignments of users to an
experiment's variants, and the production sessions each variant recorded.

``POST /api/experiments/{id}/assignments`` with ``{"userId"}`` answers the
user's assignment ``{id, experimentId, userId, variantName, systemPrompt,
createdAt}``. The variant is picked by a hash of (experiment, user): the
first 8 bytes of SHA-256 of ``"<experiment id>\\x1f<user id>"`` as a point in
[0, 1), placed on the variants' cumulative weights (``weight``, default 1) in
their order. The same user gets the same variant from any process, any
server sharing the store, and after a restart; the first assignment is
stored, so changing the weights later moves no one already assigned. The
assignment id is a hash of the same pair: the same everywhere too.

A session carries its assignment in ``experimentAssignmentId`` (SDK:
``create_session(..., experiment_assignment_id=...)``; OTLP: the root span's
``sentrial.experiment.assignment_id``). The experiment's results then add
``production``: per variant, the sessions, finished, success rate, total and
mean cost, mean duration and negative signals.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import _json, _spec
from ._storage import Storage, StorageError, iso

_TABLES = (
    """CREATE TABLE IF NOT EXISTS experiment_assignments (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    experiment_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    variant_name TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    UNIQUE (experiment_id, user_id)
)""",
    # The sessions of an assignment (partial: a session without one costs nothing).
    "CREATE INDEX IF NOT EXISTS sessions_by_assignment"
    " ON sessions (json_extract(create_body, '$.experimentAssignmentId'))"
    " WHERE json_extract(create_body, '$.experimentAssignmentId') IS NOT NULL",
)


def _digest(experiment_id: str, user_id: str) -> bytes:
    return hashlib.sha256(f"{experiment_id}\x1f{user_id}".encode()).digest()


def pick(experiment_id: str, user_id: str, variants: list[dict[str, Any]]) -> dict[str, Any]:
    """The variant the hash of (experiment, user) falls on, by cumulative weight."""
    weights = [max(0.0, float(v.get("weight", 1.0))) for v in variants]
    total = sum(weights)
    if total <= 0:
        return variants[0]
    point = int.from_bytes(_digest(experiment_id, user_id)[:8], "big") / 2**64 * total
    edge = 0.0
    for variant, weight in zip(variants, weights, strict=True):
        edge += weight
        if point < edge:
            return variant
    return variants[-1]


def assignment_id(experiment_id: str, user_id: str) -> str:
    return "asg_" + _digest(experiment_id, user_id).hex()[32:56]


class VariantStore:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        with storage.transaction():
            for statement in _TABLES:
                storage._db.execute(statement)

    def assign(self, experiment: dict[str, Any], user_id: str) -> dict[str, Any]:
        """The user's stored assignment, made now if there is none."""
        experiment_id = experiment["id"]
        variants = experiment["variants"]
        with self.storage.transaction():
            db = self.storage._db
            row = db.execute(
                "SELECT * FROM experiment_assignments WHERE experiment_id = ? AND user_id = ?",
                (experiment_id, user_id),
            ).fetchone()
            if row is None:
                chosen = pick(experiment_id, user_id, variants)
                db.execute(
                    "INSERT INTO experiment_assignments (id, experiment_id, user_id,"
                    " variant_name, created_us) VALUES (?, ?, ?, ?, ?)",
                    (
                        assignment_id(experiment_id, user_id),
                        experiment_id,
                        user_id,
                        chosen["name"],
                        time.time_ns() // 1000,
                    ),
                )
                row = db.execute(
                    "SELECT * FROM experiment_assignments WHERE experiment_id = ? AND user_id = ?",
                    (experiment_id, user_id),
                ).fetchone()
        prompts = {v["name"]: v["systemPrompt"] for v in variants}
        return {
            "id": row["id"],
            "experimentId": experiment_id,
            "userId": user_id,
            "variantName": row["variant_name"],
            "systemPrompt": prompts.get(row["variant_name"], ""),
            "createdAt": iso(row["created_us"]),
        }

    def production(self, experiment_id: str, names: list[str]) -> list[dict[str, Any]]:
        """Per variant (in ``names``' order), what its assigned users' sessions recorded."""
        from ._signals import settle

        settle(self.storage, sweep=False)
        with self.storage._reading() as db:
            signals = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'signals'"
            ).fetchone()
            negatives = (
                "(SELECT count(*) FROM signals WHERE session_id = s.id AND type = 'negative')"
                if signals
                else "0"
            )
            rows = db.execute(
                "SELECT a.variant_name AS variant, count(*) AS sessions,"
                " total(s.status IN ('completed', 'failed')) AS finished,"
                " total(s.status = 'completed') AS succeeded,"
                " total(json_extract(s.outcome, '$.estimatedCost')) AS cost,"
                " count(json_extract(s.outcome, '$.estimatedCost')) AS costed,"
                " avg(s.duration_ms) AS duration,"
                f" total({negatives}) AS negatives"
                " FROM experiment_assignments AS a JOIN sessions AS s"
                " ON json_extract(s.create_body, '$.experimentAssignmentId') = a.id"
                " WHERE a.experiment_id = ? GROUP BY a.variant_name",
                (experiment_id,),
            ).fetchall()
        found = {r["variant"]: r for r in rows}
        out = []
        for name in names:
            r = found.get(name)
            finished = int(r["finished"]) if r else 0
            out.append(
                {
                    "variantName": name,
                    "sessions": r["sessions"] if r else 0,
                    "finished": finished,
                    "successRate": (r["succeeded"] / finished) if r and finished else None,
                    "totalCost": _json.number(r["cost"]) if r else 0.0,
                    "meanCost": (r["cost"] / r["costed"]) if r and r["costed"] else None,
                    "meanDurationMs": r["duration"] if r else None,
                    "negativeSignals": int(r["negatives"]) if r else 0,
                }
            )
        return out


def variant_routes(
    storage: Storage,
    experiment: Callable[[str], dict[str, Any]],
    endpoint: Callable[[Callable[[Request], Any]], Any],
) -> tuple[list[Route], VariantStore]:
    """``POST /api/experiments/{id}/assignments``; ``experiment(id)`` reads one
    experiment (NotFound, 404)."""
    from ._app import _read_json, json_response, resource

    store = variant_store(storage)
    body_limit = _spec.request_limit("maxBodyBytes")

    def assign(experiment_id: str, user_id: str) -> dict[str, Any]:
        found = experiment(experiment_id)
        if not found["variants"]:
            raise StorageError(f"id: experiment {experiment_id} has no variants")
        return store.assign(found, user_id)

    async def create_assignment(request: Request) -> Response:
        body = await _read_json(request, body_limit)
        _spec.component("ExperimentAssignmentCreate").check(body)
        found = await run_in_threadpool(assign, request.path_params["id"], body["userId"])
        return json_response({"assignment": found})

    route = resource("/api/experiments/{id}/assignments", post=endpoint(create_assignment))
    return [route], store


def variant_store(storage: Storage) -> VariantStore:
    """The one :class:`VariantStore` of ``storage`` (its table made once)."""
    return storage.part(VariantStore)
