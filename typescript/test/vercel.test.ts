/**
 * `configureVercel` + `wrapAISDK(ai)` against the real `ai` package, three
 * majors (6, the newest that runs on Node 20; 5 and 4 through npm aliases),
 * each with its own mock language model from `ai/test`, and a real
 * `sentrial serve`: what each wrapped call stored is read back.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import * as ai6 from "ai";
import * as test6 from "ai/test";
import * as ai5 from "ai-v5";
import * as test5 from "ai-v5/test";
import * as ai4 from "ai-v4";
import * as test4 from "ai-v4/test";
import { z } from "zod";

import { type SentrialClient, calculateCost, configureVercel, wrapAISDK } from "../src/index.js";
import { API_KEY, SentrialServer, memoryLogger } from "./helpers.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
type Dict = Record<string, Any>;

/** One step the mock model answers with: text, or a call of the `weather` tool. */
type Step = { text: string } | { city: string };

interface Kit {
  major: number;
  ai: Dict;
  /** A model answering `steps` in turn (10 prompt and 5 completion tokens each). */
  model(steps: Step[]): unknown;
  /** A model streaming `text` (or failing to). */
  streamModel(text: string, fail?: Error): unknown;
  /** A model that throws. */
  failing(error: Error): unknown;
  tool(execute: (input: { city: string }) => unknown): unknown;
  /** Options that let a call run several steps. */
  steps: Dict;
}

const MODEL = { provider: "openai.chat", modelId: "gpt-4o-mini" };
const finish6 = (reason: string): Dict => ({ unified: reason, raw: reason });
const usage6 = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};
const usage5 = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };

function content(step: Step, i: number): Dict[] {
  return "text" in step
    ? [{ type: "text", text: step.text }]
    : [{ type: "tool-call", toolCallId: `call-${i}`, toolName: "weather", input: JSON.stringify({ city: step.city }) }];
}

function modern(major: 5 | 6, ai: Dict, kit: Dict): Kit {
  const Mock = major === 6 ? kit["MockLanguageModelV3"] : kit["MockLanguageModelV2"];
  const finish = (reason: string): unknown => (major === 6 ? finish6(reason) : reason);
  const usage = major === 6 ? usage6 : usage5;
  return {
    major,
    ai,
    model(steps) {
      let i = 0;
      return new Mock({
        ...MODEL,
        doGenerate: async () => {
          const step = steps[Math.min(i, steps.length - 1)] as Step;
          i += 1;
          return { content: content(step, i), finishReason: finish("text" in step ? "stop" : "tool-calls"), usage, warnings: [] };
        },
      });
    },
    streamModel(text, fail) {
      return new Mock({
        ...MODEL,
        doStream: async () => {
          if (fail !== undefined) throw fail;
          return {
            stream: kit["simulateReadableStream"]({
              chunks: [
                { type: "stream-start", warnings: [] },
                { type: "text-start", id: "t" },
                ...text.split(" ").map((word, n) => ({ type: "text-delta", id: "t", delta: n === 0 ? word : ` ${word}` })),
                { type: "text-end", id: "t" },
                { type: "finish", finishReason: finish("stop"), usage },
              ],
            }),
          };
        },
      });
    },
    failing(error) {
      return new Mock({
        ...MODEL,
        doGenerate: async () => {
          throw error;
        },
      });
    },
    tool: (execute) => ai["tool"]({ description: "weather of a city", inputSchema: z.object({ city: z.string() }), execute }),
    steps: { stopWhen: ai["stepCountIs"](5) },
  };
}

const kit4: Kit = {
  major: 4,
  ai: ai4 as Dict,
  model(steps) {
    let i = 0;
    return new test4.MockLanguageModelV1({
      ...MODEL,
      defaultObjectGenerationMode: "json",
      doGenerate: async () => {
        const step = steps[Math.min(i, steps.length - 1)] as Step;
        i += 1;
        return {
          ...("text" in step
            ? { text: step.text }
            : { toolCalls: [{ toolCallType: "function", toolCallId: `call-${i}`, toolName: "weather", args: JSON.stringify({ city: step.city }) }] }),
          finishReason: "text" in step ? "stop" : "tool-calls",
          usage: { promptTokens: 10, completionTokens: 5 },
          rawCall: { rawPrompt: null, rawSettings: {} },
        };
      },
    } as Any);
  },
  streamModel(text, fail) {
    return new test4.MockLanguageModelV1({
      ...MODEL,
      defaultObjectGenerationMode: "json",
      doStream: async () => {
        if (fail !== undefined) throw fail;
        return {
          stream: test4.simulateReadableStream({
            chunks: [
              ...text.split(" ").map((word, n) => ({ type: "text-delta", textDelta: n === 0 ? word : ` ${word}` })),
              { type: "finish", finishReason: "stop", usage: { promptTokens: 10, completionTokens: 5 } },
            ],
          }),
          rawCall: { rawPrompt: null, rawSettings: {} },
        };
      },
    } as Any);
  },
  failing(error) {
    return new test4.MockLanguageModelV1({
      ...MODEL,
      doGenerate: async () => {
        throw error;
      },
    });
  },
  tool: (execute) => ai4.tool({ description: "weather of a city", parameters: z.object({ city: z.string() }), execute: execute as Any }),
  steps: { maxSteps: 5 },
};

