/**
 * What the tests run against: a real `sentrial serve` (the Python package's
 * server, from the project's `.venv`) on a free loopback port, the Python
 * LLM stand-in, and `StandIn`, a small Node server that answers like a
 * Sentrial server that is not ours (see its comment).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { afterEach } from "node:test";
import { fileURLToPath } from "node:url";

/** The typescript/ folder (tests run from dist/test/). */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const REPO_DIR = resolve(PACKAGE_DIR, "..");
export const VENV_BIN = process.env["SENTRIAL_VENV_BIN"] ?? join(REPO_DIR, ".venv", "bin");
export const API_KEY = "sentrial_ts_test_key";

/**
 * Each test file's own spool directory (children inherit it), emptied after
 * each test: what one test leaves on disk (a shutdown that gave up) is never
 * replayed into a later test whose server got the same port.
 */
export const SPOOL_DIR = mkdtempSync(join(tmpdir(), "sentrial-ts-spool-"));
process.env["SENTRIAL_SPOOL_DIR"] = SPOOL_DIR;
afterEach(() => rmSync(SPOOL_DIR, { recursive: true, force: true }));
process.on("exit", () => rmSync(SPOOL_DIR, { recursive: true, force: true }));

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Start `command` and resolve with the first line of its stdout that `match` accepts. */
async function startProcess(
  command: string,
  args: string[],
  match: RegExp,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; found: RegExpMatchArray }> {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const found = await new Promise<RegExpMatchArray>((resolveFound, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start in 30 s: ${stderr}`)), 30_000);
    lines.on("line", (line) => {
      const m = line.match(match);
      if (m) {
        clearTimeout(timer);
        resolveFound(m);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code}) before it was ready: ${stderr}`));
    });
  });
  return { child, found };
}

