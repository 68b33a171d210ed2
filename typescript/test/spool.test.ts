/**
 * Nothing lost when the process ends: what is still queued when a process
 * dies (a signal, `process.exit()`, an uncaught exception, an unhandled
 * rejection) is written to the spool, the next process delivers it, and the
 * process ends exactly as it would have without the SDK (the same signal, the
 * same exit code, the app's own handlers in charge).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";

import { SentrialClient } from "../src/index.js";
import { spoolDirectory } from "../src/spool.js";
import { resolve } from "../src/config.js";
import { API_KEY, PACKAGE_DIR, SentrialServer, VENV_BIN, memoryLogger } from "./helpers.js";

const FIXTURES = join(PACKAGE_DIR, "dist", "test", "fixtures");

type Dict = Record<string, unknown>;

let server: SentrialServer;
before(async () => {
  server = await SentrialServer.start();
});
after(async () => {
  await server.stop();
});

function env(url = server.url): NodeJS.ProcessEnv {
  return { ...process.env, SENTRIAL_API_URL: url, SENTRIAL_API_KEY: API_KEY };
}

interface Run {
  sessions: string[];
  stdout: string[];
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Run the streaming fixture; `onReady` acts on the child once `readyAt` sessions are tracked. */
async function stream(mode: string, readyAt: number, onReady?: (child: ChildProcess) => void): Promise<Run> {
  const child = spawn(process.execPath, [join(FIXTURES, "stream-until-killed.js"), mode, String(readyAt)], {
    env: env(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const closed = once(lines, "close");
  let ready = false;
  lines.on("line", (line) => {
    stdout.push(line);
    if (line === "READY" && !ready) {
      ready = true;
      // A few more sessions after READY: killed in the middle of the stream.
      if (onReady !== undefined) setTimeout(() => onReady(child), 30);
    }
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  clearTimeout(killer);
  await closed;
  return { sessions: stdout.filter((l) => l.startsWith("sess_")), stdout, stderr, code, signal };
}

/** The next process: flushes only; its stats. */
function nextProcess(url = server.url): Record<string, unknown> {
  const run = spawnSync(process.execPath, [join(FIXTURES, "next-process.js")], { env: env(url), encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim()) as Record<string, unknown>;
}

function segments(): string[] {
  const directory = spoolDirectory(resolve({ apiUrl: server.url, apiKey: API_KEY }));
  try {
    return readdirSync(directory)
      .filter((name) => name.endsWith(".spool"))
      .map((name) => join(directory, name));
  } catch {
    return [];
  }
}

/** Every session the child tracked is on the server, completed, with its 5 events. */
async function assertAllStored(sessions: string[]): Promise<void> {
  assert.ok(sessions.length > 0);
  for (const id of sessions) {
    const session = await server.session(id);
    assert.equal(session["status"], "completed", id);
    assert.equal(session["eventCount"], 5, id);
  }
}

describe("a process that dies keeps what it queued, and the next process delivers it", () => {
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    test(`killed by ${signal} mid-stream: it dies of ${signal}, and every event reaches the server`, async () => {
      // Under 1000 operations and a flush interval of a minute: all of it is still queued at the kill.
      const run = await stream("wait", 100, (child) => child.kill(signal));
      assert.equal(run.signal, signal, `exit code ${run.code}: ${run.stderr}`);
      assert.ok(run.sessions.length > 100, run.stdout.join("\n"));
      const files = segments();
      assert.ok(files.length >= 1, `a spool segment was written: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(`\\(the process got ${signal}\\): kept on disk`));
      const stats = nextProcess();
      assert.equal(stats["replayed"], run.sessions.length * 7, JSON.stringify(stats));
      assert.equal(stats["delivered"], true, JSON.stringify(stats));
      assert.deepEqual(segments(), [], "the segments were delivered and removed");
      await assertAllStored(run.sessions);
    });
  }

  test("killed while batches are in requests: what the server already has is repeated harmlessly", async () => {
    const run = await stream("wait", 200, (child) => child.kill("SIGTERM"));
    assert.equal(run.signal, "SIGTERM", run.stderr);
    const stats = nextProcess();
    assert.equal(stats["delivered"], true, JSON.stringify(stats)); // no 409: a repeat has the same body
    await assertAllStored(run.sessions);
  });

  test("process.exit() keeps its exit code and loses nothing", async () => {
    const run = await stream("exit", 100);
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.sessions.length, 100);
    assert.doesNotMatch(run.stderr, /process\.exit\(\) and signals skip/);
    nextProcess();
    await assertAllStored(run.sessions);
  });

  for (const [mode, message] of [
    ["throw", "boom from the app"],
    ["reject", "rejected by the app"],
  ] as const) {
    test(`an uncaught ${mode === "throw" ? "exception" : "rejection"} still crashes the app (exit 1, its error printed), and nothing is lost`, async () => {
      const run = await stream(mode, 100);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, new RegExp(message));
      assert.equal(run.sessions.length, 100);
      assert.match(run.stderr, /uncaught exception or unhandled rejection/);
      assert.doesNotMatch(run.stderr, /process\.exit\(\)/);
      const stats = nextProcess();
      assert.ok((stats["replayed"] as number) >= 100 * 7 - 1000, JSON.stringify(stats));
      await assertAllStored(run.sessions);
    });
  }

  test("the app's own SIGTERM handler stays in charge: it runs, its exit code counts, nothing is lost", async () => {
    const run = await stream("handled-signal", 100, (child) => child.kill("SIGTERM"));
    assert.equal(run.signal, null);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.includes("APP HANDLER"));
    nextProcess();
    await assertAllStored(run.sessions);
  });

  test("an app that catches its exceptions lives on, and delivers everything itself", async () => {
    const run = await stream("handled-crash", 50);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.includes("APP CAUGHT caught by the app"), run.stdout.join("\n"));
    assert.equal(run.sessions.length, 60);
    assert.deepEqual(segments(), [], "nothing was spooled: the process delivered it");
    await assertAllStored(run.sessions);
  });

  test("spool directories are 0700 and segments 0600", async () => {
    const run = await stream("exit", 20);
    assert.equal(run.code, 3);
    const files = segments();
    assert.ok(files.length >= 1);
    for (const file of files) assert.equal(statSync(file).mode & 0o777, 0o600, file);
    const directory = spoolDirectory(resolve({ apiUrl: server.url, apiKey: API_KEY }));
    assert.equal(statSync(directory).mode & 0o777, 0o700);
    nextProcess();
  });
});

describe("shutdown() keeps what it could not deliver", () => {
  test("what shutdown() could not deliver in time is spooled, not dropped, and the next client delivers it", async () => {
    const logger = memoryLogger();
    const sentrial = new SentrialClient({ apiKey: API_KEY, apiUrl: server.url, flushOnExit: false, logger });
    const sessionId = await sentrial.createSession({ name: "n", agentName: "a", userId: "u" });
    await sentrial.trackToolCall({ sessionId, toolName: "t" });
    await sentrial.completeSession({ sessionId, success: true });
    assert.equal(await sentrial.shutdown(0), false); // no time at all: the batch is still in its first request
    assert.equal(sentrial.stats().spooled, 3);
    assert.deepEqual(sentrial.stats().dropped, {});
    assert.equal(segments().length, 1);
    assert.ok(logger.lines.some((line) => line.includes("shutdown() did not deliver them in time")), logger.lines.join("\n"));
    // The next client with this URL and key (here in the same process) delivers it.
    const next = new SentrialClient({ apiKey: API_KEY, apiUrl: server.url, flushOnExit: false, logger });
    assert.equal(await next.flush(), true);
    assert.equal(next.stats().replayed, 3);
    assert.deepEqual(segments(), []);
    const session = await server.session(sessionId);
    assert.equal(session["status"], "completed");
    assert.equal(session["eventCount"], 1);
    await next.shutdown();
  });
});

describe("one spool format for both SDKs", () => {
  test("what the TypeScript SDK spooled, `sentrial flush-spool` (Python) delivers", async () => {
    const run = await stream("exit", 30);
    assert.equal(run.code, 3);
    assert.ok(segments().length >= 1);
    const flush = spawnSync(join(VENV_BIN, "sentrial"), ["flush-spool", "--timeout", "30"], {
      env: env(),
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(flush.status, 0, flush.stdout + flush.stderr);
    await assertAllStored(run.sessions);
    assert.deepEqual(segments(), []);
  });

  for (const reader of ["typescript", "python"] as const) {
    test(`every kind of operation and field survives the spool, read back by ${reader}`, async () => {
      const run = spawnSync(process.execPath, [join(FIXTURES, "every-kind-then-exit.js")], { env: env(), encoding: "utf8", timeout: 60_000 });
      assert.equal(run.status, 0, run.stderr);
      const sessionId = run.stdout.trim();
      assert.equal(segments().length, 1);
      if (reader === "typescript") {
        assert.equal(nextProcess()["replayed"], 6);
      } else {
        const flush = spawnSync(join(VENV_BIN, "sentrial"), ["flush-spool", "--timeout", "30"], { env: env(), encoding: "utf8", timeout: 60_000 });
        assert.equal(flush.status, 0, flush.stdout + flush.stderr);
      }
      assert.deepEqual(segments(), []);
      const session = await server.session(sessionId);
      assert.equal(session["status"], "failed");
      assert.equal(session["convoId"], "c-1");
      assert.deepEqual(session["metadata"], { plan: "pro", n: [1, 2] });
      assert.equal(session["failureReason"], "gave up");
      assert.deepEqual(session["customMetrics"], { score: 0.5 });
      assert.equal(session["durationMs"], 99);
      const events = await server.events(sessionId);
      assert.deepEqual(
        events.map((e) => e["eventType"]),
        ["tool_call", "llm_decision", "llm_call", "error"],
      );
      const [tool, decision, llm, error] = events as [Dict, Dict, Dict, Dict];
      assert.deepEqual([tool["toolInput"], tool["toolOutput"], tool["durationMs"], tool["traceId"]], [{ q: "x" }, { hits: 2 }, 12.5, "t-1"]);
      assert.deepEqual([decision["alternativesConsidered"], decision["confidence"]], [["a", "b"], 0.75]);
      assert.deepEqual([llm["input"], llm["output"], llm["promptTokens"], llm["cachedTokens"]], [[{ role: "user", content: "hi" }], "hello", 10, 2]);
      assert.equal((error["toolError"] as Dict)["type"], "TypeError");
    });
  }

  test("what the Python SDK spooled, the TypeScript SDK delivers", async () => {
    // The Python SDK's own operations, written by its own Spool (as its shutdown does).
    const script = [
      "import os",
      "import sentrial",
      "from sentrial._config import resolve",
      "from sentrial._delivery._spool import Spool, spool_directory",
      `URL, KEY = ${JSON.stringify(server.url)}, ${JSON.stringify(API_KEY)}`,
      "class Capture:",
      "    ops = []",
      "    def submit(self, op): self.ops.append(op)",
      "c = sentrial.SentrialClient(api_key=KEY, api_url=URL)",
      "c._tracker._delivery = capture = Capture()",
      "sid = c.create_session(name='py', agent_name='python', user_id='u', metadata={'k': [1, 2]})",
      "c.track_tool_call(session_id=sid, tool_name='t', tool_input={'q': 'x'}, tool_output={'a': 1})",
      "c.track_llm_call(session_id=sid, model='gpt-4o', provider='openai',",
      "                 input=[{'role': 'user', 'content': 'hi'}], output='hello', prompt_tokens=3, completion_tokens=2)",
      "c.complete_session(session_id=sid, success=True, custom_metrics={'m': 1.5}, user_input='hi')",
      "Spool(spool_directory(resolve({'api_key': KEY, 'api_url': URL})), 1 << 30).append(capture.ops)",
      "print(sid, flush=True)",
      "os._exit(0)",
    ].join("\n");
    const py = spawnSync(join(VENV_BIN, "python"), ["-c", script], { env: env(), encoding: "utf8", timeout: 60_000 });
    assert.equal(py.status, 0, py.stderr);
    const sessionId = py.stdout.trim();
    assert.ok(segments().length >= 1, "Python wrote a segment");
    const stats = nextProcess();
    assert.equal(stats["replayed"], 4, JSON.stringify(stats));
    const session = await server.session(sessionId);
    assert.equal(session["status"], "completed");
    assert.equal(session["agentName"], "python");
    assert.deepEqual(session["customMetrics"], { m: 1.5 });
    const events = await server.events(sessionId);
    assert.equal(events.length, 2);
    const tool = events.find((e) => e["eventType"] === "tool_call");
    assert.deepEqual(tool?.["toolInput"], { q: "x" });
    const llm = events.find((e) => e["eventType"] === "llm_call");
    assert.equal(llm?.["promptTokens"], 3);
    assert.deepEqual(llm?.["input"], [{ role: "user", content: "hi" }]);
  });
});

