/**
 * Background delivery: the caller appends, the event loop delivers.
 *
 * A tracking call's whole cost is an array push. Batches leave when
 * `batchSize` operations are queued or `flushIntervalMs` after the first
 * one, through `POST /api/sdk/batch` one after the other, in order. The
 * server is asked once what it supports (`GET /api/sdk/health`, cached): a
 * server without the batch endpoint gets one request per operation instead,
 * many in flight at once, each session's operations in order (`Lanes`), and
 * only the documented fields (see `wire.ts`).
 *
 * Answers go through the response policy (`policy.ts`): retries with
 * exponential backoff and full jitter, or after `Retry-After`; a batch that
 * is too large (413) or keeps failing with a 5xx is split until the
 * operation at fault is alone; an operation the server keeps refusing is
 * dropped (counted by reason, logged once). Memory stays bounded: past
 * `maxQueueSize` new operations are dropped (counted).
 *
 * Timers are unref'd, so tracking never keeps a process alive; instead, on
 * `beforeExit` whatever is still queued is flushed, the process kept alive
 * for at most `shutdownTimeoutMs`. What is not delivered when the process
 * ends anyway (`process.exit()`, a signal, a crash) or when `shutdown()`
 * gives up is written to the spool on disk, synchronously, and delivered by
 * the next process with the same API URL and key (see `spool.ts`); each
 * delivery replays what earlier processes left there before its own queue.
 */
import { isMainThread } from "node:worker_threads";

import { type Capabilities, CapabilityCache, PLAIN } from "./capabilities.js";
import type { Config } from "./config.js";
import {
  BatchUnsupported,
  type ItemResult,
  POISON_ATTEMPTS,
  RejectedError,
  RetryableError,
  SPLIT_AFTER,
  forStatus,
} from "./policy.js";
import { type Claim, claimOrphan, hasOrphans, spoolDirectory, writeSegment } from "./spool.js";
import { Transport } from "./transport.js";
import type { Operation } from "./wire.js";

export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 30_000;
export const RETRY_AFTER_CAP_MS = 300_000;
/**
 * The least wait after a `Retry-After`: one of 0, or a date already past,
 * must not turn retries into a tight loop (the backoff's first step).
 */
export const RETRY_AFTER_FLOOR_MS = BACKOFF_BASE_MS;

/**
 * The poison rule, in one place (Python's `_is_poison`): after
 * POISON_ATTEMPTS failures an operation is poison only when the server
 * accepted other operations between its failures at least twice (once can
 * be the end of an outage raced by another request), or in the same answer
 * that refused it (counted as two). Nothing else proves it: a server whose
 * writes all fail (a full disk) may answer 500 to every write while its
 * health check says 200, and an outage behind a live router answers
 * 502/503/504 to everything; what an outage refused waits, never
 * dead-lettered. 429 is never the operation's fault (the server asks to
 * slow down).
 */
/** [failures, proofs, accepted then] of a batch, handed to its halves. */
type Evidence = [number, number, number];

function isPoison(status: number | undefined, proofs: number): boolean {
  return status !== undefined && status !== 429 && proofs >= 2;
}
/** Operations held by the lanes of a server without batches; the rest waits in the queue. */
export const LANES_WINDOW = 10_000;
/** Bytes of one batch (the server takes 5 MiB). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Sessions whose server-chosen id is remembered (plain servers). */
export const ID_MAP_SIZE = 100_000;

export interface DeliveryStats {
  /** Operations handed to delivery. */
  tracked: number;
  /** Waiting in memory. */
  queued: number;
  /** In a request now (or waiting to be retried). */
  inFlight: number;
  /** Stored by the server. */
  sent: number;
  /** Requests tried again. */
  retried: number;
  /** Kept on disk for the next process (at exit, or when shutdown() gave up). */
  spooled: number;
  /** Read back from the spool (left there by an earlier process, or by shutdown()). */
  replayed: number;
  /** Operations that will never be delivered, by reason. */
  dropped: Record<string, number>;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** One request per operation, many in flight: delivery to a server without batches. */
class Lanes {
  private readonly lanes = new Map<string, Operation[]>();
  private readonly waiting: string[] = []; // lanes nobody works on
  private active = 0;
  private pausedUntil = 0;
  private attempt = 0;
  private readonly roomWaiters: Array<() => void> = [];
  pending = 0;

