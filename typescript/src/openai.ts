/**
 * `wrapOpenAI(client)`: every chat completion (and `responses.create`) of an
 * official `openai` client becomes an `llm_call` event with its model,
 * messages, output, tokens, cost and duration; `wrapAnthropic(client)` does
 * the same for `messages.create` of `@anthropic-ai/sdk` (as the Python SDK's
 * `wrap_anthropic`: the system prompt with the messages, text and tool uses
 * as output, cache reads and writes).
 *
 * The wrapped client is the same object, observed in place: calls return
 * exactly what they returned and throw exactly what they threw. A stream
 * stays the same `Stream`; its text and usage are read as the application
 * iterates it (usage needs `stream_options: { include_usage: true }`), and
 * the call is recorded when the stream ends, fails or is left early.
 *
 * Calls go to the current session (`begin()`, `interaction.run(fn)`,
 * `client.runInSession(id, fn)`), or to `sessionId` when given; outside a
 * session nothing is tracked unless `trackOutsideSession` is set (then each
 * call is a session of its own). This module imports nothing from `openai`
 * or `@anthropic-ai/sdk`.
 */
import type { SentrialClient } from "./client.js";
import { getCurrentSession } from "./context.js";
import { type TokenUsage, usageFrom } from "./cost.js";
import { getClient } from "./default.js";

export interface WrapOptions {
  /** The client to record with (default: the current session's, else the configured one). */
  sentrial?: SentrialClient;
  /** Record every call into this session. */
  sessionId?: string;
  /** Outside any session, record each call as a session of its own. */
  trackOutsideSession?: boolean;
}

const MARK = Symbol.for("sentrial.wrapped");

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type Summary = [output: unknown, usage: TokenUsage | undefined, model: string | undefined];

interface Target extends WrapOptions {
  provider: string;
}

class Call {
  private recorded = false;
  private readonly started = performance.now();

  constructor(
    private readonly target: Target,
    private readonly client: SentrialClient,
    private readonly sessionId: string,
    private readonly ownSession: boolean,
    private readonly model: string,
    private readonly input: unknown,
  ) {}

