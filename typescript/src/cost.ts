/**
 * LLM cost in USD from token counts.
 *
 * A small pinned price table (USD per million tokens) for common OpenAI,
 * Anthropic and Google models: the figures the Python SDK gets from
 * `genai-prices` 0.2.3 (a test compares the two). An unknown model costs
 * `undefined` in `calculateCost` and 0 in the provider helpers, with one
 * warning per model, never another model's price.
 *
 * Token conventions (OpenAI's usage, and the Python SDK's): `inputTokens`
 * counts all input tokens, cached reads and cache writes included;
 * `cachedInputTokens` and `cacheWriteTokens` say how many of them were read
 * from or written to the provider's cache.
 */

export type Provider = "openai" | "anthropic" | "google";

interface Prices {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
}

interface Model extends Prices {
  provider: Provider;
  /** Prices when the call's input tokens are above `above`. */
  tier?: Prices & { above: number };
}

function p(
  provider: Provider,
  input: number,
  output: number,
  cachedInput = input,
  cacheWrite = input,
  tier?: Prices & { above: number },
): Model {
  return tier === undefined
    ? { provider, input, output, cachedInput, cacheWrite }
    : { provider, input, output, cachedInput, cacheWrite, tier };
}

/** USD per million tokens. */
export const PRICES: Readonly<Record<string, Model>> = {
  // OpenAI
  "gpt-4o": p("openai", 2.5, 10, 1.25),
  "gpt-4o-2024-05-13": p("openai", 5, 15),
  "chatgpt-4o-latest": p("openai", 5, 15),
  "gpt-4o-mini": p("openai", 0.15, 0.6, 0.075),
  "gpt-4.1": p("openai", 2, 8, 0.5),
  "gpt-4.1-mini": p("openai", 0.4, 1.6, 0.1),
  "gpt-4.1-nano": p("openai", 0.1, 0.4, 0.025),
  "gpt-4.5-preview": p("openai", 75, 150, 37.5),
  "gpt-4-turbo": p("openai", 10, 30),
  "gpt-4": p("openai", 30, 60),
  "gpt-3.5-turbo": p("openai", 0.5, 1.5),
  "gpt-5": p("openai", 1.25, 10, 0.125),
  "gpt-5.1": p("openai", 1.25, 10, 0.125),
  "gpt-5-mini": p("openai", 0.25, 2, 0.025),
  "gpt-5-nano": p("openai", 0.05, 0.4, 0.005),
  o1: p("openai", 15, 60, 7.5),
  "o1-preview": p("openai", 15, 60, 7.5),
  "o1-mini": p("openai", 1.1, 4.4, 0.55),
  o3: p("openai", 2, 8, 0.5),
  "o3-mini": p("openai", 1.1, 4.4, 0.55),
  "o4-mini": p("openai", 1.1, 4.4, 0.275),
  // Anthropic
  "claude-opus-4-5": p("anthropic", 5, 25, 0.5, 6.25),
  "claude-opus-4-1": p("anthropic", 15, 75, 1.5, 18.75),
  "claude-opus-4": p("anthropic", 15, 75, 1.5, 18.75),
  "claude-sonnet-4-5": p("anthropic", 3, 15, 0.3, 3.75, {
    above: 200_000,
    input: 6,
    output: 22.5,
    cachedInput: 0.6,
    cacheWrite: 7.5,
  }),
  "claude-sonnet-4": p("anthropic", 3, 15, 0.3, 3.75),
  "claude-3-7-sonnet": p("anthropic", 3, 15, 0.3, 3.75),
  "claude-3-5-sonnet": p("anthropic", 3, 15, 0.3, 3.75),
  "claude-haiku-4-5": p("anthropic", 1, 5, 0.1, 1.25),
  "claude-3-5-haiku": p("anthropic", 0.8, 4, 0.08, 1),
  "claude-3-haiku": p("anthropic", 0.25, 1.25, 0.03, 0.3),
  "claude-3-opus": p("anthropic", 15, 75, 1.5, 18.75),
  // Google
  "gemini-3-pro-preview": p("google", 2, 12, 0.2, 2, {
    above: 200_000,
    input: 4,
    output: 18,
    cachedInput: 0.4,
    cacheWrite: 4,
  }),
  "gemini-2.5-pro": p("google", 1.25, 10, 0.125, 1.25, {
    above: 200_000,
    input: 2.5,
    output: 15,
    cachedInput: 0.25,
    cacheWrite: 2.5,
  }),
  "gemini-2.5-flash": p("google", 0.3, 2.5, 0.03),
  "gemini-2.5-flash-lite": p("google", 0.1, 0.4, 0.01),
  "gemini-2.0-flash": p("google", 0.1, 0.4, 0.025),
  "gemini-1.5-pro": p("google", 1.25, 5, 1.25, 1.25, {
    above: 128_000,
    input: 2.5,
    output: 10,
    cachedInput: 2.5,
    cacheWrite: 2.5,
  }),
  "gemini-1.5-flash": p("google", 0.075, 0.3, 0.01875, 0.075, {
    above: 128_000,
    input: 0.15,
    output: 0.6,
    cachedInput: 0.0375,
    cacheWrite: 0.15,
  }),
};

