/**
 * Prompt variants in production: `getVariant`, the Python SDK's
 * `sentrial.get_variant` (`sentrial/variants.py`), same semantics:
 *
 *     const variant = await getVariant("exp_123", "u1", { default: "You are helpful." });
 *     const systemPrompt = variant.systemPrompt;
 *     client.createSessionSync({ ..., experimentAssignmentId: variant.assignmentId });
 *
 * The server picks the variant (`POST /api/experiments/{id}/assignments`: a
 * hash of experiment and user on the variants' weights, stored on first use),
 * so the same user gets the same variant from every process, in either
 * language. Answers are cached in the process (assignments never change), and
 * concurrent calls for one user share one request.
 *
 * The caller never waits longer than `timeoutMs` (default
 * {@link DEFAULT_VARIANT_TIMEOUT_MS}): past it, or on any failure, the answer
 * is the control variant (`control`, with the `default` prompt and no
 * assignment id, `fallback: true`), counted by reason in {@link variantStats}.
 * A request still running after a timeout goes on and fills the cache for the
 * next call. Nothing here throws into the caller.
 */
import { resolve } from "./config.js";
import { RetryableError } from "./policy.js";
import { Transport } from "./transport.js";
import { isDict } from "./integration.js";

/** Milliseconds the caller may wait for an assignment. */
export const DEFAULT_VARIANT_TIMEOUT_MS = 500;
/** Assignments kept per process (oldest dropped first). */
const CACHE_SIZE = 100_000;

/** The variant a user runs, and the assignment id to give the sessions it records (null for the fallback). */
export interface Variant {
  experimentId: string;
  userId: string;
  name: string;
  systemPrompt: string;
  assignmentId: string | null;
  fallback: boolean;
}

export interface GetVariantOptions {
  /** The control's system prompt, answered when the server cannot be asked. */
  default?: string;
  /** The control variant's name (default `control`). */
  control?: string;
  timeoutMs?: number;
  apiKey?: string;
  apiUrl?: string;
}

/** Counts since the process started; `fallback` by reason (`timeout`, `unreachable`, `http_<status>`, `bad_answer`, `no_api_key`, `bad_argument`). */
export interface VariantStats {
  assigned: number;
  cached: number;
  fallback: Record<string, number>;
}

type Outcome = { variant: Variant } | { error: string };

const cache = new Map<string, Variant>();
const pending = new Map<string, Promise<Outcome>>();
const counts = { assigned: 0, cached: 0, fallback: {} as Record<string, number> };

export function variantStats(): VariantStats {
  const fallback = Object.fromEntries(Object.entries(counts.fallback).sort(([a], [b]) => a.localeCompare(b)));
  return { assigned: counts.assigned, cached: counts.cached, fallback };
}

/** The user's variant of the experiment (see the module's comment); never rejects. */
export async function getVariant(experimentId: string, userId: string, options: GetVariantOptions = {}): Promise<Variant> {
  const opts: GetVariantOptions = isDict(options) ? (options as GetVariantOptions) : {};
  const fallback = (reason: string): Variant => {
    counts.fallback[reason] = (counts.fallback[reason] ?? 0) + 1;
    return {
      experimentId: String(experimentId),
      userId: String(userId),
      name: typeof opts.control === "string" ? opts.control : "control",
      systemPrompt: typeof opts.default === "string" ? opts.default : "",
      assignmentId: null,
      fallback: true,
    };
  };
  for (const [field, value] of [["experimentId", experimentId], ["userId", userId]] as const) {
    if (typeof value !== "string" || !value) {
      console.warn(`sentrial: getVariant: ${field} must be a non-empty string`);
      return fallback("bad_argument");
    }
  }
  let config;
  try {
    config = resolve({ apiKey: opts.apiKey, apiUrl: opts.apiUrl });
  } catch {
    return fallback("bad_argument");
  }
  if (!config.apiKey || config.apiUrlError !== undefined) return fallback("no_api_key");
  const key = JSON.stringify([config.apiUrl, experimentId, userId]);
  const found = cache.get(key);
  if (found !== undefined) {
    counts.cached += 1;
    return found;
  }
  let request = pending.get(key);
  if (request === undefined) {
    request = fetchAssignment(new Transport(config), key, experimentId, userId).finally(() => pending.delete(key));
    pending.set(key, request);
  }
  const timeoutMs = typeof opts.timeoutMs === "number" && opts.timeoutMs >= 0 ? opts.timeoutMs : DEFAULT_VARIANT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((done) => {
    timer = setTimeout(() => done("timeout"), timeoutMs);
    timer.unref(); // a pending assignment never keeps the process alive
  });
  const outcome = await Promise.race([request, timeout]);
  clearTimeout(timer);
  if (outcome === "timeout") return fallback("timeout");
  if ("error" in outcome) return fallback(outcome.error);
  counts.assigned += 1;
  return outcome.variant;
}

/** Ask the server; fill the cache. Never rejects. */
async function fetchAssignment(transport: Transport, key: string, experimentId: string, userId: string): Promise<Outcome> {
  let status: number;
  let body: unknown;
  try {
    [status, body] = await transport.assignment(experimentId, userId);
  } catch (error) {
    return { error: error instanceof RetryableError ? "unreachable" : "bad_answer" };
  }
  if (status !== 200) return { error: `http_${status}` };
  const answer = isDict(body) ? body["assignment"] : undefined;
  if (!isDict(answer) || typeof answer["id"] !== "string" || answer["variantName"] === undefined || answer["systemPrompt"] === undefined) {
    return { error: "bad_answer" };
  }
  const variant: Variant = {
    experimentId,
    userId,
    name: String(answer["variantName"]),
    systemPrompt: String(answer["systemPrompt"]),
    assignmentId: answer["id"],
    fallback: false,
  };
  cache.set(key, variant);
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return { variant };
}
