/**
 * `SentrialClient`: full control over sessions.
 *
 * Every call resolves at once: ids are made on the client, payloads are
 * captured as JSON text on the caller's side, and operations are delivered
 * in the background (see `delivery.ts`). No error of the SDK reaches the
 * application unless the client was made with `failSilently: false`.
 */
import { randomUUID } from "node:crypto";

import { type Raw, captureJson, captureText, parsed, wellFormed } from "./capture.js";
import { type Config, type SentrialClientOptions, resolve, safeWarn, sends } from "./config.js";
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
import { isoUtc, newEventId, newSessionId, nowMs, sampledIn } from "./ids.js";
import { type JsonRedactor, ServerPiiMask, maskOf } from "./pii.js";
import { Transport } from "./transport.js";
import { isDict } from "./integration.js";
import { Interaction, safeString } from "./interaction.js";
import { type EventFields, type SessionFields, type UpdateFields, type Operation, sizeOf } from "./wire.js";

export type JsonObject = Record<string, unknown>;

export interface CreateSessionParams {
  name: string;
  agentName: string;
  userId: string;
  metadata?: JsonObject | null;
  parentSessionId?: string | null;
  convoId?: string | null;
  /** The production assignment the session runs under (`getVariant(...).assignmentId`). */
  experimentAssignmentId?: string | null;
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
  return error instanceof Error ? `${error.name}: ${error.message}` : safeString(error);
}

/** A value as shown in a message (JSON when it has one; NaN and undefined by name). */
function shown(value: unknown): string {
  if (typeof value === "number" || value === undefined) return String(value);
  try {
    return JSON.stringify(value) ?? safeString(value);
  } catch {
    return safeString(value);
  }
}

function sessionIdOf(value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new ValidationError(`sessionId: expected the id createSession returned, got ${shown(value)}`);
  }
  return value;
}

function given<T>(value: T | null | undefined): value is T {
  return value !== undefined && value !== null;
}

