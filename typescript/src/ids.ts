/**
 * Client-side ids and timestamps, cheap enough for the hot path.
 *
 * An id is a per-process random prefix plus a counter (unique across
 * processes, ordered within one). Times come from the monotonic clock
 * anchored to the wall clock once, so they never run backwards inside a
 * process, to the microsecond.
 */
import { randomBytes } from "node:crypto";

const prefix = randomBytes(9).toString("base64url"); // 12 URL-safe characters
let counter = 0;

export function newSessionId(): string {
  counter += 1;
  return `sess_${prefix}${counter.toString(16)}`;
}

export function newEventId(): string {
  counter += 1;
  return `evt_${prefix}${counter.toString(16)}`;
}

const origin = performance.timeOrigin;

/** Wall-clock milliseconds (with a sub-millisecond fraction) that only move forward. */
export function nowMs(): number {
  return origin + performance.now();
}

let cachedSecond = -1;
let cachedText = "";

/** `ms` as [whole seconds, microseconds (truncated)]: the one rounding of client times. */
export function secondsAndMicros(ms: number): [number, number] {
  const second = Math.floor(ms / 1000);
  return [second, Math.min(999_999, Math.floor((ms - second * 1000) * 1000))];
}

/** The `ms` whose `secondsAndMicros` is [second, micros] (half a microsecond above, against float error). */
export function fromSecondsAndMicros(second: number, micros: number): number {
  return second * 1000 + (micros + 0.5) / 1000;
}

/** RFC 3339 UTC time of `ms` to the microsecond (truncated): `2026-01-02T03:04:05.678901Z`. */
export function isoUtc(ms: number): string {
  const [second, micros] = secondsAndMicros(ms);
  if (second !== cachedSecond) {
    cachedText = new Date(second * 1000).toISOString().slice(0, 19);
    cachedSecond = second;
  }
  return `${cachedText}.${String(micros).padStart(6, "0")}Z`;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 of `text`'s UTF-8 (zlib's, as Python's `zlib.crc32`). */
function crc32(text: string): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, "utf8")) crc = (crcTable[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Deterministic per-session sampling (the Python SDK's rule): every event of a session agrees. */
export function sampledIn(sessionId: string, rate: number): boolean {
  return rate >= 1 || crc32(sessionId) < rate * 0xffffffff;
}
