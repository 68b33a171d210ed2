"""The session viewer served by ``sentrial serve`` at ``/``: plain server-rendered HTML.

No JavaScript framework and no CDN, so it works offline. Served only when the
server listens on a loopback address: it reads the store without a key.

It renders what clients stored, so it trusts none of it:

- every value is escaped, whatever its type (a store may hold a string where
  a number belongs: written by a former version, or past the API);
- pages carry a Content-Security-Policy that runs no script at all and loads
  nothing but the page's own stylesheet (allowed by its hash);
- only requests whose ``Host`` names this machine (``localhost``, a loopback
  address, or the host the server was started on) are answered, by every
  route of the server (:class:`OnlyThisMachine`); any other name gets 421. A
  web page cannot read the viewer or call the API through a domain of its
  own that resolves to 127.0.0.1 (DNS rebinding).
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .._serve import is_loopback
from . import _json
from ._app import EVERY_METHOD, error_response
from ._storage import RETRY_AFTER, Storage, StorageError, Unavailable

_STYLE = """
:root{color-scheme:light dark;--bg:#fafbfc;--fg:#1d2330;--card:#fff;--line:#e3e6ea;
--head:#f0f2f5;--link:#2155c4;--muted:#5f6b7a;--bad:#b3261e;--ok:#1a7f37;--warn:#8a6d00;
--errbg:#fdecea;--bar:#6b7c99;--tool:#2f8f5b;--llm:#7a4fd0;--dec:#c27c0e;--child:#2a6fdb;
--user:#eef3fd;--asst:#f1f7ee;--sys:#f4f4f4}
@media (prefers-color-scheme:dark){:root{--bg:#11151b;--fg:#dde2ea;--card:#181d25;
--line:#2a313c;--head:#1f2630;--link:#8ab4ff;--muted:#97a2b3;--bad:#ff8a80;--ok:#6fd08c;
--warn:#e6c15a;--errbg:#3a1d1d;--bar:#8592a8;--tool:#4cc38a;--llm:#a98bf0;--dec:#f0a93a;
--child:#6ea2ff;--user:#1b2740;--asst:#1c2b1f;--sys:#242424}}
body{font-family:system-ui,sans-serif;margin:2rem;color:var(--fg);background:var(--bg)}
main,.page{max-width:90rem;margin:0 auto}
h1{font-size:1.4rem;overflow-wrap:anywhere}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{border-bottom:1px solid var(--line);padding:.4rem .6rem;text-align:left;font-size:.9rem;
vertical-align:top;overflow-wrap:anywhere}
th{background:var(--head)}a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
.failed{color:var(--bad);font-weight:600}.completed{color:var(--ok)}.active{color:var(--warn)}
tr.error td{background:var(--errbg)}
form{margin:1rem 0;display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
input,select,button{padding:.3rem;font:inherit;color:inherit;background:var(--card);
border:1px solid var(--line);border-radius:4px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%;margin:.3rem 0;
background:var(--head);padding:.4rem;border-radius:4px}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.muted{color:var(--muted)}nav{display:flex;gap:1rem;margin-bottom:1rem}
dl.summary{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.5rem;
margin:1rem 0}dl.summary div{background:var(--card);border:1px solid var(--line);
border-radius:6px;padding:.4rem .6rem}dt{font-size:.75rem;color:var(--muted)}
dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.io{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1rem}
button.copy{font-size:.75rem;padding:.1rem .4rem;cursor:pointer}
table.waterfall td{padding:.15rem .5rem}td.track{width:40%;min-width:8rem}
.timeline{display:grid;grid-template-columns:minmax(0,1fr) minmax(16rem,26rem);gap:1rem;
align-items:start}@media (max-width:1000px){.timeline{grid-template-columns:1fr}}
aside.detail{position:sticky;top:.5rem;background:var(--card);border:1px solid var(--line);
border-radius:6px;padding:.5rem .7rem;max-height:92vh;overflow:auto;font-size:.85rem}
aside.detail h3{font-size:1rem;margin:.2rem 0;overflow-wrap:anywhere}
aside.detail h4{font-size:.8rem;color:var(--muted);margin:.6rem 0 .1rem}
dl.facts{display:grid;grid-template-columns:auto 1fr;gap:.1rem .6rem;margin:.3rem 0}
dl.facts dd{font-weight:400}
td.step{white-space:nowrap;max-width:24rem;overflow:hidden;text-overflow:ellipsis}
tr.bar[data-src]{cursor:pointer}tr.bar.sel td{background:var(--head)}
tr.bar:focus-visible{outline:2px solid var(--link)}
.legend{display:flex;gap:1rem;flex-wrap:wrap;font-size:.8rem;color:var(--muted);margin:.3rem 0}
i.sw{display:inline-block;width:.7rem;height:.7rem;border-radius:2px;margin-right:.35rem;
vertical-align:-.05rem;background:var(--bar)}i.sw.tool_call{background:var(--tool)}
i.sw.llm_call{background:var(--llm)}i.sw.llm_decision{background:var(--dec)}
i.sw.error{background:var(--bad)}i.sw.child{background:var(--child)}
i.sw.trace,i.sw.session{background:var(--muted)}.d5{padding-left:6.2rem}.d6{padding-left:7.4rem}
td.track svg{width:100%;height:.9rem;display:block}td.track rect{fill:var(--bar)}
tr.tool_call rect{fill:var(--tool)}tr.llm_call rect{fill:var(--llm)}
tr.llm_decision rect{fill:var(--dec)}tr.error rect{fill:var(--bad)}tr.child rect{fill:var(--child)}
tr.trace rect{fill:var(--muted);opacity:.35}tr.session rect{fill:var(--muted);opacity:.5}
#events td.at,#events td.kind{white-space:nowrap}#events td.name{min-width:7rem}
#events td.detail{width:60%}.d1{padding-left:1.4rem}.d2{padding-left:2.6rem}.d3{padding-left:3.8rem}
.d4{padding-left:5rem}.kv code{overflow-wrap:anywhere}.actions{margin-top:.2rem}
.chat{display:flex;flex-direction:column;gap:.4rem;max-width:60rem}
.msg{border:1px solid var(--line);border-radius:6px;padding:.3rem .6rem;background:var(--sys)}
.msg.user{background:var(--user)}.msg.assistant{background:var(--asst)}
.msg .role{font-size:.75rem;font-weight:600;color:var(--muted);text-transform:uppercase}
.msg pre{background:transparent;padding:0}.tag{font-size:.75rem;color:var(--muted)}
ul.alts{margin:.2rem 0}.charts{display:grid;
grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem}
figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:6px;
padding:.5rem}figcaption{font-size:.8rem;color:var(--muted)}
svg.chart{width:100%;height:4rem;display:block}svg.chart polyline{fill:none;
stroke:var(--link);stroke-width:2;vector-effect:non-scaling-stroke}
svg.chart polyline.p95{stroke:var(--dec)}svg.chart rect{fill:var(--link)}
"""

# The one script: copy buttons, the timeline's detail panel (a row picked
# shows its event's JSON, fetched), and live updates of the element marked
# data-live (the page is fetched again and that element swapped when its
# data-stamp changed). Allowed by its hash: the CSP runs nothing else.
_SCRIPT = """
(function(){
document.addEventListener('click',function(e){
var b=e.target.closest('button.copy');if(!b||!navigator.clipboard)return;
var t=document.getElementById(b.dataset.for||''),a=b.previousElementSibling;
var text=a&&a.classList.contains('json')?fetch(a.href).then(function(r){return r.text();}):
Promise.resolve(t?t.textContent:'');
navigator.clipboard.write([new ClipboardItem({'text/plain':text.then(function(x){
return new Blob([x],{type:'text/plain'});})})]).then(function(){b.textContent='copied';
setTimeout(function(){b.textContent='copy';},1200);});});
var picked=null;
function put(panel,tag,text){var n=document.createElement(tag);n.textContent=text;
panel.appendChild(n);return n;}
function pick(row){var panel=document.getElementById('detail');if(!panel)return;
[].forEach.call(document.querySelectorAll('tr.bar.sel'),function(r){r.classList.remove('sel');});
row.classList.add('sel');picked=row.dataset.src;var cells=row.cells;
fetch(row.dataset.src,{cache:'no-store'}).then(function(r){return r.ok?r.json():null;})
.then(function(ev){if(!ev||picked!==row.dataset.src)return;panel.textContent='';
put(panel,'h3',ev.toolName||ev.model||ev.eventType||'step');
var facts=[['type',ev.eventType],['model',ev.model],['provider',ev.provider],
['started',ev.timestamp],['start',cells[2].textContent],['duration',cells[3].textContent],
['tokens',cells[4].textContent],['cost',cells[5].textContent]];
var dl=document.createElement('dl');dl.className='facts';panel.appendChild(dl);
facts.forEach(function(f){if(f[1]==null||f[1]==='')return;put(dl,'dt',f[0]);put(dl,'dd',f[1]);});
function full(v){return v!=null&&v!==''&&!(typeof v==='object'&&Object.keys(v).length===0);}
[['input',full(ev.input)?ev.input:ev.toolInput],['output',full(ev.output)?ev.output:ev.toolOutput],
['error',ev.toolError],['reasoning',ev.reasoning],['metadata',ev.metadata],['JSON',ev]]
.forEach(function(s){if(!full(s[1]))return;put(panel,'h4',s[0]).className='d-'+s[0];
put(panel,'pre',typeof s[1]==='string'?s[1]:JSON.stringify(s[1],null,2)).className='d-'+s[0];});
}).catch(function(){});}
document.addEventListener('click',function(e){if(e.target.closest('a'))return;
var row=e.target.closest('tr.bar[data-src]');if(row)pick(row);});
document.addEventListener('keydown',function(e){if(e.key!=='Enter')return;
var row=e.target.closest&&e.target.closest('tr.bar[data-src]');if(row)pick(row);});
var live=document.querySelector('[data-live]');if(!live)return;
var every=parseInt(live.dataset.live,10)||2000,busy=false;
setInterval(function(){
if(busy||document.hidden)return;busy=true;
fetch(location.href,{cache:'no-store'}).then(function(r){return r.ok?r.text():null;})
.then(function(text){
var now=document.querySelector('[data-live]');if(!text||!now)return;
var fresh=new DOMParser().parseFromString(text,'text/html').querySelector('[data-live]');
if(!fresh||fresh.dataset.stamp===now.dataset.stamp)return;
var open=[].map.call(now.querySelectorAll('details[open][id]'),function(d){return d.id;});
now.replaceWith(document.adoptNode(fresh));
open.forEach(function(id){var d=document.getElementById(id);if(d)d.open=true;});
if(picked){var again=[].filter.call(document.querySelectorAll('tr.bar[data-src]'),
function(r){return r.dataset.src===picked;})[0];if(again)pick(again);}
}).catch(function(){}).finally(function(){busy=false;});
},every);
})();
"""


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


_STYLE_HASH = _sha256(_STYLE)
_SCRIPT_HASH = _sha256(_SCRIPT)
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; "
        f"script-src 'sha256-{_SCRIPT_HASH}'; connect-src 'self'; img-src 'none'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _page(title: Any, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>"
        f"<body><div class='page'>{body}</div><script>{_SCRIPT}</script></body></html>",
        status_code=status,
        headers=HEADERS,
    )


_TIME_TEXT = re.compile(r"(<time [^>]*>)[^<]*</time>")


def _live(body: str, every_ms: int = 2000) -> str:
    """``body`` in the element the script refreshes: stamped with a digest of its markup."""
    # Relative times ("5 s ago") age by themselves: only a change of the data counts.
    data = _TIME_TEXT.sub(r"\1</time>", body)
    stamp = hashlib.sha1(data.encode(), usedforsecurity=False).hexdigest()[:16]
    return f"<div id='live' data-live='{every_ms}' data-stamp='{stamp}'>{body}</div>"


def _not_found(message: Any) -> HTMLResponse:
    """The viewer's 404: what was not found, and the way back."""
    return _page(
        "Not found",
        "<h1>Not found</h1>"
        f"<p>{_e(message)}</p>"
        "<p><a id='home' href='/'>&larr; all sessions</a></p>",
        404,
    )


def _text(value: Any) -> str:
    """Any stored value as text: strings as they are, the rest as JSON, None as ''."""
    if value is None:
        return ""
    return value if isinstance(value, str) else _json.dumps(value).decode()


def _e(value: Any) -> str:
    """Any stored value as escaped text (see _text)."""
    return html.escape(_text(value))


def _number(value: Any) -> float | None:
    """A JSON number as a float (None for anything else, or past a float's range)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def _money(value: Any) -> str:
    """A cost in dollars with the digits that matter ('' when there is none)."""
    number = _number(value)
    if number is None:
        return ""
    if number == 0:
        return "$0"
    if abs(number) >= 1:
        return f"${number:,.2f}"
    # Four significant digits, never in exponent form: $0.0123, $0.0000123.
    digits = min(12, max(2, 3 - math.floor(math.log10(abs(number)))))
    return "$" + (f"{number:.{digits}f}".rstrip("0").rstrip(".") or "0")


def _ms(value: Any) -> str:
    """A duration in ms as people read it: 850 ms, 2.4 s, 3 min 5 s ('' when there is none)."""
    number = _number(value)
    if number is None:
        return ""
    if abs(number) < 1000:
        return f"{number:,.0f} ms"
    if abs(number) < 60_000:
        return f"{number / 1000:.1f} s"
    minutes, seconds = divmod(number / 1000, 60)
    return f"{minutes:,.0f} min {seconds:.0f} s"


def _rate(value: Any) -> str:
    number = _number(value)
    return "" if number is None else f"{number:.0%}"


def _count(value: Any) -> str:
    return _e(value) if _number(value) is not None else ""


def _pretty(value: Any) -> str:
    return _e(_json.dumps(value, option=orjson.OPT_INDENT_2).decode())


def _tokens(event: dict[str, Any]) -> Any:
    """Prompt plus completion tokens of an LLM call, else the event's tokenCount."""
    parts = [event.get(k) for k in ("promptTokens", "completionTokens")]
    total: Any = 0
    for part in parts:
        if _number(part) is not None:
            total += part
    if total:
        return total
    count = event.get("tokenCount")
    return count if _number(count) is not None else ""


def _us(value: Any) -> int | None:
    """Microseconds since the epoch of a stored RFC 3339 time (None if it is none)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ago(seconds: float) -> str:
    if seconds < 0:
        return "in the future"
    for size, unit in ((86400 * 365, "y"), (86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size:.0f} {unit} ago"
    return "just now" if seconds < 5 else f"{seconds:.0f} s ago"


def _when(value: Any) -> str:
    """A stored time as relative text ('3 min ago'), the exact time on hover."""
    us = _us(value)
    if us is None:
        return _e(value)
    exact = _e(f"{value[:10]} {value[11:19]} UTC")  # the store writes UTC times ("...Z")
    ago = _ago(time.time() - us / 1e6)
    return f"<time datetime='{_e(value)}' title='{exact}'>{ago}</time>"


def _href(*parts: Any) -> str:
    """A path of the viewer (escaped for an attribute): each part percent-encoded."""
    return _e("/" + "/".join(quote(_text(p), safe="") for p in parts))


def _copyable(element_id: str, value: Any, label: str = "JSON") -> str:
    """``value`` as indented JSON (strings as they are) with a button copying it."""
    text = value if isinstance(value, str) else _json.dumps(value, option=orjson.OPT_INDENT_2)
    shown = text if isinstance(text, str) else text.decode()
    return (
        f"<div class='copyable'><span class='tag'>{_e(label)}</span> "
        f"<button type='button' class='copy' data-for='{_e(element_id)}'>copy</button>"
        f"<pre id='{_e(element_id)}'>{html.escape(shown)}</pre></div>"
    )


def _host_name(header: str) -> str:
    """The name in a Host header, without the port or IPv6 brackets, lowercased."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else ""
    name, _, port = header.rpartition(":")
    return name if name and port.isdigit() and ":" not in name else header


class OnlyThisMachine:
    """ASGI middleware of a loopback-bound server: every route (the API, the
    viewer, unknown paths) answers only requests whose ``Host`` names this
    machine; any other name gets 421. A page on a domain of its own that
    resolves to 127.0.0.1 (DNS rebinding) would otherwise read the store, and
    write to it with the well-known local key."""

    def __init__(self, app: ASGIApp, host: str | None = None) -> None:
        self.app = app
        self.names = {host.lower()} if host else set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            name = _host_name(Headers(scope=scope).get("host", ""))
            if not (name and (name in self.names or is_loopback(name))):
                await _misdirected(scope["path"])(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _misdirected(path: str) -> Response:
    what = "This server answers only under localhost or a loopback address"
    if path.startswith("/api/"):
        return error_response(421, "Misdirected Request", f"Host: {what} (DNS rebinding)")
    return _page(
        "Misdirected request",
        f"<h1>Misdirected request</h1><p>{what}: <code>localhost</code>, 127.0.0.1, ::1.</p>",
        status=421,
    )


SESSIONS_PER_PAGE = 200
EVENTS_PER_PAGE = 1000


def _refused(exc: StorageError) -> HTMLResponse:
    """What the store refused (a bad cursor, an unknown id, an outage) as a page
    with the API's status; an outage (503) with Retry-After, as the API."""
    page = _page(exc.title, f"<h1>{_e(exc.title)}</h1><p>{_e(exc.message)}</p>", exc.status)
    if isinstance(exc, Unavailable):
        page.headers["Retry-After"] = str(RETRY_AFTER)
    return page


def rendered(render: Callable[[], Response]) -> Awaitable[Response]:
    """``render()`` in a worker thread (the event loop keeps answering meanwhile);
    what the store refuses on the way is a page (see _refused), not a 500."""

    def safely() -> Response:
        try:
            return render()
        except StorageError as exc:
            return _refused(exc)

    return run_in_threadpool(safely)


def viewer_routes(storage: Storage) -> list[Route]:
    """The viewer's routes (behind :class:`OnlyThisMachine`, like every route).

    Pages are read and rendered in a worker thread (the event loop keeps
    answering meanwhile), each from indexed queries: a page of sessions or
    events at a time, the next one linked by a cursor (keyset pagination).
    """
    from ._viewer_list import overview_page, sessions_page
    from ._viewer_session import event_json, session_page

    def route(path: str, render: Callable[[Storage, Request], Response]) -> Route:
        async def handler(request: Request) -> Response:
            return await rendered(lambda: render(storage, request))

        return Route(path, handler, methods=["GET"])

    async def no_page(request: Request) -> Response:
        return _not_found(f"There is no page at {request.url.path}.")

    async def anything_else(request: Request) -> Response:
        # The API's paths, and methods but GET, keep the API's JSON answers.
        if request.url.path.startswith("/api/") or request.method not in ("GET", "HEAD"):
            raise HTTPException(404, "Not Found")
        return await no_page(request)

    return [
        route("/", sessions_page),
        route("/overview", overview_page),
        route("/sessions/{id}", session_page),
        route("/sessions/{id}/events/{event_id}", event_json),
        Route("/{path:path}", anything_else, methods=EVERY_METHOD),
    ]
