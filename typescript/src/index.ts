/**
 * `@sentrial/sdk`: monitoring for AI agents.
 *
 * Each run of an agent is a session with its tool calls, decisions, LLM
 * calls, errors, tokens, cost, duration and outcome. Tracking calls resolve
 * at once (ids are made on the client); delivery happens in the background,
 * batched, retried, and flushed before the process exits.
 */
export {
  type BeginParams,
  type ClientStats,
  type CompleteSessionParams,
  type CreateSessionParams,
  type EventRecord,
  type JsonObject,
  SentrialClient,
  type SessionRecord,
  type TrackDecisionParams,
  type TrackErrorParams,
  type TrackLlmCallParams,
  type TrackToolCallParams,
} from "./client.js";
export { DEFAULT_API_URL, type Logger, type SentrialClientOptions } from "./config.js";
export { type CurrentSession, getCurrentSession } from "./context.js";
export {
  type CostOptions,
  type Provider,
  type TokenUsage,
  calculateAnthropicCost,
  calculateCost,
  calculateGoogleCost,
  calculateOpenAICost,
  usageFrom,
} from "./cost.js";
export { begin, configure, flush, getClient } from "./default.js";
export type { DeliveryStats } from "./delivery.js";
export { ConfigurationError, SentrialError, ValidationError } from "./errors.js";
export { type FinishParams, Interaction } from "./interaction.js";
export { type WrapOptions, wrapAnthropic, wrapOpenAI } from "./openai.js";
export { VERSION } from "./version.js";
export { DEFAULT_VARIANT_TIMEOUT_MS, type GetVariantOptions, type Variant, type VariantStats, getVariant, variantStats } from "./variants.js";
export type { components, operations, paths } from "./generated/schema.js";
export type { PerCall } from "./integration.js";
export { type VercelOptions, configureVercel, wrapAISDK } from "./vercel.js";
export { type ClaudeAgentOptions, wrapClaudeAgent } from "./claude.js";
