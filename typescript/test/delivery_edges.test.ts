/**
 * Edges of background delivery: rate limits and write outages are waited
 * out (never "poison"), a `Retry-After` of 0 or in the past still backs off,
 * and what is lost at shutdown or at exit is counted once, under its reason,
 * before `shutdown()` resolves.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer as createHttpServer } from "node:http";
import { type Server, type Socket, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, test } from "node:test";

import { SentrialClient } from "../src/index.js";
import { API_KEY, PACKAGE_DIR, StandIn, type StandInOptions, memoryLogger } from "./helpers.js";

async function withStandIn(
  options: StandInOptions,
  run: (standIn: StandIn, sentrial: SentrialClient, lines: string[]) => Promise<void>,
): Promise<void> {
  const standIn = await new StandIn(options).start();
  const logger = memoryLogger();
  const sentrial = new SentrialClient({ apiKey: API_KEY, apiUrl: standIn.url, flushOnExit: false, logger, flushIntervalMs: 10 });
  try {
    await run(standIn, sentrial, logger.lines);
  } finally {
    await sentrial.shutdown(1000);
    await standIn.stop();
  }
}

/** A server that accepts connections and never answers (requests hang until aborted). */
async function blackHole(): Promise<{ url: string; server: Server }> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const sockets = new Set<Socket>();

function closeHole(server: Server): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function batchRequests(standIn: StandIn): Array<{ at: number; status: number }> {
  return standIn.requests.filter((r) => r.path === "/api/sdk/batch");
}

describe("retries that are not poison", () => {
  test("a lone operation answered 429 six times is delivered, not dropped as poison", async () => {
    const faults = Array.from({ length: 6 }, () => ({ status: 429, retryAfter: "0.1" }));
    await withStandIn({ mode: "batch", faults }, async (standIn, sentrial) => {
      const sessionId = await sentrial.createSession({ name: "rate-limited", agentName: "a", userId: "u" });
      assert.equal(await sentrial.flush(20_000), true);
      assert.equal(standIn.sessions.has(sessionId), true);
      assert.deepEqual(sentrial.stats().dropped, {});
      assert.equal(sentrial.stats().sent, 1);
      assert.deepEqual(
        batchRequests(standIn).map((r) => r.status),
        [429, 429, 429, 429, 429, 429, 200],
      );
    });
  });

  test("a write outage (503 to every write, health answering) is waited out: nothing dropped", async () => {
    // 8 operations; the old engine split down to single operations and dropped
    // each after 5 failures because the health check answered.
    const faults = Array.from({ length: 16 }, () => ({ status: 503, retryAfter: "0.25" }));
    await withStandIn({ mode: "batch", faults }, async (standIn, sentrial) => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const sessionId = await sentrial.createSession({ name: `outage${i}`, agentName: "a", userId: "u" });
        await sentrial.completeSession({ sessionId, success: true });
        ids.push(sessionId);
      }
      assert.equal(await sentrial.flush(60_000), true);
      assert.deepEqual(sentrial.stats().dropped, {});
      assert.equal(sentrial.stats().sent, 8);
      for (const id of ids) assert.equal(standIn.sessions.get(id)?.["status"], "completed");
      assert.equal(batchRequests(standIn).filter((r) => r.status === 503).length, 16);
    });
  });
});

