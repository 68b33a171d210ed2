/**
 * `wrapClaudeAgent(query, ...)` with a stand-in `query`: an async generator
 * yielding the Claude Agent SDK's message shapes (the real SDK spawns the
 * Claude Code CLI), against a real `sentrial serve`.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { SentrialClient, wrapClaudeAgent } from "../src/index.js";
import { API_KEY, SentrialServer, memoryLogger } from "./helpers.js";

type Dict = Record<string, unknown>;

let server: SentrialServer;
let client: SentrialClient;
before(async () => {
  server = await SentrialServer.start();
  client = new SentrialClient({ apiKey: API_KEY, apiUrl: server.url, flushOnExit: false, logger: memoryLogger() });
});
after(async () => {
  await client.shutdown();
  await server.stop();
});

const INIT = { type: "system", subtype: "init", session_id: "claude-1", model: "claude-sonnet-4-5", cwd: "/repo", tools: ["Read", "Bash"] };
const usage = { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 50, cache_creation_input_tokens: 10 };

function assistant(id: string, content: Dict[]): Dict {
  return { type: "assistant", message: { id, model: "claude-sonnet-4-5", role: "assistant", content, usage }, parent_tool_use_id: null, session_id: "claude-1" };
}

function toolResult(id: string, content: unknown, isError = false): Dict {
  return { type: "user", message: { role: "user", content: [{ type: "tool_result", tool_use_id: id, content, is_error: isError }] }, session_id: "claude-1" };
}

const RESULT = {
  type: "result",
  subtype: "success",
  is_error: false,
  duration_ms: 4200,
  duration_api_ms: 3100,
  num_turns: 3,
  result: "The bug is fixed.",
  total_cost_usd: 0.0123,
  usage: { input_tokens: 300, output_tokens: 60 },
  session_id: "claude-1",
};

/** A `query` stand-in: yields `messages` (then throws `error`, if given); has `interrupt()` as the SDK's Query does. */
function fakeQuery(messages: Dict[], error?: Error) {
  return (params: { prompt: string; options?: Dict }) => {
    const seen = params;
    async function* run(): AsyncGenerator<Dict> {
      for (const message of messages) yield message;
      if (error !== undefined) throw error;
    }
    return Object.assign(run(), { interrupt: async () => `interrupted ${seen.prompt}` });
  };
}

async function only(agent: string): Promise<Dict> {
  assert.equal(await client.flush(), true);
  const sessions = await server.sessions(`agentName=${agent}&limit=5`);
  assert.equal(sessions.length, 1);
  return server.session(sessions[0]?.["id"] as string);
}

