/**
 * Any JavaScript value to JSON text, at call time, without ever throwing.
 *
 * The fast path is one `JSON.stringify`. What it cannot take (cycles,
 * BigInt, lone surrogates, nesting deeper than 64 levels) goes through a
 * careful walk. Capturing text also freezes the value: a later mutation by
 * the caller does not change what was tracked. The rules are the Python
 * SDK's:
 *
 * - a field the API types as an object wraps anything else as `{"value": ...}`;
 * - BigInt becomes its decimal string; NaN and infinities become `null`;
 * - a cycle becomes `"<cycle>"`; the 65th level of nesting becomes
 *   `"<truncated: nested deeper than 64>"`;
 * - lone surrogates become U+FFFD; `Map` becomes an object, `Set` an array,
 *   an `Error` `{type, message}` (in the careful walk; `JSON.stringify` rules
 *   otherwise);
 * - past `maxFieldBytes` a field becomes a visible marker with a preview,
 *   never silently cut JSON.
 */

/** JSON text captured at call time; written verbatim into request bodies. */
export class Raw {
  constructor(readonly json: string) {}
}

export const MAX_DEPTH = 64;
export const DEPTH_MARKER = `<truncated: nested deeper than ${MAX_DEPTH}>`;
export const TRUNCATED_KEY = "_sentrial_truncated";

/** `value` as JSON text; `asObject` wraps non-objects as `{"value": ...}`. */
export function captureJson(value: unknown, maxBytes: number, asObject: boolean): Raw {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined; // a cycle, a BigInt, a throwing toJSON: the careful walk
  }
  if (
    json === undefined ||
    json.includes("\\ud") || // a lone surrogate, escaped by JSON.stringify
    tooDeep(json)
  ) {
    json = safeStringify(value);
  }
  if (asObject && json.charCodeAt(0) !== 123 /* { */) {
    json = `{"value":${json}}`;
  }
  if (json.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(json);
    if (bytes > maxBytes) {
      const preview = wellFormed(json.slice(0, Math.max(0, Math.floor(maxBytes / 2))));
      json = JSON.stringify(
        asObject
          ? { [TRUNCATED_KEY]: true, original_bytes: bytes, preview }
          : `${preview}... [truncated ${bytes} bytes]`,
      );
    }
  }
  return new Raw(json);
}

/** A text field (reasoning, failure reason, ...): `String()` of anything, capped. */
export function captureText(value: unknown, maxBytes: number): string {
  let text: string;
  if (typeof value === "string") {
    text = value;
  } else if (value === null || value === undefined) {
    text = "";
  } else if (typeof value === "object") {
    text = safeStringify(value);
  } else {
    try {
      text = String(value);
    } catch {
      text = "<unprintable>";
    }
  }
  text = wellFormed(text);
  if (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes) {
    const bytes = Buffer.byteLength(text);
    text = `${wellFormed(text.slice(0, Math.floor(maxBytes / 2)))}... [truncated ${bytes} bytes]`;
  }
  return text;
}

interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** `text` with each lone surrogate replaced by U+FFFD. */
export function wellFormed(text: string): string {
  const s = text as unknown as WellFormed;
  return s.isWellFormed() ? text : s.toWellFormed();
}

/**
 * True when the JSON `text` nests more than MAX_DEPTH objects and arrays.
 * Cheap in the common case: 65 levels need 65 opening brackets.
 */
export function tooDeep(text: string): boolean {
  if (text.length < 2 * (MAX_DEPTH + 1)) return false;
  let openers = 0;
  for (const bracket of ["{", "["]) {
    let at = text.indexOf(bracket);
    while (at >= 0) {
      openers += 1;
      if (openers > MAX_DEPTH) return exactlyTooDeep(text);
      at = text.indexOf(bracket, at + 1);
    }
  }
  return false;
}

function exactlyTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i += 1;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 || c === 91) {
      depth += 1;
      if (depth > MAX_DEPTH) return true;
    } else if (c === 125 || c === 93) {
      depth -= 1;
    }
  }
  return false;
}

/** JSON text of any value; never throws. */
export function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(toJsonable(value, 0, new Set())) ?? "null";
  } catch (error) {
    return JSON.stringify(`<unserializable: ${errorName(error)}>`);
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** A JSON-safe copy of `value`; `depth` objects and arrays enclose it. */
function toJsonable(value: unknown, depth: number, seen: Set<object>): unknown {
  switch (typeof value) {
    case "string":
      return wellFormed(value);
    case "number":
      return Number.isFinite(value) ? value : null;
    case "bigint":
      return value.toString();
    case "boolean":
      return value;
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (seen.has(object)) return "<cycle>";
  seen.add(object);
  try {
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function" && !(object instanceof Map) && !(object instanceof Set)) {
      let converted: unknown;
      try {
        converted = (toJSON as () => unknown).call(object);
      } catch (error) {
        return `<unserializable ${className(object)}: ${errorName(error)}>`;
      }
      return converted === object ? "<cycle>" : toJsonable(converted, depth, seen);
    }
    if (depth >= MAX_DEPTH) return DEPTH_MARKER;
    if (Array.isArray(object) || object instanceof Set) {
      const out: unknown[] = [];
      for (const item of object) {
        const v = toJsonable(item, depth + 1, seen);
        out.push(v === undefined ? null : v);
      }
      return out;
    }
    if (ArrayBuffer.isView(object)) {
      return Array.from(object as unknown as ArrayLike<number>, (n) => toJsonable(n, depth + 1, seen));
    }
    const out: Record<string, unknown> = {};
    if (object instanceof Map) {
      for (const [k, v] of object) {
        const item = toJsonable(v, depth + 1, seen);
        if (item !== undefined) out[wellFormed(String(k))] = item;
      }
      return out;
    }
    if (object instanceof Error) {
      out["type"] = object.name;
      out["message"] = wellFormed(object.message);
    }
    for (const key of Object.keys(object)) {
      let v: unknown;
      try {
        v = (object as Record<string, unknown>)[key];
      } catch (error) {
        v = `<unreadable: ${errorName(error)}>`;
      }
      const item = toJsonable(v, depth + 1, seen);
      if (item !== undefined) out[wellFormed(key)] = item;
    }
    return out;
  } finally {
    seen.delete(object);
  }
}

function className(object: object): string {
  return object.constructor?.name ?? "Object";
}

/**
 * JSON text of a request body whose leaves may be `Raw` (captured JSON,
 * written verbatim). `undefined` members are left out, as JSON.stringify does.
 */
export function serialize(value: unknown): string {
  if (value instanceof Raw) return value.json;
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? "null" : serialize(item))).join(",")}]`;
  }
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const parts: string[] = [];
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) parts.push(`${JSON.stringify(key)}:${serialize(item)}`);
    }
    return `{${parts.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The value a `Raw` holds, parsed (for the rare paths that must look inside). */
export function parsed(value: unknown): unknown {
  if (!(value instanceof Raw)) return value;
  try {
    return JSON.parse(value.json) as unknown;
  } catch {
    return null;
  }
}