  constructor(private readonly owner: Delivery) {}

  /** Queue `ops` behind what their sessions already have; waits while the lanes are full. */
  async add(ops: Operation[]): Promise<Operation[]> {
    while (this.pending >= LANES_WINDOW) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      if (this.owner.stopped) return ops;
    }
    for (const op of ops) {
      let lane = this.lanes.get(op.sessionId);
      if (lane === undefined) {
        lane = [];
        this.lanes.set(op.sessionId, lane);
        this.waiting.push(op.sessionId);
      }
      lane.push(op);
    }
    this.pending += ops.length;
    this.spin();
    return [];
  }

  private spin(): void {
    while (this.active < this.owner.config.maxConcurrency && this.waiting.length > 0) {
      const sessionId = this.waiting.shift() as string;
      this.active += 1;
      void this.work(sessionId);
    }
  }

  private async work(sessionId: string): Promise<void> {
    const lane = this.lanes.get(sessionId) ?? [];
    try {
      while (lane.length > 0 && !this.owner.stopped) {
        const pause = this.pausedUntil - performance.now();
        if (pause > 0 && !(await this.owner.sleep(pause))) return;
        const op = lane[0] as Operation;
        try {
          await this.owner.deliverOne(op);
        } catch (error) {
          const retry = error instanceof RetryableError ? error : new RetryableError(describe(error));
          this.pause(retry);
          this.owner.noteRetry(retry);
          continue;
        }
        lane.shift();
        this.pending -= 1;
        this.attempt = 0;
        this.roomWaiters.shift()?.();
      }
    } finally {
      if (lane.length === 0 && this.lanes.get(sessionId) === lane) this.lanes.delete(sessionId);
      this.active -= 1;
      this.spin();
      this.owner.changed();
    }
  }

  /** A 429 or 5xx on any lane pauses them all (once per pause). */
  private pause(error: RetryableError): void {
    const now = performance.now();
    if (now >= this.pausedUntil) {
      this.attempt += 1;
      this.pausedUntil = now + this.owner.backoff(this.attempt, error.retryAfterMs);
    }
  }

  /** Everything the lanes hold, each session in order; the lanes are emptied. */
  drain(): Operation[] {
    const left: Operation[] = [];
    for (const lane of this.lanes.values()) {
      left.push(...lane);
      lane.length = 0;
    }
    this.lanes.clear();
    this.waiting.length = 0;
    this.pending = 0;
    for (const wake of this.roomWaiters.splice(0)) wake();
    return left;
  }
}

const live = new Set<Delivery>();
let hooked = false;
/** Signals whose default is to end the process; without a handler of the app's, we spool first. */
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function spoolAll(reason: string): void {
  for (const delivery of live) delivery.spoolNow(reason);
}

/**
 * The process hooks, installed once. None changes how the process ends:
 * `exit` and `uncaughtExceptionMonitor` only observe; a signal listener acts
 * only when it is the sole listener (the app has none, so the signal would
 * have ended the process): it spools, removes itself and raises the signal
 * again, and the process dies of it as it would have.
 */
function hookProcess(): void {
  if (hooked) return;
  hooked = true;
  process.on("beforeExit", () => {
    for (const delivery of live) delivery.onBeforeExit();
  });
  process.on("exit", () => spoolAll("exit"));
  // Before the process dies of an uncaught exception or an unhandled
  // rejection; with an `uncaughtException` listener the app lives on (and
  // what it still queues is spooled at its exit, if not delivered).
  process.on("uncaughtExceptionMonitor", () => {
    if (process.listenerCount("uncaughtException") === 0) spoolAll("crash");
  });
  if (!isMainThread) return; // signals reach the main thread only
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) return; // the app's own handler decides
      spoolAll(signal);
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** What a spool line says about why its operations were not delivered. */
const SPOOL_WHY: Record<string, string> = {
  exit: "the process exited first",
  crash: "the process is ending on an uncaught exception or unhandled rejection",
  shut_down: "shutdown() did not deliver them in time",
  SIGINT: "the process got SIGINT",
  SIGTERM: "the process got SIGTERM",
  SIGHUP: "the process got SIGHUP",
};

