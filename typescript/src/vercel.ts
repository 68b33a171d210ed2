/**
 * The Vercel AI SDK (`ai`, majors 4 to 6): `configureVercel({...})` once,
 * then `const { generateText, streamText, generateObject, streamObject } =
 * wrapAISDK(ai)`. Each wrapped call is one session:
 *
 * - created with the configured agent, user and conversation (`userId` and
 *   `convoId` may be functions: called per AI call);
 * - one `llm_call` event per step (model, provider, the prompt / messages /
 *   system on the first, the step's text or tool calls, finish reason,
 *   tokens; cost from the model's price for OpenAI, Anthropic and Google);
 * - one `tool_call` event per tool execution (arguments, result, duration,
 *   error, the tool call id);
 * - completed with the output text (or object), or failed with the error,
 *   which is then thrown on as it was.
 *
 * Nothing of the tracking ever throws into the app or changes what the call
 * returns; streams are tracked through their `onFinish` / `onError`
 * callbacks (the app's own still run, after ours).
 */
import { SentrialClient } from "./client.js";
import { type Dict, type PerCall, isDict, isPromise, messageOf, numberOr, perCall, quietly } from "./integration.js";

export interface VercelOptions {
  /** Default `SENTRIAL_API_KEY`. */
  apiKey?: string;
  /** Default `SENTRIAL_API_URL`. */
  apiUrl?: string;
  /** The sessions' agent name (default "vercel-ai"). */
  defaultAgent?: string;
  /** The user of each call (default "anonymous"). */
  userId?: PerCall;
  /** The conversation of each call. */
  convoId?: PerCall;
  /** Default true: nothing of the SDK ever throws into the app. */
  failSilently?: boolean;
  /** A client to use instead of one made from `apiKey` / `apiUrl`. */
  client?: SentrialClient;
}

const FUNCTIONS = ["generateText", "streamText", "generateObject", "streamObject"] as const;
type FunctionName = (typeof FUNCTIONS)[number];

interface Settings {
  client: SentrialClient;
  options: VercelOptions;
}

let configured: Settings | undefined;

/** Set up tracking of the Vercel AI SDK; returns the client it uses. */
export function configureVercel(options: VercelOptions = {}): SentrialClient {
  const given = options ?? {};
  const client =
    given.client ??
    new SentrialClient({
      ...(given.apiKey !== undefined ? { apiKey: given.apiKey } : {}),
      ...(given.apiUrl !== undefined ? { apiUrl: given.apiUrl } : {}),
      ...(given.failSilently !== undefined ? { failSilently: given.failSilently } : {}),
    });
  configured = { client, options: given };
  return client;
}

function settings(): Settings {
  configured ??= { client: new SentrialClient(), options: {} };
  return configured;
}

/**
 * `ai` (or any object with its functions) with `generateText`, `streamText`,
 * `generateObject` and `streamObject` tracked; everything else as it is.
 * `options` (optional) apply to this wrapper only, over `configureVercel`'s.
 */
export function wrapAISDK<AI extends object>(ai: AI, options?: VercelOptions): AI {
  const out: Record<string, unknown> = { ...(ai as Record<string, unknown>) };
  // v5 and later log a stream's error when no onError is given; v4 does not.
  const logsStreamErrors = typeof out["stepCountIs"] === "function";
  for (const name of FUNCTIONS) {
    const fn = out[name];
    if (typeof fn === "function") {
      out[name] = wrapFunction(name, fn as (...args: unknown[]) => unknown, options, logsStreamErrors);
    }
  }
  return out as AI;
}

function wrapFunction(
  name: FunctionName,
  fn: (...args: unknown[]) => unknown,
  options: VercelOptions | undefined,
  logsStreamErrors: boolean,
): (...args: unknown[]) => unknown {
  const streaming = name.startsWith("stream");
  return function wrapped(this: unknown, ...args: unknown[]): unknown {
    const call = Call.start(name, args[0], options);
    if (call === undefined) return fn.apply(this, args);
    const callArgs = [call.options(streaming, logsStreamErrors), ...args.slice(1)];
    const started = performance.now();
    let result: unknown;
    try {
      result = fn.apply(this, callArgs);
    } catch (error) {
      call.fail(error);
      throw error;
    }
    const failed = (error: unknown): never => {
      call.fail(error);
      throw error;
    };
    // A stream is recorded by its callbacks (see Call.options); v3's streamText returned a promise of it.
    if (streaming) return isPromise(result) ? result.then(undefined, failed) : result;
    return Promise.resolve(result).then((value) => {
      call.finish(value, performance.now() - started);
      return value;
    }, failed);
  };
}

