"""Viewer pages over HTTP, without a browser: what the stored shapes render as."""

from __future__ import annotations

import re

import httpx

from sentrial._server import LocalServer

SCRIPT = "<script>alert(1)</script>"


def _page(server: LocalServer, path: str) -> str:
    answer = httpx.get(server.url + path)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_anthropic_and_openai_shapes_render_as_chat(sentrial_server: LocalServer) -> None:
    storage = sentrial_server.storage
    sid = storage.create_session({"name": "chat", "agentName": "a", "userId": "u"})["id"]
    storage.create_event(
        {
            "sessionId": sid,
            "eventType": "llm_call",
            "model": "claude-haiku-4-5",
            "input": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Weather in " + SCRIPT}]},
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "18C"}],
                },
            ],
            "output": ["Checking.", {"tool_use": "get_weather", "input": {"city": "Lisbon"}}],
        }
    )
    storage.create_event(
        {
            "sessionId": sid,
            "eventType": "llm_call",
            "model": "gpt-4o-mini",
            "input": "a bare prompt",
            "output": {
                "content": None,
                "tool_calls": [
                    {"type": "function", "function": {"name": "lookup", "arguments": '{"id":7}'}}
                ],
            },
        }
    )
    text = _page(sentrial_server, f"/sessions/{sid}")
    roles = re.findall(r"<div class='msg (\w+)'><div class='role'>([^<]*)</div>", text)
    assert roles == [
        ("system", "system"),
        ("user", "user"),
        ("user", "user"),
        ("assistant", "assistant"),
        ("user", "user"),
        ("assistant", "assistant"),
    ]
    assert "Weather in &lt;script&gt;alert(1)&lt;/script&gt;" in text and SCRIPT not in text
    assert "<span class='tag'>tool result</span><pre>18C</pre>" in text
    assert "<b>get_weather</b><pre>{\n  &quot;city&quot;: &quot;Lisbon&quot;\n}</pre>" in text
    assert "<b>lookup</b><pre>{&quot;id&quot;:7}</pre>" in text
    assert "<pre>a bare prompt</pre>" in text


def test_money_and_missing_values_never_show_as_zeros(sentrial_server: LocalServer) -> None:
    storage = sentrial_server.storage
    tiny = storage.create_session({"name": "tiny", "agentName": "a", "userId": "u"})["id"]
    storage.update_session(tiny, {"success": True, "estimatedCost": 0.0000123, "durationMs": 61500})
    storage.create_session({"name": "bare", "agentName": "a", "userId": "u"})
    text = _page(sentrial_server, "/")
    assert "$0.0000123" in text and "1 min 2 s" in text  # 61.5 s
    assert "$0.000000" not in text and "NaN" not in text and "None" not in text
    bare = re.search(r"<tr class='session'><td><a [^>]*>bare</a>.*?</tr>", text)
    assert bare is not None
    cells = re.findall(r"<td class='num'>([^<]*)</td>", bare.group(0))
    assert cells == ["", "", "", "0"]  # duration, tokens, cost: absent; events: 0


def test_the_overview_and_unknown_pages(sentrial_server: LocalServer) -> None:
    assert "No sessions yet." in _page(sentrial_server, "/overview")
    missing = httpx.get(sentrial_server.url + "/sessions/nope/extra/parts")
    assert missing.status_code == 404 and "id='home'" in missing.text
    assert "Content-Security-Policy" in missing.headers
    api = httpx.get(sentrial_server.url + "/api/sdk/nothing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/json"
    posted = httpx.post(sentrial_server.url + "/anything")
    assert posted.status_code == 404 and posted.headers["content-type"] == "application/json"
    assert httpx.get(sentrial_server.url + "/?from=2026-13-01").status_code == 400


def test_every_viewer_page_answers_only_this_machine(sentrial_server: LocalServer) -> None:
    evil = {"Host": f"evil.example:{sentrial_server.port}"}
    for path in ("/overview", "/sessions/s/events/e", "/no/such/page", "/?q=x"):
        answer = httpx.get(sentrial_server.url + path, headers=evil)
        assert answer.status_code == 421, (path, answer.status_code)
        assert httpx.get(sentrial_server.url + path).status_code in (200, 404), path
