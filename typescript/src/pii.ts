/**
 * PII redaction, the Python SDK's rules (`sentrial/redact.py`):
 * `new SentrialClient({ pii: true })` redacts emails, API keys (bearer
 * tokens, JWTs, AWS key ids), SSNs, IP addresses, card numbers and phone
 * numbers in every string it captures, object keys included, applied to the
 * captured JSON (never to its text), before anything is queued. `pii: true` follows
 * the server's settings (`GET /api/sdk/pii-config`, asked in the
 * background; the safe default, every built-in pattern in `label` mode,
 * applies until it answers and whenever it cannot); `pii: { enabled: true, ... }`
 * (a PiiConfig, camelCase; as in Python, without `enabled: true` it redacts
 * nothing) or a function chooses locally.
 *
 * The patterns, their labels, the mode names and the order they apply are
 * data shared with the Python SDK: `sentrial/_pii_patterns.json`, copied
 * next to this module by the build (`npm run build`) and read once here. A
 * test runs both SDKs over one table of inputs in every mode.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import { isDict } from "./integration.js";

interface PatternRow {
  /** The Python PiiBuiltinPatterns switch (snake_case). */
  switch: string;
  /** The switch here and in the server's settings (camelCase). */
  option: keyof PiiBuiltinPatterns;
  label: string;
  short: string;
  pattern: string;
}

interface PatternTable {
  modes: string[];
  default_mode: string;
  hash_length: number;
  patterns: PatternRow[];
}

/** The shared table (`_pii_patterns.json`, next to this module once built). */
export const PII_TABLE = JSON.parse(readFileSync(new URL("./_pii_patterns.json", import.meta.url), "utf8")) as PatternTable;

export type PiiMode = "label" | "hash" | "remove";

export interface PiiBuiltinPatterns {
  emails?: boolean;
  phones?: boolean;
  ssns?: boolean;
  creditCards?: boolean;
  ipAddresses?: boolean;
  /** API keys (`sk-`, `sk-proj-`...), bearer tokens, JWTs, AWS key ids. */
  apiKeys?: boolean;
}

export interface PiiCustomPattern {
  pattern: string;
  label: string;
}

export interface PiiConfig {
  enabled?: boolean;
  mode?: PiiMode;
  builtinPatterns?: PiiBuiltinPatterns;
  customPatterns?: PiiCustomPattern[];
}

/** What `pii` takes: the server's settings, your own, or your own function. */
export type PiiOption = boolean | PiiConfig | ((value: unknown) => unknown);

/** [switch, label, source]: the shared table, in its order. */
export const BUILTIN_PATTERNS: ReadonlyArray<readonly [keyof PiiBuiltinPatterns, string, string]> = PII_TABLE.patterns.map(
  (row) => [row.option, row.label, row.pattern] as const,
);

const COMPILED = BUILTIN_PATTERNS.map(([name, label, source]) => [name, label, new RegExp(source, "g")] as const);

function modeOf(mode: unknown): PiiMode {
  return (typeof mode === "string" && PII_TABLE.modes.includes(mode) ? mode : PII_TABLE.default_mode) as PiiMode;
}

function replacement(mode: PiiMode, label: string, text: string): string {
  if (mode === "hash") return `[PII:${createHash("sha256").update(text).digest("hex").slice(0, PII_TABLE.hash_length)}]`;
  if (mode === "remove") return "";
  return `[${label}]`;
}

/** A function redacting strings (also nested in plain objects and arrays, object keys too) with `config`. */
export function masker(config: PiiConfig): (value: unknown) => unknown {
  const mode = modeOf(config.mode);
  const builtin = config.builtinPatterns ?? {};
  const patterns: Array<[RegExp, string]> = [];
  for (const custom of config.customPatterns ?? []) {
    try {
      patterns.push([new RegExp(custom.pattern, "g"), String(custom.label)]);
    } catch {
      // a broken custom pattern redacts nothing, never throws
    }
  }
  for (const [name, label, regex] of COMPILED) if (builtin[name] !== false) patterns.push([regex, label]);
  const redactString = (text: string): string => {
    let out = text;
    for (const [regex, label] of patterns) out = out.replace(regex, (match) => replacement(mode, label, match));
    return out;
  };
  const walk = (value: unknown, seen: WeakSet<object>): unknown => {
    if (typeof value === "string") return value ? redactString(value) : value;
    if (Array.isArray(value)) {
      if (seen.has(value)) return value;
      seen.add(value);
      return value.map((item) => walk(item, seen));
    }
    if (isDict(value) && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
      if (seen.has(value)) return value;
      seen.add(value);
      // Keys too (an address used as a key); two keys redacted alike stay
      // two entries: the later ones get `#2`, `#3`... as in Python.
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        let name = redactString(key);
        if (Object.hasOwn(out, name)) {
          let n = 2;
          while (Object.hasOwn(out, `${name}#${n}`)) n++;
          name = `${name}#${n}`;
        }
        out[name] = walk(item, seen);
      }
      return out;
    }
    return value;
  };
  return (value) => walk(value, new WeakSet()); // a cycle is left to capture, which marks it
}

/** The PiiConfig of a `GET /api/sdk/pii-config` answer; what it lacks or gets wrong keeps the safe defaults. */
export function configFromServer(answer: unknown): PiiConfig {
  const body = isDict(answer) && isDict(answer["config"]) ? answer["config"] : isDict(answer) ? answer : {};
  const builtin = isDict(body["builtinPatterns"]) ? body["builtinPatterns"] : {};
  const flag = (name: string): boolean => (typeof builtin[name] === "boolean" ? (builtin[name] as boolean) : true);
  const customs = Array.isArray(body["customPatterns"]) ? body["customPatterns"] : [];
  const mode = body["mode"];
  return {
    enabled: body["enabled"] !== false,
    mode: modeOf(mode),
    builtinPatterns: Object.fromEntries(PII_TABLE.patterns.map((row) => [row.option, flag(row.option)])),
    customPatterns: customs
      .filter((item): item is Record<string, unknown> => isDict(item) && typeof item["pattern"] === "string")
      .map((item) => ({ pattern: item["pattern"] as string, label: String(item["label"] ?? "CUSTOM") })),
  };
}

/** A redaction applied to captured JSON, decoded (a `pii` function sees values as given instead). */
export class JsonRedactor {
  constructor(private readonly mask: (value: unknown) => unknown) {}

  apply(value: unknown): unknown {
    return this.mask(value);
  }
}

/** The mask of `pii: true`: the safe default until `load` gets the server's settings. */
export class ServerPiiMask {
  private mask = masker({ enabled: true });

  load(answer: unknown): void {
    const config = configFromServer(answer);
    this.mask = config.enabled ? masker(config) : (value: unknown) => value;
  }

  apply(value: unknown): unknown {
    return this.mask(value);
  }
}

/** The mask a `pii` option asks for (undefined: none). */
export function maskOf(option: unknown): ((value: unknown) => unknown) | JsonRedactor | ServerPiiMask | undefined {
  if (option === true) return new ServerPiiMask();
  if (typeof option === "function") return option as (value: unknown) => unknown;
  // As in Python, a PiiConfig redacts only with `enabled: true`.
  if (isDict(option) && option["enabled"] === true) return new JsonRedactor(masker(option as PiiConfig));
  return undefined;
}