describe("wrapClaudeAgent", () => {
  test("a query is one session: init, LLM calls merged by message id, tools matched by id, the result's cost and metrics", async () => {
    const messages = [
      INIT,
      assistant("msg_1", [{ type: "text", text: "Let me look." }]),
      assistant("msg_1", [{ type: "tool_use", id: "toolu_1", name: "Read", input: { path: "a.py" } }]),
      assistant("msg_1", [{ type: "tool_use", id: "toolu_2", name: "Bash", input: { command: "pytest" } }]),
      toolResult("toolu_2", [{ type: "text", text: "1 failed" }], true),
      toolResult("toolu_1", "print('hi')"),
      assistant("msg_2", [{ type: "text", text: "The bug is fixed." }]),
      RESULT,
    ];
    const query = wrapClaudeAgent(fakeQuery(messages), {
      client,
      defaultAgent: "claude-coder",
      userId: "dev-1",
      convoId: () => "thread-9",
      extraMetadata: { repo: "sentrial" },
    });
    const got: unknown[] = [];
    for await (const message of query({ prompt: "Fix the failing test\nin a.py" })) got.push(message);
    assert.deepEqual(got, messages); // passed through unchanged
    const session = await only("claude-coder");
    assert.equal(session["status"], "completed");
    assert.equal(session["name"], "Fix the failing test");
    assert.equal(session["userId"], "dev-1");
    assert.equal(session["convoId"], "thread-9");
    assert.equal(session["estimatedCost"], 0.0123);
    assert.equal(session["durationMs"], 4200);
    assert.equal(session["promptTokens"], 300);
    assert.equal(session["completionTokens"], 60);
    assert.equal(session["userInput"], "Fix the failing test\nin a.py");
    assert.equal(session["assistantOutput"], "The bug is fixed.");
    assert.deepEqual(session["customMetrics"], { num_turns: 3, duration_api_ms: 3100 });
    const metadata = session["metadata"] as Dict;
    assert.equal(metadata["repo"], "sentrial");
    assert.equal(metadata["claude_session_id"], "claude-1");
    assert.equal(metadata["model"], "claude-sonnet-4-5");
    const events = await server.events(session["id"] as string);
    const llm = events.filter((e) => e["eventType"] === "llm_call");
    assert.equal(llm.length, 2); // msg_1's three messages are one response
    assert.equal(llm[0]?.["promptTokens"], 100);
    assert.equal(llm[0]?.["cachedTokens"], 50);
    assert.equal(llm[0]?.["cacheWriteTokens"], 10);
    assert.equal(llm[0]?.["provider"], "anthropic");
    assert.deepEqual((llm[0]?.["output"] as Dict)["tool_uses"], [
      { id: "toolu_1", name: "Read", input: { path: "a.py" } },
      { id: "toolu_2", name: "Bash", input: { command: "pytest" } },
    ]);
    const tools = events.filter((e) => e["eventType"] === "tool_call");
    assert.deepEqual(
      tools.map((t) => [t["toolName"], t["toolInput"], (t["metadata"] as Dict)["tool_use_id"]]),
      [
        ["Bash", { command: "pytest" }, "toolu_2"],
        ["Read", { path: "a.py" }, "toolu_1"],
      ],
    );
    assert.equal((tools[0]?.["toolError"] as Dict)["message"], "1 failed");
    assert.deepEqual(tools[1]?.["toolOutput"], { value: "print('hi')" });
  });

  test("an error result fails the session with its errors", async () => {
    const query = wrapClaudeAgent(
      fakeQuery([INIT, { ...RESULT, subtype: "error_max_turns", is_error: true, result: undefined, errors: ["max turns reached"] }]),
      { client, defaultAgent: "claude-maxed" },
    );
    for await (const _ of query({ prompt: "Loop" })) void _;
    const session = await only("claude-maxed");
    assert.equal(session["status"], "failed");
    assert.equal(session["failureReason"], "max turns reached");
    assert.deepEqual(session["customMetrics"], { num_turns: 3, duration_api_ms: 3100 });
  });

  test("an exception fails the session with its message, and is thrown on", async () => {
    const query = wrapClaudeAgent(fakeQuery([INIT, assistant("m", [{ type: "text", text: "..." }])], new Error("CLI crashed")), {
      client,
      defaultAgent: "claude-crash",
    });
    await assert.rejects(async () => {
      for await (const _ of query({ prompt: "Go" })) void _;
    }, /CLI crashed/);
    const session = await only("claude-crash");
    assert.equal(session["status"], "failed");
    assert.equal(session["failureReason"], "CLI crashed");
    assert.equal((await server.events(session["id"] as string)).filter((e) => e["eventType"] === "llm_call").length, 1);
  });

  test("a loop left early fails the session (closed before a result); the query's own methods still work", async () => {
    const query = wrapClaudeAgent(fakeQuery([INIT, assistant("m", [{ type: "text", text: "a" }]), RESULT]), {
      client,
      defaultAgent: "claude-early",
    });
    const running = query({ prompt: "Stop soon" });
    assert.equal(await running.interrupt(), "interrupted Stop soon");
    for await (const message of running) {
      if ((message as Dict)["type"] === "assistant") break;
    }
    const session = await only("claude-early");
    assert.equal(session["status"], "failed");
    assert.equal(session["failureReason"], "closed before a result");
  });
});
