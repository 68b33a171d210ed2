/**
 * Configuration: options, then environment variables, then defaults.
 * Resolved once, so the hot path reads plain fields and never the environment.
 * The environment variables are the Python SDK's (times in seconds there,
 * in milliseconds in options).
 */
import { ConfigurationError } from "./errors.js";
import type { PiiOption } from "./pii.js";

export const DEFAULT_API_URL = "https://api.sentrial.com";

/** Where the SDK writes its warnings (once per kind of problem). */
export interface Logger {
  warn(message: string): void;
  debug?(message: string): void;
}

export interface SentrialClientOptions {
  /** Bearer key; default `SENTRIAL_API_KEY`. Without one nothing is sent. */
  apiKey?: string;
  /** Base URL; default `SENTRIAL_API_URL`, else https://api.sentrial.com. */
  apiUrl?: string;
  /** `false`: nothing is sent (calls still return ids). Env `SENTRIAL_ENABLED`. */
  enabled?: boolean;
  /**
   * `true` (default): no error of the SDK, not even a wrong argument, reaches
   * the application. `false`: wrong arguments reject the call's promise with
   * a `SentrialError`. Env `SENTRIAL_FAIL_SILENTLY`.
   */
  failSilently?: boolean;
  /** Operations per batch request (at most 1000). Env `SENTRIAL_BATCH_SIZE`. Default 500. */
  batchSize?: number;
  /** How long operations wait to fill a batch. Env `SENTRIAL_FLUSH_INTERVAL` (s). Default 500 ms. */
  flushIntervalMs?: number;
  /** Per request. Env `SENTRIAL_REQUEST_TIMEOUT` (s). Default 10 s. */
  requestTimeoutMs?: number;
  /** What `shutdown()` and the exit flush wait at most. Env `SENTRIAL_SHUTDOWN_TIMEOUT` (s). Default 5 s. */
  shutdownTimeoutMs?: number;
  /** Operations kept in memory while the API is away; past it new ones are dropped (counted). Default 50,000. */
  maxQueueSize?: number;
  /** A JSON field past this many bytes becomes a marker with a preview. Default 64 KiB. */
  maxFieldBytes?: number;
  /** Requests in flight at once to a server without the batch endpoint. Default 32. */
  maxConcurrency?: number;
  /**
   * Default true: flush on `process` `beforeExit`, and keep what is still
   * queued on disk (the spool) when the process ends otherwise:
   * `process.exit()`, SIGTERM, SIGINT or SIGHUP without a handler of the
   * app's, an uncaught exception or unhandled rejection. The app's own exit
   * and crash behaviour is unchanged. The next process with the same API URL
   * and key delivers what was spooled.
   */
  flushOnExit?: boolean;
  /**
   * Where spool segments go (one subdirectory per API URL and key); default
   * `SENTRIAL_SPOOL_DIR`, else the user cache directory's `sentrial/spool`
   * (the Python SDK's, which delivers them too).
   */
  spoolDir?: string;
  /** Bytes the spool directory may hold; 0 spools nothing. Env `SENTRIAL_MAX_SPOOL_BYTES`. Default 1 GiB. */
  maxSpoolBytes?: number;
  /** Where warnings go (default: `console`). */
  logger?: Logger;
  /**
   * Redact personal data before anything is queued (see `pii.ts`): `true`
   * follows the server's settings (`GET /api/sdk/pii-config`; every built-in
   * pattern until it answers); a PiiConfig with `enabled: true`, or a function, chooses here.
   */
  pii?: PiiOption;
  /**
   * As documented for Sentrial's SDK: `{ flushIntervalMs }` (or the Python
   * SDK's `flush_interval`, seconds) tunes how long operations wait for a
   * batch; delivery is always batched in the background. Explicit options win.
   */
  batching?: boolean | { flushIntervalMs?: number; flush_interval?: number; batchSize?: number } | null;
  /** The share of sessions sent, 0 to 1 (by session id: all or nothing of a session). Env `SENTRIAL_SAMPLE_RATE`. Default 1. */
  sampleRate?: number;
}