/** A token count of any major: a number, or v6's `{ total }`. */
function count(value: unknown): number | undefined {
  return isDict(value) ? count(value["total"]) : numberOr(value);
}

/** [prompt, completion, cached] tokens of a usage object (v4: promptTokens; v5+: inputTokens). */
function tokens(usage: unknown): [number | undefined, number | undefined, number | undefined] {
  if (!isDict(usage)) return [undefined, undefined, undefined];
  const prompt = count(usage["inputTokens"]) ?? count(usage["promptTokens"]);
  const completion = count(usage["outputTokens"]) ?? count(usage["completionTokens"]);
  const details = usage["inputTokenDetails"];
  const cached =
    count(usage["cachedInputTokens"]) ?? (isDict(details) ? count(details["cacheReadTokens"]) : undefined);
  return [prompt, completion, cached];
}

/** [model id, provider] of a model object or a gateway id ("openai/gpt-4o"). */
function modelOf(model: unknown): [string, string | undefined] {
  if (typeof model === "string") {
    const slash = model.indexOf("/");
    return slash > 0 ? [model.slice(slash + 1), model.slice(0, slash)] : [model, undefined];
  }
  if (isDict(model)) {
    const id = typeof model["modelId"] === "string" ? model["modelId"] : "unknown";
    const provider = typeof model["provider"] === "string" ? model["provider"] : undefined;
    // "openai.chat", "anthropic.messages", "google.generative-ai": the provider is the first part.
    return [id, provider?.split(".")[0]];
  }
  return ["unknown", undefined];
}

/** The text the user asked (the prompt, or the last user message's text). */
function userInput(options: Dict): string | undefined {
  if (typeof options["prompt"] === "string") return options["prompt"];
  const messages = options["messages"] ?? options["prompt"];
  if (!Array.isArray(messages)) return undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as unknown;
    if (!isDict(message) || message["role"] !== "user") continue;
    const content = message["content"];
    if (typeof content === "string") return content;
    if (Array.isArray(content)) {
      return content
        .map((part: unknown) => (isDict(part) && typeof part["text"] === "string" ? part["text"] : ""))
        .join("");
    }
  }
  return undefined;
}

/** One wrapped AI call: its session and what it tracks. */
class Call {
  private done = false;
  private readonly model: string;
  private readonly provider: string | undefined;

  private constructor(
    private readonly client: SentrialClient,
    private readonly sessionId: string,
    private readonly given: Dict,
    private readonly name: FunctionName,
  ) {
    [this.model, this.provider] = modelOf(given["model"]);
  }

  /** The session of a call with `options`; undefined (untracked) when they are not an object. */
  static start(name: FunctionName, options: unknown, wrapOptions: VercelOptions | undefined): Call | undefined {
    if (!isDict(options)) return undefined;
    try {
      const { client, options: base } = settings();
      const chosen = { ...base, ...(wrapOptions ?? {}) };
      const client_ = wrapOptions?.client ?? client;
      const [model, provider] = modelOf(options["model"]);
      const sessionId = client_.createSessionSync({
        name: `${name}: ${model}`,
        agentName: chosen.defaultAgent ?? "vercel-ai",
        userId: perCall(chosen.userId) ?? "anonymous",
        convoId: perCall(chosen.convoId) ?? null,
        metadata: { function: name, model, provider: provider ?? null },
      });
      return new Call(client_, sessionId, options, name);
    } catch {
      return undefined;
    }
  }

  /** The call's options with tools tracked and, for a stream, our callbacks before the app's. */
  options(streaming: boolean, logsStreamErrors: boolean): Dict {
    const out: Dict = { ...this.given };
    quietly(() => {
      const tools = this.given["tools"];
      if (isDict(tools)) {
        const wrapped: Dict = {};
        for (const [toolName, tool] of Object.entries(tools)) wrapped[toolName] = this.tool(toolName, tool);
        out["tools"] = wrapped;
      }
    });
    if (!streaming) return out;
    const started = performance.now();
    const onFinish = this.given["onFinish"];
    out["onFinish"] = (event: unknown, ...rest: unknown[]): unknown => {
      quietly(() => {
        const error = isDict(event) ? event["error"] : undefined;
        if (error !== undefined && error !== null) this.fail(error);
        else this.finish(event, performance.now() - started);
      });
      return typeof onFinish === "function" ? (onFinish as (...a: unknown[]) => unknown)(event, ...rest) : undefined;
    };
    const onError = this.given["onError"];
    out["onError"] = (event: unknown, ...rest: unknown[]): unknown => {
      quietly(() => this.fail(isDict(event) && "error" in event ? event["error"] : event));
      if (typeof onError === "function") return (onError as (...a: unknown[]) => unknown)(event, ...rest);
      if (logsStreamErrors) console.error(isDict(event) && "error" in event ? event["error"] : event);
      return undefined;
    };
    return out;
  }

