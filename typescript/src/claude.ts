/**
 * The Claude Agent SDK (`@anthropic-ai/claude-agent-sdk`):
 * `const tracked = wrapClaudeAgent(query, { client, defaultAgent, userId, convoId, extraMetadata })`,
 * then `for await (const message of tracked({ prompt, options }))` as with
 * `query`. Each query is one session, as the Python wrapper records it
 * (`sentrial/integrations/claude_agent.py`):
 *
 * - the session starts at the SDK's `system`/`init` message (its model,
 *   Claude session id, cwd and tools in the metadata, with `extraMetadata`);
 * - one `llm_call` per assistant API response (the CLI's per-block messages
 *   of one response merged by message id, so tokens count once): model,
 *   text and tool uses, tokens, cache reads and writes;
 * - one `tool_call` per tool use, when its result arrives (matched by the
 *   tool use id): input, output or error, duration;
 * - the `result` message completes it with Claude's own `total_cost_usd`
 *   (it includes what the CLI spent on its own), tokens, duration, the
 *   prompt and the final text, and the custom metrics `num_turns` and
 *   `duration_api_ms`; an error result, an exception or a stream closed
 *   before its result fails it with the reason.
 *
 * Messages pass through unchanged and the returned object keeps the
 * query's own methods (`interrupt()`, ...). Nothing imports the SDK: its
 * messages are read as the plain objects they are.
 */
import type { SentrialClient } from "./client.js";
import { getClient } from "./default.js";
import { type Dict, type PerCall, isDict, messageOf, numberOr, perCall, quietly } from "./integration.js";

export interface ClaudeAgentOptions {
  /** Default: the client of `configure()`. */
  client?: SentrialClient;
  /** The sessions' agent name (default "claude-agent"). */
  defaultAgent?: string;
  /** Default "anonymous"; a function is called per query. */
  userId?: PerCall;
  convoId?: PerCall;
  /** Added to each session's metadata. */
  extraMetadata?: Dict | null;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((block: unknown) => (isDict(block) && block["type"] === "text" && typeof block["text"] === "string" ? block["text"] : ""))
    .join("");
}

function integer(usage: unknown, key: string): number | null {
  const value = isDict(usage) ? numberOr(usage[key]) : undefined;
  return value !== undefined && Number.isInteger(value) ? value : null;
}

/** One query's messages as Sentrial operations; never throws. */
class Recorder {
  private sessionId: string | undefined;
  private done = false;
  private readonly started = performance.now();
  /** tool use id -> [name, input, started] */
  private readonly pending = new Map<string, [string, unknown, number]>();
  /** The messages of the assistant response being read (same message id). */
  private assistant: Dict[] = [];

  constructor(
    private readonly client: SentrialClient,
    private readonly options: ClaudeAgentOptions,
    private readonly prompt: string | undefined,
  ) {}

  private session(init: Dict | undefined): string {
    if (this.sessionId !== undefined) return this.sessionId;
    const agent = this.options.defaultAgent ?? "claude-agent";
    const metadata: Dict = { ...(isDict(this.options.extraMetadata) ? this.options.extraMetadata : {}) };
    if (init !== undefined) {
      for (const key of ["model", "session_id", "cwd", "permissionMode"]) {
        if (init[key] !== undefined) metadata[key === "session_id" ? "claude_session_id" : key] = init[key];
      }
      if (Array.isArray(init["tools"])) metadata["tools"] = init["tools"];
    }
    const name = (this.prompt ?? agent).trim().split("\n")[0]?.slice(0, 100) || agent;
    this.sessionId = this.client.createSessionSync({
      name,
      agentName: agent,
      userId: perCall(this.options.userId) ?? "anonymous",
      convoId: perCall(this.options.convoId) ?? null,
      metadata,
    });
    return this.sessionId;
  }

  handle(message: unknown): void {
    if (this.done) return;
    quietly(() => {
      if (!isDict(message)) return;
      const type = message["type"];
      if (type === "system" && message["subtype"] === "init") {
        this.session(message);
        return;
      }
      const sessionId = this.session(undefined);
      if (type === "assistant") {
        const id = isDict(message["message"]) ? message["message"]["id"] : undefined;
        const first = this.assistant[0];
        const firstId = first !== undefined && isDict(first["message"]) ? first["message"]["id"] : undefined;
        if (id === undefined || id !== firstId) this.flushAssistant(sessionId);
        this.assistant.push(message);
        const content = isDict(message["message"]) ? message["message"]["content"] : undefined;
        for (const block of Array.isArray(content) ? content : []) {
          if (isDict(block) && block["type"] === "tool_use" && typeof block["id"] === "string") {
            this.pending.set(block["id"], [String(block["name"] ?? "unknown_tool"), block["input"], performance.now()]);
          }
        }
        return;
      }
      this.flushAssistant(sessionId);
      if (type === "user") {
        const content = isDict(message["message"]) ? message["message"]["content"] : undefined;
        for (const block of Array.isArray(content) ? content : []) {
          if (isDict(block) && block["type"] === "tool_result") this.toolResult(sessionId, block);
        }
      } else if (type === "result") {
        this.result(sessionId, message);
      }
    });
  }

