/**
 * What the framework integrations (`vercel.ts`, `claude.ts`) share: reading
 * the plain objects frameworks hand over, and per-call settings.
 */
import { safeString } from "./interaction.js";

export type Dict = Record<string, unknown>;

/** A value, or a function giving it per call (e.g. the user of the request being served). */
export type PerCall = string | null | undefined | (() => string | null | undefined);

export function isDict(value: unknown): value is Dict {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function isPromise(value: unknown): value is Promise<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** The value of `value` for this call: undefined when empty, or when its function throws. */
export function perCall(value: PerCall): string | undefined {
  try {
    const got = typeof value === "function" ? value() : value;
    return got === null || got === undefined || got === "" ? undefined : safeString(got);
  } catch {
    return undefined;
  }
}

/** Run `body`; tracking never throws into the app (the client counts its own failures). */
export function quietly(body: () => void): void {
  try {
    body();
  } catch {
    // a surprise in our reading of a framework's objects costs only that data
  }
}

/** An error's message (its name when empty), of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : safeString(error);
}

/** A finite number, or undefined. */
export function numberOr(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