  /** `tool` with its `execute` tracked: arguments, result or error, duration, call id. */
  private tool(toolName: string, tool: unknown): unknown {
    if (!isDict(tool) || typeof tool["execute"] !== "function") return tool;
    const execute = tool["execute"] as (...args: unknown[]) => unknown;
    const track = (input: unknown, started: number, context: unknown, output: unknown, error: unknown): void => {
      quietly(() => {
        const callId = isDict(context) ? context["toolCallId"] : undefined;
        void this.client.trackToolCall({
          sessionId: this.sessionId,
          toolName,
          toolInput: input,
          ...(error === undefined ? { toolOutput: output } : { toolError: error }),
          durationMs: performance.now() - started,
          metadata: typeof callId === "string" ? { tool_call_id: callId } : null,
        });
      });
    };
    const wrapped = function (this: unknown, input: unknown, context: unknown, ...rest: unknown[]): unknown {
      const started = performance.now();
      let result: unknown;
      try {
        result = execute.call(this, input, context, ...rest);
      } catch (error) {
        track(input, started, context, undefined, error);
        throw error;
      }
      if (!isPromise(result)) {
        track(input, started, context, result, undefined);
        return result;
      }
      return result.then(
        (output) => {
          track(input, started, context, output, undefined);
          return output;
        },
        (error: unknown) => {
          track(input, started, context, undefined, error ?? "error");
          throw error;
        },
      );
    };
    return { ...tool, execute: wrapped };
  }

  /** The call returned (or its stream finished) with `result`. */
  finish(result: unknown, durationMs: number): void {
    if (this.done) return;
    this.done = true;
    quietly(() => {
      const outcome = isDict(result) ? result : {};
      const steps = Array.isArray(outcome["steps"]) && outcome["steps"].length > 0 ? (outcome["steps"] as unknown[]) : [outcome];
      const input: Dict = {};
      for (const key of ["system", "prompt", "messages"]) if (this.given[key] !== undefined) input[key] = this.given[key];
      steps.forEach((step, index) => {
        const s = isDict(step) ? step : {};
        const [promptTokens, completionTokens, cachedTokens] = tokens(s["usage"]);
        const text = typeof s["text"] === "string" ? s["text"] : undefined;
        const toolCalls = Array.isArray(s["toolCalls"]) && s["toolCalls"].length > 0 ? s["toolCalls"] : undefined;
        const output = "object" in s ? s["object"] : text || toolCalls ? { text: text ?? "", toolCalls } : text;
        void this.client.trackLlmCall({
          sessionId: this.sessionId,
          model: this.model,
          provider: this.provider ?? null,
          input: index === 0 ? input : undefined,
          output,
          promptTokens: promptTokens ?? null,
          completionTokens: completionTokens ?? null,
          cachedTokens: cachedTokens ?? null,
          durationMs: steps.length === 1 ? durationMs : null,
          metadata: { finish_reason: s["finishReason"] ?? outcome["finishReason"] ?? null, step: index, function: this.name },
        });
      });
      const object = outcome["object"];
      const text = typeof outcome["text"] === "string" ? outcome["text"] : undefined;
      void this.client.completeSession({
        sessionId: this.sessionId,
        success: true,
        durationMs,
        userInput: userInput(this.given) ?? null,
        assistantOutput: object !== undefined ? JSON.stringify(object) : (text ?? null),
      });
    });
  }

  /** The call failed: the error is recorded, the session failed (the caller throws it on). */
  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    quietly(() => {
      void this.client.trackError({ sessionId: this.sessionId, error, metadata: { function: this.name } });
      void this.client.completeSession({
        sessionId: this.sessionId,
        success: false,
        failureReason: messageOf(error),
        userInput: userInput(this.given) ?? null,
      });
    });
  }
}
