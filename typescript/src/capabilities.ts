/**
 * What a server supports beyond the documented Sentrial API.
 *
 * The hosted API documents three endpoints; `sentrial serve` adds a batch
 * endpoint, client-chosen ids, client timestamps and `llm_call` events, and
 * says so in `GET /api/sdk/health` (`capabilities`). The SDK asks instead of
 * guessing: a server that does not list an extension never receives its
 * paths, fields or event types. Answers are cached and asked again every
 * `CAPABILITY_TTL_MS`, as in the Python SDK.
 */
import type { components } from "./generated/schema.js";

type Schemas = components["schemas"];

export const BATCH = "batch";
export const CLIENT_IDS = "client_ids";
export const CLIENT_TIMESTAMPS = "client_timestamps";
export const LLM_CALL = "llm_call";
export const READS = "reads";
export const OTEL = "otel";
export const SIGNALS = "signals";
export const VARIANTS = "variants";
export const ALL: ReadonlySet<string> = new Set([
  BATCH,
  CLIENT_IDS,
  CLIENT_TIMESTAMPS,
  LLM_CALL,
  READS,
  OTEL,
  SIGNALS,
  VARIANTS,
]);

export const CAPABILITY_TTL_MS = 300_000;

/**
 * Request fields that belong to an extension, by operation and JSON key (the
 * spec marks the same properties with `x-sentrial-capability`; a test keeps
 * the two equal). Keys are checked against the generated request types.
 */
export const EXTENSION_FIELDS = {
  create_session: { id: CLIENT_IDS, startedAt: CLIENT_TIMESTAMPS, experimentAssignmentId: VARIANTS, parentSpanId: OTEL },
  create_event: {
    id: CLIENT_IDS,
    timestamp: CLIENT_TIMESTAMPS,
    durationMs: LLM_CALL,
    model: LLM_CALL,
    provider: LLM_CALL,
    promptTokens: LLM_CALL,
    completionTokens: LLM_CALL,
    cachedTokens: LLM_CALL,
    cacheWriteTokens: LLM_CALL,
    input: LLM_CALL,
    output: LLM_CALL,
    parentSpanId: OTEL,
  },
  update_session: { completedAt: CLIENT_TIMESTAMPS },
} as const satisfies {
  create_session: Partial<Record<keyof Schemas["SessionCreate"], string>>;
  create_event: Partial<Record<keyof Schemas["EventCreate"], string>>;
  update_session: Partial<Record<keyof Schemas["SessionUpdate"], string>>;
};

/** The extensions one server advertised (none: a plain Sentrial server). */
export class Capabilities {
  readonly batch: boolean;
  /** Every extension the SDK can use: requests go out unchanged. */
  readonly full: boolean;

  constructor(readonly names: ReadonlySet<string> = new Set()) {
    this.batch = names.has(BATCH);
    this.full = [BATCH, CLIENT_IDS, CLIENT_TIMESTAMPS, LLM_CALL].every((n) => names.has(n));
  }

  has(name: string): boolean {
    return this.names.has(name);
  }
}

export const PLAIN = new Capabilities();
export const FULL = new Capabilities(ALL);

/** The capabilities in a health answer; anything unexpected means none. */
export function fromHealth(body: unknown): Capabilities {
  const names =
    body !== null && typeof body === "object" ? (body as Record<string, unknown>)["capabilities"] : undefined;
  if (!Array.isArray(names)) return PLAIN;
  return new Capabilities(new Set(names.filter((n): n is string => typeof n === "string" && ALL.has(n))));
}

/** The last answer of one server, asked again after the TTL or on demand. */
export class CapabilityCache {
  private value: Capabilities | undefined;
  private expires = 0;
  private asking: Promise<Capabilities> | undefined;

  constructor(private readonly ttlMs: number = CAPABILITY_TTL_MS) {}

  /** The cached answer, without asking (undefined before the first answer). */
  get known(): Capabilities | undefined {
    return this.value;
  }

  /** The cached answer, or `probe()`'s when there is none or it expired; `probe` may throw. */
  async get(probe: () => Promise<Capabilities>): Promise<Capabilities> {
    if (this.value !== undefined && performance.now() < this.expires) return this.value;
    if (this.asking === undefined) {
      this.asking = probe()
        .then((fresh) => {
          this.value = fresh;
          this.expires = performance.now() + this.ttlMs;
          return fresh;
        })
        .finally(() => {
          this.asking = undefined;
        });
    }
    return this.asking;
  }

  /** Ask again now (e.g. the batch endpoint answered 404). */
  refresh(probe: () => Promise<Capabilities>): Promise<Capabilities> {
    this.expires = 0;
    return this.get(probe);
  }
}
