/**
 * `SentrialClient`: full control over sessions.
 *
 * Every call resolves at once: ids are made on the client, payloads are
 * captured as JSON text on the caller's side, and operations are delivered
 * in the background (see `delivery.ts`). No error of the SDK reaches the
 * application unless the client was made with `failSilently: false`.
 */
import { randomUUID } from "node:crypto";

import { type Raw, captureJson, captureText, wellFormed } from "./capture.js";
import { type Config, type SentrialClientOptions, resolve, sends } from "./config.js";
import { currentSession } from "./context.js";
import {
  type CostOptions,
  calculateAnthropicCost,
  calculateCost,
  calculateGoogleCost,
  calculateOpenAICost,
  setCostLogger,
} from "./cost.js";
import { Delivery, type DeliveryStats } from "./delivery.js";
import { SentrialError, ValidationError } from "./errors.js";
import { isoUtc, newEventId, newSessionId, nowMs } from "./ids.js";
import { Interaction } from "./interaction.js";
import { type EventFields, type SessionFields, type UpdateFields, type Operation, sizeOf } from "./wire.js";

export type JsonObject = Record<string, unknown>;

export interface CreateSessionParams {
  name: string;
  agentName: string;
  userId: string;
  metadata?: JsonObject | null;
  parentSessionId?: string | null;
  convoId?: string | null;
}

interface Common {
  sessionId: string;
  traceId?: string | null;
  spanId?: string | null;
  metadata?: JsonObject | null;
}

export interface TrackToolCallParams extends Common {
  toolName: string;
  toolInput?: unknown;
  toolOutput?: unknown;
  reasoning?: string | null;
  estimatedCost?: number | null;
  /** An `Error`, an object (`message`, `type`, `stack_trace`) or a message. */
  toolError?: unknown;
  tokenCount?: number | null;
  durationMs?: number | null;
}

export interface TrackDecisionParams extends Common {
  reasoning: string;
  alternatives?: readonly string[] | null;
  /** 0..1. */
  confidence?: number | null;
  estimatedCost?: number | null;
  tokenCount?: number | null;
}

export interface TrackErrorParams extends Common {
  /** The error itself: its message, name and stack are recorded. */
  error?: unknown;
  errorMessage?: string;
  errorType?: string | null;
  toolName?: string | null;
  stackTrace?: string | null;
}

export interface TrackLlmCallParams extends Common {
  model: string;
  provider?: string | null;
  input?: unknown;
  output?: unknown;
  promptTokens?: number | null;
  completionTokens?: number | null;
  /** Of `promptTokens`, read from the provider's cache. */
  cachedTokens?: number | null;
  /** Of `promptTokens`, written to the provider's cache. */
  cacheWriteTokens?: number | null;
  durationMs?: number | null;
  /** USD; computed from the model's price when omitted. */
  estimatedCost?: number | null;
  /** The call failed: an `Error`, an object or a message. */
  error?: unknown;
}

export interface CompleteSessionParams {
  sessionId: string;
  success?: boolean;
  failureReason?: string | null;
  /** USD; summed from the session's events when omitted. */
  estimatedCost?: number | null;
  customMetrics?: Record<string, number> | null;
  durationMs?: number | null;
  promptTokens?: number | null;
  completionTokens?: number | null;
  totalTokens?: number | null;
  userInput?: unknown;
  assistantOutput?: unknown;
}

export interface BeginParams {
  userId: string;
  /** The kind of interaction; also the session's agent name. */
  event: string;
  input?: unknown;
  eventId?: string;
  convoId?: string | null;
  metadata?: JsonObject | null;
}

/** An event as it will be stored (built on the client). */
export interface EventRecord {
  id: string;
  sessionId: string;
  eventType: string;
  toolName: string | null;
  createdAt: string;
}

/** A session's new state after `completeSession` (what is known on the client). */
export interface SessionRecord {
  id: string;
  status: "completed" | "failed";
  success: boolean;
  failureReason?: string;
  estimatedCost?: number;
  durationMs?: number;
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
  customMetrics?: Record<string, number>;
  userInput?: string;
  assistantOutput?: string;
  completedAt: string;
}

