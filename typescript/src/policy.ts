/**
 * The response policy: what an answer means for the operations it answers
 * (the Python SDK's table). `ok`; `retry` later (network trouble,
 * 408/425/429/5xx, after `Retry-After` when the server gave a usable one);
 * `split` (413 for several operations); or final: `drop` with a reason.
 */

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);
/** A single operation failing this many times while the server answers is poison: dropped. */
export const POISON_ATTEMPTS = 5;
/** A batch failing this many times in a row with a 5xx is split in halves. */
export const SPLIT_AFTER = 2;

export type Action = "ok" | "retry" | "split" | "drop";

export interface Verdict {
  action: Action;
  /** The stats key of a drop, e.g. `rejected_400`. */
  reason: string;
  retryAfterMs: number | undefined;
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Milliseconds from a `Retry-After` header (seconds or an HTTP date); undefined when unusable. */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const seconds = Number(text);
    return Number.isFinite(seconds) ? seconds * 1000 : undefined;
  }
  if (!/GMT$|UTC$|[+-]\d{4}$/.test(text)) return undefined; // not an HTTP date
  const when = Date.parse(text);
  return Number.isNaN(when) ? undefined : Math.max(0, when - Date.now());
}

export function forStatus(status: number, retryAfter?: string | null, several = false): Verdict {
  if (isSuccess(status)) return { action: "ok", reason: "", retryAfterMs: undefined };
  if (status === 413 && several) return { action: "split", reason: "", retryAfterMs: undefined };
  if (RETRYABLE_STATUSES.has(status)) {
    return { action: "retry", reason: `http_${status}`, retryAfterMs: parseRetryAfter(retryAfter) };
  }
  if (status === 401 || status === 403) return { action: "drop", reason: "unauthorized", retryAfterMs: undefined };
  return { action: "drop", reason: `rejected_${status}`, retryAfterMs: undefined };
}

/** Worth trying again later: network trouble, 408, 425, 429, 5xx. */
export class RetryableError extends Error {
  override name = "RetryableError";
  constructor(
    message: string,
    readonly status: number | undefined = undefined,
    readonly retryAfterMs: number | undefined = undefined,
  ) {
    super(message);
  }

  /** A server error that one operation of a batch may have caused. */
  get splits(): boolean {
    return this.status !== undefined && this.status >= 500;
  }
}

/** A final answer to a whole request (not worth retrying as is). */
export class RejectedError extends Error {
  override name = "RejectedError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The batch endpoint answered 404/405 (a plain server, or a proxy in the way). */
export class BatchUnsupported extends RejectedError {
  override name = "BatchUnsupported";
}

/** The answer to one operation (its own request, or its item of a batch). */
export interface ItemResult {
  status: number;
  message: string;
  serverId: string | undefined;
}
