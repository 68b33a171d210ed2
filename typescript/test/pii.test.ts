/**
 * `pii`, `sampleRate` and `batching` on `new SentrialClient({...})`, with
 * the Python SDK's rules: both SDKs redact one table of inputs the same way,
 * `pii: true` follows the server's `GET /api/sdk/pii-config` (the safe
 * default until it answers), and sampling keeps or drops whole sessions by
 * the same rule as Python.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { SentrialClient } from "../src/index.js";
import { BUILTIN_PATTERNS, masker } from "../src/pii.js";
import { sampledIn } from "../src/ids.js";
import { API_KEY, SentrialServer, VENV_BIN, memoryLogger } from "./helpers.js";

type Dict = Record<string, unknown>;

const TABLE = [
  "mail jane.doe+work@example.co.uk today",
  "ssn 123-45-6789 and card 4111 1111 1111 1111",
  "from 192.168.0.1 or 10.0.0.255, not 999.1.1.1",
  "call +1 415-555-0123 or (415) 555 0123",
  "v1.2.3 build 20240101 at 1733616000",
  "card 4111-1111-1111-1111, phone 030 1234 5678",
  "nothing personal here",
  "",
  "a@b.io,c@d.org;192.168.1.1",
];

/** What Python's `redact_string` makes of each input, in `mode`, with its built-in patterns (and one custom). */
function python(mode: string, inputs: string[]): string[] {
  const code = [
    "import json, sys",
    "from sentrial.redact import PiiBuiltinPatterns, PiiCustomPattern, redact_string, _BUILTIN",
    "inputs = json.load(sys.stdin)",
    "custom = [PiiCustomPattern(r'ACME-\\d+', 'ORDER')]",
    `print(json.dumps({"out": [redact_string(s, ${JSON.stringify(mode)}, PiiBuiltinPatterns(), custom) for s in inputs],`,
    "  'patterns': [[label, p.pattern] for _, label, p in _BUILTIN]}))",
  ].join("\n");
  const run = spawnSync(join(VENV_BIN, "python"), ["-c", code], { input: JSON.stringify(inputs), encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const answer = JSON.parse(run.stdout) as { out: string[]; patterns: string[][] };
  assert.deepEqual(
    answer.patterns,
    BUILTIN_PATTERNS.map(([, label, source]) => [label, source]),
    "the same patterns, in the same order",
  );
  return answer.out;
}

describe("one redaction for both SDKs", () => {
  for (const mode of ["label", "hash", "remove"] as const) {
    test(`the same table gives the same output in ${mode} mode`, () => {
      const inputs = [...TABLE, "order ACME-1234 for x@y.com"];
      const mask = masker({ enabled: true, mode, customPatterns: [{ pattern: String.raw`ACME-\d+`, label: "ORDER" }] });
      assert.deepEqual(
        inputs.map((s) => mask(s)),
        python(mode, inputs),
      );
    });
  }

  test("strings nested in objects and arrays are redacted; numbers and keys are left alone", () => {
    const mask = masker({ enabled: true });
    assert.deepEqual(mask({ to: ["a@b.io", { ip: "10.0.0.1" }], at: 1733616000, n: null }), {
      to: ["[EMAIL]", { ip: "[IP_ADDRESS]" }],
      at: 1733616000,
      n: null,
    });
  });
});

describe("pii on the client", () => {
  let server: SentrialServer;
  before(async () => {
    const file = join(mkdtempSync(join(tmpdir(), "sentrial-pii-")), "pii.json");
    writeFileSync(file, JSON.stringify({ mode: "hash", builtinPatterns: { phones: false } }));
    server = await SentrialServer.start(API_KEY, ["--pii-config", file]);
  });
  after(async () => {
    await server.stop();
  });

  test("pii: true redacts with the safe default until the server answers, then with the server's settings", async () => {
    const sentrial = new SentrialClient({ apiKey: API_KEY, apiUrl: server.url, pii: true, flushOnExit: false, logger: memoryLogger() });
    // Before the answer (it cannot have come yet): every pattern, label mode.
    const early = sentrial.createSessionSync({ name: "n", agentName: "pii-agent", userId: "jane@example.com" });
    await sentrial.trackToolCall({ sessionId: early, toolName: "lookup", toolInput: { email: "jane@example.com", phone: "+1 415-555-0123" } });
    await sentrial.completeSession({ sessionId: early, success: true, userInput: "I am jane@example.com", assistantOutput: "ok" });
    assert.equal(await sentrial.flush(), true); // also waits for the server's settings
    const late = sentrial.createSessionSync({ name: "n", agentName: "pii-agent", userId: "u" });
    await sentrial.trackLlmCall({ sessionId: late, model: "gpt-4o", provider: "openai", input: [{ role: "user", content: "jane@example.com, +1 415-555-0123" }], output: "ok" });
    assert.equal(await sentrial.flush(), true);
    const first = await server.session(early);
    assert.equal(first["userId"], "[EMAIL]");
    assert.equal(first["userInput"], "I am [EMAIL]");
    const tool = (await server.events(early))[0] as Dict;
    assert.deepEqual(tool["toolInput"], { email: "[EMAIL]", phone: "[PHONE]" });
    const llm = (await server.events(late))[0] as Dict;
    const content = ((llm["input"] as Dict[])[0] as Dict)["content"] as string;
    assert.match(content, /^\[PII:[0-9a-f]{6}\], \+1 415-555-0123$/); // hash mode, phones off: the server's
    await sentrial.shutdown();
  });

  test("a PiiConfig with enabled: true or a function chooses here; without pii nothing is redacted", async () => {
    const local = new SentrialClient({ apiKey: API_KEY, apiUrl: server.url, pii: { enabled: true, mode: "remove" }, flushOnExit: false });
    const fn = new SentrialClient({ apiKey: API_KEY, apiUrl: server.url, pii: (v) => (typeof v === "string" ? v.toUpperCase() : v), flushOnExit: false });
    const none = new SentrialClient({ apiKey: API_KEY, apiUrl: server.url, flushOnExit: false });
    const ids = [local, fn, none].map((c) => c.createSessionSync({ name: "n", agentName: "pii-local", userId: "mail a@b.io" }));
    for (const c of [local, fn, none]) assert.equal(await c.shutdown(), true);
    const users = await Promise.all(ids.map(async (id) => (await server.session(id))["userId"]));
    assert.deepEqual(users, ["mail ", "MAIL A@B.IO", "mail a@b.io"]);
  });
});

describe("sampleRate and batching", () => {
  let server: SentrialServer;
  before(async () => {
    server = await SentrialServer.start();
  });
  after(async () => {
    await server.stop();
  });

  test("sampleRate keeps whole sessions, chosen by the Python SDK's rule", async () => {
    const sentrial = new SentrialClient({ apiKey: API_KEY, apiUrl: server.url, sampleRate: 0.3, flushOnExit: false });
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const id = sentrial.createSessionSync({ name: "n", agentName: "sampled", userId: "u" });
      await sentrial.trackToolCall({ sessionId: id, toolName: "t" });
      await sentrial.completeSession({ sessionId: id, success: true });
      ids.push(id);
    }
    assert.equal(await sentrial.shutdown(), true);
    const run = spawnSync(
      join(VENV_BIN, "python"),
      ["-c", "import json, sys\nfrom sentrial._ids import sampled_in\nprint(json.dumps([sampled_in(i, 0.3) for i in json.load(sys.stdin)]))"],
      { input: JSON.stringify(ids), encoding: "utf8" },
    );
    const kept = JSON.parse(run.stdout) as boolean[];
    assert.deepEqual(ids.map((id) => sampledIn(id, 0.3)), kept);
    const expected = ids.filter((_, i) => kept[i]);
    assert.ok(expected.length > 0 && expected.length < 100, String(expected.length));
    const stored = await server.sessions("agentName=sampled&limit=100");
    assert.deepEqual(new Set(stored.map((s) => s["id"])), new Set(expected));
    for (const id of expected) assert.equal((await server.session(id))["eventCount"], 1);
    assert.equal(new SentrialClient({ sampleRate: 0, apiKey: "k", flushOnExit: false }).stats().tracked, 0);
    assert.throws(() => new SentrialClient({ sampleRate: 2, failSilently: false }), /sampleRate: must be a number from 0 to 1/);
  });

  test("batching tunes the batch wait (explicit options win)", () => {
    const quiet = { flushOnExit: false, logger: memoryLogger() };
    assert.equal(new SentrialClient({ ...quiet, batching: { flushIntervalMs: 20 } }).config.flushIntervalMs, 20);
    assert.equal(new SentrialClient({ ...quiet, batching: { flush_interval: 2 } }).config.flushIntervalMs, 2000);
    assert.equal(new SentrialClient({ ...quiet, batching: { batchSize: 50 } }).config.batchSize, 50);
    assert.equal(new SentrialClient({ ...quiet, batching: { flushIntervalMs: 20 }, flushIntervalMs: 5 }).config.flushIntervalMs, 5);
    assert.equal(new SentrialClient({ ...quiet, batching: true }).config.flushIntervalMs, 500);
  });
});