export interface ClientStats extends DeliveryStats {}

/** Cost and tokens the events of one open session reported. */
interface Totals {
  cost: number;
  promptTokens: number;
  completionTokens: number;
  /** tokenCount of events that do not split prompt/completion. */
  tokens: number;
}

const MAX_OPEN_SESSIONS = 100_000;
const KNOWN_PROVIDERS = new Set(["openai", "anthropic", "google"]);

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function sessionIdOf(value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new ValidationError(`sessionId: expected the id createSession returned, got ${JSON.stringify(value)}`);
  }
  return value;
}

function given<T>(value: T | null | undefined): value is T {
  return value !== undefined && value !== null;
}

function nonNegative(name: string, value: unknown, integer: boolean): number {
  const number = typeof value === "number" ? value : Number(value);
  if (typeof value === "boolean" || Number.isNaN(number) || (typeof value !== "number" && typeof value !== "string")) {
    throw new ValidationError(`${name}: expected a number, got ${JSON.stringify(value)}`);
  }
  if (!(number >= 0)) throw new ValidationError(`${name}: must be >= 0, got ${JSON.stringify(value)}`);
  if (!Number.isFinite(number)) throw new ValidationError(`${name}: must be finite`);
  return integer ? Math.trunc(number) : number;
}

/** An error's type: its class's name (many libraries leave `name` as "Error"). */
export function errorType(error: Error): string {
  const name = error.name;
  const className = error.constructor?.name;
  return name === "Error" && className && className !== "Object" ? className : name;
}

function toolErrorOf(value: unknown): unknown {
  if (value instanceof Error) return { message: value.message, type: errorType(value), stack_trace: value.stack ?? null };
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    // The API types these three as strings; anything else is kept as extra keys.
    const out: JsonObject = { ...(value as JsonObject) };
    for (const key of ["message", "type", "stack_trace"]) {
      if (given(out[key]) && typeof out[key] !== "string") out[key] = String(out[key]);
    }
    return out;
  }
  return { message: String(value) };
}

export class SentrialClient {
  readonly config: Config;
  private delivery_: Delivery | undefined;
  private readonly totals = new Map<string, Totals>();
  private readonly errors: Record<string, number> = {};
  private readonly loggedErrors = new Set<string>();
  private finalStats: DeliveryStats | undefined;
  private readonly sends: boolean;

  constructor(options: SentrialClientOptions = {}) {
    this.config = resolve(options);
    this.sends = sends(this.config);
    if (options.logger !== undefined) {
      const logger = options.logger;
      setCostLogger((message) => logger.warn(message));
    }
    if (!this.config.apiKey && this.config.enabled) {
      this.config.logger.warn("sentrial: no API key (apiKey or SENTRIAL_API_KEY): nothing is sent");
    }
  }

  private get delivery(): Delivery {
    this.delivery_ ??= new Delivery(this.config);
    return this.delivery_;
  }

  /** Run `body`; a failure becomes `fallback()` (or a SentrialError with `failSilently: false`). */
  private guardSync<T>(method: string, fallback: () => T, body: () => T): T {
    try {
      return body();
    } catch (error) {
      if (!this.config.failSilently) {
        throw error instanceof SentrialError ? error : new SentrialError(`${method}: ${describe(error)}`, { cause: error });
      }
      this.noteError(method, error);
      return fallback();
    }
  }