export interface Config {
  apiKey: string | undefined;
  apiUrl: string;
  enabled: boolean;
  failSilently: boolean;
  batchSize: number;
  flushIntervalMs: number;
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  maxQueueSize: number;
  maxFieldBytes: number;
  maxConcurrency: number;
  flushOnExit: boolean;
  spoolDir: string | undefined;
  maxSpoolBytes: number;
  sampleRate: number;
  logger: Logger;
  /** Set when `apiUrl` was unusable and `failSilently` let it pass: nothing is sent. */
  apiUrlError: string | undefined;
  /** Set when `apiKey` was unusable (a control character) and `failSilently` let it pass: nothing is sent. */
  apiKeyError?: string | undefined;
}

/** `logger.warn(message)`, never throwing (a logger that throws or has no `warn` must not break the app). */
export function safeWarn(logger: Logger | undefined, message: string): void {
  try {
    logger?.warn(message);
  } catch {
    // a logger that throws must not break tracking
  }
}

/**
 * A key that cannot go in an HTTP header (a control character, e.g. a "\r"
 * from a Windows .env file, or a character past U+00FF). The message never
 * contains the key itself.
 */
function checkApiKey(value: string): string {
  const key = value.trim(); // a trailing newline read from a file is no part of the key
  if (/[\u0000-\u0008\u000a-\u001f\u007f]|[^\u0000-\u00ff]/.test(key)) {
    throw new ConfigurationError(
      `apiKey: contains a control character or a character that cannot be sent in a header (${key.length} characters, not shown)`,
    );
  }
  return key;
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off", ""]);

type Kind = "bool" | "int" | "bytes" | "rate" | "ms" | "url" | "string";

const FIELDS: Record<string, [Kind, string | null]> = {
  apiKey: ["string", "SENTRIAL_API_KEY"],
  apiUrl: ["url", "SENTRIAL_API_URL"],
  enabled: ["bool", "SENTRIAL_ENABLED"],
  failSilently: ["bool", "SENTRIAL_FAIL_SILENTLY"],
  batchSize: ["int", "SENTRIAL_BATCH_SIZE"],
  flushIntervalMs: ["ms", "SENTRIAL_FLUSH_INTERVAL"],
  requestTimeoutMs: ["ms", "SENTRIAL_REQUEST_TIMEOUT"],
  shutdownTimeoutMs: ["ms", "SENTRIAL_SHUTDOWN_TIMEOUT"],
  maxQueueSize: ["int", "SENTRIAL_MAX_QUEUE_SIZE"],
  maxFieldBytes: ["int", "SENTRIAL_MAX_FIELD_BYTES"],
  maxConcurrency: ["int", "SENTRIAL_MAX_CONCURRENCY"],
  flushOnExit: ["bool", null],
  spoolDir: ["string", "SENTRIAL_SPOOL_DIR"],
  maxSpoolBytes: ["bytes", "SENTRIAL_MAX_SPOOL_BYTES"],
  sampleRate: ["rate", "SENTRIAL_SAMPLE_RATE"],
};

const DEFAULTS = {
  apiKey: undefined,
  apiUrl: DEFAULT_API_URL,
  enabled: true,
  failSilently: true,
  batchSize: 500,
  flushIntervalMs: 500,
  requestTimeoutMs: 10_000,
  shutdownTimeoutMs: 5_000,
  maxQueueSize: 50_000,
  maxFieldBytes: 64 * 1024,
  maxConcurrency: 32,
  flushOnExit: true,
  spoolDir: undefined,
  maxSpoolBytes: 1024 ** 3,
  sampleRate: 1,
};

function coerce(name: string, kind: Kind, value: unknown, fromEnv: boolean): unknown {
  switch (kind) {
    case "bool": {
      if (typeof value === "boolean") return value;
      const text = String(value).trim().toLowerCase();
      if (TRUE.has(text)) return true;
      if (FALSE.has(text)) return false;
      throw new ConfigurationError(`${name}: expected a boolean, got ${JSON.stringify(value)}`);
    }
    case "int": {
      const number = Number(value);
      if (!Number.isInteger(number) || number < 1) {
        throw new ConfigurationError(`${name}: must be a positive integer, got ${JSON.stringify(value)}`);
      }
      return name === "batchSize" ? Math.min(number, 1000) : number;
    }
    case "bytes": {
      const number = Number(value);
      if (!Number.isInteger(number) || number < 0) {
        throw new ConfigurationError(`${name}: must be an integer >= 0, got ${JSON.stringify(value)}`);
      }
      return number;
    }
    case "rate": {
      const number = typeof value === "boolean" || value === "" ? Number.NaN : Number(value);
      if (!(number >= 0 && number <= 1)) {
        throw new ConfigurationError(`${name}: must be a number from 0 to 1, got ${JSON.stringify(value)}`);
      }
      return number;
    }
    case "ms": {
      const number = Number(value);
      if (!Number.isFinite(number) || number < 0) {
        throw new ConfigurationError(`${name}: must be a number >= 0, got ${JSON.stringify(value)}`);
      }
      return fromEnv ? number * 1000 : number; // the environment speaks seconds
    }
    case "url":
      return apiUrl(String(value));
    case "string":
      return name === "apiKey" ? checkApiKey(String(value)) : String(value);
  }
}

/** An http(s) URL with a host, without its trailing slash. */
function apiUrl(value: string): string {
  const text = value.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError(`apiUrl: is not a valid URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigurationError(`apiUrl: must start with http:// or https://, got ${JSON.stringify(value)}`);
  }
  if (!url.hostname) throw new ConfigurationError(`apiUrl: has no host, got ${JSON.stringify(value)}`);
  if (url.search || url.hash || /\s/.test(text)) {
    throw new ConfigurationError(`apiUrl: must not have a query, fragment or spaces, got ${JSON.stringify(value)}`);
  }
  return text.replace(/\/+$/, "");
}

/** Options (not undefined) > environment > defaults. */
export function resolve(options: SentrialClientOptions | null | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  if (options === null || typeof options !== "object") options = {};
  const chosen = options.logger as Partial<Logger> | null | undefined;
  // A logger without a callable `warn` is no logger: warnings go to the console.
  const logger: Logger =
    chosen !== null && chosen !== undefined && typeof chosen.warn === "function" ? (chosen as Logger) : console;
  const given: Record<string, unknown> = { ...batchingOptions(options.batching), ...dropUndefined(options) };
  const strictEnv = (env["SENTRIAL_FAIL_SILENTLY"] ?? "").trim().toLowerCase();
  const strict =
    options.failSilently === false ||
    (options.failSilently === undefined && strictEnv !== "" && FALSE.has(strictEnv));
  const out: Record<string, unknown> = { ...DEFAULTS, logger, apiUrlError: undefined, apiKeyError: undefined };
  for (const [name, [kind, variable]] of Object.entries(FIELDS)) {
    let value: unknown = given[name];
    let fromEnv = false;
    if (value === undefined && variable !== null && env[variable] !== undefined) {
      value = env[variable];
      fromEnv = true;
    }
    if (value === undefined || value === null) continue;
    try {
      out[name] = coerce(name, kind, value, fromEnv);
    } catch (error) {
      if (strict) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (name === "apiUrl") {
        // The default URL must never get a key meant for another server.
        out["apiUrlError"] = message;
        safeWarn(logger, `sentrial: ${message}; nothing will be sent`);
      } else if (name === "apiKey") {
        // Like a missing key: nothing is sent (and the key is never logged).
        out["apiKeyError"] = message;
        safeWarn(logger, `sentrial: ${message}; nothing will be sent`);
      } else {
        safeWarn(logger, `sentrial: ${message}; using the default`);
      }
    }
  }
  return out as unknown as Config;
}

function dropUndefined(options: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** The options `batching` stands for (explicit options win: they are applied over these). */
function batchingOptions(batching: SentrialClientOptions["batching"]): Record<string, unknown> {
  if (batching === null || typeof batching !== "object") return {};
  const out: Record<string, unknown> = {};
  if (batching.flushIntervalMs !== undefined) out["flushIntervalMs"] = batching.flushIntervalMs;
  else if (typeof batching.flush_interval === "number") out["flushIntervalMs"] = batching.flush_interval * 1000;
  if (batching.batchSize !== undefined) out["batchSize"] = batching.batchSize;
  return out;
}

/** True when operations leave the process at all. */
export function sends(config: Config): boolean {
  return config.enabled && Boolean(config.apiKey) && config.apiUrlError === undefined && config.sampleRate > 0;
}
