/**
 * `POST /api/otel/v1/traces` with Node's own OpenTelemetry exporter
 * (`@opentelemetry/exporter-trace-otlp-http`, OTLP/JSON) against a real
 * `sentrial serve`: a GenAI agent trace split over several exports, read back
 * through the API.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

import { SentrialServer } from "./helpers.js";

let server: SentrialServer;
before(async () => {
  server = await SentrialServer.start();
});
after(async () => {
  await server.stop();
});

type Row = Record<string, unknown>;

async function get(path: string): Promise<Row> {
  const response = await fetch(server.url + path, { headers: { "x-sentrial-api-key": server.apiKey } });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as Row;
}

/** An agent span, two model calls and a failing tool call; children end first. */
function agentTrace(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer("node-agent");
  const root = tracer.startSpan("invoke_agent node-bot", {
    attributes: {
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "node-bot",
      "user.id": "u-node",
      "gen_ai.conversation.id": "conv-node",
    },
  });
  const inRoot = trace.setSpan(context.active(), root);
  const first = tracer.startSpan(
    "chat gpt-4o-mini",
    {
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 400,
        "gen_ai.usage.output_tokens": 60,
      },
    },
    inRoot,
  );
  first.end();
  const tool = tracer.startSpan(
    "execute_tool get_weather",
    {
      attributes: {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.arguments": '{"city":"Oslo"}',
      },
    },
    inRoot,
  );
  tool.recordException(new RangeError("no such city"));
  tool.setStatus({ code: SpanStatusCode.ERROR, message: "no such city" });
  tool.end();
  const second = tracer.startSpan(
    "chat gpt-4o-mini",
    {
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 500,
        "gen_ai.usage.output_tokens": 40,
        "gen_ai.usage.cost": 0.25,
      },
    },
    inRoot,
  );
  second.end();
  root.end();
  return memory.getFinishedSpans();
}

function exportSpans(exporter: OTLPTraceExporter, spans: ReadableSpan[]): Promise<number> {
  return new Promise((resolve) => exporter.export(spans, (result) => resolve(result.code)));
}

test("Node's OTLP/JSON exporter: a GenAI trace over several exports is one session", async () => {
  const spans = agentTrace();
  assert.equal(spans.length, 4);
  const exporter = new OTLPTraceExporter({
    url: `${server.url}/api/otel/v1/traces`,
    headers: { "x-sentrial-api-key": server.apiKey },
  });
  // Children in two exports, then the root, then everything again (a retry).
  assert.equal(await exportSpans(exporter, spans.slice(0, 2)), 0);
  assert.equal(await exportSpans(exporter, spans.slice(2, 3)), 0);
  const traceId = spans[0]?.spanContext().traceId ?? "";
  const open = await get(`/api/sdk/sessions/sess_otel-${traceId}`);
  assert.equal(open["status"], "active");
  assert.equal(await exportSpans(exporter, spans.slice(3)), 0);
  assert.equal(await exportSpans(exporter, spans), 0);
  await exporter.shutdown();

  const session = await get(`/api/sdk/sessions/sess_otel-${traceId}`);
  assert.equal(session["status"], "completed");
  assert.equal(session["agentName"], "node-bot");
  assert.equal(session["userId"], "u-node");
  assert.equal(session["convoId"], "conv-node");
  assert.equal(session["name"], "invoke_agent node-bot");
  assert.equal(session["promptTokens"], 900);
  assert.equal(session["completionTokens"], 100);
  assert.equal(session["eventCount"], 4);

  const events = (await get(`/api/sdk/sessions/sess_otel-${traceId}/events`))["data"] as Row[];
  assert.equal(events.length, 4);
  const rootSpanId = spans[3]?.spanContext().spanId;
  const agent = events.find((e) => e["eventType"] === "span");
  assert.equal(agent?.["spanId"], rootSpanId);
  const calls = events.filter((e) => e["eventType"] === "llm_call");
  assert.deepEqual(
    calls.map((e) => [e["promptTokens"], e["completionTokens"], e["parentSpanId"]]),
    [
      [400, 60, rootSpanId],
      [500, 40, rootSpanId],
    ],
  );
  const priced = calls[0]?.["estimatedCost"] as number;
  assert.ok(priced > 0);
  assert.equal(calls[1]?.["estimatedCost"], 0.25);
  assert.ok(Math.abs((session["estimatedCost"] as number) - (priced + 0.25)) < 1e-12);
  const tool = events.find((e) => e["eventType"] === "tool_call");
  assert.equal(tool?.["toolName"], "get_weather");
  assert.deepEqual(tool?.["toolInput"], { city: "Oslo" });
  assert.deepEqual(tool?.["toolError"], { type: "RangeError", message: "no such city" });
  assert.equal(tool?.["parentSpanId"], rootSpanId);
});
