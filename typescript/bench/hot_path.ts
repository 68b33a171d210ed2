/**
 * `make bench`'s ts_hot_path_us: what one `trackToolCall` costs its caller, with
 * the ~1 KB payload of the Python figure (bench/_payloads.py, given on stdin),
 * against a real server. Between rounds of 100 calls the event loop runs (and
 * delivers), as it does between an agent's steps; only the calls are timed.
 *
 * Usage: node dist/bench/hot_path.js URL KEY CALLS < '[payload, output]'
 * Prints one JSON line: median_us, p99_us, mean_us, n, delivered, sent.
 */
import { readFileSync } from "node:fs";
import { setImmediate as yieldToLoop } from "node:timers/promises";

import { SentrialClient } from "../src/index.js";

const [url, apiKey, callsArg] = process.argv.slice(2);
const calls = Number(callsArg ?? "20000");
const [toolInput, toolOutput] = JSON.parse(readFileSync(0, "utf8")) as [unknown, unknown];

const sentrial = new SentrialClient({ apiKey: apiKey ?? "", apiUrl: url ?? "", flushOnExit: false });
const sessionId = await sentrial.createSession({ name: "bench", agentName: "bench-agent", userId: "u" });

async function round(count: number, samples: number[] | undefined): Promise<void> {
  for (let done = 0; done < count; done += 100) {
    for (let i = 0; i < 100; i++) {
      const start = process.hrtime.bigint();
      void sentrial.trackToolCall({ sessionId, toolName: "search", toolInput, toolOutput });
      const took = process.hrtime.bigint() - start;
      samples?.push(Number(took));
    }
    await yieldToLoop();
  }
}

await round(2000, undefined); // warm-up: JIT, connections, capabilities
await sentrial.flush(30_000);
const samples: number[] = [];
await round(calls, samples);
const delivered = await sentrial.flush(60_000);
const stats = sentrial.stats();
await sentrial.shutdown(5_000);

samples.sort((a, b) => a - b);
const at = (q: number): number => samples[Math.min(samples.length - 1, Math.max(0, Math.ceil(q * samples.length) - 1))] ?? 0;
const us = (ns: number): number => Math.round(ns / 10) / 100;
const median =
  samples.length % 2 === 1
    ? (samples[(samples.length - 1) / 2] ?? 0)
    : ((samples[samples.length / 2 - 1] ?? 0) + (samples[samples.length / 2] ?? 0)) / 2;
console.log(
  JSON.stringify({
    median_us: us(median),
    p99_us: us(at(0.99)),
    mean_us: us(samples.reduce((a, b) => a + b, 0) / samples.length),
    n: samples.length,
    delivered,
    sent: stats.sent,
  }),
);
