/** The pinned price table gives the Python SDK's figures (genai-prices), and the helpers never throw. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

import { SentrialClient, calculateCost, calculateOpenAICost, usageFrom } from "../src/index.js";
import { PRICES } from "../src/cost.js";
import { VENV_BIN } from "./helpers.js";

const CASES: Array<[input: number, output: number, cached: number, written: number]> = [
  [1000, 500, 0, 0],
  [1_000_000, 1_000_000, 0, 0],
  [2000, 100, 1500, 0],
  [2000, 100, 0, 1000],
  [2000, 100, 500, 500],
  [300_000, 1000, 0, 0],
  [300_000, 1000, 100_000, 50_000],
];

test("every model of the table costs what the Python SDK computes", () => {
  const models = Object.entries(PRICES).map(([model, entry]) => [model, entry.provider]);
  const code = [
    "import json, sys",
    "from sentrial.cost import calculate_cost",
    "models, cases = json.load(sys.stdin)",
    "out = {}",
    "for model, provider in models:",
    "    out[model] = [calculate_cost(model, i, o, cached_input_tokens=c, cache_write_tokens=w, provider=provider) for i, o, c, w in cases]",
    "print(json.dumps(out))",
  ].join("\n");
  const python = JSON.parse(
    execFileSync(join(VENV_BIN, "python"), ["-c", code], { input: JSON.stringify([models, CASES]), encoding: "utf8" }),
  ) as Record<string, Array<number | null>>;
  for (const [model, provider] of models) {
    CASES.forEach(([i, o, c, w], k) => {
      const ours = calculateCost(model as string, i, o, { cachedInputTokens: c, cacheWriteTokens: w, provider: provider as string });
      const theirs = python[model as string]?.[k];
      assert.ok(theirs !== null && theirs !== undefined, `${model}: unknown to Python`);
      assert.ok(Math.abs((ours ?? -1) - theirs) < 1e-9, `${model} ${[i, o, c, w]}: ${ours} != ${theirs}`);
    });
  }
});

test("names as providers spell them; unknown models cost nothing, with one warning", () => {
  assert.equal(calculateCost("gpt-4o-2024-08-06", 1_000_000, 0), 2.5);
  assert.equal(calculateCost("openai/gpt-4o", 1_000_000, 0), 2.5);
  assert.equal(calculateCost("claude-sonnet-4-5-20250929", 1_000_000, 0, { provider: "anthropic" }), 6);
  assert.equal(calculateCost("claude-3-5-haiku-latest", 1_000_000, 0), 0.8);
  assert.equal(calculateCost("gpt-4o", 1_000_000, 0, { provider: "anthropic" }), undefined);
  assert.equal(calculateCost("my-own-model", 10, 10), undefined);
  assert.equal(calculateOpenAICost("my-own-model", 10, 10), 0);
  assert.equal(SentrialClient.calculateAnthropicCost("claude-3-haiku", 1_000_000, 1_000_000), 1.5);
  assert.equal(SentrialClient.calculateGoogleCost("gemini-2.0-flash", 1_000_000, 0), 0.1);
  assert.equal(calculateOpenAICost(undefined as unknown as string, Number.NaN, -5), 0);
});

test("usage of each provider's response, in one convention", () => {
  assert.deepEqual(
    usageFrom({ usage: { prompt_tokens: 100, completion_tokens: 20, prompt_tokens_details: { cached_tokens: 64 } } }),
    { inputTokens: 100, outputTokens: 20, cachedInputTokens: 64, cacheWriteTokens: 0, reasoningTokens: 0 },
  );
  assert.deepEqual(
    usageFrom({ usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 7 } }),
    { inputTokens: 117, outputTokens: 5, cachedInputTokens: 100, cacheWriteTokens: 7, reasoningTokens: 0 },
  );
  assert.deepEqual(
    usageFrom({ usage: { input_tokens: 10, output_tokens: 5, input_tokens_details: { cached_tokens: 2 }, output_tokens_details: { reasoning_tokens: 3 } } }),
    { inputTokens: 10, outputTokens: 5, cachedInputTokens: 2, cacheWriteTokens: 0, reasoningTokens: 3 },
  );
  assert.deepEqual(usageFrom({ usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4, thoughtsTokenCount: 2 } }), {
    inputTokens: 9,
    outputTokens: 6,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 2,
  });
  assert.equal(usageFrom({ choices: [] }), undefined);
});