/** The table's own entry named `name` (never a member of Object.prototype such as "constructor"). */
function priceOf(name: string): Model | undefined {
  return Object.hasOwn(PRICES, name) ? PRICES[name] : undefined;
}

/** The table's entry for `model`: exact, else without a provider prefix, a date or `-latest`. */
export function findModel(model: string, provider?: string): Model | undefined {
  let name = model.trim().toLowerCase();
  const exact = priceOf(name);
  if (exact !== undefined) return matches(exact, provider);
  const slash = name.lastIndexOf("/");
  if (slash >= 0) name = name.slice(slash + 1); // "openai/gpt-4o", "models/gemini-2.5-pro"
  name = name
    .replace(/-\d{4}-\d{2}-\d{2}$/, "") // gpt-4o-2024-08-06
    .replace(/-\d{8}$/, "") // claude-sonnet-4-5-20250929
    .replace(/-latest$/, "");
  const found = priceOf(name);
  return found === undefined ? undefined : matches(found, provider);
}

function matches(entry: Model, provider: string | undefined): Model | undefined {
  return provider === undefined || provider === entry.provider ? entry : undefined;
}

const warned = new Set<string>();
let warn: (message: string) => void = (message) => console.warn(message);

/** Where unknown-model warnings go (the client sets its logger). */
export function setCostLogger(write: (message: string) => void): void {
  warn = write;
}

