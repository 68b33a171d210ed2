/**
 * The documented TypeScript runs: the documentation's example
 * (examples/seed/manual-tracking.ts) unchanged against `sentrial serve`, with
 * `searchDatabase` provided and `openai` pointed at the LLM stand-in, its
 * sessions read back; README.md's TypeScript blocks as written; and the
 * package the README tells to install (a tarball of typescript/) installs,
 * imports by name and type-checks in a project of its own.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import ts from "typescript";

import { LlmStandIn, PACKAGE_DIR, REPO_DIR, SentrialServer } from "./helpers.js";

const EXAMPLE = join(PACKAGE_DIR, "examples", "seed", "manual-tracking.ts");
const DOCS = join(REPO_DIR, "..", "shared", "seed", "manual-tracking.txt");
const DOCS_KEY = "sentrial_live_xxx"; // any key: the server below accepts this one

const README = readFileSync(join(REPO_DIR, "README.md"), "utf8");

function blocks(language: string): string[] {
  return [...README.matchAll(/^```(\w+)\n([\s\S]*?)^```/gm)].filter((m) => m[1] === language).map((m) => m[2] as string);
}

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

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

// The documentation's TypeScript example, as trimmed non-empty lines, hashed: the
// committed copy is checked against it everywhere, and the hash against the
// documentation itself wherever ../shared is checked out next to the repository.
const SEED_SHA256 = "074ad321bf466d834953953a077bf247454a4824c4fe8dd3f4c9591c9b5c3b23";

function fingerprint(text: string): string {
  return createHash("sha256").update(lines(text).join("\n")).digest("hex");
}

test("the example is the documentation's, verbatim (indentation aside)", () => {
  assert.equal(fingerprint(readFileSync(EXAMPLE, "utf8")), SEED_SHA256);
  if (existsSync(DOCS)) {
    const docs = readFileSync(DOCS, "utf8");
    const section = docs.slice(docs.indexOf("TypeScript Example\n") + "TypeScript Example\n".length, docs.indexOf("Best Practices"));
    assert.equal(fingerprint(section), SEED_SHA256);
  }
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

test("the README's first TypeScript block is the documentation's example", () => {
  const [example] = blocks("ts");
  assert.deepEqual(lines(example ?? ""), lines(readFileSync(join(PACKAGE_DIR, "examples", "seed", "manual-tracking.ts"), "utf8")));
});

test("the README's other TypeScript blocks run as written", async () => {
  const rest = blocks("ts").slice(1);
  assert.ok(rest.length >= 1);
  // The environment is the one before() set: SENTRIAL_API_URL/KEY, OPENAI_BASE_URL/KEY.
  const runDir = join(PACKAGE_DIR, "dist", "readme-run");
  mkdirSync(runDir, { recursive: true });
  for (const [index, block] of rest.entries()) {
    const { outputText } = ts.transpileModule(block, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const file = join(runDir, `block${index + 1}.js`);
    writeFileSync(file, outputText);
    await import(pathToFileURL(file).href);
  }
  const deadline = performance.now() + 15_000;
  let session: Record<string, unknown> | undefined;
  while (performance.now() < deadline) {
    [session] = await server.sessions("agentName=ts-support");
    if (session?.["status"] === "completed") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(session?.["status"], "completed");
  assert.equal(session?.["userInput"], "How do I reset?");
  const events = await server.events(session?.["id"] as string);
  assert.deepEqual(
    events.map((e) => e["eventType"]),
    ["tool_call", "llm_call"],
  );
  assert.ok((events[1]?.["estimatedCost"] as number) > 0);
});

/** `names` and everything they depend on, as paths under the package's node_modules (hoisted by npm ci). */
function installedClosure(names: string[]): string[] {
  const seen = new Set<string>();
  const todo = [...names];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, "node_modules", name, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    todo.push(...Object.keys(manifest.dependencies ?? {}));
  }
  return [...seen].sort().map((name) => join("node_modules", name));
}

test("the package installs from its tarball, imports by name and type-checks", (t) => {
  const work = mkdtempSync(join(tmpdir(), "sentrial-ts-pack-"));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  // dist/ is built already (make ts-test): pack without running the build again.
  execFileSync(npm, ["pack", "--ignore-scripts", "--pack-destination", work], { cwd: PACKAGE_DIR, stdio: "pipe" });
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
  assert.ok(tarball !== undefined);
  const files = execFileSync("tar", ["-tzf", join(work, tarball)], { encoding: "utf8" }).split("\n");
  assert.ok(files.includes("package/dist/src/index.js") && files.includes("package/dist/src/index.d.ts"));
  // The PII patterns, shared as data with the Python SDK, ship with it.
  assert.ok(files.includes("package/dist/src/_pii_patterns.json"), "the PII pattern table is shipped");
  assert.ok(!files.some((f) => f.includes("/test/") || f.includes("node_modules")), "only the SDK is shipped");

  const project = join(work, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  // The SDK's dependencies and @types/node (what a Node project has; the SDK's
  // declarations name Node's types) come from node_modules, which `make install`
  // filled from the lock: packed there and installed offline, so the test reads no
  // npm cache and no registry (a cache that no project command filled made it fail
  // on new machines with ENOTCACHED).
  const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const deps = installedClosure([...Object.keys(manifest.dependencies), "@types/node"]);
  execFileSync(npm, ["pack", "--ignore-scripts", "--pack-destination", work, ...deps.map((d) => `./${d}`)], {
    cwd: PACKAGE_DIR,
    stdio: "pipe",
  });
  const tarballs = readdirSync(work).filter((f) => f.endsWith(".tgz"));
  assert.equal(tarballs.length, deps.length + 1, `packed: ${tarballs.join(", ")}`);
  execFileSync(
    npm,
    ["install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs.map((f) => join(work, f))],
    { cwd: project, stdio: "pipe", env: { ...process.env, npm_config_cache: join(work, "npm-cache") } },
  );
  writeFileSync(
    join(project, "app.ts"),
    [
      'import { SentrialClient, calculateOpenAICost, type EventRecord } from "@sentrial/sdk";',
      'const client = new SentrialClient({ apiKey: "k", apiUrl: "http://127.0.0.1:9", enabled: false });',
      'const id: Promise<string> = client.createSession({ name: "n", agentName: "a", userId: "u" });',
      "const cost: number = calculateOpenAICost(\"gpt-4o\", 1, 1);",
      "export const checks: [Promise<string>, number, EventRecord | undefined] = [id, cost, undefined];",
    ].join("\n"),
  );
  const tsc = join(PACKAGE_DIR, "node_modules", "typescript", "bin", "tsc");
  execFileSync(
    process.execPath,
    [tsc, "--noEmit", "--strict", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--target", "ES2022", "--skipLibCheck", "app.ts"],
    { cwd: project, stdio: "pipe" },
  );
  const out = execFileSync(
    process.execPath,
    ["--input-type=module", "-e", 'import { SentrialClient, VERSION } from "@sentrial/sdk"; console.log(typeof SentrialClient, VERSION);'],
    { cwd: project, encoding: "utf8" },
  );
  assert.equal(out.trim(), "function 0.1.0");
});
