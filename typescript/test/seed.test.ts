/**
 * The documentation's TypeScript example (examples/seed/manual-tracking.ts)
 * runs unchanged against `sentrial serve`, with `searchDatabase` provided and
 * `openai` pointed at the LLM stand-in; the sessions it made are read back.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import ts from "typescript";

import { LlmStandIn, PACKAGE_DIR, REPO_DIR, SentrialServer } from "./helpers.js";

const EXAMPLE = join(PACKAGE_DIR, "examples", "seed", "manual-tracking.ts");
const DOCS = join(REPO_DIR, "..", "shared", "seed", "manual-tracking.txt");
const DOCS_KEY = "sentrial_live_xxx"; // any key: the server below accepts this one

type HandleRequest = (userInput: string, userId: string) => Promise<string | null>;

let server: SentrialServer;
let llm: LlmStandIn;
let handleRequest: HandleRequest;
const searched: string[] = [];

before(async () => {
  [server, llm] = await Promise.all([SentrialServer.start(DOCS_KEY), LlmStandIn.start()]);
  process.env["SENTRIAL_API_URL"] = server.url;
  process.env["SENTRIAL_API_KEY"] = DOCS_KEY;
  process.env["OPENAI_BASE_URL"] = `${llm.url}/v1`;
  process.env["OPENAI_API_KEY"] = "sk-local-standin";
  // The user's own search, which the example calls by name.
  (globalThis as Record<string, unknown>)["searchDatabase"] = async (query: string): Promise<string[]> => {
    searched.push(query);
    if (query.includes("index offline")) throw new Error("search index offline");
    return [`kb-1: about ${query}`, "kb-2: refunds"];
  };
  // Compiled as is; one line appended so that the test can call the function
  // the example defines (a module's functions are not visible otherwise).
  const source = readFileSync(EXAMPLE, "utf8");
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: EXAMPLE,
  });
  const runDir = join(PACKAGE_DIR, "dist", "seed-run");
  mkdirSync(runDir, { recursive: true });
  const compiled = join(runDir, "manual-tracking.js");
  writeFileSync(compiled, `${outputText}\nexport { handleRequest };\n`);
  ({ handleRequest } = (await import(pathToFileURL(compiled).href)) as { handleRequest: HandleRequest });
});

after(async () => {
  await Promise.all([server.stop(), llm.stop()]);
});

async function sessionOf(userId: string): Promise<Record<string, unknown>> {
  const deadline = performance.now() + 15_000;
  for (;;) {
    const [session] = await server.sessions(`userId=${encodeURIComponent(userId)}`);
    if (session !== undefined && session["status"] !== "active") return session;
    if (performance.now() > deadline) throw new Error(`no finished session for ${userId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("the example is the documentation's, verbatim (indentation aside)", (t) => {
  if (!existsSync(DOCS)) {
    t.skip(`${DOCS} not present`);
    return;
  }
  const lines = (text: string): string[] =>
    text
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "");
  const docs = readFileSync(DOCS, "utf8");
  const section = docs.slice(docs.indexOf("TypeScript Example\n") + "TypeScript Example\n".length, docs.indexOf("Best Practices"));
  assert.deepEqual(lines(readFileSync(EXAMPLE, "utf8")), lines(section));
});

test("a request: tool call, LLM call, tokens, completed; read back from the server", async () => {
  const answer = await handleRequest("How do I get a refund for my order?", "seed_user_1");
  assert.equal(answer, "I have started your refund; it will arrive within 5 business days.");
  assert.deepEqual(searched.slice(-1), ["How do I get a refund for my order?"]);
  const session = await sessionOf("seed_user_1");
  assert.equal(session["name"], "Request: How do I get a refund for my order?...");
  assert.equal(session["agentName"], "my-custom-agent");
  assert.equal(session["status"], "completed");
  assert.equal(session["success"], true);
  assert.ok((session["promptTokens"] as number) > 0);
  assert.ok((session["completionTokens"] as number) > 0);
  const events = await server.events(session["id"] as string);
  assert.equal(events.length, 1);
  const [event] = events as [Record<string, unknown>];
  assert.equal(event["eventType"], "tool_call");
  assert.equal(event["toolName"], "search_database");
  assert.deepEqual(event["toolInput"], { query: "How do I get a refund for my order?" });
  assert.deepEqual(event["toolOutput"], {
    results: ["kb-1: about How do I get a refund for my order?", "kb-2: refunds"],
  });
});

test("a failing request: the session fails with the error's message, which is re-thrown", async () => {
  await assert.rejects(handleRequest("index offline, sorry", "seed_user_2"), /search index offline/);
  const session = await sessionOf("seed_user_2");
  assert.equal(session["status"], "failed");
  assert.equal(session["success"], false);
  assert.equal(session["failureReason"], "search index offline");
  assert.equal(session["eventCount"], 0);
});
