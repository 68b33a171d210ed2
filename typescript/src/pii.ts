/**
 * PII redaction, the Python SDK's rules (`sentrial/redact.py`):
 * `new SentrialClient({ pii: true })` redacts emails, SSNs, IP addresses,
 * card numbers and phone numbers in every string it captures (nested in
 * objects and arrays too), before anything is queued. `pii: true` follows
 * the server's settings (`GET /api/sdk/pii-config`, asked in the
 * background; the safe default, every built-in pattern in `label` mode,
 * applies until it answers and whenever it cannot); `pii: { enabled: true, ... }`
 * (a PiiConfig, camelCase; as in Python, without `enabled: true` it redacts
 * nothing) or a function chooses locally.
 *
 * The patterns are the Python SDK's, in the same order (the more specific
 * shapes first); a test runs both SDKs over one table of inputs. One
 * difference of the regex dialects: Python's `\d` and `\w` also match
 * non-ASCII digits and letters, JavaScript's only ASCII.
 */
import { createHash } from "node:crypto";

import { isDict } from "./integration.js";

export type PiiMode = "label" | "hash" | "remove";

export interface PiiBuiltinPatterns {
  emails?: boolean;
  phones?: boolean;
  ssns?: boolean;
  creditCards?: boolean;
  ipAddresses?: boolean;
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

/** [switch, label, source]: the Python SDK's `_BUILTIN`, in its order. */
export const BUILTIN_PATTERNS: ReadonlyArray<readonly [keyof PiiBuiltinPatterns, string, string]> = [
  ["emails", "EMAIL", String.raw`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`],
  ["ssns", "SSN", String.raw`\b\d{3}-\d{2}-\d{4}\b`],
  ["ipAddresses", "IP_ADDRESS", String.raw`\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b`],
  ["creditCards", "CREDIT_CARD", String.raw`\b(?:\d[ -]?){12,18}\d\b`],
  ["phones", "PHONE", String.raw`(?<![\w.])\+?\d{1,3}[ .-]?\(?\d{2,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}\b`],
];

const COMPILED = BUILTIN_PATTERNS.map(([name, label, source]) => [name, label, new RegExp(source, "g")] as const);

function replacement(mode: PiiMode, label: string, text: string): string {
  if (mode === "hash") return `[PII:${createHash("sha256").update(text).digest("hex").slice(0, 6)}]`;
  if (mode === "remove") return "";
  return `[${label}]`;
}

/** A function redacting strings (also nested in plain objects and arrays) with `config`. */
export function masker(config: PiiConfig): (value: unknown) => unknown {
  const mode: PiiMode = config.mode === "hash" || config.mode === "remove" ? config.mode : "label";
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
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = walk(item, seen);
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
    mode: mode === "hash" || mode === "remove" ? mode : "label",
    builtinPatterns: {
      emails: flag("emails"),
      phones: flag("phones"),
      ssns: flag("ssns"),
      creditCards: flag("creditCards"),
      ipAddresses: flag("ipAddresses"),
    },
    customPatterns: customs
      .filter((item): item is Record<string, unknown> => isDict(item) && typeof item["pattern"] === "string")
      .map((item) => ({ pattern: item["pattern"] as string, label: String(item["label"] ?? "CUSTOM") })),
  };
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
export function maskOf(option: unknown): ((value: unknown) => unknown) | ServerPiiMask | undefined {
  if (option === true) return new ServerPiiMask();
  if (typeof option === "function") return option as (value: unknown) => unknown;
  // As in Python, a PiiConfig redacts only with `enabled: true`.
  if (isDict(option) && option["enabled"] === true) return masker(option as PiiConfig);
  return undefined;
}
