/**
 * Operations and their request bodies, typed by the generated schema.
 *
 * A tracking call becomes an `Operation` on the caller's side: JSON field
 * names of the generated request types, payloads already captured as `Raw`
 * JSON text, and the client time. Only on delivery does it become a request
 * body, for the server it goes to: unchanged for a server with every
 * extension, and for any other server only what the documented API and the
 * published SDK send (`adapt`, the Python SDK's `_plain`): an LLM call then
 * becomes a `tool_call` named `llm:<provider>:<model>` with its tokens and
 * cost, and a duration goes to `metadata.duration_ms`.
 */
import { type Capabilities, EXTENSION_FIELDS, LLM_CALL } from "./capabilities.js";
import { Raw, parsed } from "./capture.js";
import type { components } from "./generated/schema.js";
import { isoUtc } from "./ids.js";
import type { Claim } from "./spool.js";

type Schemas = components["schemas"];
export type SessionCreate = Schemas["SessionCreate"];
export type EventCreate = Schemas["EventCreate"];
export type SessionUpdate = Schemas["SessionUpdate"];
export type BatchOperation = Schemas["BatchOperation"];

/** A request type whose JSON values may still be captured text. */
export type Captured<T> = { [K in keyof T]?: T[K] | Raw };

export type SessionFields = Captured<Omit<SessionCreate, "id" | "startedAt">>;
export type EventFields = Captured<Omit<EventCreate, "sessionId" | "timestamp">>;
export type UpdateFields = Captured<Omit<SessionUpdate, "completedAt">>;

interface Base {
  /** Our session id (the server's may differ: see Delivery's id map). */
  sessionId: string;
  /** Client time, ms since the epoch (startedAt / timestamp / completedAt). */
  at: number;
  /** Failed attempts so far. */
  attempts: number;
  /** Rough size in bytes, for batches under the server's byte limit. */
  size: number;
  /** The spool segment it was read from (replayed), until it is settled. */
  from?: Claim;
}

export type Operation =
  | (Base & { kind: "create_session"; fields: SessionFields })
  | (Base & { kind: "create_event"; fields: EventFields })
  | (Base & { kind: "update_session"; fields: UpdateFields });

export type Kind = Operation["kind"];

/** The captured body as the generated type says it will be written (see `serialize`). */
function asWire<T>(body: Captured<T>): T {
  return body as T;
}

export type WireBody = SessionCreate | EventCreate | SessionUpdate;

/** The request body of `op` for a server with `caps`, whose id for the session is `sessionId`. */
export function wireBody(op: Operation, sessionId: string, caps: Capabilities): WireBody {
  switch (op.kind) {
    case "create_session": {
      // `id` and `startedAt` are extensions: adapt() drops them for a server without.
      const body: Captured<SessionCreate> = { ...op.fields, id: sessionId, startedAt: isoUtc(op.at) };
      return asWire(caps.full ? body : adapt("create_session", body, caps));
    }
    case "create_event": {
      const body: Captured<EventCreate> = { ...op.fields, sessionId, timestamp: isoUtc(op.at) };
      return asWire(caps.full ? body : adapt("create_event", body, caps));
    }
    case "update_session": {
      const body: Captured<SessionUpdate> = { ...op.fields, completedAt: isoUtc(op.at) };
      return asWire(caps.full ? body : adapt("update_session", body, caps));
    }
  }
}

/** The batch item of `op`. */
export function batchItem(op: Operation, sessionId: string, caps: Capabilities): BatchOperation {
  switch (op.kind) {
    case "create_session":
      return { op: "createSession", body: wireBody(op, sessionId, caps) as SessionCreate };
    case "create_event":
      return { op: "createEvent", body: wireBody(op, sessionId, caps) as EventCreate };
    case "update_session":
      return { op: "updateSession", sessionId, body: wireBody(op, sessionId, caps) as SessionUpdate };
  }
}

// -- a server without (some of) our extensions ------------------------------------

const LLM_DETAILS = [
  ["duration_ms", "durationMs"],
  ["prompt_tokens", "promptTokens"],
  ["completion_tokens", "completionTokens"],
  ["cached_tokens", "cachedTokens"],
  ["cache_write_tokens", "cacheWriteTokens"],
] as const satisfies ReadonlyArray<readonly [string, keyof EventCreate]>;

const KEPT_FROM_LLM_CALL = [
  "id",
  "sessionId",
  "timestamp",
  "estimatedCost",
  "tokenCount",
  "toolError",
  "traceId",
  "spanId",
] as const satisfies ReadonlyArray<keyof EventCreate>;

type AnyBody = Record<string, unknown>;

/** `body` without the extensions `caps` lacks (a new object). */
export function adapt<K extends keyof typeof EXTENSION_FIELDS>(
  kind: K,
  body: Captured<SessionCreate> | Captured<EventCreate> | Captured<SessionUpdate>,
  caps: Capabilities,
): AnyBody {
  let out = body as AnyBody;
  if (kind === "create_event" && !caps.has(LLM_CALL)) {
    if (out["eventType"] === "llm_call") out = llmCallAsToolCall(out);
    else if (out["durationMs"] !== undefined && out["durationMs"] !== null) {
      out = withMetadata(out, { duration_ms: out["durationMs"] });
    }
  }
  const extensions = EXTENSION_FIELDS[kind] as Record<string, string>;
  const kept: AnyBody = {};
  for (const [key, value] of Object.entries(out)) {
    const extension = extensions[key];
    if (extension === undefined || caps.has(extension)) kept[key] = value;
  }
  return kept;
}

function llmCallAsToolCall(body: AnyBody): AnyBody {
  const provider = String(body["provider"] || "unknown");
  const model = String(body["model"] || "unknown");
  const out: AnyBody = {};
  for (const key of KEPT_FROM_LLM_CALL) if (body[key] !== undefined) out[key] = body[key];
  out["toolName"] = `llm:${provider}:${model}`;
  out["toolInput"] = { messages: body["input"] ?? null, model, provider };
  if (body["toolError"] !== undefined) {
    out["eventType"] = "error";
  } else {
    out["eventType"] = "tool_call";
    out["reasoning"] = `LLM call to ${provider} ${model}`;
    const prompt = body["promptTokens"] as number | undefined;
    const completion = body["completionTokens"] as number | undefined;
    const total = prompt || completion ? (prompt ?? 0) + (completion ?? 0) : null;
    out["toolOutput"] = {
      content: body["output"] ?? null,
      tokens: { prompt: prompt ?? null, completion: completion ?? null, total },
      cost_usd: body["estimatedCost"] ?? null,
    };
  }
  const details: AnyBody = { provider, model };
  for (const [name, key] of LLM_DETAILS) {
    if (body[key] !== undefined && body[key] !== null) details[name] = body[key];
  }
  out["metadata"] = body["metadata"];
  return withMetadata(out, details);
}

/** `body` whose metadata also holds `details` (the user's keys win). */
function withMetadata(body: AnyBody, details: AnyBody): AnyBody {
  const current = parsed(body["metadata"]);
  const merged =
    current !== null && typeof current === "object" && !Array.isArray(current)
      ? { ...details, ...(current as AnyBody) }
      : details;
  return { ...body, metadata: merged };
}

/** Rough bytes of an operation: its captured JSON plus the rest. */
export function sizeOf(fields: Record<string, unknown>): number {
  let size = 200;
  for (const key in fields) {
    const value = fields[key];
    if (value instanceof Raw) size += value.json.length;
    else if (typeof value === "string") size += value.length + 8;
    else size += 24;
  }
  return size;
}
