"""Experiments (``sentrial.experiment``, as published): compare prompt variants
on recorded inputs.

An experiment is a set of variants (each a system prompt) and test cases (each
a user input taken from a recorded session). :meth:`Experiment.run` calls your
agent once per variant and test case; inside a call the agent reads its
variant with :func:`sentrial.get_system_prompt` (a context variable, so
parallel runs never mix), and each run is recorded on the server with the
session it produced. Results compare the variants on success rate, duration,
cost, tokens and custom metrics (:meth:`Experiment.get_results`).

Sessions go through the SDK's normal delivery (background, spooled to disk
when the API is away, replayed when it is back). So do the run records on a
server that records runs by their sessions (capability
``experiment_sessions``, ``sentrial serve``): a run is the session it opened
(``tracker.begin``), or a small session of its own naming the session the
agent linked, with the experiment, variant, run and test case in its
metadata. Elsewhere (the hosted API) runs are recorded with requests of their
own, retried as the delivery's response policy says (``_delivery._policy``).
After a run, :meth:`Experiment.run` reads back which runs the server holds
finished: a result whose run is not there has ``run_id`` None.

Works against ``sentrial serve`` (fully offline) and any server implementing
the ``/api/experiments`` paths of ``openapi/sentrial.yaml``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Literal

from ._capabilities import CLIENT_IDS, EXPERIMENT_SESSIONS, from_health
from ._client import AsyncSentrialClient, SentrialClient
from ._delivery._policy import Action, for_status
from ._errors import APIError
from .context import (
    ENV_EXPERIMENT_ID,
    ENV_SYSTEM_PROMPT,
    ENV_TEST_CASE,
    ENV_VARIANT,
    ExperimentContext,
    _pop,
    _push,
)

if TYPE_CHECKING:
    from contextvars import Token

    import httpx

    from ._interaction import Interaction

__all__ = [
    "Experiment",
    "ExperimentError",
    "ExperimentRunResult",
    "ExperimentRunTracker",
    "ExperimentTestCase",
    "ExperimentVariant",
    "SentrialClient",
]

_logger = logging.getLogger("sentrial.experiment")

# Attempts of one request (run records get more: losing one loses a result),
# and the pauses between them (doubled each time, up to MAX_PAUSE, or what the
# server's Retry-After asks, up to MAX_RETRY_AFTER).
ATTEMPTS = 3
RUN_RECORD_ATTEMPTS = 8
FIRST_PAUSE = 0.2
MAX_PAUSE = 2.0
MAX_RETRY_AFTER = 10.0
# After a request failed every attempt, others try once, for this many seconds.
FAILING_WINDOW = 10.0


class ExperimentError(APIError, RuntimeError):
    """The experiment cannot be read or created (unknown id, API unreachable).

    A RuntimeError too, which is what the published SDK raised."""


@dataclass
class ExperimentVariant:
    """A prompt variant to test."""

    name: str
    system_prompt: str
    description: str | None = None


@dataclass
class ExperimentTestCase:
    """A test case: the user input of a recorded session."""

    session_id: str
    user_input: str


@dataclass
class ExperimentRunResult:
    """The outcome of one run (a variant on a test case). ``run_id`` is None
    when, after the run, the server did not hold the run finished (not
    recorded, or not yet: its session still waiting in the spool)."""

    variant_name: str
    test_case_session_id: str
    result_session_id: str | None
    success: bool
    error_message: str | None = None
    run_id: str | None = None
    duration_ms: float | None = None


def _loads(content: bytes) -> Any:
    import orjson

    try:
        return orjson.loads(content) if content else None
    except orjson.JSONDecodeError:
        return None


class ExperimentRunTracker:
    """One run, as a context manager: the run is recorded on entry and
    completed (or failed, with the exception as its error) on exit.

    Inside, :func:`sentrial.get_system_prompt` answers the variant's prompt.
    The exception, if any, is not swallowed.
    """

    def __init__(self, experiment: Experiment, variant_name: str, base_session_id: str) -> None:
        self.experiment = experiment
        self.variant_name = variant_name
        self.base_session_id = base_session_id
        self.run_id: str | None = None
        self.result_session_id: str | None = None
        self._success = True
        self._error_message: str | None = None
        self._token: Token[ExperimentContext | None] | None = None
        self._started = 0.0
        self.duration_ms: float | None = None
        self._client_id = "run_" + secrets.token_urlsafe(12)
        # Recorded by its session (the server derives the run from it), not by requests.
        self._in_sessions = False
        self._interaction: Interaction | None = None
        # The batch (one Experiment.run call) the run belongs to; results
        # compare the latest batch, so a second run never mixes with the first.
        self._batch_id: str | None = None

    @property
    def success(self) -> bool:
        return self._success

    @property
    def error_message(self) -> str | None:
        return self._error_message

    @property
    def session_id(self) -> str | None:
        """The session this run recorded (set with ``set_result_session_id`` or ``begin``)."""
        return self.result_session_id

    def _context(self) -> ExperimentContext:
        variant = self.experiment.get_variant(self.variant_name)
        return ExperimentContext(
            system_prompt=variant.system_prompt if variant else "",
            variant_name=self.variant_name,
            experiment_id=self.experiment.experiment_id,
            test_case_id=self.base_session_id,
            metadata={"runId": self.run_id} if self.run_id else None,
        )

    def _start(self) -> None:
        """Record the run. With a server that takes client ids, the id is made
        here once, so a retry (even one after an answer was lost) never
        records a second run."""
        if self.experiment._has_capability(EXPERIMENT_SESSIONS):
            self.run_id, self._in_sessions = self._client_id, True
            return
        body = {"variantName": self.variant_name, "baseSessionId": self.base_session_id}
        if self.experiment._takes_client_ids():
            body["id"] = self._client_id
            if self._batch_id:
                body["batchId"] = self._batch_id
        answer = self.experiment._request(
            "create_experiment_run",
            self.experiment.experiment_id,
            body=body,
            attempts=RUN_RECORD_ATTEMPTS,
        )
        run = answer.get("run") if isinstance(answer, dict) else None
        if isinstance(run, dict) and isinstance(run.get("id"), str):
            self.run_id = run["id"]

    def __enter__(self) -> ExperimentRunTracker:
        self._started = time.perf_counter()
        self._start()
        try:
            self._token = _push(self._context())
        except Exception:  # the experiment's config could not be read: no prompt to give
            _logger.debug("no experiment context for this run", exc_info=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        self.duration_ms = (time.perf_counter() - self._started) * 1000
        if self._token is not None:
            _pop(self._token)
            self._token = None
        if exc_type is not None:
            self._success = False
            self._error_message = f"{exc_type.__name__}: {exc}" if exc else exc_type.__name__
        if self._in_sessions:
            self._record_in_session()
            return False
        if not self.run_id:  # the API was away when the run began: once more
            self._start()
        if self.run_id:
            self.experiment._request(
                "update_experiment_run",
                self.experiment.experiment_id,
                self.run_id,
                body={
                    "status": "completed" if self._success else "failed",
                    "resultSessionId": self.result_session_id,
                    "errorMessage": self._error_message,
                },
                attempts=RUN_RECORD_ATTEMPTS,
            )
        else:
            _logger.warning(
                "experiment %s: the run of %s on %s could not be recorded",
                self.experiment.experiment_id,
                self.variant_name,
                self.base_session_id,
            )
        return False

    def _metadata(self) -> dict[str, Any]:
        """What names this run in the metadata of its session (its batch too:
        the server reads a run recorded by its session from these alone)."""
        metadata = {
            "experimentId": self.experiment.experiment_id,
            "experimentRunId": self.run_id,
            "variantName": self.variant_name,
            "baseSessionId": self.base_session_id,
        }
        if self._batch_id:
            metadata["experimentBatchId"] = self._batch_id
        return metadata

    def _record_in_session(self) -> None:
        """Finish the run's session (through the delivery, like every session):
        the one ``begin`` opened, else one of its own naming the linked session."""
        interaction = self._interaction
        if interaction is not None and not interaction.finished:  # left open by the agent
            interaction.finish(success=self._success, failure_reason=self._error_message)
        if interaction is not None and interaction.session_id == self.result_session_id:
            return
        experiment = self.experiment
        client = experiment._client
        metadata = self._metadata()
        if self.result_session_id:
            metadata["resultSessionId"] = self.result_session_id
        session_id = client.create_session(
            f"experiment run: {self.variant_name} on {self.base_session_id}",
            experiment.agent_name or "experiment",
            "experiment",
            metadata=metadata,
        )
        client.complete_session(
            session_id,
            success=self._success,
            failure_reason=self._error_message,
            duration_ms=self.duration_ms,
        )

    def set_result_session_id(self, session_id: str) -> None:
        """Link the session the agent recorded to this run."""
        self.result_session_id = session_id

    def set_error(self, message: str) -> None:
        """Mark this run as failed."""
        self._success = False
        self._error_message = message

    def begin(
        self,
        input: Any = None,
        *,
        user_id: str = "experiment",
        agent_name: str | None = None,
    ) -> Interaction:
        """Open the run's session on the experiment's client, linked to this run.

        The session is current while open (``@tool`` and wrapped LLM clients
        record into it) and carries the experiment, variant, run and test
        case in its metadata. Use it as a context manager: an exception marks
        it failed.
        """
        from ._interaction import begin

        experiment = self.experiment
        interaction = begin(
            user_id=user_id,
            event=agent_name or experiment.agent_name or "experiment",
            input=input,
            metadata=self._metadata(),
            client=experiment._client,
        )
        self._interaction = interaction
        self.set_result_session_id(interaction.session_id)
        return interaction

    def environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for an agent run as a subprocess: ``base`` (default
        ``os.environ``) plus the variant's prompt and names, which
        ``get_system_prompt`` reads there."""
        import os

        variant = self.experiment.get_variant(self.variant_name)
        env = dict(os.environ if base is None else base)
        env[ENV_SYSTEM_PROMPT] = variant.system_prompt if variant else ""
        env[ENV_VARIANT] = self.variant_name
        env[ENV_EXPERIMENT_ID] = self.experiment.experiment_id
        env[ENV_TEST_CASE] = self.base_session_id
        return env


