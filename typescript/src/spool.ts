/**
 * Operations on disk, for the next process: what a process still holds when
 * it exits (`process.exit()`, a signal, an uncaught exception) or when
 * `shutdown()` gives up is written synchronously to a spool segment, and the
 * next process with the same API URL and key delivers it.
 *
 * The format and the directory are the Python SDK's (`sentrial/_delivery/_spool.py`),
 * so either SDK (and `sentrial flush-spool`) delivers what the other spooled:
 *
 * - one directory per API URL and key: `<cache>/sentrial/spool/<sha256(url \0 key)[:16]>`
 *   (`SENTRIAL_SPOOL_DIR` replaces `<cache>/sentrial/spool`), created 0700;
 * - segments `<first-op-time-ns, 19 digits>-<pid>-<random>.spool`, files 0600,
 *   one JSON line per operation: `[kind, sessionId, fields]`, fields under the
 *   Python SDK's names (snake_case; `input` is `input_`), the client time in
 *   ns in `started_at` / `timestamp` / `completed_at`, captured JSON embedded
 *   as is.
 *
 * Node has no `flock`, so a segment is written whole under a hidden name and
 * renamed (it appears complete or not at all), and a reader tells a live
 * writer from a dead one by the pid in the name: a Python process appends to
 * its segments while alive, so those of a live pid are left alone. A reader
 * claims a segment by renaming it to `.<name>.claim-<pid>` (one rename wins);
 * a claim whose process is gone is claimed again; at exit a reader renames
 * what it has not finished back. Replaying twice is harmless: every
 * operation carries its id and the API treats repeats as no-ops.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { readFile, readdir, rename, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

import { Raw } from "./capture.js";
import type { Config } from "./config.js";
import { fromSecondsAndMicros, secondsAndMicros } from "./ids.js";
import type { Operation } from "./wire.js";

const SEGMENT = /^(\d{19})-(\d+)-[0-9a-f]+\.spool$/;
const CLAIM = /^\.(\d{19}-\d+-[0-9a-f]+\.spool)\.claim-(\d+)$/;
const TIME_FIELD = { create_session: "started_at", create_event: "timestamp", update_session: "completed_at" } as const;
const KINDS = new Set<string>(Object.keys(TIME_FIELD));

/** The user cache directory as Python's `platformdirs.user_cache_dir("sentrial", appauthor=False)`. */
function cacheBase(env: NodeJS.ProcessEnv): string {
  if (process.platform === "darwin") return join(homedir(), "Library", "Caches", "sentrial");
  if (process.platform === "win32") {
    return join(env["LOCALAPPDATA"] || join(homedir(), "AppData", "Local"), "sentrial", "Cache");
  }
  const xdg = (env["XDG_CACHE_HOME"] ?? "").trim();
  return join(xdg || join(homedir(), ".cache"), "sentrial");
}

/** Where this API URL and key spool (the Python SDK's `spool_directory`). */
export function spoolDirectory(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  const base = config.spoolDir || join(cacheBase(env), "spool"); // "" is unset, as in Python
  const digest = createHash("sha256").update(`${config.apiUrl}\0${config.apiKey ?? ""}`).digest("hex").slice(0, 16);
  return join(base, digest);
}

// -- one operation as a line -----------------------------------------------------------

