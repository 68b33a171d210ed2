/** Edges of the client: unusable arguments, loggers and keys, concurrent shutdowns, cost lookups. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { resolve } from "../src/config.js";
import { SentrialClient, SentrialError, ValidationError, calculateCost } from "../src/index.js";
import { Transport } from "../src/transport.js";
import { SentrialServer, memoryLogger } from "./helpers.js";

let server: SentrialServer;

before(async () => {
  server = await SentrialServer.start();
});
after(async () => {
  await server.stop();
});

type Options = ConstructorParameters<typeof SentrialClient>[0];

function client(options: Options = {}): SentrialClient {
  return new SentrialClient({ apiKey: server.apiKey, apiUrl: server.url, flushOnExit: false, ...options });
}

const throwingLogger = {
  warn(): void {
    throw new Error("log sink unavailable");
  },
};

describe("wrong arguments to begin() and an interaction never throw (failSilently)", () => {
  test("begin(undefined), a null-prototype eventId or error, finish(null): no throw, the rest is stored", async () => {
    const logger = memoryLogger();
    const sentrial = client({ logger });
    const none = sentrial.begin(undefined as never);
    assert.match(none.sessionId, /^sess_/);
    const odd = sentrial.begin({ userId: "u1", event: "odd", eventId: Object.create(null) as string });
    assert.match(odd.sessionId, /^sess_/);
    const failing = sentrial.begin({ userId: "u2", event: "failing" });
    await failing.trackError(undefined as never);
    await failing.trackError({ error: Object.create(null) as unknown });
    const done = await failing.finish(null as never);
    assert.equal((done as { status?: string }).status, "failed");
    const other = sentrial.begin({ userId: "u3", event: "plain" });
    const otherDone = await other.finish(null as never);
    assert.equal((otherDone as { status?: string }).status, "completed");
    assert.equal(await sentrial.flush(10_000), false); // begin(undefined) was dropped
    assert.equal((await server.session(failing.sessionId))["status"], "failed");
    assert.equal((await server.session(other.sessionId))["status"], "completed");
    const errors = await server.events(failing.sessionId);
    assert.equal(errors.length, 2);
    assert.equal(sentrial.stats().dropped["invalid_argument"], 1);
    assert.ok(logger.lines.some((l) => l.includes("begin failed")));
    await sentrial.shutdown();
  });

  test("with failSilently false, begin(undefined) throws a ValidationError naming the argument", async () => {
    const strict = client({ failSilently: false });
    assert.throws(() => strict.begin(undefined as never), (e: unknown) => e instanceof ValidationError && /params/.test(e.message));
    await strict.shutdown();
  });
});

describe("the constructor never throws for a logger or options (failSilently)", () => {
  test("a logger whose warn throws, a logger without warn, null options", async () => {
    const saved = process.env["SENTRIAL_API_KEY"];
    delete process.env["SENTRIAL_API_KEY"];
    try {
      const noKey = new SentrialClient({ logger: throwingLogger, flushOnExit: false });
      assert.equal(noKey.config.apiKey, undefined);
      const badOption = new SentrialClient({ apiKey: "k", batchSize: 0, logger: throwingLogger, flushOnExit: false });
      assert.equal(badOption.config.batchSize, 500);
      const noWarn = new SentrialClient({ logger: {} as never, flushOnExit: false });
      assert.equal(typeof noWarn.config.logger.warn, "function");
      const fromNull = new SentrialClient(null as never);
      assert.equal(fromNull.config.failSilently, true);
      // a failing call then warns through the throwing logger: still nothing thrown
      const calls = client({ logger: throwingLogger });
      assert.deepEqual(await calls.trackToolCall({ sessionId: "", toolName: "t" }), {});
      assert.equal(calls.stats().dropped["invalid_argument"], 1);
      await calls.shutdown();
    } finally {
      if (saved !== undefined) process.env["SENTRIAL_API_KEY"] = saved;
    }
  });
});

describe("an unusable optional field is left out, the rest is sent", () => {
  test("an undefined metric and a NaN duration: the sessions are completed, the fields counted", async () => {
    const logger = memoryLogger();
    const sentrial = client({ logger });
    const a = await sentrial.createSession({ name: "n", agentName: "a", userId: "u" });
    const record = await sentrial.completeSession({
      sessionId: a,
      customMetrics: { score: 0.9, latencyMs: undefined as unknown as number },
    });
    assert.equal(record.status, "completed");
    assert.deepEqual(record.customMetrics, { score: 0.9 });
    const it = sentrial.begin({ userId: "u", event: "nan" });
    const done = await it.finish({ durationMs: Number.NaN });
    assert.equal((done as { status?: string }).status, "completed");
    assert.equal((done as { durationMs?: number }).durationMs, undefined);
    const b = await sentrial.createSession({ name: "n", agentName: "a", userId: "u" });
    await sentrial.completeSession({ sessionId: b, estimatedCost: -1, promptTokens: 7 });
    assert.equal(await sentrial.flush(10_000), false); // fields were dropped since the last flush
    assert.equal(await sentrial.flush(10_000), true); // and nothing since
    const storedA = await server.session(a);
    assert.equal(storedA["status"], "completed");
    assert.deepEqual(storedA["customMetrics"], { score: 0.9 });
    assert.equal((await server.session(it.sessionId))["status"], "completed");
    const storedB = await server.session(b);
    assert.equal(storedB["status"], "completed");
    assert.equal(storedB["promptTokens"], 7);
    assert.equal(storedB["estimatedCost"] ?? null, null);
    assert.equal(sentrial.stats().dropped["invalid_field"], 3);
    assert.equal(sentrial.stats().dropped["invalid_argument"], undefined);
    assert.equal(logger.lines.filter((l) => l.includes("customMetrics.latencyMs")).length, 1);
    assert.equal(logger.lines.filter((l) => l.includes("durationMs")).length, 1);
    await sentrial.shutdown();
  });

  test("with failSilently false the call rejects naming the field", async () => {
    const strict = client({ failSilently: false });
    await assert.rejects(
      strict.completeSession({ sessionId: "sess_1", customMetrics: { latencyMs: undefined as unknown as number } }),
      (e: unknown) => e instanceof ValidationError && e.message.startsWith("customMetrics.latencyMs:"),
    );
    await assert.rejects(
      strict.completeSession({ sessionId: "sess_1", durationMs: Number.NaN }),
      (e: unknown) => e instanceof ValidationError && e.message.startsWith("durationMs:"),
    );
    await strict.shutdown();
  });
});

describe("an API key with a control character", () => {
  test("is not used and never logged; nothing is sent", async () => {
    const logger = memoryLogger();
    const sentrial = client({ apiKey: "sk_live_SECRET123\r\nX", logger, flushIntervalMs: 10 });
    assert.equal(sentrial.config.apiKey, undefined);
    const sessionId = await sentrial.createSession({ name: "n", agentName: "a", userId: "u" });
    assert.equal(await sentrial.shutdown(1500), true);
    assert.equal(sentrial.stats().tracked, 0);
    assert.equal(logger.lines.filter((l) => l.includes("SECRET123")).length, 0);
    assert.equal(logger.lines.filter((l) => l.includes("apiKey")).length, 1);
    await assert.rejects(server.session(sessionId), /404/);
  });

  test("with failSilently false the constructor throws without the key's text", () => {
    assert.throws(
      () => new SentrialClient({ apiKey: "sk_live_SECRET123\u0000", failSilently: false, flushOnExit: false }),
      (e: unknown) => e instanceof SentrialError && e.message.includes("apiKey") && !e.message.includes("SECRET123"),
    );
  });
});

describe("the transport never passes the key on in an error message", () => {
  test("a key fetch refuses in a header is masked in the retryable error", async () => {
    const config = { ...resolve({ apiKey: "k", apiUrl: server.url }), apiKey: "sk_live_SECRET123\r\nX" };
    const transport = new Transport(config);
    await assert.rejects(transport.probe(), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /Bearer \*\*\*/);
      assert.equal(e.message.includes("SECRET123"), false);
      return true;
    });
  });
});

