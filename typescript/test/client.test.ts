/** The client against a real `sentrial serve`: what it stores, and what the calls promise. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { SentrialClient, SentrialError, ValidationError } from "../src/index.js";
import { API_KEY, PACKAGE_DIR, SentrialServer, closedPort, memoryLogger } from "./helpers.js";

let server: SentrialServer;

before(async () => {
  server = await SentrialServer.start();
});
after(async () => {
  await server.stop();
});

function client(options: ConstructorParameters<typeof SentrialClient>[0] = {}): SentrialClient {
  return new SentrialClient({ apiKey: server.apiKey, apiUrl: server.url, flushOnExit: false, ...options });
}

describe("a session and its events reach the server", () => {
  test("every kind of event, in order, with client ids and times; totals summed", async () => {
    const sentrial = client();
    const sessionId = await sentrial.createSession({
      name: "Request: refund",
      agentName: "my-custom-agent",
      userId: "user_123",
      metadata: { source: "api" },
      convoId: "convo-1",
    });
    assert.match(sessionId, /^sess_[A-Za-z0-9_-]+$/);
    const decision = await sentrial.trackDecision({
      sessionId,
      reasoning: "Search, then answer",
      alternatives: ["direct_response", "clarify_question"],
      confidence: 0.8,
    });
    const tool = await sentrial.trackToolCall({
      sessionId,
      toolName: "search_database",
      toolInput: { query: "refund" },
      toolOutput: { results: ["kb-12"] },
      reasoning: "Look it up",
      durationMs: 42,
    });
    const llm = await sentrial.trackLlmCall({
      sessionId,
      model: "gpt-4o",
      provider: "openai",
      promptTokens: 820,
      completionTokens: 95,
      input: [{ role: "user", content: "refund?" }],
      output: "Refunds take 5 days.",
    });
    const error = await sentrial.trackError({ sessionId, error: new RangeError("inventory timed out"), toolName: "stock" });
    const done = await sentrial.completeSession({ sessionId, success: true });
    assert.equal(tool.eventType, "tool_call");
    assert.equal(tool.toolName, "search_database");
    assert.equal(done.status, "completed");
    assert.equal(done.promptTokens, 820);
    assert.ok(await sentrial.flush(10_000));

    const session = await server.session(sessionId);
    assert.equal(session["name"], "Request: refund");
    assert.equal(session["agentName"], "my-custom-agent");
    assert.equal(session["userId"], "user_123");
    assert.equal(session["convoId"], "convo-1");
    assert.deepEqual(session["metadata"], { source: "api" });
    assert.equal(session["status"], "completed");
    assert.equal(session["success"], true);
    assert.equal(session["promptTokens"], 820);
    assert.equal(session["completionTokens"], 95);
    assert.equal(session["totalTokens"], 915);
    // gpt-4o: $2.50 in, $10 out per million tokens
    assert.ok(Math.abs((session["estimatedCost"] as number) - (820 * 2.5 + 95 * 10) / 1e6) < 1e-12);

    const events = await server.events(sessionId);
    assert.deepEqual(
      events.map((e) => e["id"]),
      [decision.id, tool.id, llm.id, error.id],
    );
    const [d, t, l, e] = events as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    assert.deepEqual(d["alternativesConsidered"], ["direct_response", "clarify_question"]);
    assert.equal(d["eventType"], "llm_decision");
    assert.deepEqual(t["toolInput"], { query: "refund" });
    assert.deepEqual(t["toolOutput"], { results: ["kb-12"] });
    assert.equal(t["durationMs"], 42);
    assert.equal(t["timestamp"], tool.createdAt);
    assert.equal(l["eventType"], "llm_call");
    assert.equal(l["model"], "gpt-4o");
    assert.equal(l["tokenCount"], 915);
    assert.deepEqual(l["input"], [{ role: "user", content: "refund?" }]);
    assert.equal(l["output"], "Refunds take 5 days.");
    assert.equal(e["eventType"], "error");
    assert.equal((e["toolError"] as Record<string, unknown>)["type"], "RangeError");
    assert.equal((e["toolError"] as Record<string, unknown>)["message"], "inventory timed out");
    assert.match(String((e["toolError"] as Record<string, unknown>)["stack_trace"]), /RangeError: inventory timed out/);
    const times = events.map((ev) => Date.parse(String(ev["timestamp"])));
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    await sentrial.shutdown();
  });

  test("payloads are captured at call time and never break delivery", async () => {
    const sentrial = client({ maxFieldBytes: 2048 });
    const sessionId = await sentrial.createSession({ name: "odd", agentName: "a", userId: "u" });
    const mutable: Record<string, unknown> = { step: 1 };
    const cycle: Record<string, unknown> = { name: "loop" };
    cycle["self"] = cycle;
    let deep: unknown = "bottom";
    for (let i = 0; i < 100; i++) deep = [deep];
    await sentrial.trackToolCall({ sessionId, toolName: "mutated", toolInput: mutable });
    mutable["step"] = 2;
    await sentrial.trackToolCall({ sessionId, toolName: "cycle", toolInput: cycle, toolOutput: { big: 2n ** 70n } });
    await sentrial.trackToolCall({ sessionId, toolName: "deep", toolInput: { deep } });
    await sentrial.trackToolCall({ sessionId, toolName: "surrogate", toolInput: { text: "half \ud83d emoji" } });
    await sentrial.trackToolCall({ sessionId, toolName: "large", toolOutput: { blob: "x".repeat(10_000) } });
    await sentrial.trackToolCall({ sessionId, toolName: "not-an-object", toolInput: ["a", "b"], toolOutput: "text" });
    await sentrial.trackToolCall({ sessionId, toolName: "special", toolInput: { n: Number.NaN, when: new Date(0), m: new Map([["k", 1]]) } });
    assert.ok(await sentrial.flush(10_000));
    const byName = new Map((await server.events(sessionId)).map((e) => [e["toolName"], e]));
    assert.deepEqual(byName.get("mutated")?.["toolInput"], { step: 1 });
    assert.deepEqual(byName.get("cycle")?.["toolInput"], { name: "loop", self: "<cycle>" });
    assert.deepEqual(byName.get("cycle")?.["toolOutput"], { big: "1180591620717411303424" });
    assert.match(JSON.stringify(byName.get("deep")?.["toolInput"]), /<truncated: nested deeper than 64>/);
    assert.deepEqual(byName.get("surrogate")?.["toolInput"], { text: "half \ufffd emoji" });
    const large = byName.get("large")?.["toolOutput"] as Record<string, unknown>;
    assert.equal(large["_sentrial_truncated"], true);
    assert.ok((large["original_bytes"] as number) > 10_000);
    assert.deepEqual(byName.get("not-an-object")?.["toolInput"], { value: ["a", "b"] });
    assert.deepEqual(byName.get("not-an-object")?.["toolOutput"], { value: "text" });
    assert.deepEqual(byName.get("special")?.["toolInput"], { n: null, when: "1970-01-01T00:00:00.000Z", m: {} });
    await sentrial.shutdown();
  });

  test("begin/finish: an interaction is a session, measured, and finished once", async () => {
    const sentrial = client();
    const interaction = sentrial.begin({ userId: "user_123", event: "chat_request", input: "How do I reset?" });
    await interaction.trackToolCall({ toolName: "search", toolInput: { q: "reset" }, toolOutput: { hits: 3 } });
    interaction.setOutput("Open Settings.");
    const finished = await interaction.finish({ estimatedCost: 0.023 });
    assert.deepEqual(await interaction.finish(), {});
    assert.equal((finished as { status: string }).status, "completed");

    const failing = sentrial.begin({ userId: "user_9", event: "chat_request", input: "crash" });
    await failing.trackError({ error: new Error("model unavailable") });
    await failing.finish();
    assert.ok(await sentrial.flush(10_000));

    const session = await server.session(interaction.sessionId);
    assert.equal(session["agentName"], "chat_request");
    assert.equal(session["name"], `chat_request:${interaction.eventId.slice(0, 8)}`);
    assert.equal(session["userInput"], "How do I reset?");
    assert.equal(session["assistantOutput"], "Open Settings.");
    assert.equal(session["estimatedCost"], 0.023);
    assert.equal((session["metadata"] as Record<string, unknown>)["input"], "How do I reset?");
    assert.ok((session["durationMs"] as number) >= 0);
    const failed = await server.session(failing.sessionId);
    assert.equal(failed["status"], "failed");
    assert.equal(failed["failureReason"], "model unavailable");
    await sentrial.shutdown();
  });

  test("a plain server's fields only when the health answer says so: ours gets batches", async () => {
    const sentrial = client({ batchSize: 50 });
    const sessionId = await sentrial.createSession({ name: "many", agentName: "a", userId: "u" });
    for (let i = 0; i < 420; i++) void sentrial.trackToolCall({ sessionId, toolName: "t", toolInput: { i } });
    await sentrial.completeSession({ sessionId });
    assert.ok(await sentrial.flush(20_000));
    const stats = sentrial.stats();
    assert.equal(stats.sent, 422);
    assert.equal(stats.tracked, 422);
    const session = await server.session(sessionId);
    assert.equal(session["eventCount"], 420);
    const events = await server.events(sessionId);
    assert.deepEqual(
      events.map((e) => (e["toolInput"] as { i: number }).i),
      [...Array(420).keys()],
    );
    await sentrial.shutdown();
  });
});

describe("the promises of every call", () => {
  test("calls resolve without waiting for the network (the server is down)", async () => {
    const sentrial = new SentrialClient({ apiKey: API_KEY, apiUrl: await closedPort(), flushOnExit: false, logger: memoryLogger() });
    const started = performance.now();
    const sessionId = await sentrial.createSession({ name: "n", agentName: "a", userId: "u" });
    const event = await sentrial.trackToolCall({ sessionId, toolName: "t", toolInput: { q: 1 } });
    await sentrial.completeSession({ sessionId });
    assert.ok(performance.now() - started < 50, "no call waited for the network");
    assert.match(event.id, /^evt_/);
    assert.equal(sentrial.stats().queued, 3);
    assert.equal(await sentrial.flush(300), false);
    assert.equal(await sentrial.shutdown(200), false);
    assert.equal(sentrial.stats().spooled, 3); // kept on disk for the next process, not dropped
    assert.deepEqual(sentrial.stats().dropped, {});
  });

  test("wrong arguments never throw into the app, unless failSilently is false", async () => {
    const logger = memoryLogger();
    const quiet = client({ logger });
    const record = await quiet.trackToolCall({ sessionId: "", toolName: "t" });
    assert.deepEqual(record, {});
    await quiet.completeSession({ sessionId: undefined as unknown as string });
    await quiet.trackDecision({ sessionId: "sess_x", reasoning: "r", confidence: 7 });
    assert.equal(quiet.stats().dropped["invalid_argument"], 3);
    assert.ok(logger.lines.some((l) => l.includes("trackToolCall failed")));

    const strict = client({ failSilently: false });
    await assert.rejects(strict.trackToolCall({ sessionId: "", toolName: "t" }), ValidationError);
    await assert.rejects(strict.completeSession({ sessionId: "sess_1", estimatedCost: -1 }), SentrialError);
    assert.throws(() => new SentrialClient({ apiUrl: "ftp://nope", failSilently: false }), SentrialError);
    await quiet.shutdown();
    await strict.shutdown();
  });

  test("a wrong key: dropped (counted, logged once), flush says false, nothing thrown", async () => {
    const logger = memoryLogger();
    const sentrial = client({ apiKey: "wrong", logger });
    const sessionId = await sentrial.createSession({ name: "n", agentName: "a", userId: "u" });
    await sentrial.trackToolCall({ sessionId, toolName: "t" });
    assert.equal(await sentrial.flush(10_000), false);
    assert.equal(sentrial.stats().dropped["unauthorized"], 2);
    assert.equal(logger.lines.filter((l) => l.includes("unauthorized")).length, 1);
    assert.equal(await sentrial.flush(1000), true, "nothing failed since the last flush");
  });

  test("without a key or when disabled nothing is sent, ids still come back", async () => {
    const sentrial = new SentrialClient({ apiUrl: server.url, enabled: false });
    const sessionId = await sentrial.createSession({ name: "n", agentName: "a", userId: "u" });
    assert.match(sessionId, /^sess_/);
    assert.equal((await sentrial.trackToolCall({ sessionId, toolName: "t" })).eventType, "tool_call");
    assert.equal(sentrial.stats().tracked, 0);
  });

  test("the process flushes on beforeExit: a script that never flushes loses nothing", async () => {
    const script = join(PACKAGE_DIR, "dist", "test", "fixtures", "exit-without-flush.js");
    const run = spawnSync(process.execPath, [script], {
      env: { ...process.env, SENTRIAL_API_URL: server.url, SENTRIAL_API_KEY: API_KEY },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const sessionId = run.stdout.trim();
    const session = await server.session(sessionId);
    assert.equal(session["status"], "completed");
    assert.equal(session["eventCount"], 1200);
  });

  test("at exit a server that is down costs at most shutdownTimeoutMs, and says what it kept on disk", async () => {
    const script = join(PACKAGE_DIR, "dist", "test", "fixtures", "exit-without-flush.js");
    const started = performance.now();
    const run = spawnSync(process.execPath, [script], {
      env: { ...process.env, SENTRIAL_API_URL: await closedPort(), SENTRIAL_API_KEY: API_KEY, SENTRIAL_SHUTDOWN_TIMEOUT: "1" },
      encoding: "utf8",
      timeout: 30_000,
    });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(run.status, 0, run.stderr);
    assert.ok(seconds < 6, `exited after ${seconds} s`);
    assert.match(run.stderr, /1202 operation\(s\) not delivered yet \(the process exited first\): kept on disk/);
  });
});