/** A real `sentrial serve --db :memory:` on a free loopback port. */
export class SentrialServer {
  private constructor(
    readonly url: string,
    readonly apiKey: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(apiKey: string = API_KEY, extraArgs: string[] = []): Promise<SentrialServer> {
    const { child, found } = await startProcess(
      join(VENV_BIN, "sentrial"),
      ["serve", "--host", "127.0.0.1", "--port", "0", "--db", ":memory:", "--api-key", apiKey, ...extraArgs],
      /on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    return new SentrialServer(found[1] as string, apiKey, child);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill("SIGTERM");
    await once(this.child, "exit");
  }

  private async get(path: string): Promise<unknown> {
    const response = await fetch(this.url + path, { headers: { Authorization: `Bearer ${this.apiKey}` } });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  }

  /** A session as the server stored it (read with plain HTTP, independent of the SDK). */
  session(id: string): Promise<Record<string, unknown>> {
    return this.get(`/api/sdk/sessions/${encodeURIComponent(id)}`) as Promise<Record<string, unknown>>;
  }

  async events(id: string): Promise<Array<Record<string, unknown>>> {
    const page = (await this.get(`/api/sdk/sessions/${encodeURIComponent(id)}/events?limit=1000`)) as {
      data: Array<Record<string, unknown>>;
    };
    return page.data;
  }

  async sessions(query: string): Promise<Array<Record<string, unknown>>> {
    const page = (await this.get(`/api/sdk/sessions?${query}`)) as { data: Array<Record<string, unknown>> };
    return page.data;
  }
}

/** The Python LLM stand-in (OpenAI-compatible `/v1/chat/completions`) in its own process. */
export class LlmStandIn {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(): Promise<LlmStandIn> {
    const code = [
      "import sys",
      "from sentrial._server import ASGIThread, create_llm_app",
      "server = ASGIThread(create_llm_app())",
      "server.start()",
      "print(server.url, flush=True)",
      "sys.stdin.read()  # until the test process goes away",
    ].join("\n");
    const { child, found } = await startProcess(join(VENV_BIN, "python"), ["-c", code], /^(http:\/\/\S+)$/);
    return new LlmStandIn(found[1] as string, child);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.stdin?.end();
    this.child.kill("SIGTERM");
    await once(this.child, "exit");
  }
}

// -- a Sentrial server that is not ours ------------------------------------------

/** The documented API's fields (written from the documentation, not from the SDK). */
export const DOCUMENTED_FIELDS: Record<"session" | "update" | "event", ReadonlySet<string>> = {
  session: new Set(["name", "agentName", "userId", "metadata", "parentSessionId", "convoId"]),
  update: new Set([
    "status",
    "success",
    "failureReason",
    "estimatedCost",
    "durationMs",
    "promptTokens",
    "completionTokens",
    "totalTokens",
    "customMetrics",
    "userInput",
    "assistantOutput",
  ]),
  event: new Set([
    "sessionId",
    "eventType",
    "toolName",
    "toolInput",
    "toolOutput",
    "toolError",
    "reasoning",
    "alternativesConsidered",
    "confidence",
    "estimatedCost",
    "tokenCount",
    "traceId",
    "spanId",
    "metadata",
    "stateBefore",
    "stateAfter",
  ]),
};
const DOCUMENTED_EVENT_TYPES = new Set(["tool_call", "llm_decision", "state_change", "error"]);

export interface Fault {
  status: number;
  retryAfter?: string;
}

export interface StandInOptions {
  /**
   * `plain`: the three documented endpoints only (no health, no batch), 201
   * with ids of its own, 400 for anything undocumented. `batch`: also a
   * health answer listing every extension and `POST /api/sdk/batch`
   * (ids as sent), for the tests of batching, splitting and Retry-After.
   */
  mode: "plain" | "batch";
  /** Answered to the first requests (health excluded), one per entry. */
  faults?: Fault[];
  /** Largest batch (operations) before answering 413. */
  maxBatch?: number;
  /** A body containing it is answered 500, every time. */
  poison?: string;
  latencyMs?: number;
}

export interface Recorded {
  method: string;
  path: string;
  body: unknown;
  at: number;
  status: number;
}

export class StandIn {
  readonly sessions = new Map<string, Record<string, unknown>>();
  readonly events: Array<Record<string, unknown>> = [];
  readonly requests: Recorded[] = [];
  readonly rejections: string[] = [];
  /** Requests being answered now, and the most at once. */
  inFlight = 0;
  maxInFlight = 0;
  private counter = 0;
  private server: Server | undefined;
  url = "";

  constructor(readonly options: StandInOptions) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  paths(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  eventsOf(sessionId: string): Array<Record<string, unknown>> {
    return this.events.filter((e) => e["sessionId"] === sessionId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const path = (req.url ?? "").split("?")[0] ?? "";
    const method = req.method ?? "GET";
    const send = (status: number, answer?: unknown, headers: Record<string, string> = {}): void => {
      this.requests.push({ method, path, body, at: performance.now(), status });
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(answer === undefined ? "" : JSON.stringify(answer));
    };
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on("finish", () => {
      this.inFlight -= 1;
    });
    if (this.options.latencyMs) await new Promise((r) => setTimeout(r, this.options.latencyMs));
    if (method === "GET" && path === "/api/sdk/health") {
      if (this.options.mode === "plain") return send(404, { error: "Not Found", message: "no such path" });
      return send(200, { status: "ok", capabilities: ["batch", "client_ids", "client_timestamps", "llm_call", "reads"] });
    }
    if (req.headers.authorization !== `Bearer ${API_KEY}`) return send(401, { error: "Unauthorized", message: "bad key" });
    const fault = this.options.faults?.shift();
    if (fault !== undefined) {
      return send(fault.status, { error: "fault", message: "scripted" }, fault.retryAfter ? { "retry-after": fault.retryAfter } : {});
    }
    if (this.options.poison !== undefined && text.includes(this.options.poison)) {
      return send(500, { error: "Server Error", message: "poison" });
    }
    if (method === "POST" && path === "/api/sdk/batch" && this.options.mode === "batch") {
      const operations = (body as { operations: Array<Record<string, unknown>> }).operations;
      if (this.options.maxBatch !== undefined && operations.length > this.options.maxBatch) {
        return send(413, { error: "Payload Too Large", message: "too many operations" });
      }
      const results = operations.map((item, index) => {
        const [status, answer] = this.apply(
          item["op"] === "createSession" ? "session" : item["op"] === "createEvent" ? "event" : "update",
          item["body"],
          item["sessionId"] as string | undefined,
        );
        return { index, status, id: (answer as { id?: string }).id ?? null, message: status >= 400 ? String((answer as { message?: string }).message) : null };
      });
      return send(200, { results });
    }
    if (method === "POST" && path === "/api/sdk/sessions") return send(...this.apply("session", body));
    if (method === "POST" && path === "/api/sdk/events") return send(...this.apply("event", body));
    const patch = path.match(/^\/api\/sdk\/sessions\/([^/]+)$/);
    if (method === "PATCH" && patch) return send(...this.apply("update", body, decodeURIComponent(patch[1] as string)));
    return send(404, { error: "Not Found", message: "no such path" });
  }

  private check(on: "session" | "update" | "event", body: unknown): string | undefined {
    if (body === null || typeof body !== "object" || Array.isArray(body)) return "body: expected an object";
    if (this.options.mode !== "plain") return undefined;
    for (const key of Object.keys(body)) {
      if (!DOCUMENTED_FIELDS[on].has(key)) return `${key}: unknown field`;
    }
    if (on === "event" && !DOCUMENTED_EVENT_TYPES.has(String((body as Record<string, unknown>)["eventType"]))) {
      return "eventType: unknown event type";
    }
    return undefined;
  }

  private apply(on: "session" | "update" | "event", body: unknown, sessionId?: string): [number, unknown] {
    const problem = this.check(on, body);
    if (problem !== undefined) {
      this.rejections.push(problem);
      return [400, { error: "Bad Request", message: problem }];
    }
    const record = { ...(body as Record<string, unknown>) };
    const created = this.options.mode === "plain" ? 201 : 200;
    if (on === "session") {
      this.counter += 1;
      const id = this.options.mode === "plain" ? `sess_standin${this.counter}` : String(record["id"]);
      const session = { ...record, id, status: "active" };
      this.sessions.set(id, session);
      return [created, session];
    }
    if (on === "event") {
      if (!this.sessions.has(String(record["sessionId"]))) return [404, { error: "Not Found", message: "unknown session" }];
      this.counter += 1;
      const event = { ...record, id: this.options.mode === "plain" ? `evt_standin${this.counter}` : record["id"] };
      this.events.push(event);
      return [created, event];
    }
    const session = this.sessions.get(sessionId ?? "");
    if (session === undefined) return [404, { error: "Not Found", message: "unknown session" }];
    Object.assign(session, record);
    return [200, session];
  }
}

export function closedPort(): Promise<string> {
  return new Promise((resolveUrl) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolveUrl(`http://127.0.0.1:${port}`));
    });
  });
}

/** A logger that keeps what the SDK says. */
export function memoryLogger(): { warn(message: string): void; debug(message: string): void; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (message: string) => lines.push(message),
    debug: (message: string) => lines.push(message),
  };
}
