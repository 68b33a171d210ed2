/**
 * `make bench`'s ts_vercel_overhead_us: what `wrapAISDK` adds to one
 * `generateText` call, against the unwrapped call in the same run: the real
 * `ai` package with its own mock model (`ai/test`, answering at once), a real
 * server receiving the sessions. Wrapped and unwrapped calls alternate, so
 * both see the same machine; the figure is the difference of the medians.
 *
 * Usage: node dist/bench/vercel_overhead.js URL KEY CALLS
 * Prints one JSON line: overhead_us, wrapped_us, unwrapped_us, n, delivered.
 */
import * as ai from "ai";
import { MockLanguageModelV3 } from "ai/test";

import { configureVercel, wrapAISDK } from "../src/index.js";

const [url, apiKey, callsArg] = process.argv.slice(2);
const calls = Number(callsArg ?? "2000");

const client = configureVercel({ apiKey: apiKey ?? "", apiUrl: url ?? "", defaultAgent: "bench-vercel" });
const wrapped = wrapAISDK(ai);
const model = new MockLanguageModelV3({
  provider: "openai.chat",
  modelId: "gpt-4o-mini",
  doGenerate: async () => ({
    content: [{ type: "text", text: "A short answer from the model." }],
    finishReason: { unified: "stop", raw: "stop" },
    usage: {
      inputTokens: { total: 12, noCache: 12, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: 7, text: 7, reasoning: undefined },
    },
    warnings: [],
  }),
});
const options = { model, system: "You are terse.", prompt: "Say something short." };

async function timed(fn: typeof ai.generateText): Promise<number> {
  const start = process.hrtime.bigint();
  await fn(options);
  return Number(process.hrtime.bigint() - start);
}

for (let i = 0; i < 300; i++) {
  // warm-up: JIT, connections, capabilities
  await timed(ai.generateText);
  await timed(wrapped.generateText);
}
await client.flush(30_000);
const plain: number[] = [];
const ours: number[] = [];
for (let i = 0; i < calls; i++) {
  plain.push(await timed(ai.generateText));
  ours.push(await timed(wrapped.generateText));
}
const delivered = await client.flush(60_000);
await client.shutdown(5_000);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const us = (ns: number): number => Math.round(ns / 10) / 100;
console.log(
  JSON.stringify({
    overhead_us: us(median(ours) - median(plain)),
    wrapped_us: us(median(ours)),
    unwrapped_us: us(median(plain)),
    n: calls,
    delivered,
  }),
);