describe("shutdown and flush during a shutdown", () => {
  test("a second shutdown() and a flush() wait for the one in progress and share its result", async () => {
    const sentrial = client({ logger: memoryLogger() });
    const sessionId = await sentrial.createSession({ name: "n", agentName: "a", userId: "u" });
    const first = sentrial.shutdown();
    const second = sentrial.shutdown();
    const flushed = sentrial.flush();
    const secondResult = await second;
    assert.equal(sentrial.stats().sent, 1);
    assert.equal(secondResult, true);
    assert.equal(await flushed, true);
    assert.equal(await first, true);
    assert.equal((await server.session(sessionId))["status"], "active");
  });
});

describe("calculateCost: own entries only, null options", () => {
  test("names of Object.prototype members are unknown models; null options are none", () => {
    const quiet = new SentrialClient({ enabled: false, logger: memoryLogger(), flushOnExit: false });
    assert.equal(quiet.config.enabled, false); // its logger takes the cost warnings
    assert.equal(calculateCost("constructor", 1000, 1000), undefined);
    assert.equal(calculateCost("__proto__", 1000, 1000), undefined);
    assert.equal(calculateCost("openai/hasOwnProperty", 1000, 1000), undefined);
    assert.equal(calculateCost("gpt-4o", 1000, 1000, null as never), 0.0125);
    assert.equal(calculateCost("gpt-4o", 1000, 1000), 0.0125);
  });
});