function snake(name: string): string {
  return name === "input" ? "input_" : name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function camel(name: string): string {
  return name === "input_" ? "input" : name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Client time (ms) as the digits of integer ns, exact to the microsecond the
 * wire carries (a float of ns would not be: 2^53 is ~9e15): a replayed
 * operation must have the same body as a first delivery the server may
 * already have stored, or the server refuses it as a different one (409).
 */
function toNs(ms: number): string {
  const [second, micros] = secondsAndMicros(ms);
  return `${second}${String(micros).padStart(6, "0")}000`;
}

function fromNs(digits: string): number {
  if (digits.length <= 9) return fromSecondsAndMicros(0, Math.floor(Number(digits) / 1000));
  return fromSecondsAndMicros(Number(digits.slice(0, -9)), Number(digits.slice(-9, -3)));
}

/**
 * The digits of the integer under `key` at the top level of the fields
 * object (the third item) of a record, read from the text: JSON.parse would
 * round a 19-digit number.
 */
function topLevelDigits(line: string, key: string): string | undefined {
  const wanted = JSON.stringify(key);
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      const start = i;
      for (i += 1; i < line.length && line[i] !== '"'; i++) if (line[i] === "\\") i += 1;
      // the key of the fields object (depth 2: inside the record and the object)
      if (depth === 2 && line.slice(start, i + 1) === wanted) {
        const match = /^\s*:\s*(\d+)/.exec(line.slice(i + 1, i + 40));
        if (match !== null) return match[1];
      }
    } else if (c === "[" || c === "{") depth += 1;
    else if (c === "]" || c === "}") depth -= 1;
  }
  return undefined;
}

/** One spool line (without its newline). */
export function toRecord(op: Operation): string {
  const parts: string[] = [`${JSON.stringify(TIME_FIELD[op.kind])}:${toNs(op.at)}`];
  const fields = op.fields as Record<string, unknown>;
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    const json = value instanceof Raw ? value.json : JSON.stringify(value);
    if (json !== undefined) parts.push(`${JSON.stringify(snake(key))}:${json}`);
  }
  return `[${JSON.stringify(op.kind)},${JSON.stringify(op.sessionId)},{${parts.join(",")}}]`;
}

/** The operation of a spool line (either SDK's); an Error says why it is not one. */
export function fromRecord(line: string): Operation | Error {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (error) {
    return error as Error;
  }
  if (!Array.isArray(record) || record.length !== 3) return new Error("not an operation record");
  const [kind, sessionId, raw] = record as [unknown, unknown, unknown];
  if (typeof kind !== "string" || !KINDS.has(kind)) return new Error(`unknown operation kind ${JSON.stringify(kind)}`);
  if (typeof sessionId !== "string" || !sessionId || raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return new Error("malformed operation record");
  }
  const timeField = TIME_FIELD[kind as Operation["kind"]];
  const digits = topLevelDigits(line, timeField);
  const at = digits !== undefined ? fromNs(digits) : Date.now();
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === timeField) continue;
    fields[camel(key)] = value !== null && typeof value === "object" ? new Raw(JSON.stringify(value)) : value;
  }
  return { kind, sessionId, at, fields, attempts: 0, size: 200 + line.length } as Operation;
}

// -- writing -----------------------------------------------------------------------------

function segmentBytes(directory: string): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.endsWith(".spool") && !CLAIM.test(name)) continue;
    try {
      total += statSync(join(directory, name)).size;
    } catch {
      // removed meanwhile
    }
  }
  return total;
}

export interface Written {
  /** Operations on disk (the first ones of those given). */
  written: number;
  /** The rest: did not fit under maxBytes, or the write failed. */
  error: Error | undefined;
  path: string | undefined;
}

/**
 * Write `ops` (in order) to a new segment, synchronously: usable in an
 * `exit` handler or a signal handler. What does not fit under `maxBytes`
 * (for the whole directory) is left out (`written` says how many fit).
 */