function warnOnce(model: string, provider: string | undefined): void {
  const key = `${provider ?? "auto"}/${model}`;
  if (warned.has(key)) return;
  warned.add(key);
  try {
    warn(`sentrial: cost of model ${JSON.stringify(model)} (provider ${provider ?? "auto"}) unknown; cost left empty`);
  } catch {
    // never throw from a cost helper
  }
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

export interface CostOptions {
  cachedInputTokens?: number;
  cacheWriteTokens?: number;
  provider?: Provider | string;
}

/** USD for one call, or undefined (with one warning per model) when the model is unknown. */
export function calculateCost(
  model: string,
  inputTokens: number,
  outputTokens: number,
  options: CostOptions | null = {},
): number | undefined {
  options ??= {}; // null: no options
  const entry = typeof model === "string" ? findModel(model, options.provider) : undefined;
  if (entry === undefined) {
    let name: string;
    try {
      name = String(model);
    } catch {
      name = "[unprintable]"; // a null-prototype object
    }
    warnOnce(name, options.provider);
    return undefined;
  }
  const input = count(inputTokens);
  const output = count(outputTokens);
  const cached = Math.min(count(options.cachedInputTokens), input);
  const written = Math.min(count(options.cacheWriteTokens), input - cached);
  const prices: Prices = entry.tier !== undefined && input > entry.tier.above ? entry.tier : entry;
  const usd =
    ((input - cached - written) * prices.input +
      cached * prices.cachedInput +
      written * prices.cacheWrite +
      output * prices.output) /
    1_000_000;
  return Math.round(usd * 1e12) / 1e12;
}

function providerCost(provider: Provider, model: string, input: number, output: number, options?: CostOptions): number {
  try {
    return calculateCost(model, input, output, { ...options, provider }) ?? 0;
  } catch {
    return 0;
  }
}

/** USD for an OpenAI call; 0 when the model's price is unknown. */
export function calculateOpenAICost(model: string, inputTokens: number, outputTokens: number, options?: CostOptions): number {
  return providerCost("openai", model, inputTokens, outputTokens, options);
}

/** USD for an Anthropic call; 0 when the model's price is unknown. */
export function calculateAnthropicCost(
  model: string,
  inputTokens: number,
  outputTokens: number,
  options?: CostOptions,
): number {
  return providerCost("anthropic", model, inputTokens, outputTokens, options);
}

/** USD for a Google call; 0 when the model's price is unknown. */
export function calculateGoogleCost(model: string, inputTokens: number, outputTokens: number, options?: CostOptions): number {
  return providerCost("google", model, inputTokens, outputTokens, options);
}

/** Tokens of one call in the conventions of `calculateCost`. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

function get(value: unknown, ...names: string[]): unknown {
  let current = value;
  for (const name of names) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[name];
  }
  return current;
}

/**
 * Token usage of an OpenAI (chat completions or responses), Anthropic or
 * Google response; undefined when it carries none.
 */
export function usageFrom(response: unknown): TokenUsage | undefined {
  const usage = get(response, "usage");
  if (usage !== undefined && usage !== null) {
    if (get(usage, "prompt_tokens") !== undefined) {
      return {
        inputTokens: count(get(usage, "prompt_tokens")),
        outputTokens: count(get(usage, "completion_tokens")),
        cachedInputTokens: count(get(usage, "prompt_tokens_details", "cached_tokens")),
        cacheWriteTokens: 0,
        reasoningTokens: count(get(usage, "completion_tokens_details", "reasoning_tokens")),
      };
    }
    if (get(usage, "input_tokens_details") !== undefined || get(usage, "output_tokens_details") !== undefined) {
      return {
        inputTokens: count(get(usage, "input_tokens")),
        outputTokens: count(get(usage, "output_tokens")),
        cachedInputTokens: count(get(usage, "input_tokens_details", "cached_tokens")),
        cacheWriteTokens: 0,
        reasoningTokens: count(get(usage, "output_tokens_details", "reasoning_tokens")),
      };
    }
    if (get(usage, "input_tokens") !== undefined) {
      const read = count(get(usage, "cache_read_input_tokens"));
      const write = count(get(usage, "cache_creation_input_tokens"));
      return {
        inputTokens: count(get(usage, "input_tokens")) + read + write,
        outputTokens: count(get(usage, "output_tokens")),
        cachedInputTokens: read,
        cacheWriteTokens: write,
        reasoningTokens: 0,
      };
    }
  }
  const meta = get(response, "usageMetadata") ?? get(response, "usage_metadata");
  if (meta !== undefined && meta !== null) {
    const thoughts = count(get(meta, "thoughtsTokenCount") ?? get(meta, "thoughts_token_count"));
    return {
      inputTokens: count(get(meta, "promptTokenCount") ?? get(meta, "prompt_token_count")),
      outputTokens: count(get(meta, "candidatesTokenCount") ?? get(meta, "candidates_token_count")) + thoughts,
      cachedInputTokens: count(get(meta, "cachedContentTokenCount") ?? get(meta, "cached_content_token_count")),
      cacheWriteTokens: 0,
      reasoningTokens: thoughts,
    };
  }
  return undefined;
}
