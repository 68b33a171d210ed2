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
import { BUILTIN_PATTERNS, PII_TABLE, masker } from "../src/pii.js";
import { sampledIn } from "../src/ids.js";
import { API_KEY, SentrialServer, VENV_BIN, memoryLogger } from "./helpers.js";

type Dict = Record<string, unknown>;

const TABLE = [
  "mail jane.doe+work@example.co.uk today",
  "Mixed Case: Jane.DOE@Example.COM and JOHN@EXAMPLE.ORG",
  "ssn 123-45-6789 and card 4111 1111 1111 1111",
  "from 192.168.0.1 or 10.0.0.255, not 999.1.1.1",
  "call +1 415-555-0123 or (415) 555 0123",
  "v1.2.3 build 20240101 at 1733616000",
  "card 4111-1111-1111-1111, phone 030 1234 5678",
  "nothing personal here",
  "",
  "a@b.io,c@d.org;192.168.1.1",
  "key sk-abcdefghijklmnop1234 and sk-proj-AbCdEf0123456789_xyz",
  "aws AKIAIOSFODNN7EXAMPLE, ASIAZZZZZZZZZZZZZZZZ",
  "Authorization: Bearer abc.DEF-ghi_jkl~123== then bearer\tx1y2z3w4v5",
  "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c end",
  "ghp_abcdefghijklmnopqrstuv and xoxb-123456789012-abc",
  "digits ١٢٣-٤٥-٦٧٨٩ stay (ASCII rules in both SDKs)",
];

/** A captured value: secrets and addresses in keys, nested lists of messages. */
const NESTED = {
  "jane@example.com": { "sk-abcdefghijklmnop1234": "x", phone: "+1 415-555-0123" },
  "john@example.com": "second address, same label: a second entry",
  "[EMAIL]": "a key already shaped like a label",
  messages: [
    [{ role: "user", content: "I am Jane.Doe@Example.com, token Bearer abcdefgh12345678" }],
    [{ role: "assistant", content: ["10.0.0.1", { nested: ["AKIAIOSFODNN7EXAMPLE", 1733616000, null, true] }] }],
  ],
  at: 1733616000,
  n: null,
};

type PythonAnswer = { strings: string[]; nested: unknown; table: unknown[][]; compiled: boolean[] };