/** The delivery engine of one client. */
export class Delivery {
  private queue: Operation[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private pumping = false;
  private inFlight = 0;
  private transport_: Transport | undefined;
  private readonly caps = new CapabilityCache();
  private readonly ids = new Map<string, string>();
  private readonly lanes = new Lanes(this);
  private readonly idleWaiters = new Set<() => void>();
  private readonly sleepers = new Set<() => void>();
  private readonly logged = new Set<string>();
  private deadline = Number.POSITIVE_INFINITY;
  private exiting = false;
  private registered = false;
  stopped = false;

  private tracked = 0;
  private sent = 0;
  private retried = 0;
  private readonly dropped: Record<string, number> = {};
  private failures = 0;
  private failuresSeen = 0;
  /** Operations the server accepted: the evidence that it answers writes (see `isPoison`). */
  private accepted = 0;
  /** Per operation failing on its own (lanes, items of batches): [proofs, accepted at its last failure]. */
  private readonly evidence = new WeakMap<Operation, [number, number]>();
  /** Why delivery stopped (`shut_down`, `exit`): what is given up after that counts under it. */
  private stopReason: string | undefined;
  /** The pump (and its requests) wound down after a stop. */
  private readonly pumpDone = new Set<() => void>();

  /** The batch the pump is delivering (kept on disk too if the process ends meanwhile). */
  private current: Operation[] | undefined;
  /** Operations read back from a spool segment: delivered before the queue (they are older). */
  private readonly replay: Operation[] = [];
  private readonly claims = new Set<Claim>();
  private scanning: Promise<void> | undefined;
  private replayStarted = false;
  private moreOrphans = false;
  private readonly spooledOps = new WeakSet<Operation>();
  private spooled = 0;
  private replayed = 0;
  private directory_: string | undefined;

  constructor(readonly config: Config) {}

  private get directory(): string {
    this.directory_ ??= spoolDirectory(this.config);
    return this.directory_;
  }

  private get transport(): Transport {
    this.transport_ ??= new Transport(this.config);
    return this.transport_;
  }

  // -- caller side ---------------------------------------------------------------

  /** Take one operation; never waits, never throws. */
  submit(op: Operation): void {
    this.tracked += 1;
    const queue = this.queue;
    if (this.stopped) {
      this.keep([op], this.stopReason ?? "shut_down"); // tracked during exit: for the next process
      return;
    }
    if (queue.length >= this.config.maxQueueSize) {
      this.drop([op], "queue_full", "the queue is full (maxQueueSize)");
      return;
    }
    queue.push(op);
    if (!this.registered) {
      this.register();
      this.startReplay();
    }
    if (this.pumping) return; // the pump takes it with the next batch
    if (queue.length >= this.config.batchSize) {
      if (this.immediate === undefined) {
        this.immediate = setImmediate(() => {
          this.immediate = undefined;
          void this.pump();
        });
        this.immediate.unref();
      }
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.pump();
      }, this.config.flushIntervalMs);
      this.timer.unref();
    }
  }

  private register(): void {
    this.registered = true;
    if (this.config.flushOnExit) {
      live.add(this);
      hookProcess();
    }
  }

  // -- the pump --------------------------------------------------------------------

  /** Read the oldest spool segment left by a process that is gone; its operations go first. */
  private startReplay(again = false): void {
    if (this.scanning !== undefined || this.stopped || (this.replayStarted && !again)) return;
    this.replayStarted = true;
    if (!hasOrphans(this.directory)) {
      this.moreOrphans = false;
      return;
    }
    this.scanning = (async () => {
      try {
        const found = await claimOrphan(this.directory, (why) => {
          this.countDrop("unreadable_spool_line", 1);
          this.logOnce("unreadable_spool_line", `skipping an unreadable spool line (${why})`);
        });
        this.moreOrphans = found !== undefined;
        if (found === undefined) return;
        if (this.stopped) {
          found.claim.release();
          return;
        }
        this.claims.add(found.claim);
        for (const op of found.ops) op.from = found.claim;
        this.replay.push(...found.ops);
        this.replayed += found.ops.length;
        if (!this.registered) this.register();
      } catch (error) {
        this.logOnce("spool_read", `cannot read the spool in ${this.directory}: ${describe(error)}`);
      } finally {
        this.scanning = undefined;
        if (this.replay.length > 0) this.kick();
        this.changed();
      }
    })();
  }

  private take(): Operation[] {
    const queue = this.replay.length > 0 ? this.replay : this.queue;
    let count = 0;
    let bytes = 0;
    const limit = Math.min(this.config.batchSize, queue.length);
    while (count < limit) {
      const size = (queue[count] as Operation).size;
      if (count > 0 && bytes + size > MAX_BATCH_BYTES) break;
      bytes += size;
      count += 1;
    }
    const batch = queue.splice(0, count);
    if (queue === this.replay && queue.length === 0 && this.moreOrphans) this.startReplay(true);
    return batch;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.pumping = true;
    try {
      while ((this.queue.length > 0 || this.replay.length > 0) && !this.stopped) {
        const batch = this.take();
        this.current = batch;
        this.inFlight += batch.length;
        try {
          const left = await this.deliver(batch);
          if (left.length > 0) {
            // Given up (a deadline, or stopping): so is everything behind it.
            this.giveUp([...left, ...this.queue.splice(0)], this.stopReason ?? (this.exiting ? "exit" : "shut_down"));
          }
        } catch (error) {
          this.drop(batch, "internal_error", describe(error));
        } finally {
          this.inFlight -= batch.length;
          this.current = undefined;
        }
      }
    } finally {
      this.pumping = false;
      for (const done of [...this.pumpDone]) done();
      this.changed();
    }
  }

  /**
   * Send `ops` until each is stored or dropped (or handed to the lanes);
   * returns what is left when stopping. `evidence`: [failures, proofs,
   * accepted then] of the batch `ops` were split from, so that what the
   * server accepted between the failures of a batch and of its halves
   * counts (see `isPoison`).
   */
  private async deliver(ops: Operation[], evidence: Evidence = [0, 0, 0]): Promise<Operation[]> {
    let attempt = 0;
    let [failures, proofs, acceptedThen] = evidence;
    while (ops.length > 0) {
      let error: RetryableError;
      try {
        const caps = await this.caps.get(() => this.transport.probe());
        if (!caps.batch) return await this.lanes.add(ops);
        if (this.lanes.pending > 0 && !(await this.lanesEmpty())) return ops; // older: first
        const ids = ops.map((op) => this.serverId(op.sessionId));
        const results = await this.transport.sendBatch(ops, ids, caps);
        const [retry, itemError] = this.settle(ops, results);
        ops = retry;
        if (itemError === undefined) {
          attempt = 0;
          continue;
        }
        error = itemError;
      } catch (caught) {
        if (caught instanceof BatchUnsupported) {
          if (!(await this.batchStillAdvertised())) continue; // next round: one request per operation
          error = new RetryableError(`batch endpoint: ${caught.message}`, caught.status);
        } else if (caught instanceof RetryableError) {
          error = caught;
        } else if (caught instanceof RejectedError) {
          const verdict = forStatus(caught.status, null, ops.length > 1);
          if (verdict.action === "split") return this.deliverHalves(ops);
          this.drop(ops, verdict.reason, caught.message);
          return [];
        } else {
          if (ops.length > 1) return this.deliverHalves(ops); // isolate the one at fault
          this.drop(ops, "internal_error", describe(caught));
          return [];
        }
      }
      attempt += 1;
      failures += 1;
      [proofs, acceptedThen] = this.proofs(failures, proofs, acceptedThen);
      this.noteRetry(error);
      if (error.splits && ops.length > 1 && attempt >= SPLIT_AFTER) return this.deliverHalves(ops, [failures, proofs, acceptedThen]);
      if (ops.length === 1 && attempt >= POISON_ATTEMPTS && isPoison(error.status, proofs)) {
        this.drop(ops, `poison_${error.status}`, error.message);
        return [];
      }
      if (!(await this.sleep(this.backoff(attempt, error.retryAfterMs)))) return ops;
    }
    return [];
  }

  private async deliverHalves(ops: Operation[], evidence: Evidence = [0, 0, 0]): Promise<Operation[]> {
    const half = Math.floor(ops.length / 2);
    const left = await this.deliver(ops.slice(0, half), evidence);
    if (left.length > 0) return [...left, ...ops.slice(half)];
    // What the first half's success proves is counted against the second's.
    return this.deliver(ops.slice(half), evidence);
  }

  /** After a 404/405 from the batch endpoint: a plain server, or a proxy's hiccup? Ask again. */
  private async batchStillAdvertised(): Promise<boolean> {
    let caps: Capabilities;
    try {
      caps = await this.caps.refresh(() => this.transport.probe());
    } catch {
      return true; // cannot tell now: retry later
    }
    if (!caps.batch) {
      this.config.logger.debug?.(
        `sentrial: ${this.config.apiUrl} has no batch endpoint; sending one request per operation`,
      );
    }
    return caps.batch;
  }

  /** After a failure: [proofs, accepted then] updated (other operations accepted since the last failure). */
  private proofs(attempts: number, proofs: number, acceptedThen: number): [number, number] {
    if (attempts > 1 && this.accepted > acceptedThen) proofs += 1;
    return [proofs, this.accepted];
  }

  /** The same, for one operation failing on its own (kept with it across requests). */
  private opProofs(op: Operation): number {
    const [proofs, acceptedThen] = this.evidence.get(op) ?? [0, 0];
    const updated = this.proofs(op.attempts, proofs, acceptedThen);
    this.evidence.set(op, updated);
    return updated[0];
  }

  /** One operation on its own endpoint (a lane's step): counted, or RetryableError thrown. */
  async deliverOne(op: Operation): Promise<void> {
    const caps = this.caps.known ?? PLAIN;
    let result: ItemResult;
    try {
      result = await this.transport.sendOne(op, this.serverId(op.sessionId), caps);
    } catch (error) {
      if (error instanceof RetryableError) {
        op.attempts += 1;
        const proofs = this.opProofs(op);
        if (op.attempts >= POISON_ATTEMPTS && error.splits && isPoison(error.status, proofs)) {
          this.drop([op], `poison_${error.status}`, error.message);
          return;
        }
        throw error;
      }
      this.drop([op], "internal_error", describe(error));
      return;
    }
    const [, error] = this.settle([op], [result]);
    if (error !== undefined) throw error;
  }

  /** Count results; the operations to retry and why. */
  private settle(ops: Operation[], results: ItemResult[]): [Operation[], RetryableError | undefined] {
    const retry: Operation[] = [];
    const retrySessions = new Set<string>();
    let status = 0;
    // The items this answer accepted are evidence for the ones it refused.
    let acceptedNow = 0;
    for (const result of results.slice(0, ops.length)) if (forStatus(result.status).action === "ok") acceptedNow += 1;
    this.accepted += acceptedNow;
    ops.forEach((op, i) => {
      const result = results[i] as ItemResult;
      const verdict = forStatus(result.status);
      if (verdict.action === "ok") {
        this.sent += 1;
        op.from?.settle();
        if (op.kind === "create_session" && result.serverId !== undefined && result.serverId !== op.sessionId) {
          this.remember(op.sessionId, result.serverId);
        }
      } else if (verdict.action === "retry" || (result.status === 404 && retrySessions.has(op.sessionId))) {
        op.attempts += 1;
        // One answer that accepted other operations while refusing this one is
        // conclusive (no race with the end of an outage): as good as two proofs.
        if (acceptedNow > 0) this.evidence.set(op, [2, this.accepted]);
        const proofs = this.opProofs(op);
        if (op.attempts >= POISON_ATTEMPTS && isPoison(result.status, proofs)) {
          this.drop([op], `poison_${result.status}`, result.message);
          return;
        }
        retry.push(op);
        status ||= result.status;
        if (op.kind === "create_session") retrySessions.add(op.sessionId);
      } else {
        this.drop([op], verdict.reason, result.message);
      }
    });
    if (retry.length === 0) return [[], undefined];
    return [retry, new RetryableError(`HTTP ${status} for ${retry.length} operation(s) of a batch`, status)];
  }

  private serverId(ours: string): string {
    return this.ids.get(ours) ?? ours;
  }

  private remember(ours: string, theirs: string): void {
    this.ids.set(ours, theirs);
    if (this.ids.size > ID_MAP_SIZE) {
      const oldest = this.ids.keys().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }

  // -- waiting ---------------------------------------------------------------------

  backoff(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, RETRY_AFTER_FLOOR_MS), RETRY_AFTER_CAP_MS);
    return Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  }

  /** Wait `ms` (woken early by a deadline); false means give up now. */
  async sleep(ms: number): Promise<boolean> {
    if (this.stopped) return false;
    if (performance.now() + ms > this.deadline) return false; // would end past the deadline
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.sleepers.add(done);
    });
    return !this.stopped;
  }

  private wakeSleepers(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private lanesEmpty(): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.lanes.pending === 0 || this.stopped) {
          this.idleWaiters.delete(check);
          resolve(this.lanes.pending === 0);
        }
      };
      this.idleWaiters.add(check);
      check();
    });
  }

  isIdle(): boolean {
    return (
      this.queue.length === 0 &&
      !this.pumping &&
      this.lanes.pending === 0 &&
      this.replay.length === 0 &&
      this.scanning === undefined
    );
  }

  /** Called whenever delivery made progress: wakes who waits for it. */
  changed(): void {
    for (const waiter of [...this.idleWaiters]) waiter();
  }

  noteRetry(error: RetryableError): void {
    if (this.stopped) return; // aborted by a stop: not retried, given up (counted there)
    this.retried += 1;
    if (error.status === undefined) {
      this.logOnce(
        "unreachable",
        `cannot reach ${this.config.apiUrl} (${error.message}); operations are kept in memory and retried`,
      );
    }
  }

  private countDrop(reason: string, count: number): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + count;
    this.failures += count;
  }

  private drop(ops: Operation[], reason: string, message: string): void {
    if (ops.length === 0) return;
    this.countDrop(reason, ops.length);
    for (const op of ops) op.from?.settle();
    this.logOnce(reason, `${ops.length} operation(s) not delivered to ${this.config.apiUrl}: ${reason}: ${message}`);
  }

  /** What a deadline or a stop left undelivered: kept on disk (those not kept already). */
  private giveUp(ops: Operation[], reason: string): void {
    this.keep(
      ops.filter((op) => !this.spooledOps.has(op)),
      reason,
    );
  }

  /**
   * Write `ops` to the spool now (synchronously), for the next process;
   * what cannot be written (the spool is full, or off with `maxSpoolBytes: 0`,
   * or the disk refuses) is dropped under `reason`. Operations read from a
   * spool segment are not written again: their segment goes back (`Claim.release`).
   */
  private keep(ops: Operation[], reason: string): void {
    const fresh = ops.filter((op) => op.from === undefined);
    if (fresh.length === 0) return;
    const why = SPOOL_WHY[reason] ?? reason;
    let written = 0;
    let error: Error | undefined = new Error("spooling is off (maxSpoolBytes: 0)");
    if (this.config.maxSpoolBytes > 0) ({ written, error } = writeSegment(this.directory, fresh, this.config.maxSpoolBytes));
    for (let i = 0; i < written; i++) this.spooledOps.add(fresh[i] as Operation);
    this.spooled += written;
    if (written > 0) {
      this.logOnce(
        `spooled_${reason}`,
        `${written} operation(s) not delivered yet (${why}): kept on disk in ${this.directory}; ` +
          "the next process with this API URL and key delivers them (or `sentrial flush-spool`)",
      );
    }
    const lost = fresh.slice(written);
    if (lost.length > 0) {
      this.countDrop(reason, lost.length);
      this.logOnce(
        reason,
        `${lost.length} operation(s) not delivered to ${this.config.apiUrl} (${why}) and not kept on disk: ${error?.message ?? ""}`,
      );
    }
  }

  private logOnce(key: string, message: string): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    try {
      this.config.logger.warn(`sentrial: ${message}`);
    } catch {
      // a logger that throws must not stop delivery
    }
  }

  // -- control ---------------------------------------------------------------------

  /** Start sending what is queued now, not at the next interval. */
  private kick(): void {
    if (!this.pumping && (this.queue.length > 0 || this.replay.length > 0)) void this.pump();
  }

  /**
   * Wait until everything submitted so far is delivered; false when something
   * was not (dropped or spooled since the last flush, or still waiting at `timeoutMs`).
   */
  async flush(timeoutMs?: number): Promise<boolean> {
    this.startReplay();
    if (!this.isIdle()) {
      this.kick();
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (this.isIdle() || this.stopped) {
            this.idleWaiters.delete(check);
            resolve();
          }
        };
        this.idleWaiters.add(check);
        if (timeoutMs !== undefined) {
          timer = setTimeout(() => {
            this.idleWaiters.delete(check);
            resolve();
          }, timeoutMs);
        }
        check();
      });
      if (timer !== undefined) clearTimeout(timer);
    }
    // Dropped or kept on disk since the last flush: not delivered.
    const failed = this.failures + this.spooled !== this.failuresSeen;
    this.failuresSeen = this.failures + this.spooled;
    return this.isIdle() && !failed;
  }

  /** Flush within `timeoutMs`; what is still undelivered then is dropped (counted). */
  async shutdown(timeoutMs: number = this.config.shutdownTimeoutMs): Promise<boolean> {
    this.deadline = Math.min(this.deadline, performance.now() + timeoutMs);
    this.wakeSleepers();
    const delivered = await this.flush(timeoutMs);
    if (!this.isIdle()) {
      this.abandon(this.exiting ? "exit" : "shut_down");
      await this.woundDown();
    }
    // Segments being replayed that the deadline cut short go back under their names.
    for (const claim of this.claims) claim.release();
    this.claims.clear();
    live.delete(this);
    return delivered;
  }

  /**
   * After `abandon`: wait (briefly: its requests were aborted) for the pump to
   * count the batch it had in a request, so the stats are final.
   */
  private woundDown(limitMs = 2_000): Promise<void> {
    if (!this.pumping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.pumpDone.delete(done);
        resolve();
      };
      const timer = setTimeout(done, limitMs);
      timer.unref();
      this.pumpDone.add(done);
    });
  }

  /** Stop now: requests in flight are aborted, everything not delivered is kept on disk. */
  private abandon(reason: string): void {
    this.spoolNow(reason);
    this.changed();
  }

  /**
   * Stop delivery and keep on disk, synchronously, everything not delivered:
   * the batch in a request (it may have arrived: a repeat is harmless), what
   * the lanes and the queue hold. Segments being replayed go back under
   * their names. Safe in `exit` and signal handlers; a no-op when idle.
   */
  spoolNow(reason: string): void {
    if (!this.stopped) {
      this.stopped = true;
      this.stopReason ??= reason;
      if (this.timer !== undefined) clearTimeout(this.timer);
      if (this.immediate !== undefined) clearImmediate(this.immediate);
      this.timer = undefined;
      this.immediate = undefined;
      this.transport_?.abort();
      this.wakeSleepers();
    }
    const held = new Set<Operation>([...(this.current ?? []), ...this.lanes.drain(), ...this.queue.splice(0)]);
    this.replay.length = 0;
    for (const claim of this.claims) claim.release();
    this.claims.clear();
    this.giveUp([...held], reason);
  }

  /** The event loop ran dry: deliver what is left, keeping the process alive until the deadline. */
  onBeforeExit(): void {
    if (this.exiting || this.isIdle()) return;
    this.exiting = true;
    const timeout = this.config.shutdownTimeoutMs;
    this.deadline = Math.min(this.deadline, performance.now() + timeout);
    this.wakeSleepers(); // a retry waiting past the deadline tries once more now
    const keepAlive = setTimeout(() => {
      if (!this.isIdle()) this.abandon("exit");
    }, timeout);
    void this.flush().then(() => {
      clearTimeout(keepAlive);
      // Delivered: a later beforeExit (more work queued since) may flush again.
      // Given up: stay "exiting", so what the pump still gives up counts as exit.
      if (!this.stopped) this.exiting = false;
    });
  }

  stats(): DeliveryStats {
    return {
      tracked: this.tracked,
      queued: this.queue.length + this.replay.length,
      inFlight: (this.stopped ? 0 : this.inFlight) + this.lanes.pending,
      sent: this.sent,
      retried: this.retried,
      spooled: this.spooled,
      replayed: this.replayed,
      dropped: { ...this.dropped },
    };
  }
}