function nonNegative(name: string, value: unknown, integer: boolean): number {
  const number = typeof value === "number" ? value : Number(value);
  if (typeof value === "boolean" || Number.isNaN(number) || (typeof value !== "number" && typeof value !== "string")) {
    throw new ValidationError(`${name}: expected a number, got ${shown(value)}`);
  }
  if (!(number >= 0)) throw new ValidationError(`${name}: must be >= 0, got ${shown(value)}`);
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
  /** Calls and fields dropped on the caller's side since flush/shutdown last said so. */
  private droppedUnreported = 0;
  /** The shutdown in progress: later shutdown() and flush() calls wait for it. */
  private shutting: Promise<boolean> | undefined;
  /** The `pii` option's redaction, applied to every value captured. */
  private readonly mask: ((value: unknown) => unknown) | JsonRedactor | ServerPiiMask | undefined;
  /** The request for the server's PII settings (`flush` waits for it). */
  private piiLoading: Promise<void> | undefined;

  constructor(options: SentrialClientOptions | null = {}) {
    this.config = resolve(options);
    this.sends = sends(this.config);
    if (options !== null && typeof options === "object" && options.logger !== undefined && options.logger !== null) {
      const logger = this.config.logger;
      setCostLogger((message) => safeWarn(logger, message));
    }
    if (!this.config.apiKey && this.config.enabled && this.config.apiKeyError === undefined) {
      safeWarn(this.config.logger, "sentrial: no API key (apiKey or SENTRIAL_API_KEY): nothing is sent");
    }
    this.mask = maskOf(options !== null && typeof options === "object" ? options.pii : undefined);
    if (this.mask instanceof ServerPiiMask && this.sends) this.piiLoading = this.loadPii(this.mask);
  }

  /** The server's PII settings, in the background (the safe default applies until then, and if it cannot answer). */
  private async loadPii(mask: ServerPiiMask): Promise<void> {
    try {
      const answer = await new Transport(this.config).piiConfig();
      if (answer !== undefined) mask.load(answer);
    } catch {
      // unreachable: the safe default stays
    }
  }

  /** `value` redacted by the `pii` option (a mask that throws gives a marker, never the value). */
  private redact(value: unknown): unknown {
    const mask = this.mask;
    if (mask === undefined) return value;
    try {
      return typeof mask === "function" ? mask(value) : mask.apply(value);
    } catch (error) {
      return `<mask failed: ${error instanceof Error ? error.name : "error"}>`;
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

  /** One call or field dropped on the caller's side, under `reason` (stats and the next flush). */
  private countDropped(reason: string): void {
    this.errors[reason] = (this.errors[reason] ?? 0) + 1;
    this.droppedUnreported += 1;
  }

  /** A call that failed before its operation was made: counted as dropped, logged once. */
  private noteError(method: string, error: unknown): void {
    const reason = error instanceof ValidationError || error instanceof TypeError ? "invalid_argument" : "internal_error";
    this.countDropped(reason);
    if (!this.loggedErrors.has(method)) {
      this.loggedErrors.add(method);
      safeWarn(this.config.logger, `sentrial: ${method} failed (${describe(error)}); tracking continues`);
    }
  }

  /**
   * An optional field that is not valid (a NaN duration, a metric that is no
   * number), as in the Python SDK: thrown with `failSilently: false`;
   * otherwise only that field is left out, counted as dropped
   * (`invalid_field`) and warned about once per field; the rest is sent.
   */
  private badField(error: unknown): void {
    if (!this.config.failSilently || !(error instanceof ValidationError)) throw error;
    this.countDropped("invalid_field");
    const key = `field ${error.message.split(":")[0] ?? ""}`;
    if (!this.loggedErrors.has(key)) {
      this.loggedErrors.add(key);
      safeWarn(this.config.logger, `sentrial: ${error.message}; the field is left out, the rest is sent`);
    }
  }

  /** Set `fields[name]` to `value` checked to be a number >= 0 (when given); a bad one is a bad field. */
  private putCount(fields: Record<string, unknown>, name: string, value: unknown, integer: boolean): void {
    if (!given(value)) return;
    try {
      fields[name] = nonNegative(name, value, integer);
    } catch (error) {
      this.badField(error);
    }
  }

  /** The finite numbers of `values`; each other one is a bad field. */
  private metrics(values: unknown): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      try {
        out[key] = metric(key, value);
      } catch (error) {
        this.badField(error);
      }
    }
    // A metric's name may hold an address: redacted as Python does.
    if (this.mask === undefined || typeof this.mask === "function" || Object.keys(out).length === 0) return out;
    const redacted = this.redact(out);
    if (!isDict(redacted)) {
      this.badField(new ValidationError("customMetrics: redaction failed"));
      return {};
    }
    return redacted as Record<string, number>;
  }

  /** True when a call or field was dropped on the caller's side since this last said so. */
  private droppedSinceAsked(): boolean {
    const dropped = this.droppedUnreported;
    this.droppedUnreported = 0;
    return dropped > 0;
  }

  private json(value: unknown, asObject = true): Raw {
    const mask = this.mask;
    if (mask === undefined) return captureJson(value, this.config.maxFieldBytes, asObject);
    // A `pii` function sees the value as given; the PII rules see it as
    // captured JSON (what a class instance or an Error turns into, too).
    if (typeof mask === "function") return captureJson(this.redact(value), this.config.maxFieldBytes, asObject);
    return captureJson(this.redact(parsed(captureJson(value, this.config.maxFieldBytes, asObject))), this.config.maxFieldBytes, asObject);
  }

  private text(value: unknown): string {
    if (this.mask !== undefined) return captureText(this.redact(captureText(value, this.config.maxFieldBytes)), this.config.maxFieldBytes);
    if (typeof value === "string" && value.length * 3 <= this.config.maxFieldBytes) return wellFormed(value);
    return captureText(value, this.config.maxFieldBytes);
  }

  private submit(op: Operation): void {
    if (this.sends && (this.config.sampleRate >= 1 || sampledIn(op.sessionId, this.config.sampleRate))) {
      this.delivery.submit(op);
    }
  }

  private common(fields: EventFields, params: Common, cost: unknown, tokens: unknown): void {
    if (cost) this.putCount(fields, "estimatedCost", cost, false); // 0 and null add nothing
    this.putCount(fields, "tokenCount", tokens, true);
    if (given(params.traceId)) fields.traceId = this.text(String(params.traceId));
    if (given(params.spanId)) fields.spanId = this.text(String(params.spanId));
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
    if (given(params.experimentAssignmentId)) fields.experimentAssignmentId = wellFormed(String(params.experimentAssignmentId));
    if (given(params.convoId)) fields.convoId = this.text(String(params.convoId));
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
      this.putCount(fields, "durationMs", params.durationMs, false);
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
      if (given(type)) error["type"] = this.text(String(type));
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
      const provider = given(params.provider) ? this.text(String(params.provider)) : undefined;
      if (provider !== undefined) fields.provider = provider;
      if (given(params.input)) fields.input = this.json(params.input, false);
      if (given(params.output)) fields.output = this.json(params.output, false);
      const counts = {
        promptTokens: params.promptTokens,
        completionTokens: params.completionTokens,
        cachedTokens: params.cachedTokens,
        cacheWriteTokens: params.cacheWriteTokens,
      } as const;
      for (const [name, value] of Object.entries(counts)) this.putCount(fields, name, value, true);
      this.putCount(fields, "durationMs", params.durationMs, false);
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
      this.putCount(fields, "estimatedCost", params.estimatedCost, false);
      this.putCount(fields, "durationMs", params.durationMs, false);
      this.putCount(fields, "promptTokens", params.promptTokens, true);
      this.putCount(fields, "completionTokens", params.completionTokens, true);
      this.putCount(fields, "totalTokens", params.totalTokens, true);
      if (given(params.customMetrics)) fields.customMetrics = this.metrics(params.customMetrics);
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
    let eventId: string | undefined;
    let userId = "";
    let event = "";
    let input: unknown;
    const sessionId = this.guardSync("begin", newSessionId, () => {
      if (params === null || typeof params !== "object") {
        throw new ValidationError(`params: expected an object with userId and event, got ${shown(params)}`);
      }
      eventId = given(params.eventId) ? safeString(params.eventId) : randomUUID();
      userId = params.userId;
      event = params.event;
      input = params.input;
      const metadata: JsonObject = {};
      const extra = params.metadata;
      if (extra !== null && typeof extra === "object" && !Array.isArray(extra)) Object.assign(metadata, extra);
      else if (given(extra)) metadata["metadata"] = extra;
      if (given(params.input)) metadata["input"] = params.input;
      if (params.convoId) metadata["convo_id"] = params.convoId;
      metadata["event_id"] = eventId;
      return this.openSession({
        name: `${safeString(params.event)}:${eventId.slice(0, 8)}`,
        agentName: safeString(params.event),
        userId: params.userId,
        convoId: params.convoId ?? null,
        metadata,
      });
    });
    const interaction = new Interaction(this, sessionId, eventId ?? randomUUID(), userId, event, input);
    currentSession.enterWith(interaction.asCurrent());
    return interaction;
  }

  /** Run `fn` with `sessionId` as the current session (for `wrapOpenAI`). */
  runInSession<T>(sessionId: string, fn: () => T): T {
    return currentSession.run({ client: this, sessionId, isFinished: () => false }, fn);
  }

  // -- lifecycle -------------------------------------------------------------------

  /** Wait until everything tracked so far is delivered; false when something was not (or at `timeoutMs`). */
  /**
   * Also false when a call or a field was dropped on the caller's side since
   * the last flush/shutdown; during a shutdown, waits for it (and its result).
   */
  async flush(timeoutMs?: number): Promise<boolean> {
    let delivered = true;
    try {
      if (this.piiLoading !== undefined) await this.piiLoading; // later calls redact as the server says
      if (this.shutting !== undefined) delivered = await this.shutting;
      // A new client's first flush also delivers what earlier processes left in the spool.
      const fresh = this.sends && this.shutting === undefined && this.finalStats === undefined;
      if (this.delivery_ !== undefined || fresh) {
        const flushed = await this.delivery.flush(timeoutMs);
        delivered = flushed && delivered;
      }
    } catch (error) {
      this.noteError("flush", error);
      delivered = false;
    }
    return this.droppedSinceAsked() ? false : delivered;
  }

  /**
   * Flush within `timeoutMs` (default `shutdownTimeoutMs`) and stop; a later
   * call starts again. A call during a shutdown waits for it and resolves with its result.
   */
  shutdown(timeoutMs?: number): Promise<boolean> {
    if (this.shutting !== undefined) return this.shutting;
    const run = this.stop(timeoutMs);
    this.shutting = run;
    void run.then(() => {
      if (this.shutting === run) this.shutting = undefined;
    });
    return run;
  }

  private async stop(timeoutMs?: number): Promise<boolean> {
    const delivery = this.delivery_;
    this.delivery_ = undefined;
    let delivered = true;
    if (delivery !== undefined) {
      try {
        delivered = await delivery.shutdown(timeoutMs);
      } catch (error) {
        this.noteError("shutdown", error);
        delivered = false;
      } finally {
        this.finalStats = delivery.stats();
      }
    }
    return this.droppedSinceAsked() ? false : delivered;
  }

  /** Counts of operations: tracked, queued, in flight, sent, retried, dropped by reason. */
  stats(): ClientStats {
    const base: DeliveryStats = this.delivery_?.stats() ??
      this.finalStats ?? { tracked: 0, queued: 0, inFlight: 0, sent: 0, retried: 0, spooled: 0, replayed: 0, dropped: {} };
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

/** One custom metric: a finite number (or a string of one). */
function metric(key: string, value: unknown): number {
  const number = typeof value === "number" || typeof value === "string" ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || (typeof value === "string" && value.trim() === "")) {
    throw new ValidationError(`customMetrics.${key}: expected a finite number, got ${shown(value)}`);
  }
  return number;
}