AgentFn = Callable[[ExperimentTestCase, ExperimentVariant, ExperimentRunTracker], Any]


class Experiment:
    """An experiment on the server, run from your code (tests/test_experiments.py
    runs this against the local server)::

        exp = Experiment("exp_abc123")
        exp.run(my_agent, parallel=True)

    ``my_agent(test_case, variant, tracker)`` runs the agent on
    ``test_case.user_input`` with ``variant.system_prompt`` (or
    ``get_system_prompt()``) and links its session with
    ``tracker.set_result_session_id(session_id)``, or opens it with
    ``tracker.begin(...)``. The API key and URL default to
    ``SENTRIAL_API_KEY`` and ``SENTRIAL_API_URL``.
    """

    def __init__(
        self,
        experiment_id: str,
        api_key: str | None = None,
        api_url: str | None = None,
        *,
        client: SentrialClient | AsyncSentrialClient | None = None,
    ) -> None:
        self.experiment_id = experiment_id
        self._owns_client = client is None
        if isinstance(client, AsyncSentrialClient):
            # Runs are synchronous code: an async client is used through its
            # synchronous twin (the same delivery), so no coroutine is dropped.
            from ._interaction import _sync_twin

            client = _sync_twin(client)
        # Sessions of runs are tracked with this client (normal delivery).
        self._client = client or SentrialClient(api_url=api_url, api_key=api_key)
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()
        self._failing_until = 0.0
        self._capabilities: frozenset[str] | None = None
        self._config: dict[str, Any] | None = None
        self._variants: list[ExperimentVariant] | None = None
        self._test_cases: list[ExperimentTestCase] | None = None
        #: The batch of the latest ``run()`` (``GET .../results`` compares it by default).
        self.batch_id: str | None = None

    # -- the API ---------------------------------------------------------------------

    def _api(self) -> httpx.Client:
        with self._lock:  # runs in parallel threads share one connection pool
            return self._api_locked()

    def _api_locked(self) -> httpx.Client:
        if self._http is None:
            import httpx
            from sentrial_api import AuthenticatedClient

            from ._delivery._http import client_args

            config = self._client.config
            verify = not config.api_url.lower().startswith("http://")
            self._http = AuthenticatedClient(  # the SDK's proxy rules: loopback is direct
                base_url=config.api_url,
                token=config.api_key or "",
                timeout=httpx.Timeout(config.request_timeout),
                verify_ssl=verify,
                httpx_args=client_args(config.api_url, verify=verify, connections=100),
            ).get_httpx_client()
        return self._http

    def _send(
        self, operation: str, *args: Any, body: Any = None, attempts: int = ATTEMPTS
    ) -> tuple[int | None, Any]:
        """``(status, JSON answer)`` of one operation of the spec; ``(None, error
        text)`` when the API could not be reached. Connection errors, 429 and
        5xx are tried again, ``attempts`` times in all."""
        import importlib

        import httpx

        module: ModuleType = importlib.import_module(f"sentrial_api.api.default.{operation}")
        kwargs: dict[str, Any] = {}
        if body is not None:
            model_name = {
                "create_experiment": "ExperimentCreate",
                "create_experiment_run": "ExperimentRunCreate",
                "update_experiment_run": "ExperimentRunUpdate",
            }[operation]
            models = importlib.import_module("sentrial_api.models")
            kwargs["body"] = getattr(models, model_name).from_dict(body)
        request = module._get_kwargs(*args, **kwargs)
        if time.monotonic() < self._failing_until:
            attempts = 1  # a request just failed every attempt: do not wait again for each
        pause = FIRST_PAUSE
        failure: tuple[int | None, Any] = (None, "not sent")
        for attempt in range(attempts):
            wait = pause
            try:
                response = self._api().request(**request)
            except httpx.HTTPError as exc:
                failure = (None, f"{type(exc).__name__}: {exc}")
            else:
                status = response.status_code
                failure = (status, _loads(response.content))
                # The delivery's response policy: what is worth another try, and when.
                verdict = for_status(status, response.headers.get("retry-after"))
                if verdict.action != Action.RETRY:
                    self._failing_until = 0.0
                    return failure
                if verdict.retry_after is not None:
                    wait = min(verdict.retry_after, MAX_RETRY_AFTER)
            if attempt + 1 < attempts:
                time.sleep(wait)
                pause = min(pause * 2, MAX_PAUSE)
        self._failing_until = time.monotonic() + FAILING_WINDOW
        return failure

    def _has_capability(self, name: str) -> bool:
        """Whether the server advertises ``name`` (``GET /api/sdk/health``), asked
        once; a server that does not gets only the published fields and paths."""
        if self._capabilities is None:
            status, answer = self._send("get_health")
            if status is None:
                return False  # unreachable now: ask again next time
            self._capabilities = from_health(answer).names
        return name in self._capabilities

    def _takes_client_ids(self) -> bool:
        return self._has_capability(CLIENT_IDS)

    def _request(
        self, operation: str, *args: Any, body: Any = None, attempts: int = ATTEMPTS
    ) -> Any:
        """The JSON answer of a successful call, else None (logged): a run
        record that fails must not stop the agent's run."""
        try:
            status, answer = self._send(operation, *args, body=body, attempts=attempts)
        except Exception:
            _logger.warning(
                "experiment %s: %s failed", self.experiment_id, operation, exc_info=True
            )
            return None
        if status is None or not 200 <= status < 300:
            _logger.warning(
                "experiment %s: %s failed: %s", self.experiment_id, operation, _why(status, answer)
            )
            return None
        return answer

    def _fetch_config(self) -> dict[str, Any]:
        if self._config is None:
            status, answer = self._send("get_experiment_runs", self.experiment_id)
            if status is None or not 200 <= status < 300 or not isinstance(answer, dict):
                raise ExperimentError(
                    f"cannot read experiment {self.experiment_id}: {_why(status, answer)}",
                    status_code=status,
                )
            config = answer.get("experiment")
            config = config if isinstance(config, dict) else {}
            self._variants = [
                ExperimentVariant(
                    name=str(v.get("name", "")),
                    system_prompt=str(v.get("systemPrompt") or ""),
                    description=v.get("description"),
                )
                for v in config.get("variants") or []
                if isinstance(v, dict)
            ]
            self._test_cases = [
                ExperimentTestCase(
                    session_id=str(c.get("sessionId", "")), user_input=c["userInput"]
                )
                for c in config.get("testCases") or []
                if isinstance(c, dict) and isinstance(c.get("userInput"), str) and c["userInput"]
            ]
            self._config = config
        return self._config

    # -- the published surface ------------------------------------------------------------

    @property
    def name(self) -> str:
        return str(self._fetch_config().get("name", ""))

    @property
    def status(self) -> str:
        return str(self._fetch_config().get("status", ""))

    @property
    def agent_name(self) -> str | None:
        """The agent whose sessions the test cases came from (extension), if known."""
        agent = self._fetch_config().get("agentName")
        return agent if isinstance(agent, str) and agent else None

    @property
    def variants(self) -> list[ExperimentVariant]:
        self._fetch_config()
        return list(self._variants or [])

    @property
    def test_cases(self) -> list[ExperimentTestCase]:
        """Test cases with a non-empty input (the others cannot be run)."""
        self._fetch_config()
        return list(self._test_cases or [])

    def get_variant(self, name: str) -> ExperimentVariant | None:
        return next((v for v in self.variants if v.name == name), None)

    def track_run(self, variant_name: str, base_session_id: str) -> ExperimentRunTracker:
        """A context manager recording one run by hand (see ``ExperimentRunTracker``)."""
        return ExperimentRunTracker(self, variant_name, base_session_id)

    def run(
        self,
        agent_fn: AgentFn,
        parallel: bool = False,
        max_workers: int = 4,
        *,
        on_result: Callable[[ExperimentRunResult, int, int], None] | None = None,
        flush_timeout: float = 30.0,
    ) -> list[ExperimentRunResult]:
        """Run ``agent_fn(test_case, variant, tracker)`` for every variant and test
        case, ``max_workers`` at a time when ``parallel``.

        An exception in the agent fails that run (its error recorded, as
        ``"Type: message"``) and the others go on; nothing is raised. A
        coroutine function is run to completion in its worker. Progress is
        printed a line per run, as published, unless ``on_result(result,
        done, total)`` is given. Before returning, the runs' sessions are
        flushed (up to ``flush_timeout`` seconds) so results read next are
        complete.
        """
        variants, test_cases = self.variants, self.test_cases
        self._has_capability(EXPERIMENT_SESSIONS)  # asked now, while the API answered
        pairs = [(v, c) for v in variants for c in test_cases]
        total = len(pairs)
        report = on_result or _printer(self.name, len(variants), len(test_cases), total)
        self.batch_id = "batch_" + secrets.token_urlsafe(12)

        def run_one(variant: ExperimentVariant, case: ExperimentTestCase) -> ExperimentRunResult:
            tracker = self.track_run(variant.name, case.session_id)
            tracker._batch_id = self.batch_id
            with tracker:
                try:
                    answer = agent_fn(case, variant, tracker)
                    if inspect.isawaitable(answer):
                        run_to_completion(answer)
                except Exception as exc:
                    tracker.set_error(f"{type(exc).__name__}: {exc}")
                    _logger.info("run %s x %s failed: %s", variant.name, case.session_id, exc)
            return ExperimentRunResult(
                variant_name=variant.name,
                test_case_session_id=case.session_id,
                result_session_id=tracker.result_session_id,
                success=tracker.success,
                error_message=tracker.error_message,
                run_id=tracker.run_id,
                duration_ms=tracker.duration_ms,
            )

        results: list[ExperimentRunResult] = []
        if parallel and total > 1:
            with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
                futures = [pool.submit(run_one, v, c) for v, c in pairs]
                for future in as_completed(futures):
                    results.append(future.result())
                    report(results[-1], len(results), total)
        else:
            for variant, case in pairs:
                results.append(run_one(variant, case))
                report(results[-1], len(results), total)
        self._flush(flush_timeout)
        self._config = None  # the status changed: read it again when asked
        self._confirm(results)
        if on_result is None:
            ok = sum(1 for r in results if r.success)
            print(f"\nExperiment complete!\n  Successful: {ok}/{total}")
            print(f"  Failed: {total - ok}/{total}")
            unrecorded = sum(1 for r in results if r.run_id is None)
            if unrecorded:
                print(f"  Not recorded on the API: {unrecorded}/{total}")
        return results

    def _confirm(self, results: list[ExperimentRunResult]) -> None:
        """Keep ``run_id`` only on the results whose run the server holds
        finished: what the client reports is what was recorded."""
        answer = self._request(
            "get_experiment_runs", self.experiment_id, attempts=RUN_RECORD_ATTEMPTS
        )
        runs = answer.get("runs") if isinstance(answer, dict) else None
        finished = {
            r.get("id")
            for r in runs or []
            if isinstance(r, dict) and r.get("status") in ("completed", "failed")
        }
        for result in results:
            if result.run_id not in finished:
                result.run_id = None

    def reset(self) -> bool:
        """Delete every run of the experiment (to run it again); True when done."""
        if self._request("reset_experiment_runs", self.experiment_id) is None:
            return False
        self._config = self._variants = self._test_cases = None
        return True

    def get_results(self) -> dict[str, Any]:
        """The comparison of the variants (``GET /api/experiments/{id}/results``):
        per variant success rate, durations, cost, tokens, custom metrics; the
        runs; the ``winner``. ``{}`` when it cannot be read.

        Sessions still queued in this process are flushed first."""
        self._flush(10.0)
        answer = self._request("get_experiment_results", self.experiment_id)
        return answer if isinstance(answer, dict) else {}

    def _flush(self, timeout: float) -> None:
        """Deliver the sessions queued in this process: the experiment's client's,
        and those of ``sentrial.begin``/``@session`` (the configured client),
        which agents usually record with."""
        from . import _interaction

        deadline = time.monotonic() + timeout
        self._client.flush(timeout)
        default = _interaction._default
        if default is not None and default is not self._client:
            default.flush(max(0.0, deadline - time.monotonic()))

    # -- ours -------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        name: str,
        variants: Mapping[str, str] | list[ExperimentVariant],
        *,
        from_sessions: str | None = None,
        limit: int = 20,
        test_cases: list[ExperimentTestCase] | None = None,
        description: str | None = None,
        agent_name: str | None = None,
        api_key: str | None = None,
        api_url: str | None = None,
        client: SentrialClient | AsyncSentrialClient | None = None,
    ) -> Experiment:
        """Create an experiment on the server and return it (extension).

        ``variants`` maps names to system prompts (or is a list of
        ``ExperimentVariant``); test cases are ``test_cases``, and/or the
        inputs of ``from_sessions``'s newest ``limit`` recorded sessions.
        Raises ExperimentError when the server refuses (the message names the
        field) or cannot be reached.
        """
        listed = (
            [ExperimentVariant(k, v) for k, v in variants.items()]
            if isinstance(variants, Mapping)
            else list(variants)
        )
        body: dict[str, Any] = {
            "name": name,
            "description": description,
            "agentName": agent_name,
            "variants": [
                {"name": v.name, "systemPrompt": v.system_prompt, "description": v.description}
                for v in listed
            ],
            "testCases": [
                {"sessionId": c.session_id, "userInput": c.user_input} for c in test_cases or []
            ],
        }
        if from_sessions is not None:
            body["fromSessions"] = {"agentName": from_sessions, "limit": limit}
        made = cls("", api_key, api_url, client=client)
        status, answer = made._send("create_experiment", body=body)
        experiment = answer.get("experiment") if isinstance(answer, dict) else None
        if status != 200 or not isinstance(experiment, dict) or "id" not in experiment:
            made.close()
            raise ExperimentError(
                f"cannot create experiment {name!r}: {_why(status, answer)}", status_code=status
            )
        made.experiment_id = str(experiment["id"])
        return made

    def close(self) -> None:
        """Flush and close the client this experiment made (not one it was given)."""
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Experiment:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Experiment({self.experiment_id!r})"


def _why(status: int | None, answer: Any) -> str:
    if status is None:
        return f"API unreachable ({answer})"
    if isinstance(answer, dict) and isinstance(answer.get("message"), str):
        return f"HTTP {status}: {answer['message']}"
    return f"HTTP {status}"


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def run_to_completion(awaitable: Any) -> Any:
    """Await ``awaitable`` from synchronous code: in a new event loop, on a thread
    of its own when this one already runs a loop (Jupyter, a sync Playwright)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_awaited(awaitable))
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, _awaited(awaitable)).result()


def _printer(
    name: str, variants: int, test_cases: int, total: int
) -> Callable[[ExperimentRunResult, int, int], None]:
    """The published SDK's progress lines."""
    print(f"Running experiment: {name}")
    print(f"  Variants: {variants}")
    print(f"  Test cases: {test_cases}")
    print(f"  Total runs: {total}\n")

    def report(result: ExperimentRunResult, done: int, total: int) -> None:
        mark = "✓" if result.success else "✗"
        case = result.test_case_session_id[:8]
        print(f"  [{done}/{total}] {mark} {result.variant_name} x {case}...")

    return report
