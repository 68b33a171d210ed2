/**
 * Servers that are not ours: a plain Sentrial server gets documented bodies
 * only (one request per operation, its own ids); a batch server's faults are
 * retried, split and waited out as the policy says.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { SentrialClient } from "../src/index.js";
import { API_KEY, DOCUMENTED_FIELDS, StandIn, type StandInOptions, memoryLogger } from "./helpers.js";

async function withStandIn(options: StandInOptions, run: (standIn: StandIn, sentrial: SentrialClient) => Promise<void>): Promise<void> {
  const standIn = await new StandIn(options).start();
  const logger = memoryLogger();
  const sentrial = new SentrialClient({ apiKey: API_KEY, apiUrl: standIn.url, flushOnExit: false, logger, flushIntervalMs: 20 });
  try {
    await run(standIn, sentrial);
  } finally {
    await sentrial.shutdown(1000);
    await standIn.stop();
  }
}

describe("a plain Sentrial server (documented endpoints only)", () => {
  test("documented bodies, its own ids, each session in order, LLM calls as llm:<provider>:<model> tool calls", async () => {
    await withStandIn({ mode: "plain" }, async (standIn, sentrial) => {
      const sessions: string[] = [];
      for (let s = 0; s < 3; s++) {
        const sessionId = await sentrial.createSession({ name: `s${s}`, agentName: "a", userId: "u", metadata: { s } });
        sessions.push(sessionId);
        await sentrial.trackToolCall({ sessionId, toolName: "search", toolInput: { q: s }, toolOutput: { n: 1 }, durationMs: 12 });
        await sentrial.trackLlmCall({
          sessionId,
          model: "gpt-4o",
          provider: "openai",
          promptTokens: 100,
          completionTokens: 10,
          input: [{ role: "user", content: "hi" }],
          output: "hello",
          durationMs: 300,
          metadata: { mine: true },
        });
        await sentrial.trackDecision({ sessionId, reasoning: "done", alternatives: ["x"], confidence: 0.5 });
        await sentrial.completeSession({ sessionId, success: true });
      }
      assert.ok(await sentrial.flush(10_000), JSON.stringify(sentrial.stats()));
      assert.deepEqual(standIn.rejections, []);
      const paths = standIn.paths();
      assert.ok(paths.every((p) => !p.includes("/api/sdk/batch")), "no batch request to a server without it");
      assert.equal(paths.filter((p) => p === "POST /api/sdk/sessions").length, 3);

      for (const request of standIn.requests.filter((r) => r.method !== "GET")) {
        const on = request.path === "/api/sdk/sessions" ? "session" : request.path === "/api/sdk/events" ? "event" : "update";
        for (const key of Object.keys(request.body as object)) assert.ok(DOCUMENTED_FIELDS[on].has(key), `${on}.${key}`);
      }
      const serverIds = [...standIn.sessions.keys()];
      assert.equal(serverIds.length, 3);
      assert.ok(serverIds.every((id) => id.startsWith("sess_standin")));
      for (const serverId of serverIds) {
        const events = standIn.eventsOf(serverId);
        assert.deepEqual(
          events.map((e) => e["eventType"]),
          ["tool_call", "tool_call", "llm_decision"],
        );
        const [tool, llm] = events as [Record<string, unknown>, Record<string, unknown>];
        assert.deepEqual(tool["metadata"], { duration_ms: 12 });
        assert.equal(llm["toolName"], "llm:openai:gpt-4o");
        assert.deepEqual(llm["toolInput"], { messages: [{ role: "user", content: "hi" }], model: "gpt-4o", provider: "openai" });
        assert.deepEqual(llm["toolOutput"], {
          content: "hello",
          tokens: { prompt: 100, completion: 10, total: 110 },
          cost_usd: (100 * 2.5 + 10 * 10) / 1e6,
        });
        assert.deepEqual(llm["metadata"], {
          provider: "openai",
          model: "gpt-4o",
          duration_ms: 300,
          prompt_tokens: 100,
          completion_tokens: 10,
          mine: true,
        });
        const session = standIn.sessions.get(serverId) as Record<string, unknown>;
        assert.equal(session["status"], "completed");
        assert.equal(session["promptTokens"], 100);
      }
      // Each session's operations went in order: create before its events, events before the update.
      for (const [i, serverId] of serverIds.entries()) {
        const mine = standIn.requests.filter(
          (r) =>
            r.method !== "GET" &&
            ((r.path === "/api/sdk/sessions" && (r.body as { name?: string }).name === `s${i}`) ||
            (r.body as { sessionId?: string }).sessionId === serverId ||
            r.path === `/api/sdk/sessions/${serverId}`),
        );
        assert.deepEqual(
          mine.map((r) => r.method + (r.path === "/api/sdk/events" ? " event" : "")),
          ["POST", "POST event", "POST event", "POST event", "PATCH"],
        );
      }
      assert.ok(sessions.every((id) => !standIn.sessions.has(id)), "the server's ids, not ours");
    });
  });

  test("many sessions go over several connections at once", async () => {
    await withStandIn({ mode: "plain", latencyMs: 20 }, async (standIn, sentrial) => {
      for (let s = 0; s < 40; s++) {
        const sessionId = await sentrial.createSession({ name: `s${s}`, agentName: "a", userId: "u" });
        await sentrial.trackToolCall({ sessionId, toolName: "t" });
        await sentrial.completeSession({ sessionId });
      }
      assert.ok(await sentrial.flush(20_000));
      assert.equal(standIn.events.length, 40);
      assert.ok(standIn.maxInFlight >= 4, `at most ${standIn.maxInFlight} request(s) at once`);
      assert.ok(standIn.maxInFlight <= 32, "maxConcurrency");
    });
  });

  test("5xx and 429 are retried (after Retry-After); 400 is dropped, counted and logged once", async () => {
    const faults = [{ status: 503 }, { status: 429, retryAfter: "1" }];
    await withStandIn({ mode: "plain", faults }, async (standIn, sentrial) => {
      const started = performance.now();
      const sessionId = await sentrial.createSession({ name: "s", agentName: "a", userId: "u" });
      await sentrial.trackToolCall({ sessionId, toolName: "t" });
      assert.ok(await sentrial.flush(10_000));
      assert.ok(performance.now() - started >= 1000, "waited Retry-After");
      assert.equal(standIn.events.length, 1);
      assert.equal(sentrial.stats().retried, 2);
      // An undocumented event type never reaches a plain server as such:
      // the strict stand-in would answer 400 (dropped as rejected_400).
      standIn.options.faults = [{ status: 400 }];
      await sentrial.trackToolCall({ sessionId, toolName: "bad" });
      assert.equal(await sentrial.flush(10_000), false);
      assert.equal(sentrial.stats().dropped["rejected_400"], 1);
    });
  });
});

describe("a server with the batch endpoint", () => {
  test("batches: one request per batch, in order", async () => {
    await withStandIn({ mode: "batch" }, async (standIn, sentrial) => {
      const sessionId = await sentrial.createSession({ name: "s", agentName: "a", userId: "u" });
      for (let i = 0; i < 1199; i++) void sentrial.trackToolCall({ sessionId, toolName: "t", toolInput: { i } });
      assert.ok(await sentrial.flush(10_000));
      const batches = standIn.requests.filter((r) => r.path === "/api/sdk/batch");
      assert.deepEqual(
        batches.map((r) => (r.body as { operations: unknown[] }).operations.length),
        [500, 500, 200],
      );
      assert.deepEqual(
        standIn.events.map((e) => (e["toolInput"] as { i: number }).i),
        [...Array(1199).keys()],
      );
    });
  });

  test("413 splits the batch until it fits", async () => {
    await withStandIn({ mode: "batch", maxBatch: 100 }, async (standIn, sentrial) => {
      const sessionId = await sentrial.createSession({ name: "s", agentName: "a", userId: "u" });
      for (let i = 0; i < 399; i++) void sentrial.trackToolCall({ sessionId, toolName: "t", toolInput: { i } });
      assert.ok(await sentrial.flush(10_000));
      assert.equal(standIn.events.length, 399);
      assert.ok(standIn.requests.some((r) => r.status === 413));
      assert.deepEqual(sentrial.stats().dropped, {});
    });
  });

  test("a poison operation is isolated and dropped; the rest of its batch is delivered", async () => {
    await withStandIn({ mode: "batch", poison: "POISON" }, async (standIn, sentrial) => {
      const sessionId = await sentrial.createSession({ name: "s", agentName: "a", userId: "u" });
      for (let i = 0; i < 6; i++) {
        void sentrial.trackToolCall({ sessionId, toolName: i === 4 ? "POISON" : "t", toolInput: { i } });
      }
      assert.equal(await sentrial.flush(60_000), false);
      assert.equal(standIn.events.length, 5);
      assert.ok(standIn.sessions.has(sessionId));
      assert.equal(sentrial.stats().dropped["poison_500"], 1);
      assert.ok(standIn.events.every((e) => e["toolName"] !== "POISON"));
    });
  });

  test("Retry-After on a batch is honored; the batch is sent once it passes", async () => {
    await withStandIn({ mode: "batch", faults: [{ status: 429, retryAfter: "1" }] }, async (standIn, sentrial) => {
      const sessionId = await sentrial.createSession({ name: "s", agentName: "a", userId: "u" });
      await sentrial.trackToolCall({ sessionId, toolName: "t" });
      assert.ok(await sentrial.flush(10_000));
      const [first, second] = standIn.requests.filter((r) => r.path === "/api/sdk/batch");
      assert.equal(first?.status, 429);
      assert.ok((second?.at ?? 0) - (first?.at ?? 0) >= 990);
      assert.equal(standIn.events.length, 1);
    });
  });
});