  /** `guardSync` as a promise: resolved at once, or rejected with `failSilently: false`. */
  private guard<T>(method: string, fallback: () => T, body: () => T): Promise<T> {
    try {
      return Promise.resolve(this.guardSync(method, fallback, body));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** A call that failed before its operation was made: counted as dropped, logged once. */
  private noteError(method: string, error: unknown): void {
    const reason = error instanceof ValidationError || error instanceof TypeError ? "invalid_argument" : "internal_error";
    this.errors[reason] = (this.errors[reason] ?? 0) + 1;
    if (!this.loggedErrors.has(method)) {
      this.loggedErrors.add(method);
      try {
        this.config.logger.warn(`sentrial: ${method} failed (${describe(error)}); tracking continues`);
      } catch {
        // never
      }
    }
  }

  private json(value: unknown): Raw {
    return captureJson(value, this.config.maxFieldBytes, true);
  }

  private text(value: unknown): string {
    if (typeof value === "string" && value.length * 3 <= this.config.maxFieldBytes) return wellFormed(value);
    return captureText(value, this.config.maxFieldBytes);
  }

  private submit(op: Operation): void {
    if (this.sends) this.delivery.submit(op);
  }

  private common(fields: EventFields, params: Common, cost: unknown, tokens: unknown): void {
    if (cost) fields.estimatedCost = nonNegative("estimatedCost", cost, false); // 0 and null add nothing
    if (given(tokens)) fields.tokenCount = nonNegative("tokenCount", tokens, true);
    if (given(params.traceId)) fields.traceId = wellFormed(String(params.traceId));
    if (given(params.spanId)) fields.spanId = wellFormed(String(params.spanId));
    if (given(params.metadata)) fields.metadata = this.json(params.metadata);
  }

  private event(sessionId: string, eventType: EventFields["eventType"], fields: EventFields): EventRecord {
    const id = newEventId();
    fields.id = id;
    fields.eventType = eventType;
    const at = nowMs();
    this.count(sessionId, fields);
    this.submit({ kind: "create_event", sessionId, at, fields, attempts: 0, size: sizeOf(fields) });
    const toolName = fields.toolName;
    return {
      id,
      sessionId,
      eventType: eventType as string,
      toolName: typeof toolName === "string" ? toolName : null,
      createdAt: isoUtc(at),
    };
  }

  /** Add an event's cost and tokens to its session's totals (for completeSession). */
  private count(sessionId: string, fields: EventFields): void {
    const cost = fields.estimatedCost;
    const prompt = fields.promptTokens;
    const completion = fields.completionTokens;
    const tokens = fields.tokenCount;
    if (!cost && !prompt && !completion && !tokens) return; // most tool calls
    let totals = this.totals.get(sessionId);
    if (totals === undefined) {
      totals = { cost: 0, promptTokens: 0, completionTokens: 0, tokens: 0 };
      this.totals.set(sessionId, totals);
      if (this.totals.size > MAX_OPEN_SESSIONS) {
        const oldest = this.totals.keys().next().value;
        if (oldest !== undefined) this.totals.delete(oldest);
      }
    }
    totals.cost += typeof cost === "number" ? cost : 0;
    const p = typeof prompt === "number" ? prompt : 0;
    const c = typeof completion === "number" ? completion : 0;
    totals.promptTokens += p;
    totals.completionTokens += c;
    if (!p && !c) totals.tokens += typeof tokens === "number" ? tokens : 0;
  }

  // -- sessions and events ---------------------------------------------------------

  /** Start a session; resolves at once with its id (made on the client). */
  createSession(params: CreateSessionParams): Promise<string> {
    return this.guard("createSession", newSessionId, () => this.openSession(params));
  }

  /** `createSession`, with the id returned directly (it is made on the client). */
  createSessionSync(params: CreateSessionParams): string {
    return this.guardSync("createSession", newSessionId, () => this.openSession(params));
  }

  private openSession(params: CreateSessionParams): string {
    const sessionId = newSessionId();
    const at = nowMs();
    const fields: SessionFields = {
      name: this.text(params.name),
      agentName: this.text(params.agentName),
      userId: this.text(params.userId),
    };
    if (given(params.parentSessionId)) fields.parentSessionId = wellFormed(String(params.parentSessionId));
    if (given(params.convoId)) fields.convoId = wellFormed(String(params.convoId));
    if (given(params.metadata)) fields.metadata = this.json(params.metadata);
    this.submit({ kind: "create_session", sessionId, at, fields, attempts: 0, size: sizeOf(fields) });
    return sessionId;
  }

  /** Record a tool call; resolves at once with the event as it will be stored. */
  trackToolCall(params: TrackToolCallParams): Promise<EventRecord> {
    return this.guard("trackToolCall", () => ({}) as EventRecord, () => {
      const sessionId = sessionIdOf(params.sessionId);
      const fields: EventFields = { toolName: this.text(params.toolName) };
      if (given(params.toolInput)) fields.toolInput = this.json(params.toolInput);
      if (given(params.toolOutput)) fields.toolOutput = this.json(params.toolOutput);
      if (given(params.toolError)) fields.toolError = this.json(toolErrorOf(params.toolError));
      if (given(params.reasoning)) fields.reasoning = this.text(params.reasoning);
      if (given(params.durationMs)) fields.durationMs = nonNegative("durationMs", params.durationMs, false);
      this.common(fields, params, params.estimatedCost, params.tokenCount);
      return this.event(sessionId, "tool_call", fields);
    });
  }

  /** Record a decision of the agent (event type `llm_decision`). */
  trackDecision(params: TrackDecisionParams): Promise<EventRecord> {
    return this.guard("trackDecision", () => ({}) as EventRecord, () => {
      const sessionId = sessionIdOf(params.sessionId);
      const fields: EventFields = { reasoning: this.text(params.reasoning) };
      if (given(params.alternatives)) {
        const alternatives: readonly unknown[] =
          typeof params.alternatives === "string" ? [params.alternatives] : [...params.alternatives];
        fields.alternativesConsidered = alternatives.map((a) => this.text(a));
      }
      if (given(params.confidence)) {
        const confidence = Number(params.confidence);
        if (!(confidence >= 0 && confidence <= 1)) {
          throw new ValidationError(`confidence: must be between 0 and 1, got ${JSON.stringify(params.confidence)}`);
        }
        fields.confidence = confidence;
      }
      this.common(fields, params, params.estimatedCost, params.tokenCount);
      return this.event(sessionId, "llm_decision", fields);
    });
  }

  /** Record an error; `error` may be the thrown value itself. */
  trackError(params: TrackErrorParams): Promise<EventRecord> {
    return this.guard("trackError", () => ({}) as EventRecord, () => {
      const sessionId = sessionIdOf(params.sessionId);
      let message: unknown = params.errorMessage;
      let type = params.errorType ?? undefined;
      let stack = params.stackTrace ?? undefined;
      const thrown = params.error;
      if (thrown instanceof Error) {
        message ??= thrown.message;
        type ??= errorType(thrown);
        stack ??= thrown.stack;
      } else if (given(thrown)) {
        message ??= thrown;
      }
      const error: JsonObject = { message: this.text(message ?? "") };
      if (given(type)) error["type"] = wellFormed(String(type));
      if (given(stack)) error["stack_trace"] = this.text(stack);
      const fields: EventFields = { toolError: this.json(error) };
      if (given(params.toolName)) fields.toolName = this.text(params.toolName);
      this.common(fields, params, undefined, undefined);
      return this.event(sessionId, "error", fields);
    });
  }

  /**
   * Record an LLM call: model, provider, input, output, prompt/completion/cached
   * tokens, duration, cost (computed from the model's price when omitted), error.
   */
  trackLlmCall(params: TrackLlmCallParams): Promise<EventRecord> {
    return this.guard("trackLlmCall", () => ({}) as EventRecord, () => {
      const sessionId = sessionIdOf(params.sessionId);
      const model = this.text(params.model);
      const fields: EventFields = { model };
      const provider = given(params.provider) ? wellFormed(String(params.provider)) : undefined;
      if (provider !== undefined) fields.provider = provider;
      if (given(params.input)) fields.input = captureJson(params.input, this.config.maxFieldBytes, false);
      if (given(params.output)) fields.output = captureJson(params.output, this.config.maxFieldBytes, false);
      const counts = {
        promptTokens: params.promptTokens,
        completionTokens: params.completionTokens,
        cachedTokens: params.cachedTokens,
        cacheWriteTokens: params.cacheWriteTokens,
      } as const;
      for (const [name, value] of Object.entries(counts)) {
        if (given(value)) fields[name as keyof typeof counts] = nonNegative(name, value, true);
      }
      if (given(params.durationMs)) fields.durationMs = nonNegative("durationMs", params.durationMs, false);
      if (given(params.error)) fields.toolError = this.json(toolErrorOf(params.error));
      let cost = params.estimatedCost;
      if (!given(cost) && (fields.promptTokens || fields.completionTokens)) {
        const options: CostOptions = {
          cachedInputTokens: (fields.cachedTokens as number | undefined) ?? 0,
          cacheWriteTokens: (fields.cacheWriteTokens as number | undefined) ?? 0,
        };
        if (provider !== undefined && KNOWN_PROVIDERS.has(provider)) options.provider = provider;
        cost = calculateCost(
          model,
          (fields.promptTokens as number | undefined) ?? 0,
          (fields.completionTokens as number | undefined) ?? 0,
          options,
        );
      }
      const total = ((fields.promptTokens as number | undefined) ?? 0) + ((fields.completionTokens as number | undefined) ?? 0);
      this.common(fields, params, cost, total || undefined);
      return this.event(sessionId, "llm_call", fields);
    });
  }

  /**
   * End a session; cost and tokens not given are summed from its events.
   * Resolves at once with the session's new state.
   */
  completeSession(params: CompleteSessionParams): Promise<SessionRecord> {
    return this.guard("completeSession", () => ({}) as SessionRecord, () => {
      const sessionId = sessionIdOf(params.sessionId);
      const success = params.success === undefined ? true : Boolean(params.success);
      const fields: UpdateFields = { status: success ? "completed" : "failed", success };
      if (given(params.failureReason)) fields.failureReason = this.text(params.failureReason);
      if (given(params.estimatedCost)) fields.estimatedCost = nonNegative("estimatedCost", params.estimatedCost, false);
      if (given(params.durationMs)) fields.durationMs = nonNegative("durationMs", params.durationMs, false);
      if (given(params.promptTokens)) fields.promptTokens = nonNegative("promptTokens", params.promptTokens, true);
      if (given(params.completionTokens)) {
        fields.completionTokens = nonNegative("completionTokens", params.completionTokens, true);
      }
      if (given(params.totalTokens)) fields.totalTokens = nonNegative("totalTokens", params.totalTokens, true);
      if (given(params.customMetrics)) fields.customMetrics = metrics(params.customMetrics);
      if (given(params.userInput)) fields.userInput = this.text(params.userInput);
      if (given(params.assistantOutput)) fields.assistantOutput = this.text(params.assistantOutput);
      this.fill(sessionId, fields);
      const at = nowMs();
      this.submit({ kind: "update_session", sessionId, at, fields, attempts: 0, size: sizeOf(fields) });
      const record: SessionRecord = { id: sessionId, status: success ? "completed" : "failed", success, completedAt: isoUtc(at) };
      for (const key of [
        "failureReason",
        "estimatedCost",
        "durationMs",
        "promptTokens",
        "completionTokens",
        "totalTokens",
        "customMetrics",
        "userInput",
        "assistantOutput",
      ] as const) {
        if (fields[key] !== undefined) (record as unknown as Record<string, unknown>)[key] = fields[key];
      }
      return record;
    });
  }

  /** Fill cost and tokens not given from the session's events. */
  private fill(sessionId: string, fields: UpdateFields): void {
    const totals = this.totals.get(sessionId);
    if (totals === undefined) return;
    this.totals.delete(sessionId);
    if (!given(fields.estimatedCost) && totals.cost) fields.estimatedCost = Math.round(totals.cost * 1e10) / 1e10;
    if (!given(fields.promptTokens) && totals.promptTokens) fields.promptTokens = totals.promptTokens;
    if (!given(fields.completionTokens) && totals.completionTokens) fields.completionTokens = totals.completionTokens;
    if (!given(fields.totalTokens)) {
      let total = totals.promptTokens + totals.completionTokens + totals.tokens;
      const { promptTokens: p, completionTokens: c } = fields;
      if (typeof p === "number" && typeof c === "number") total = Math.max(total, p + c);
      if (total) fields.totalTokens = total;
    }
  }

  /**
   * Start tracking one interaction (a session whose agent name is `event`);
   * it becomes the current session of this async context (see `wrapOpenAI`).
   */
  begin(params: BeginParams): Interaction {
    const eventId = given(params.eventId) ? String(params.eventId) : randomUUID();
    const sessionId = this.guardSync("begin", newSessionId, () => {
      const metadata: JsonObject = {};
      const extra = params.metadata;
      if (extra !== null && typeof extra === "object" && !Array.isArray(extra)) Object.assign(metadata, extra);
      else if (given(extra)) metadata["metadata"] = extra;
      if (given(params.input)) metadata["input"] = params.input;
      if (params.convoId) metadata["convo_id"] = params.convoId;
      metadata["event_id"] = eventId;
      return this.openSession({
        name: `${String(params.event)}:${eventId.slice(0, 8)}`,
        agentName: String(params.event),
        userId: params.userId,
        convoId: params.convoId ?? null,
        metadata,
      });
    });
    const interaction = new Interaction(this, sessionId, eventId, params.userId, params.event, params.input);
    currentSession.enterWith(interaction.asCurrent());
    return interaction;
  }

  /** Run `fn` with `sessionId` as the current session (for `wrapOpenAI`). */
  runInSession<T>(sessionId: string, fn: () => T): T {
    return currentSession.run({ client: this, sessionId, isFinished: () => false }, fn);
  }

  // -- lifecycle -------------------------------------------------------------------

  /** Wait until everything tracked so far is delivered; false when something was not (or at `timeoutMs`). */
  async flush(timeoutMs?: number): Promise<boolean> {
    try {
      return this.delivery_ === undefined ? true : await this.delivery_.flush(timeoutMs);
    } catch (error) {
      this.noteError("flush", error);
      return false;
    }
  }

  /** Flush within `timeoutMs` (default `shutdownTimeoutMs`) and stop; a later call starts again. */
  async shutdown(timeoutMs?: number): Promise<boolean> {
    const delivery = this.delivery_;
    this.delivery_ = undefined;
    if (delivery === undefined) return true;
    try {
      return await delivery.shutdown(timeoutMs);
    } catch (error) {
      this.noteError("shutdown", error);
      return false;
    } finally {
      this.finalStats = delivery.stats();
    }
  }

  /** Counts of operations: tracked, queued, in flight, sent, retried, dropped by reason. */
  stats(): ClientStats {
    const base: DeliveryStats = this.delivery_?.stats() ??
      this.finalStats ?? { tracked: 0, queued: 0, inFlight: 0, sent: 0, retried: 0, dropped: {} };
    const dropped = { ...base.dropped };
    for (const [reason, n] of Object.entries(this.errors)) dropped[reason] = (dropped[reason] ?? 0) + n;
    return { ...base, dropped };
  }

  // -- cost helpers, as in the published SDK ----------------------------------------

  static calculateOpenAICost(model: string, inputTokens: number, outputTokens: number, options?: CostOptions): number {
    return calculateOpenAICost(model, inputTokens, outputTokens, options);
  }

  static calculateAnthropicCost(model: string, inputTokens: number, outputTokens: number, options?: CostOptions): number {
    return calculateAnthropicCost(model, inputTokens, outputTokens, options);
  }

  static calculateGoogleCost(model: string, inputTokens: number, outputTokens: number, options?: CostOptions): number {
    return calculateGoogleCost(model, inputTokens, outputTokens, options);
  }
}

function metrics(values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(values)) {
    const number = Number(value);
    if (typeof value === "boolean" || !Number.isFinite(number)) {
      throw new ValidationError(`customMetrics.${key}: expected a finite number, got ${JSON.stringify(value)}`);
    }
    out[key] = number;
  }
  return out;
}
