"""A customer-support agent instrumented with sentrial.

It looks up orders, searches a knowledge base, decides whether to refund, asks
an LLM to write the reply (through a wrapped OpenAI client) and emails it. One
of the runs fails on purpose, to show what a failed session looks like.

Offline by default: with no ``OPENAI_API_KEY`` it talks to sentrial's local
model stand-in; with a key, to the real API. Sentrial itself is configured
from ``SENTRIAL_API_URL`` / ``SENTRIAL_API_KEY`` (``make demo`` sets both to
the local server).

    python examples/support_agent.py
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from typing import Any

import openai

import sentrial

ORDERS = {
    "A-1001": {"status": "delivered", "total": 42.50, "email": "ana@example.com"},
    "A-1002": {"status": "in transit", "total": 19.99, "email": "ben@example.com"},
    "A-1003": {"status": "lost", "total": 120.00, "email": "chen@example.com"},
}
ARTICLES = {
    "refund": "Refunds go back to the original payment method within 5 business days.",
    "password": "Reset your password from Settings > Security; the link lasts one hour.",
    "shipping": "Orders in transit arrive within 3-5 days; tracking is in the email.",
}


@sentrial.tool
def lookup_order(order_id: str) -> dict[str, Any]:
    if order_id not in ORDERS:
        raise KeyError(f"unknown order {order_id}")
    return ORDERS[order_id]


@sentrial.tool("search_kb")
def search_knowledge_base(query: str) -> list[str]:
    return [text for key, text in ARTICLES.items() if key in query.lower()]


@sentrial.tool
def issue_refund(order_id: str, amount: float) -> dict[str, Any]:
    return {"order_id": order_id, "refunded": amount, "reference": f"RF-{order_id[-4:]}"}


@sentrial.tool
def send_email(to: str, body: str) -> dict[str, str]:
    return {"status": "queued", "to": to}


def handle(llm: Any, user_id: str, order_id: str, question: str) -> str:
    with sentrial.begin(
        user_id=user_id,
        event="support_agent",
        input=question,
        metadata={"channel": "chat", "order": order_id},
    ) as interaction:
        order = lookup_order(order_id)
        articles = search_knowledge_base(question)
        refund = order["status"] == "lost" or "refund" in question.lower()
        interaction.track_decision(
            reasoning=f"order is {order['status']}; "
            + ("customer is owed a refund" if refund else "answer from the KB"),
            alternatives=["refund", "answer", "escalate"],
            confidence=0.9 if refund else 0.7,
        )
        if refund:
            issue_refund(order_id, order["total"])
        completion = llm.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {
                    "role": "system",
                    "content": "You are a concise support agent. Context: " + " ".join(articles),
                },
                {"role": "user", "content": question},
            ],
        )
        reply = completion.choices[0].message.content or ""
        send_email(order["email"], reply)
        interaction.set_output(reply)
        return reply


def main() -> int:
    sentrial.configure()  # SENTRIAL_API_URL / SENTRIAL_API_KEY from the environment
    with ExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY"):
            llm = openai.OpenAI()
        else:  # offline: a deterministic local stand-in for the OpenAI API
            from sentrial._server import ASGIThread, create_llm_app

            standin = stack.enter_context(ASGIThread(create_llm_app()))
            llm = openai.OpenAI(api_key="offline", base_url=standin.url + "/v1")
        sentrial.wrap_openai(llm)
        runs = [
            ("ana", "A-1001", "I want a refund for my order"),
            ("ben", "A-1002", "When will my shipping arrive?"),
            ("chen", "A-1003", "My package is lost, what now?"),
            ("dee", "A-9999", "Where is my order?"),  # unknown order: this run fails
        ]
        for user, order, question in runs:
            try:
                reply = handle(llm, user, order, question)
                print(f"{user:>5}: {reply}")
            except KeyError as exc:
                print(f"{user:>5}: failed ({exc})")
    delivered = sentrial.flush(10)
    print(f"tracked {sentrial.get_client().stats()['sent']} operations, delivered: {delivered}")
    return 0 if delivered else 1


if __name__ == "__main__":
    sys.exit(main())