describe("500s are poison only when the server accepts other operations between them", () => {
  test("a server answering 500 to every write while its health check says 200 dead-letters nothing", async () => {
    // The old rule asked the health check after 5 failures and, told 200,
    // dropped the operation as poison_500: a full disk lost everything.
    const faults = Array.from({ length: 7 }, () => ({ status: 500, retryAfter: "0.1" }));
    await withStandIn({ mode: "batch", faults }, async (standIn, sentrial) => {
      const sessionId = await sentrial.createSession({ name: "disk-full", agentName: "a", userId: "u" });
      assert.equal(await sentrial.flush(60_000), true);
      assert.deepEqual(sentrial.stats().dropped, {});
      assert.equal(standIn.sessions.has(sessionId), true);
      assert.deepEqual(
        batchRequests(standIn).map((r) => r.status),
        [500, 500, 500, 500, 500, 500, 500, 200],
      );
      assert.ok(standIn.paths().includes("GET /api/sdk/health"));
    });
  });

  test("an operation answered 500 while others are accepted between its failures is poison", async () => {
    // A server without batches: the operation retries in its session's lane
    // while other sessions' operations are accepted (the old rule asked the
    // health check, which this server lacks, and kept it forever).
    await withStandIn({ mode: "plain", poison: "POISON" }, async (standIn, sentrial) => {
      const sessionId = await sentrial.createSession({ name: "s", agentName: "a", userId: "u" });
      assert.equal(await sentrial.flush(10_000), true);
      void sentrial.trackToolCall({ sessionId, toolName: "POISON" });
      for (let i = 0; i < 200 && sentrial.stats().dropped["poison_500"] === undefined; i++) {
        await sentrial.createSession({ name: `other${i}`, agentName: "a", userId: "u" });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(await sentrial.flush(60_000), false);
      assert.deepEqual(sentrial.stats().dropped, { poison_500: 1 });
      assert.ok(standIn.sessions.size > 2);
      assert.equal(standIn.events.length, 0);
    });
  });
});

/**
 * A batch server answering each item on its own: 503 to items containing
 * `refuse`, and 503 to every item of the first `outage` batches; 200 else.
 */
async function itemServer(
  refuse: string | undefined,
  outage: number,
): Promise<{ url: string; stored: Map<string, unknown>; answers: number[][]; stop(): Promise<void> }> {
  const stored = new Map<string, unknown>();
  const answers: number[][] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      if (req.method === "GET" && req.url === "/api/sdk/health") {
        res.end(JSON.stringify({ status: "ok", capabilities: ["batch", "client_ids", "client_timestamps", "llm_call", "reads"] }));
        return;
      }
      if (req.method !== "POST" || req.url !== "/api/sdk/batch") {
        res.statusCode = 404;
        res.end(JSON.stringify({ message: "no such path" }));
        return;
      }
      const down = answers.length < outage;
      const items = (JSON.parse(Buffer.concat(chunks).toString()) as { operations: Array<Record<string, unknown>> }).operations;
      const results = items.map((item, index) => {
        const text = JSON.stringify(item);
        const body = item["body"] as Record<string, unknown> | undefined;
        const id = String(body?.["id"] ?? item["sessionId"] ?? index);
        if (down || (refuse !== undefined && text.includes(refuse))) {
          return { index, status: 503, id: null, message: "unavailable" };
        }
        stored.set(`${String(item["op"])}:${id}`, item);
        return { index, status: 200, id, message: null };
      });
      answers.push(results.map((r) => r.status));
      res.end(JSON.stringify({ results }));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stored,
    answers,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("items of a batch answered 503", () => {
  test("an item refused while the rest of its answer is accepted is poison: dropped after 5 attempts, the rest delivered", async () => {
    const server = await itemServer("REFUSED", 0);
    const sentrial = new SentrialClient({ apiKey: API_KEY, apiUrl: server.url, flushOnExit: false, flushIntervalMs: 10, logger: memoryLogger() });
    try {
      const sessionId = await sentrial.createSession({ name: "s", agentName: "a", userId: "u" });
      for (let i = 0; i < 4; i++) void sentrial.trackToolCall({ sessionId, toolName: i === 2 ? "REFUSED" : "t" });
      assert.equal(await sentrial.flush(60_000), false);
      assert.deepEqual(sentrial.stats().dropped, { poison_503: 1 });
      assert.equal(sentrial.stats().sent, 4);
      assert.equal(server.stored.size, 4);
      assert.equal(server.answers.flat().filter((status) => status === 503).length, 5);
    } finally {
      await sentrial.shutdown(1000);
      await server.stop();
    }
  });

  test("every item answered 503 for a while (writes down, the batch endpoint up): nothing dropped", async () => {
    const server = await itemServer(undefined, 5);
    const sentrial = new SentrialClient({ apiKey: API_KEY, apiUrl: server.url, flushOnExit: false, flushIntervalMs: 10, logger: memoryLogger() });
    try {
      const sessionId = await sentrial.createSession({ name: "s", agentName: "a", userId: "u" });
      assert.equal(await sentrial.flush(60_000), true);
      assert.deepEqual(sentrial.stats().dropped, {});
      assert.equal(sentrial.stats().sent, 1);
      assert.ok(server.stored.has(`createSession:${sessionId}`), JSON.stringify([...server.stored.keys()]));
      assert.deepEqual(server.answers, [[503], [503], [503], [503], [503], [200]]);
    } finally {
      await sentrial.shutdown(1000);
      await server.stop();
    }
  });
});

describe("Retry-After without a usable delay", () => {
  for (const [label, retryAfter] of [
    ["0", "0"],
    ["a date in the past", "Thu, 01 Jan 1970 00:00:00 GMT"],
  ] as const) {
    test(`429 with Retry-After ${label} still backs off between attempts`, async () => {
      const faults = Array.from({ length: 4 }, () => ({ status: 429, retryAfter }));
      await withStandIn({ mode: "batch", faults }, async (standIn, sentrial) => {
        const sessionId = await sentrial.createSession({ name: "flood", agentName: "a", userId: "u" });
        await sentrial.trackToolCall({ sessionId, toolName: "t" });
        assert.equal(await sentrial.flush(20_000), true);
        const batches = batchRequests(standIn);
        assert.deepEqual(
          batches.map((r) => r.status),
          [429, 429, 429, 429, 200],
        );
        // Each retry waited at least the floor (250 ms; 200 allows timer slack).
        for (let i = 1; i < batches.length; i++) {
          const gap = (batches[i]?.at ?? 0) - (batches[i - 1]?.at ?? 0);
          assert.ok(gap >= 200, `retry ${i} came ${gap.toFixed(1)} ms after the previous attempt`);
        }
        assert.equal(standIn.events.length, 1);
      });
    });
  }
});

describe("what is lost is counted once, under its reason", () => {
  test("after shutdown() gives up, its stats are final: nothing in flight, every operation sent or spooled", async () => {
    const hole = await blackHole();
    const sentrial = new SentrialClient({
      apiKey: API_KEY,
      apiUrl: hole.url,
      flushOnExit: false,
      flushIntervalMs: 10,
      logger: memoryLogger(),
    });
    try {
      const sessionId = await sentrial.createSession({ name: "n", agentName: "a", userId: "u" });
      await sentrial.trackToolCall({ sessionId, toolName: "t" });
      await new Promise((resolve) => setTimeout(resolve, 200)); // the batch (or its probe) is in a request
      assert.equal(await sentrial.shutdown(300), false);
      const stats = sentrial.stats();
      assert.equal(stats.inFlight, 0);
      assert.equal(stats.queued, 0);
      assert.equal(stats.tracked, 2);
      assert.equal(stats.sent, 0);
      assert.equal(stats.spooled, 2);
      assert.deepEqual(stats.dropped, {});
    } finally {
      await closeHole(hole.server);
    }
  });

  test("at exit, an operation in a request is kept on disk once and counted as spooled", async () => {
    const hole = await blackHole();
    const index = join(PACKAGE_DIR, "dist", "src", "index.js");
    const script = [
      `import { SentrialClient } from ${JSON.stringify(index)};`,
      `const c = new SentrialClient({ apiKey: "k", apiUrl: ${JSON.stringify(hole.url)}, shutdownTimeoutMs: 500,`,
      `  flushIntervalMs: 10, logger: { warn: (m) => console.log("LOG " + m) } });`,
      `await c.createSession({ name: "n", agentName: "a", userId: "u" });`,
      `process.on("exit", () => console.log("STATS " + JSON.stringify(c.stats())));`,
    ].join("\n");
    try {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const [code] = (await once(child, "exit")) as [number | null];
      clearTimeout(killer);
      assert.equal(code, 0, out);
      const lines = out.split("\n");
      const kept = lines.filter((l) => l.startsWith("LOG") && l.includes("not delivered"));
      assert.equal(kept.length, 1, out);
      assert.ok(kept[0]?.includes("1 operation(s) not delivered yet (the process exited first): kept on disk"), out);
      const statsLine = lines.find((l) => l.startsWith("STATS "));
      assert.ok(statsLine !== undefined, out);
      const stats = JSON.parse(statsLine.slice(6)) as {
        dropped: Record<string, number>;
        inFlight: number;
        tracked: number;
        spooled: number;
      };
      assert.deepEqual(stats.dropped, {});
      assert.equal(stats.spooled, 1);
      assert.equal(stats.inFlight, 0);
      assert.equal(stats.tracked, 1);
    } finally {
      await closeHole(hole.server);
    }
  });
});