export function writeSegment(directory: string, ops: readonly Operation[], maxBytes: number): Written {
  if (ops.length === 0) return { written: 0, error: undefined, path: undefined };
  let room = maxBytes - segmentBytes(directory);
  const lines: string[] = [];
  let first = Number.POSITIVE_INFINITY;
  for (const op of ops) {
    const line = `${toRecord(op)}\n`;
    const bytes = Buffer.byteLength(line);
    if (bytes > room) break;
    room -= bytes;
    lines.push(line);
    first = Math.min(first, op.at);
  }
  if (lines.length === 0) return { written: 0, error: new Error("the spool is full (maxSpoolBytes)"), path: undefined };
  const name = `${toNs(first).padStart(19, "0")}-${process.pid}-${randomBytes(6).toString("hex")}`;
  const hidden = join(directory, `.${name}.new`);
  const path = join(directory, `${name}.spool`);
  let fd: number | undefined;
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    fd = openSync(hidden, "wx", 0o600);
    for (let start = 0; start < lines.length; start += 1000) {
      const data = Buffer.from(lines.slice(start, start + 1000).join(""));
      let done = 0;
      while (done < data.length) done += writeSync(fd, data, done, data.length - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(hidden, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(hidden);
    } catch {
      // never created
    }
    return { written: 0, error: error as Error, path: undefined };
  }
  const error = lines.length < ops.length ? new Error("the spool is full (maxSpoolBytes)") : undefined;
  return { written: lines.length, error, path };
}

// -- reading -----------------------------------------------------------------------------

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A segment this process claimed: its operations, and the file until they are settled. */
export class Claim {
  /** Operations read from it and not yet delivered or dropped. */
  outstanding = 0;
  private done = false;

  constructor(
    readonly path: string,
    /** The segment's own name: where it goes back if this process exits first. */
    readonly original: string,
  ) {}

  /** One of its operations is delivered or dropped; the file goes with the last. */
  settle(): void {
    this.outstanding -= 1;
    if (this.outstanding <= 0 && !this.done) {
      this.done = true;
      void unlink(this.path).catch(() => undefined);
    }
  }

  get finished(): boolean {
    return this.done;
  }

  /** At exit, unfinished: the segment goes back under its name, for the next process (sync). */
  release(): void {
    if (this.done) return;
    this.done = true;
    try {
      renameSync(this.path, this.original);
    } catch {
      // gone: nothing to give back
    }
  }
}

/** [sort key, file name] of the segments a reader may claim, oldest first; `names` as `readdir` lists them. */
function claimable(names: string[]): Array<[string, string]> {
  const candidates: Array<[string, string]> = [];
  for (const name of names) {
    const segment = SEGMENT.exec(name);
    if (segment !== null && (Number(segment[2]) === process.pid || !alive(Number(segment[2])))) {
      candidates.push([name, name]);
      continue;
    }
    const claim = CLAIM.exec(name);
    if (claim !== null && Number(claim[2]) !== process.pid && !alive(Number(claim[2]))) {
      candidates.push([claim[1] as string, name]);
    }
  }
  return candidates.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * True when `directory` holds a segment to replay. Synchronous (one
 * `readdir`, tens of microseconds, once per client): an empty spool must not
 * keep the event loop busy, which would let a request start before
 * `beforeExit` and hold a short script open.
 */
export function hasOrphans(directory: string): boolean {
  try {
    return claimable(readdirSync(directory)).length > 0;
  } catch {
    return false;
  }
}

/**
 * The oldest segment left by a process that is gone (or by this process),
 * claimed, with its operations; undefined when there is none. `badLine` hears
 * of lines that are no operation.
 */
export async function claimOrphan(
  directory: string,
  badLine: (why: string) => void,
): Promise<{ claim: Claim; ops: Operation[] } | undefined> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return undefined;
  }
  const candidates = claimable(names);
  for (const [original, name] of candidates) {
    const path = join(directory, `.${original}.claim-${process.pid}`);
    try {
      await rename(join(directory, name), path);
    } catch {
      continue; // another process was faster
    }
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      continue;
    }
    const claim = new Claim(path, join(directory, original));
    const ops: Operation[] = [];
    const lines = text.split("\n");
    lines.pop(); // "" after the last newline, or the torn last line of a writer that died
    for (const line of lines) {
      if (!line.trim()) continue;
      const op = fromRecord(line);
      if (op instanceof Error) badLine(`${original}: ${op.message}`);
      else ops.push(op);
    }
    claim.outstanding = ops.length;
    if (ops.length === 0) {
      claim.outstanding = 1;
      claim.settle();
      continue;
    }
    return { claim, ops };
  }
  return undefined;
}