const KITS: Kit[] = [modern(6, ai6 as Dict, test6 as Dict), modern(5, ai5 as Dict, test5 as Dict), kit4];

let server: SentrialServer;
let client: SentrialClient;
before(async () => {
  server = await SentrialServer.start();
  client = configureVercel({
    apiKey: API_KEY,
    apiUrl: server.url,
    defaultAgent: "vercel-agent",
    userId: () => "user-from-function",
    convoId: "convo-1",
  });
});
after(async () => {
  await client.shutdown();
  await server.stop();
});

/** The newest session of the test's agent, after delivery. */
async function lastSession(): Promise<Dict> {
  assert.equal(await client.flush(), true);
  const sessions = await server.sessions("agentName=vercel-agent&limit=1");
  assert.equal(sessions.length, 1);
  return server.session(sessions[0]?.["id"] as string);
}

for (const kit of KITS) {
  describe(`ai v${kit.major}`, () => {
    const { generateText, streamText, generateObject, streamObject } = wrapAISDK(kit.ai) as Dict;

    test("generateText with a tool: one session with the model, both steps, the tool's execution, tokens and cost", async () => {
      const cities: string[] = [];
      const result = await generateText({
        model: kit.model([{ city: "Paris" }, { text: "Sunny in Paris." }]),
        system: "You are terse.",
        prompt: "Weather in Paris?",
        tools: {
          weather: kit.tool(async ({ city }) => {
            cities.push(city);
            return { city, forecast: "sunny" };
          }),
        },
        ...kit.steps,
      });
      assert.equal(result.text, "Sunny in Paris."); // the call's result is untouched
      assert.deepEqual(cities, ["Paris"]);
      const session = await lastSession();
      assert.equal(session["status"], "completed");
      assert.equal(session["userId"], "user-from-function");
      assert.equal(session["convoId"], "convo-1");
      assert.equal(session["userInput"], "Weather in Paris?");
      assert.equal(session["assistantOutput"], "Sunny in Paris.");
      assert.equal(session["promptTokens"], 20);
      assert.equal(session["completionTokens"], 10);
      const cost = calculateCost("gpt-4o-mini", 10, 5, { provider: "openai" }) as number;
      assert.ok(cost > 0);
      assert.ok(Math.abs((session["estimatedCost"] as number) - 2 * cost) < 1e-9, String(session["estimatedCost"]));
      const events = await server.events(session["id"] as string);
      const llm = events.filter((e) => e["eventType"] === "llm_call");
      assert.equal(llm.length, 2);
      assert.equal(llm[0]?.["model"], "gpt-4o-mini");
      assert.equal(llm[0]?.["provider"], "openai");
      assert.deepEqual(llm[0]?.["input"], { system: "You are terse.", prompt: "Weather in Paris?" });
      assert.equal((llm[0]?.["metadata"] as Dict)["finish_reason"], "tool-calls");
      assert.equal((llm[1]?.["metadata"] as Dict)["finish_reason"], "stop");
      const tools = events.filter((e) => e["eventType"] === "tool_call");
      assert.equal(tools.length, 1);
      assert.equal(tools[0]?.["toolName"], "weather");
      assert.deepEqual(tools[0]?.["toolInput"], { city: "Paris" });
      assert.deepEqual(tools[0]?.["toolOutput"], { city: "Paris", forecast: "sunny" });
      assert.equal(typeof tools[0]?.["durationMs"], "number");
      assert.equal((tools[0]?.["metadata"] as Dict)["tool_call_id"], "call-1");
    });

    test("a tool that throws is recorded with its error", async () => {
      await generateText({
        model: kit.model([{ city: "Atlantis" }, { text: "No weather there." }]),
        prompt: "Weather in Atlantis?",
        tools: {
          weather: kit.tool(async () => {
            throw new Error("no such city");
          }),
        },
        ...kit.steps,
      }).catch(() => undefined); // v4 throws the tool's error; v5+ hands it to the model
      const session = await lastSession();
      const tools = (await server.events(session["id"] as string)).filter((e) => e["eventType"] === "tool_call");
      assert.equal(tools.length, 1);
      assert.equal((tools[0]?.["toolError"] as Dict)["message"], "no such city");
    });

    test("a failing call is recorded, its session failed, and the same error thrown", async () => {
      const error = new Error("provider down");
      await assert.rejects(generateText({ model: kit.failing(error), prompt: "hi", maxRetries: 0 }), (e: unknown) => {
        // the AI SDK may wrap it (RetryError); either way, it is what the unwrapped call throws
        assert.ok(e === error || (e as Dict)["lastError"] === error || String(e).includes("provider down"));
        return true;
      });
      const session = await lastSession();
      assert.equal(session["status"], "failed");
      assert.match(String(session["failureReason"]), /provider down/);
      const errors = (await server.events(session["id"] as string)).filter((e) => e["eventType"] === "error");
      assert.equal(errors.length, 1);
    });

    test("streamText: the session completes with the streamed text when the stream ends; the app's onFinish still runs", async () => {
      let appFinished!: () => void;
      const finished = new Promise<void>((resolve) => {
        appFinished = resolve;
      });
      const result = streamText({
        model: kit.streamModel("Hello from the stream"),
        messages: [{ role: "user", content: "Say hello" }],
        onFinish: () => appFinished(),
      });
      let text = "";
      for await (const part of result.textStream) text += part; // a stream runs as it is read
      assert.equal(text, "Hello from the stream");
      await finished;
      const session = await lastSession();
      assert.equal(session["status"], "completed");
      assert.equal(session["userInput"], "Say hello");
      assert.equal(session["assistantOutput"], "Hello from the stream");
      assert.equal(session["promptTokens"], 10);
      assert.equal(session["completionTokens"], 5);
    });

    test("streamText that fails: the session is failed; the app's onError still runs", async () => {
      const seen: unknown[] = [];
      const result = streamText({
        model: kit.streamModel("never", new Error("stream broke")),
        prompt: "hi",
        onError: (event: unknown) => seen.push(event),
      });
      for await (const _ of result.fullStream) void _; // drain: the error is a part of it
      assert.equal(seen.length, 1);
      const session = await lastSession();
      assert.equal(session["status"], "failed");
      assert.match(String(session["failureReason"]), /stream broke/);
    });

    test("generateObject and streamObject: the object is the output", async () => {
      const schema = z.object({ city: z.string(), temperature: z.number() });
      const json = JSON.stringify({ city: "Oslo", temperature: -3 });
      const made = await generateObject({ model: kit.model([{ text: json }]), schema, prompt: "Oslo?" });
      assert.deepEqual(made.object, { city: "Oslo", temperature: -3 });
      let session = await lastSession();
      assert.equal(session["status"], "completed");
      assert.deepEqual(JSON.parse(session["assistantOutput"] as string), { city: "Oslo", temperature: -3 });
      const llm = (await server.events(session["id"] as string)).filter((e) => e["eventType"] === "llm_call");
      assert.deepEqual(llm[0]?.["output"], { city: "Oslo", temperature: -3 });

      let appFinished!: () => void;
      const finished = new Promise<void>((resolve) => {
        appFinished = resolve;
      });
      const streamed = streamObject({
        model: kit.streamModel(json),
        schema,
        prompt: "Oslo, streamed?",
        onFinish: () => appFinished(),
      });
      for await (const _ of streamed.partialObjectStream) void _; // a stream runs as it is read
      assert.deepEqual(await streamed.object, { city: "Oslo", temperature: -3 });
      await finished;
      session = await lastSession();
      assert.equal(session["status"], "completed");
      assert.equal(session["userInput"], "Oslo, streamed?");
      assert.deepEqual(JSON.parse(session["assistantOutput"] as string), { city: "Oslo", temperature: -3 });
    });
  });
}

describe("wrapAISDK leaves the rest alone", () => {
  test("other exports are the module's own; a call without options is passed through untracked", () => {
    const wrapped = wrapAISDK(ai6 as Dict);
    assert.equal(wrapped["tool"], (ai6 as Dict)["tool"]);
    assert.notEqual(wrapped["generateText"], (ai6 as Dict)["generateText"]);
    const calls: unknown[] = [];
    const fake = wrapAISDK({ generateText: (...args: unknown[]) => calls.push(args) });
    fake.generateText("not an options object");
    assert.deepEqual(calls, [["not an options object"]]);
    void memoryLogger;
  });
});
