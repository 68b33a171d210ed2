/** `wrapAnthropic` on the official `@anthropic-ai/sdk` client, against the LLM stand-in and `sentrial serve`. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import Anthropic from "@anthropic-ai/sdk";

import { SentrialClient, calculateAnthropicCost, wrapAnthropic } from "../src/index.js";
import { LlmStandIn, SentrialServer } from "./helpers.js";

let server: SentrialServer;
let llm: LlmStandIn;
let sentrial: SentrialClient;

before(async () => {
  [server, llm] = await Promise.all([SentrialServer.start(), LlmStandIn.start()]);
  sentrial = new SentrialClient({ apiKey: server.apiKey, apiUrl: server.url, flushOnExit: false });
});

after(async () => {
  await sentrial.shutdown();
  await Promise.all([server.stop(), llm.stop()]);
});

function anthropic(): Anthropic {
  return new Anthropic({ apiKey: "sk-ant-test", baseURL: llm.url, maxRetries: 0 });
}

async function llmEvents(sessionId: string): Promise<Array<Record<string, unknown>>> {
  assert.ok(await sentrial.flush(10_000));
  return (await server.events(sessionId)).filter((e) => e["eventType"] === "llm_call");
}

const MESSAGES = [{ role: "user" as const, content: "How do I reset my password?" }];

test("messages.create: same answer, recorded with the system prompt, tokens, cache reads and cost", async () => {
  const plain = await anthropic().messages.create({ model: "claude-sonnet-4-5", max_tokens: 100, system: "Be brief.", messages: MESSAGES });
  const client = wrapAnthropic(anthropic());
  const interaction = sentrial.begin({ userId: "u1", event: "support-claude", input: "reset?" });
  const message = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 100, system: "Be brief.", messages: MESSAGES });
  await interaction.finish({ output: "done" });
  assert.deepEqual(message.content, plain.content);
  const [event, more] = await llmEvents(interaction.sessionId);
  assert.equal(more, undefined);
  assert.equal(event?.["provider"], "anthropic");
  assert.equal(event?.["model"], "claude-sonnet-4-5");
  assert.deepEqual(event?.["input"], [{ role: "system", content: "Be brief." }, ...MESSAGES]);
  const text = message.content.map((b) => (b.type === "text" ? b.text : "")).join("");
  assert.equal(event?.["output"], text);
  const usage = message.usage;
  const read = usage.cache_read_input_tokens ?? 0;
  const write = usage.cache_creation_input_tokens ?? 0;
  assert.ok(read > 0, "the stand-in reads the system prompt from its cache");
  assert.equal(event?.["promptTokens"], usage.input_tokens + read + write);
  assert.equal(event?.["completionTokens"], usage.output_tokens);
  assert.equal(event?.["cachedTokens"], read);
  const cost = calculateAnthropicCost("claude-sonnet-4-5", usage.input_tokens + read + write, usage.output_tokens, {
    cachedInputTokens: read,
    cacheWriteTokens: write,
  });
  assert.ok(Math.abs((event?.["estimatedCost"] as number) - cost) < 1e-12);
});

test("a streamed message: the text and tokens are recorded when the stream ends", async () => {
  const client = wrapAnthropic(anthropic());
  const interaction = sentrial.begin({ userId: "u1", event: "support-claude-stream", input: "reset?" });
  const stream = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 100, messages: MESSAGES, stream: true });
  let text = "";
  let outputTokens = 0;
  for await (const event of stream) {
    if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
    if (event.type === "message_delta") outputTokens = event.usage.output_tokens;
  }
  await interaction.finish({ output: text });
  const [event] = await llmEvents(interaction.sessionId);
  assert.ok(text.length > 0);
  assert.equal(event?.["output"], text);
  assert.equal(event?.["completionTokens"], outputTokens);
  assert.ok((event?.["promptTokens"] as number) > 0);
});

test("an error answer is recorded and thrown as it was", async () => {
  const client = wrapAnthropic(anthropic(), { sentrial, trackOutsideSession: true });
  await assert.rejects(
    client.messages.create({ model: "claude-error-500", max_tokens: 10, messages: MESSAGES }),
    (e: unknown) => e instanceof Anthropic.APIError,
  );
  assert.ok(await sentrial.flush(10_000));
  const sessions = await server.sessions("agentName=anthropic-calls&limit=5");
  assert.equal(sessions.length, 1);
  const session = await server.session(sessions[0]?.["id"] as string);
  assert.equal(session["status"], "failed");
});
