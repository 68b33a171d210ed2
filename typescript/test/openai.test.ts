/** `wrapOpenAI` on the official `openai` client, against the LLM stand-in and `sentrial serve`. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import OpenAI from "openai";

import { SentrialClient, calculateOpenAICost, wrapOpenAI } from "../src/index.js";
import { LlmStandIn, SentrialServer } from "./helpers.js";

let server: SentrialServer;
let llm: LlmStandIn;
let sentrial: SentrialClient;

const MESSAGES = [
  { role: "system" as const, content: "You are a helpful assistant." },
  { role: "user" as const, content: "How do I reset my password?" },
];

before(async () => {
  [server, llm] = await Promise.all([SentrialServer.start(), LlmStandIn.start()]);
  sentrial = new SentrialClient({ apiKey: server.apiKey, apiUrl: server.url, flushOnExit: false });
});

after(async () => {
  await sentrial.shutdown();
  await Promise.all([server.stop(), llm.stop()]);
});

function openai(): OpenAI {
  return new OpenAI({ apiKey: "sk-test", baseURL: `${llm.url}/v1`, maxRetries: 0 });
}

async function llmEvents(sessionId: string): Promise<Array<Record<string, unknown>>> {
  assert.ok(await sentrial.flush(10_000));
  return (await server.events(sessionId)).filter((e) => e["eventType"] === "llm_call");
}

test("a chat completion: same answer, recorded with tokens, cost, input and output", async () => {
  const plain = await openai().chat.completions.create({ model: "gpt-4o", messages: MESSAGES });
  const client = wrapOpenAI(openai());
  assert.equal(wrapOpenAI(client), client, "wrapping twice changes nothing");
  const interaction = sentrial.begin({ userId: "u1", event: "support", input: "reset?" });
  const completion = await client.chat.completions.create({ model: "gpt-4o", messages: MESSAGES });
  await interaction.finish({ output: completion.choices[0]?.message.content });
  assert.equal(completion.choices[0]?.message.content, plain.choices[0]?.message.content);

  const [event, more] = await llmEvents(interaction.sessionId);
  assert.equal(more, undefined);
  const usage = completion.usage as NonNullable<typeof completion.usage>;
  assert.equal(event?.["model"], "gpt-4o");
  assert.equal(event?.["provider"], "openai");
  assert.equal(event?.["promptTokens"], usage.prompt_tokens);
  assert.equal(event?.["completionTokens"], usage.completion_tokens);
  assert.equal(event?.["tokenCount"], usage.total_tokens);
  assert.ok(Math.abs((event?.["estimatedCost"] as number) - calculateOpenAICost("gpt-4o", usage.prompt_tokens, usage.completion_tokens)) < 1e-12);
  assert.deepEqual(event?.["input"], MESSAGES);
  assert.equal(event?.["output"], completion.choices[0]?.message.content);
  assert.ok((event?.["durationMs"] as number) > 0);
  const session = await server.session(interaction.sessionId);
  assert.equal(session["promptTokens"], usage.prompt_tokens, "the session's totals come from its events");
  assert.ok((session["estimatedCost"] as number) > 0);
});

test("a stream: the same chunks reach the app; text and usage are recorded when it ends", async () => {
  const client = wrapOpenAI(openai());
  const interaction = sentrial.begin({ userId: "u2", event: "support" });
  const stream = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: MESSAGES,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? "";
    usage = chunk.usage ?? usage;
  }
  await interaction.finish({ output: text });
  assert.ok(text.startsWith("Open Settings"));
  const [event] = await llmEvents(interaction.sessionId);
  assert.equal(event?.["model"], "gpt-4o-mini");
  assert.equal(event?.["output"], text);
  assert.equal(event?.["promptTokens"], usage?.prompt_tokens);
  assert.equal(event?.["completionTokens"], usage?.completion_tokens);
  assert.ok(Math.abs((event?.["estimatedCost"] as number) - calculateOpenAICost("gpt-4o-mini", usage?.prompt_tokens ?? 0, usage?.completion_tokens ?? 0)) < 1e-12);
});

test("a stream left early is recorded with what was read, as a success", async () => {
  const client = wrapOpenAI(openai());
  const interaction = sentrial.begin({ userId: "u3", event: "support" });
  const stream = await client.chat.completions.create({ model: "gpt-4o", messages: MESSAGES, stream: true });
  let chunks = 0;
  for await (const _ of stream) {
    chunks += 1;
    if (chunks === 3) break;
  }
  await interaction.finish();
  const [event] = await llmEvents(interaction.sessionId);
  assert.equal(event?.["toolError"], undefined);
  assert.ok(typeof event?.["output"] === "string");
});

test("a failing call: the app gets the same error; the call is recorded with it", async () => {
  const client = wrapOpenAI(openai());
  const interaction = sentrial.begin({ userId: "u4", event: "support" });
  await assert.rejects(
    client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "please [fail]" }] }),
    OpenAI.InternalServerError,
  );
  await interaction.finish({ success: false, failureReason: "LLM failed" });
  const [event] = await llmEvents(interaction.sessionId);
  assert.match(String((event?.["toolError"] as Record<string, unknown>)["message"]), /500/);
  assert.equal((event?.["toolError"] as Record<string, unknown>)["type"], "InternalServerError");
});

test("the session: a given sessionId, runInSession, none (not tracked unless asked)", async () => {
  const sessionId = await sentrial.createSession({ name: "explicit", agentName: "a", userId: "u5" });
  const explicit = wrapOpenAI(openai(), { sentrial, sessionId });
  await explicit.chat.completions.create({ model: "gpt-4o", messages: MESSAGES });
  assert.equal((await llmEvents(sessionId)).length, 1);

  const scoped = await sentrial.createSession({ name: "scoped", agentName: "a", userId: "u5" });
  const client = wrapOpenAI(openai());
  await sentrial.runInSession(scoped, () => client.chat.completions.create({ model: "gpt-4o", messages: MESSAGES }));
  assert.equal((await llmEvents(scoped)).length, 1);

  const other = new SentrialClient({ apiKey: server.apiKey, apiUrl: server.url, flushOnExit: false });
  await wrapOpenAI(openai(), { sentrial: other }).chat.completions.create({ model: "gpt-4o", messages: MESSAGES });
  assert.equal(other.stats().tracked, 0, "outside any session: not tracked");

  const own = wrapOpenAI(openai(), { sentrial: other, trackOutsideSession: true });
  await own.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES });
  assert.ok(await other.flush(10_000));
  const [session] = await server.sessions("agentName=openai-calls");
  assert.equal(session?.["status"], "completed");
  assert.equal(session?.["name"], "gpt-4o-mini");
  assert.equal((await server.events(session?.["id"] as string)).length, 1);
  await other.shutdown();
});

test("what the wrapper cannot read never breaks the call it observes", async () => {
  const sessionId = await sentrial.createSession({ name: "odd", agentName: "a", userId: "u6" });
  const frozen = Object.freeze({ model: 7, choices: "none", usage: Object.freeze({ prompt_tokens: "x" }) });
  const fake = { chat: { completions: { create: async (_: object): Promise<unknown> => frozen } } };
  const wrapped = wrapOpenAI(fake, { sentrial, sessionId });
  assert.equal(await wrapped.chat.completions.create({ model: "m" }), frozen);
  const failing = {
    chat: {
      completions: {
        create: (_: object): never => {
          throw new TypeError("bad arguments");
        },
      },
    },
  };
  assert.throws(() => wrapOpenAI(failing, { sentrial, sessionId }).chat.completions.create({ model: "m" }), TypeError);
  const events = await llmEvents(sessionId);
  assert.equal(events.length, 2);
  assert.equal((events[1]?.["toolError"] as Record<string, unknown>)["type"], "TypeError");
});