  private flushAssistant(sessionId: string): void {
    const messages = this.assistant;
    this.assistant = [];
    const last = messages[messages.length - 1];
    if (last === undefined) return;
    const body = isDict(last["message"]) ? last["message"] : {};
    const toolUses: Dict[] = [];
    let text = "";
    for (const message of messages) {
      const content = isDict(message["message"]) ? message["message"]["content"] : undefined;
      text += textOf(content);
      for (const block of Array.isArray(content) ? content : []) {
        if (isDict(block) && block["type"] === "tool_use") {
          toolUses.push({ id: block["id"], name: block["name"], input: block["input"] });
        }
      }
    }
    const usage = body["usage"];
    const error = last["error"];
    void this.client.trackLlmCall({
      sessionId,
      model: typeof body["model"] === "string" ? body["model"] : "claude",
      provider: "anthropic",
      output: toolUses.length === 0 ? text : { text, tool_uses: toolUses },
      promptTokens: integer(usage, "input_tokens"),
      completionTokens: integer(usage, "output_tokens"),
      cachedTokens: integer(usage, "cache_read_input_tokens"),
      cacheWriteTokens: integer(usage, "cache_creation_input_tokens"),
      error: error === undefined || error === null ? null : { message: String(error), type: "assistant_error" },
      metadata: typeof body["id"] === "string" ? { message_id: body["id"] } : null,
    });
  }

  private toolResult(sessionId: string, block: Dict): void {
    const id = typeof block["tool_use_id"] === "string" ? block["tool_use_id"] : "";
    const [name, input, started] = this.pending.get(id) ?? ["unknown_tool", undefined, performance.now()];
    this.pending.delete(id);
    const content = block["content"];
    const output = Array.isArray(content) ? textOf(content) : content;
    const failed = block["is_error"] === true;
    void this.client.trackToolCall({
      sessionId,
      toolName: name,
      toolInput: input,
      ...(failed ? { toolError: { message: String(output) } } : { toolOutput: output }),
      durationMs: performance.now() - started,
      metadata: { tool_use_id: id },
    });
  }

  private result(sessionId: string, result: Dict): void {
    this.done = true;
    const failed = result["is_error"] === true || (typeof result["subtype"] === "string" && result["subtype"].startsWith("error"));
    const errors = Array.isArray(result["errors"]) ? result["errors"].map(String) : [];
    const metrics: Record<string, number> = {};
    for (const key of ["num_turns", "duration_api_ms"]) {
      const value = numberOr(result[key]);
      if (value !== undefined) metrics[key] = value;
    }
    const usage = result["usage"];
    void this.client.completeSession({
      sessionId,
      success: !failed,
      failureReason: failed ? errors.join("; ") || String(result["subtype"] ?? "error") : null,
      estimatedCost: numberOr(result["total_cost_usd"]) ?? null,
      durationMs: numberOr(result["duration_ms"]) ?? performance.now() - this.started,
      promptTokens: integer(usage, "input_tokens"),
      completionTokens: integer(usage, "output_tokens"),
      userInput: this.prompt ?? null,
      assistantOutput: typeof result["result"] === "string" ? result["result"] : null,
      customMetrics: metrics,
    });
  }

  /** The stream ended (`error`: why, when it did not end by itself): fail the session if no result completed it. */
  end(reason: string | undefined): void {
    if (this.done) return;
    this.done = true;
    quietly(() => {
      const sessionId = this.session(undefined);
      this.flushAssistant(sessionId);
      void this.client.completeSession({
        sessionId,
        success: false,
        failureReason: reason ?? "ended before a result",
        durationMs: performance.now() - this.started,
        userInput: this.prompt ?? null,
      });
    });
  }
}

type AsyncGen = AsyncIterator<unknown> & Partial<AsyncIterable<unknown>>;

/** `inner` with every message recorded; its other properties (e.g. `interrupt()`) are its own. */
function observe<T extends object>(inner: T, recorder: Recorder): T {
  const gen = inner as unknown as AsyncGen;
  const iterator: AsyncIterator<unknown> =
    typeof gen.next === "function" ? gen : (gen as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const next = async (...args: [] | [unknown]): Promise<IteratorResult<unknown>> => {
    let step: IteratorResult<unknown>;
    try {
      step = await iterator.next(...args);
    } catch (error) {
      recorder.end(messageOf(error));
      throw error;
    }
    if (step.done) recorder.end(undefined);
    else recorder.handle(step.value);
    return step;
  };
  const close = async (value?: unknown): Promise<IteratorResult<unknown>> => {
    recorder.end("closed before a result");
    return typeof iterator.return === "function" ? iterator.return(value) : { done: true, value };
  };
  const fail = async (error?: unknown): Promise<IteratorResult<unknown>> => {
    recorder.end(messageOf(error));
    if (typeof iterator.throw === "function") return iterator.throw(error);
    throw error;
  };
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === "next") return next;
      if (property === "return") return close;
      if (property === "throw") return fail;
      if (property === Symbol.asyncIterator) return function (this: unknown) {
        return this;
      };
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** `query` of the Claude Agent SDK, each call recorded as a session (see the module's comment). */
export function wrapClaudeAgent<Q extends (...args: never[]) => object>(query: Q, options: ClaudeAgentOptions = {}): Q {
  const chosen = options ?? {};
  return function (this: unknown, ...args: Parameters<Q>): object {
    const inner = query.apply(this, args);
    let recorder: Recorder;
    try {
      const params = args[0] as unknown;
      const prompt = isDict(params) && typeof params["prompt"] === "string" ? params["prompt"] : undefined;
      recorder = new Recorder(chosen.client ?? getClient(), chosen, prompt);
    } catch {
      return inner;
    }
    return observe(inner, recorder);
  } as unknown as Q;
}