/** What Python's redaction makes of the inputs in `mode` (its built-in patterns and one custom). */
function python(mode: string, inputs: string[], nested: unknown): PythonAnswer {
  const code = [
    "import json, re, sys",
    "from sentrial.redact import PiiBuiltinPatterns, PiiCustomPattern, redact_string, redact_value, _BUILTIN",
    "given = json.load(sys.stdin)",
    "custom = [PiiCustomPattern(r'ACME-\\d+', 'ORDER')]",
    `mode = ${JSON.stringify(mode)}`,
    "def compiles(source):",
    "    try:",
    "        re.compile(source, re.ASCII)",
    "        return True",
    "    except re.error:",
    "        return False",
    "print(json.dumps({",
    "  'strings': [redact_string(s, mode, PiiBuiltinPatterns(), custom) for s in given['inputs']],",
    "  'nested': redact_value(given['nested'], mode, PiiBuiltinPatterns(), custom),",
    "  'table': [[switch, label, short, p.pattern] for switch, label, short, p in _BUILTIN],",
    "  'compiled': [compiles(source) for source in given['sources']],",
    "}))",
  ].join("\n");
  const input = JSON.stringify({ inputs, nested, sources: PII_TABLE.patterns.map((row) => row.pattern) });
  const run = spawnSync(join(VENV_BIN, "python"), ["-c", code], { input, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as PythonAnswer;
}

describe("one redaction for both SDKs", () => {
  test("both SDKs read one table of patterns, each compiling in both regex dialects", () => {
    const answer = python("label", [], null);
    assert.deepEqual(
      answer.table,
      PII_TABLE.patterns.map((row) => [row.switch, row.label, row.short, row.pattern]),
      "Python's patterns are the shared table's, in its order",
    );
    assert.deepEqual(
      BUILTIN_PATTERNS.map(([option, label, source]) => [option, label, source]),
      PII_TABLE.patterns.map((row) => [row.option, row.label, row.pattern]),
    );
    assert.deepEqual(answer.compiled, PII_TABLE.patterns.map(() => true), "each compiles in Python");
    for (const row of PII_TABLE.patterns) {
      assert.doesNotThrow(() => new RegExp(row.pattern, "g"), row.label);
      // the common subset: no inline flags, named groups or Python-only anchors
      assert.doesNotMatch(row.pattern, /\(\?[aiLmsux-]|\(\?P|\\[AZ]|\(\?#/, row.label);
    }
    assert.deepEqual([...PII_TABLE.modes].sort(), ["hash", "label", "remove"]);
  });

  for (const mode of ["label", "hash", "remove"] as const) {
    test(`the same table gives the same output in ${mode} mode, nested values and keys too`, () => {
      const inputs = [...TABLE, "order ACME-1234 for x@y.com"];
      const mask = masker({ enabled: true, mode, customPatterns: [{ pattern: String.raw`ACME-\d+`, label: "ORDER" }] });
      const answer = python(mode, inputs, NESTED);
      assert.deepEqual(
        inputs.map((s) => mask(s)),
        answer.strings,
      );
      assert.deepEqual(mask(NESTED), answer.nested);
      // and every secret, address and number of the table is gone
      const out = JSON.stringify(answer.nested) + answer.strings.join("\n");
      for (const secret of ["sk-abc", "sk-proj", "AKIA", "ASIA", "eyJ", "abc.DEF", "x1y2z3", "ghp_", "xoxb", "jane", "Jane", "JOHN", "john", "415", "4111", "10.0.0.1"]) {
        assert.ok(!out.includes(secret), `${mode}: ${secret} left in ${out}`);
      }
    });
  }

  test("label mode keeps two keys redacted alike as two entries", () => {
    const out = masker({ enabled: true })(NESTED) as Dict;
    assert.deepEqual(Object.keys(out), ["[EMAIL]", "[EMAIL]#2", "[EMAIL]#3", "messages", "at", "n"]);
    assert.deepEqual(out["[EMAIL]"], { "[API_KEY]": "x", phone: "[PHONE]" });
    assert.equal(out["[EMAIL]#3"], "a key already shaped like a label");
  });

  test("hash mode gives different tokens for different values, the same for the same", () => {
    const mask = masker({ enabled: true, mode: "hash" });
    const [a, b, again] = ["a@b.io", "c@d.org", "a@b.io"].map((s) => mask(s) as string);
    assert.match(a ?? "", /^\[PII:[0-9a-f]{6}\]$/);
    assert.notEqual(a, b);
    assert.equal(a, again);
  });

  test("strings nested in objects and arrays are redacted; numbers are left alone", () => {
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

  test("ids, providers, error types, metric names, keys and class instances are redacted as Python redacts them", async () => {
    const sentrial = new SentrialClient({ apiKey: API_KEY, apiUrl: server.url, pii: { enabled: true }, flushOnExit: false });
    class Profile {
      constructor(readonly email: string) {}
    }
    const id = sentrial.createSessionSync({ name: "n", agentName: "pii-fields", userId: "u", convoId: "convo:jane@example.com" });
    await sentrial.trackLlmCall({
      sessionId: id,
      model: "gpt-4o",
      provider: "acme sk-abcdefghijklmnop1234",
      input: [[{ role: "user", content: "key AKIAIOSFODNN7EXAMPLE" }]],
      traceId: "trace-10.0.0.1",
      spanId: "span:jane@example.com",
    });
    await sentrial.trackError({ sessionId: id, errorMessage: "boom", errorType: "Err:jane@example.com" });
    await sentrial.trackToolCall({ sessionId: id, toolName: "t", toolInput: { "jane@example.com": 1, "john@example.com": 2, who: new Profile("x@y.io") } });
    await sentrial.completeSession({ sessionId: id, success: true, customMetrics: { "score for jane@example.com": 1 } });
    assert.equal(await sentrial.shutdown(), true);
    const session = await server.session(id);
    assert.equal(session["convoId"], "convo:[EMAIL]");
    assert.deepEqual(session["customMetrics"], { "score for [EMAIL]": 1 });
    const [llm, error, tool] = (await server.events(id)) as Dict[];
    assert.equal(llm?.["provider"], "acme [API_KEY]");
    assert.deepEqual(llm?.["input"], [[{ role: "user", content: "key [API_KEY]" }]]);
    assert.equal(llm?.["traceId"], "trace-[IP_ADDRESS]");
    assert.equal(llm?.["spanId"], "span:[EMAIL]");
    assert.equal((error?.["toolError"] as Dict)["type"], "Err:[EMAIL]");
    assert.deepEqual(tool?.["toolInput"], { "[EMAIL]": 1, "[EMAIL]#2": 2, who: { email: "[EMAIL]" } });
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