  /** Record the call once; never throws. */
  record(result: { output?: unknown; usage?: TokenUsage | undefined; error?: unknown; model?: string | undefined }): void {
    if (this.recorded) return;
    this.recorded = true;
    try {
      const durationMs = performance.now() - this.started;
      const usage = result.usage;
      void this.client.trackLlmCall({
        sessionId: this.sessionId,
        model: result.model ?? this.model,
        provider: this.target.provider,
        input: this.input,
        output: result.output,
        durationMs,
        error: result.error,
        ...(usage === undefined
          ? {}
          : {
              promptTokens: usage.inputTokens,
              completionTokens: usage.outputTokens,
              cachedTokens: usage.cachedInputTokens,
              cacheWriteTokens: usage.cacheWriteTokens,
            }),
      });
      if (this.ownSession) {
        const error = result.error;
        void this.client.completeSession({
          sessionId: this.sessionId,
          success: error === undefined,
          failureReason: error === undefined ? null : describe(error),
          durationMs,
        });
      }
    } catch {
      // tracking must never break the call it observes
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function start(target: Target, model: unknown, input: unknown): Call | undefined {
  try {
    const name = typeof model === "string" && model ? model : "unknown";
    if (target.sessionId !== undefined) {
      return new Call(target, target.sentrial ?? getClient(), target.sessionId, false, name, input);
    }
    const current = getCurrentSession();
    if (current !== undefined) {
      return new Call(target, target.sentrial ?? current.client, current.sessionId, false, name, input);
    }
    if (target.trackOutsideSession) {
      const client = target.sentrial ?? getClient();
      const sessionId = client.createSessionSync({ name, agentName: `${target.provider}-calls`, userId: "anonymous" });
      return new Call(target, client, sessionId, true, name, input);
    }
  } catch {
    // no tracking rather than a broken call
  }
  return undefined;
}

/** Is `value` an openai `Stream` (async iterable over its `iterator` factory)? */
function isStream(value: unknown): value is { iterator: () => AsyncIterator<unknown> } & AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { iterator?: unknown }).iterator === "function" &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

async function* observe(
  iterator: AsyncIterator<unknown>,
  call: Call,
  summarize: (items: unknown[]) => Summary,
): AsyncGenerator<unknown, void, undefined> {
  const items: unknown[] = [];
  let error: unknown;
  let done = false;
  try {
    while (true) {
      const step = await iterator.next();
      if (step.done) break;
      items.push(step.value);
      yield step.value;
    }
    done = true;
  } catch (caught) {
    error = caught;
    done = true;
    throw caught;
  } finally {
    if (!done) {
      // left early (break): close the provider's stream; not a failure
      await safeAsync(() => iterator.return?.());
    }
    let summary: Summary = [undefined, undefined, undefined];
    try {
      summary = summarize(items);
    } catch {
      // recorded without output
    }
    const [output, usage, model] = summary;
    call.record({ output, usage, model, error });
  }
}

function patch(
  resource: Record<string, unknown>,
  target: Target,
  getInput: (params: Record<string, unknown>) => unknown,
  getOutput: (result: unknown) => [unknown, string | undefined],
  summarize: (items: unknown[]) => Summary,
): void {
  const original = resource["create"];
  if (typeof original !== "function" || (original as unknown as Record<symbol, unknown>)[MARK]) return;
  const create = original as AnyFunction;

  const finish = (call: Call, result: unknown): void => {
    if (isStream(result)) {
      const make = result.iterator.bind(result);
      result.iterator = () => observe(make(), call, summarize);
      return;
    }
    let output: unknown;
    let model: string | undefined;
    try {
      [output, model] = getOutput(result);
    } catch {
      // recorded without output
    }
    let usage: TokenUsage | undefined;
    try {
      usage = usageFrom(result);
    } catch {
      // recorded without usage
    }
    call.record({ output, usage, model });
  };

  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const params = (args[0] ?? {}) as Record<string, unknown>;
    const call = start(target, params["model"], safe(() => getInput(params)));
    if (call === undefined) return create.apply(this, args);
    let result: unknown;
    try {
      result = create.apply(this, args);
    } catch (error) {
      call.record({ error });
      throw error;
    }
    try {
      observeResult(result, call, finish);
    } catch {
      call.record({}); // a result we cannot watch (frozen, exotic): recorded without output
    }
    return result;
  };
  (wrapper as unknown as Record<symbol, unknown>)[MARK] = true;
  resource["create"] = wrapper;
}

async function safeAsync(run: () => unknown): Promise<void> {
  try {
    await run();
  } catch {
    // closing a stream the application left must not throw into it
  }
}

function safe<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

/**
 * Watch a call's result without changing it. The openai `APIPromise` parses
 * its response lazily (on `then`, `withResponse()`): observe its `parse()`,
 * so that `asResponse()` keeps the body unread for the application.
 */
function observeResult(result: unknown, call: Call, finish: (call: Call, value: unknown) => void): void {
  if (result === null || typeof result !== "object" || typeof (result as PromiseLike<unknown>).then !== "function") {
    finish(call, result);
    return;
  }
  // Never a rejection of our own: these run on a branch the application does not see.
  const onValue = (value: unknown): void => {
    try {
      finish(call, value);
    } catch {
      call.record({});
    }
  };
  const onError = (error: unknown): void => call.record({ error });
  const lazy = result as { parse?: () => Promise<unknown> };
  if (typeof lazy.parse === "function") {
    const parse = lazy.parse.bind(result);
    let watched = false;
    lazy.parse = () => {
      const parsed = parse();
      if (!watched) {
        watched = true;
        parsed.then(onValue, onError);
      }
      return parsed;
    };
    return;
  }
  (result as PromiseLike<unknown>).then(onValue, onError);
}

// -- chat completions ---------------------------------------------------------

interface ChatMessage {
  content?: string | null;
  tool_calls?: Array<{ function?: { name?: string; arguments?: string } }>;
}

function chatOutput(result: unknown): [unknown, string | undefined] {
  const r = result as { model?: string; choices?: Array<{ message?: ChatMessage }> };
  const message = r.choices?.[0]?.message;
  const content = message?.content ?? null;
  if (message?.tool_calls?.length) {
    const calls = message.tool_calls.map((c) => ({ name: c.function?.name, arguments: c.function?.arguments }));
    return [{ content, tool_calls: calls }, r.model];
  }
  return [content, r.model];
}

function chatStreamSummary(chunks: unknown[]): Summary {
  const text: string[] = [];
  let usage: TokenUsage | undefined;
  let model: string | undefined;
  for (const chunk of chunks) {
    const c = chunk as { model?: string; usage?: unknown; choices?: Array<{ delta?: { content?: string | null } }> };
    model = c.model || model;
    for (const choice of c.choices ?? []) {
      if (choice.delta?.content) text.push(choice.delta.content);
    }
    if (c.usage !== undefined && c.usage !== null) usage = usageFrom(chunk);
  }
  return [text.join(""), usage, model];
}

// -- responses ------------------------------------------------------------------

function responsesOutput(result: unknown): [unknown, string | undefined] {
  const r = result as { output_text?: unknown; model?: string };
  return [r.output_text, r.model];
}

function responsesStreamSummary(events: unknown[]): Summary {
  for (let i = events.length - 1; i >= 0; i--) {
    const response = (events[i] as { response?: { usage?: unknown; output_text?: unknown; model?: string } }).response;
    if (response?.usage !== undefined && response.usage !== null) {
      return [response.output_text, usageFrom(response), response.model];
    }
  }
  return [undefined, undefined, undefined];
}

/** Observe an `openai.OpenAI` client (in place); returns it. */
export function wrapOpenAI<T extends object>(client: T, options: WrapOptions = {}): T {
  const target: Target = { ...options, provider: "openai" };
  const root = client as Record<string, unknown>;
  const chat = root["chat"] as Record<string, unknown> | undefined;
  const completions = chat?.["completions"] as Record<string, unknown> | undefined;
  if (completions !== undefined) {
    patch(completions, target, (p) => p["messages"], chatOutput, chatStreamSummary);
  }
  const responses = root["responses"] as Record<string, unknown> | undefined;
  if (responses !== undefined) {
    patch(responses, target, (p) => p["input"], responsesOutput, responsesStreamSummary);
  }
  return client;
}

// -- anthropic messages --------------------------------------------------------------

function anthropicInput(params: Record<string, unknown>): unknown {
  const messages = params["messages"];
  if (params["system"] === undefined || params["system"] === null) return messages;
  return [{ role: "system", content: params["system"] }, ...(Array.isArray(messages) ? messages : [])];
}

/** The text; with tool uses, the parts in order (text, and `{ tool_use, input }`), as the Python SDK. */
function anthropicOutput(result: unknown): [unknown, string | undefined] {
  const r = result as { model?: string; content?: Array<{ type?: string; text?: string; name?: string; input?: unknown }> };
  const parts: unknown[] = [];
  for (const block of r.content ?? []) {
    if (block.type === "text") parts.push(block.text ?? "");
    else if (block.type === "tool_use") parts.push({ tool_use: block.name, input: block.input });
  }
  const text = parts.filter((p): p is string => typeof p === "string").join("");
  return [parts.every((p) => typeof p === "string") ? text : parts, r.model];
}

/** A message stream's text, model and usage (`message_start` has the input side, `message_delta` the output tokens). */
function anthropicStreamSummary(events: unknown[]): Summary {
  let text = "";
  let model: string | undefined;
  let startUsage: Record<string, unknown> | undefined;
  let outputTokens = 0;
  for (const event of events) {
    const e = event as {
      type?: string;
      message?: { model?: string; usage?: Record<string, unknown> };
      delta?: { type?: string; text?: string };
      usage?: { output_tokens?: number };
    };
    if (e.type === "message_start") {
      model = e.message?.model;
      startUsage = e.message?.usage;
    } else if (e.type === "content_block_delta" && e.delta?.type === "text_delta") {
      text += e.delta.text ?? "";
    } else if (e.type === "message_delta" && e.usage) {
      outputTokens = e.usage.output_tokens || outputTokens;
    }
  }
  const base = startUsage === undefined ? undefined : usageFrom({ usage: startUsage });
  return [text, base === undefined ? undefined : { ...base, outputTokens }, model];
}

/** Observe an `@anthropic-ai/sdk` `Anthropic` client (in place); returns it. */
export function wrapAnthropic<T extends object>(client: T, options: WrapOptions = {}): T {
  const target: Target = { ...options, provider: "anthropic" };
  const messages = (client as Record<string, unknown>)["messages"] as Record<string, unknown> | undefined;
  if (messages !== undefined) patch(messages, target, anthropicInput, anthropicOutput, anthropicStreamSummary);
  return client;
}
