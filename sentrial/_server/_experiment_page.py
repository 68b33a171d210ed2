"""The viewer's experiment pages: ``/experiments`` and the comparison ``/experiments/{id}``.

Same rules as the rest of the viewer (``_viewer``): its page layout, escaping,
CSP headers and Host check, all imported from there, so every stored value is
escaped and only this machine is answered.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._experiments import ExperimentStore
from ._storage import Storage, StorageError
from ._viewer import _e, _money, _ms, _page, _rate, _refused, _text, rendered


def _link(kind: str, ident: Any, label: Any = None) -> str:
    if not ident:
        return ""
    href = f"/{kind}/{quote(_text(ident), safe='')}"
    return f"<a href='{_e(href)}'>{_e(label if label is not None else ident)}</a>"


def _number(value: Any, digits: int = 0) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return f"{value:,.{digits}f}"


def _metrics(metrics: Any) -> str:
    if not isinstance(metrics, dict) or not metrics:
        return ""
    return "<br>".join(f"{_e(k)}: {_e(_number(v, 3))}" for k, v in metrics.items())


def list_page(store: ExperimentStore) -> Response:
    rows = "".join(
        f"<tr class='experiment'><td>{_link('experiments', x['id'], x.get('name'))}</td>"
        f"<td>{_e(x.get('status'))}</td><td>{_e(x.get('agentName'))}</td>"
        f"<td class='num'>{len(x.get('variants') or [])}</td>"
        f"<td class='num'>{len(x.get('testCases') or [])}</td>"
        f"<td>{_e(x.get('createdAt'))}</td></tr>"
        for x in store.list()
    )
    body = (
        "<p><a href='/'>&larr; all sessions</a></p><h1>Experiments</h1>"
        "<table id='experiments'><tr><th>experiment</th><th>status</th><th>agent</th>"
        f"<th>variants</th><th>test cases</th><th>created</th></tr>{rows}</table>"
    )
    if not rows:
        body += "<p>No experiment yet: <code>sentrial experiment create</code> makes one.</p>"
    return _page("Experiments", body)


def comparison_page(store: ExperimentStore, experiment_id: str) -> Response:
    """Variants side by side (success rate, durations, cost, tokens, custom
    metrics), then every run linked to the session it recorded."""
    from ._viewer_signals import production_table

    try:
        results = store.results(experiment_id)
    except StorageError as exc:
        return _refused(exc)
    experiment = results["experiment"]
    winner = results["winner"]
    variant_rows = "".join(
        f"<tr class='variant' data-variant='{_e(v['name'])}'>"
        f"<td>{_e(v['name'])}{' <b class=completed>winner</b>' if v['name'] == winner else ''}"
        f"</td><td class='num'>{v['runs']}</td>"
        f"<td class='num rate'>{_rate(v['successRate'])}</td>"
        f"<td class='num'>{_ms(v['meanDurationMs'])}</td>"
        f"<td class='num'>{_ms(v['p95DurationMs'])}</td>"
        f"<td class='num'>{_money(v['totalCost'])}</td>"
        f"<td class='num'>{_number(v['totalTokens'])}</td>"
        f"<td>{_metrics(v['customMetrics'])}</td></tr>"
        for v in results["variants"]
    )
    prompts = {v["name"]: v.get("systemPrompt") for v in experiment.get("variants") or []}
    prompt_rows = "".join(
        f"<tr><td>{_e(name)}</td><td><pre>{_e(prompt)}</pre></td></tr>"
        for name, prompt in prompts.items()
    )
    inputs = {c["sessionId"]: c.get("userInput") for c in experiment.get("testCases") or []}
    # Runs of one test case side by side, variants in their order.
    cases, names = list(inputs), list(prompts)
    ordered = sorted(
        results["runs"],
        key=lambda r: (
            cases.index(r["baseSessionId"]) if r["baseSessionId"] in inputs else len(cases),
            names.index(r["variantName"]) if r["variantName"] in prompts else len(names),
        ),
    )
    run_rows = "".join(
        f"<tr class='run{' error' if r['success'] is False else ''}'>"
        f"<td>{_e(r['variantName'])}</td>"
        f"<td>{_link('sessions', r['baseSessionId'], inputs.get(r['baseSessionId']))}</td>"
        f"<td class='{_e(r['status'])}'>{_e(r['status'])}</td>"
        f"<td>{_link('sessions', r['resultSessionId'])}</td>"
        f"<td class='num'>{_ms(r['durationMs'])}</td>"
        f"<td class='num'>{_money(r['estimatedCost'])}</td>"
        f"<td class='num'>{_number(r['totalTokens'])}</td>"
        f"<td>{_e(r['errorMessage'])}</td></tr>"
        for r in ordered
    )
    body = (
        "<p><a href='/experiments'>&larr; all experiments</a></p>"
        f"<h1>{_e(experiment.get('name'))}</h1>"
        f"<p><span id='status'>{_e(experiment.get('status'))}</span> &middot; "
        f"{len(prompts)} variants &middot; {len(inputs)} test cases"
        + (
            f" &middot; agent <b>{_e(experiment.get('agentName'))}</b>"
            if experiment.get("agentName")
            else ""
        )
        + "</p>"
        + (f"<p>{_e(experiment.get('description'))}</p>" if experiment.get("description") else "")
        + "<h2>Variants</h2><table id='variants'><tr><th>variant</th><th>runs</th>"
        "<th>success rate</th><th>mean duration</th><th>p95 duration</th><th>cost</th>"
        f"<th>tokens</th><th>custom metrics</th></tr>{variant_rows}</table>"
        + production_table(store.storage, experiment_id, list(prompts))
        + f"<h2>Runs</h2><table id='runs'><tr><th>variant</th><th>test case</th><th>status</th>"
        "<th>session</th><th>duration</th><th>cost</th><th>tokens</th><th>error</th></tr>"
        f"{run_rows}</table>"
        f"<h2>Prompts</h2><table id='prompts'><tr><th>variant</th><th>system prompt</th></tr>"
        f"{prompt_rows}</table>"
    )
    return _page(experiment.get("name"), body)


def experiment_page_routes(storage: Storage) -> list[Route]:
    """``/experiments`` and ``/experiments/{id}``, rendered in a worker thread."""
    store = ExperimentStore(storage)

    async def experiments(request: Request) -> Response:
        return await rendered(lambda: list_page(store))

    async def experiment(request: Request) -> Response:
        return await rendered(lambda: comparison_page(store, request.path_params["id"]))

    return [
        Route("/experiments", experiments, methods=["GET"]),
        Route("/experiments/{id}", experiment, methods=["GET"]),
    ]
