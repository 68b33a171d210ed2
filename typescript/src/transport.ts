/**
 * Requests to the API through the generated client (`openapi-fetch` over the
 * types `openapi-typescript` made from `openapi/sentrial.yaml`), with every
 * failure classified by the response policy.
 *
 * Answers are read leniently, as in the Python SDK: any 2xx is success, and
 * from a create only the server's `id` matters (a Sentrial-compatible server
 * may answer 201, 204, fewer fields or no JSON at all).
 */
import createClient, { type Client } from "openapi-fetch";

import { type Capabilities, PLAIN, fromHealth } from "./capabilities.js";
import { serialize } from "./capture.js";
import type { Config } from "./config.js";
import type { components, paths } from "./generated/schema.js";
import {
  BatchUnsupported,
  type ItemResult,
  RETRYABLE_STATUSES,
  RejectedError,
  RetryableError,
  isSuccess,
  parseRetryAfter,
} from "./policy.js";
import { VERSION } from "./version.js";
import { type EventCreate, type Operation, type SessionCreate, type SessionUpdate, batchItem, wireBody } from "./wire.js";

type BatchItemResult = components["schemas"]["BatchItemResult"];

interface Answer {
  response: Response;
  text: string;
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function messageOf(answer: Answer): string {
  const body = parseJson(answer.text);
  if (body !== null && typeof body === "object") {
    const message = (body as Record<string, unknown>)["message"];
    if (typeof message === "string") return message;
  }
  return answer.text.slice(0, 200) || answer.response.statusText;
}

function retryable(answer: Answer): RetryableError {
  const { status, headers } = answer.response;
  return new RetryableError(
    `HTTP ${status}: ${messageOf(answer)}`,
    status,
    parseRetryAfter(headers.get("retry-after")),
  );
}

/** Throw what the policy makes of a non-2xx answer to a whole request. */
function raiseForStatus(answer: Answer): void {
  const { status } = answer.response;
  if (isSuccess(status)) return;
  if (RETRYABLE_STATUSES.has(status)) throw retryable(answer);
  throw new RejectedError(`HTTP ${status}: ${messageOf(answer)}`, status);
}

/** The `id` a server gave its new record, if its answer has one. */
function answerId(text: string): string | undefined {
  const body = parseJson(text);
  const id = body !== null && typeof body === "object" ? (body as Record<string, unknown>)["id"] : undefined;
  return typeof id === "string" && id ? id : undefined;
}

/** (status, id, message) per item of a batch answer, in request order; undefined if it does not fit. */
function readBatchResults(text: string, count: number): ItemResult[] | undefined {
  const body = parseJson(text);
  const rows = body !== null && typeof body === "object" ? (body as Record<string, unknown>)["results"] : undefined;
  if (!Array.isArray(rows) || rows.length !== count) return undefined;
  const results: ItemResult[] = new Array<ItemResult>(count);
  for (const row of rows as BatchItemResult[]) {
    if (row === null || typeof row !== "object") return undefined;
    const { index, status } = row;
    if (!Number.isInteger(index) || index < 0 || index >= count || !Number.isInteger(status)) return undefined;
    results[index] = {
      status,
      message: typeof row.message === "string" ? row.message : "",
      serverId: typeof row.id === "string" && row.id ? row.id : undefined,
    };
  }
  return results.includes(undefined as unknown as ItemResult) ? undefined : results;
}

export class Transport {
  private readonly api: Client<paths>;
  private readonly stopper = new AbortController();

  constructor(private readonly config: Config) {
    this.api = createClient<paths>({
      baseUrl: config.apiUrl,
      headers: {
        Authorization: `Bearer ${config.apiKey ?? ""}`,
        "User-Agent": `sentrial-typescript/${VERSION}`,
      },
      bodySerializer: serialize,
    });
  }

  /** `text` without the API key (an error of fetch may quote the Authorization header). */
  private mask(text: string): string {
    const key = this.config.apiKey;
    let out = key ? text.split(key).join("***") : text;
    out = out.replace(/Bearer\s+[^"'\s]+/g, "Bearer ***");
    return out;
  }

  /** Abandon the requests in flight (the exit deadline passed). */
  abort(): void {
    this.stopper.abort();
  }

  private signal(): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(this.config.requestTimeoutMs), this.stopper.signal]);
  }

  /** One request; network trouble and timeouts become RetryableError. */
  private async send(
    request: (signal: AbortSignal) => Promise<{ response: Response; data?: unknown; error?: unknown }>,
  ): Promise<Answer> {
    let answer: { response: Response; data?: unknown; error?: unknown };
    try {
      answer = await request(this.signal());
    } catch (error) {
      const name = error instanceof Error ? error.name : "Error";
      const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
      const message = error instanceof Error ? error.message : String(error);
      throw new RetryableError(this.mask(`${name}: ${message}${cause}`));
    }
    const { response, data, error } = answer;
    const body = data ?? error;
    return { response, text: typeof body === "string" ? body : body === undefined ? "" : JSON.stringify(body) };
  }

  /**
   * The server's extensions, from `GET /api/sdk/health`. An answer that is not
   * a 2xx JSON object listing them (404 from a plain server, 401, HTML) means
   * none; network trouble, 429 and 5xx throw RetryableError.
   */
  async probe(): Promise<Capabilities> {
    const answer = await this.send((signal) => this.api.GET("/api/sdk/health", { parseAs: "text", signal }));
    const { status } = answer.response;
    if (RETRYABLE_STATUSES.has(status)) throw retryable(answer);
    if (!isSuccess(status)) return PLAIN;
    return fromHealth(parseJson(answer.text));
  }

  /** The server's PII settings (`GET /api/sdk/pii-config`); undefined when it has none to give. */
  async piiConfig(): Promise<unknown> {
    const answer = await this.send((signal) => this.api.GET("/api/sdk/pii-config", { parseAs: "text", signal }));
    return isSuccess(answer.response.status) ? parseJson(answer.text) : undefined;
  }

  /**
   * The user's sticky assignment to a variant (`POST /api/experiments/{id}/assignments`):
   * [status, parsed JSON answer]; network trouble throws RetryableError.
   */
  async assignment(experimentId: string, userId: string): Promise<[number, unknown]> {
    const answer = await this.send((signal) =>
      this.api.POST("/api/experiments/{id}/assignments", {
        params: { path: { id: experimentId } },
        body: { userId },
        parseAs: "text",
        signal,
      }),
    );
    return [answer.response.status, parseJson(answer.text)];
  }

  /** One request for many operations; one result per operation, in order. */
  async sendBatch(ops: readonly Operation[], ids: readonly string[], caps: Capabilities): Promise<ItemResult[]> {
    const body = { operations: ops.map((op, i) => batchItem(op, ids[i] ?? op.sessionId, caps)) };
    const answer = await this.send((signal) =>
      this.api.POST("/api/sdk/batch", { body, parseAs: "text", signal }),
    );
    const { status } = answer.response;
    if (status === 404 || status === 405) throw new BatchUnsupported("no batch endpoint", status);
    raiseForStatus(answer);
    const results = readBatchResults(answer.text, ops.length);
    if (results === undefined) throw new RetryableError("malformed batch response", status);
    return results;
  }

  /** One operation on its own endpoint; RetryableError for what is worth retrying. */
  async sendOne(op: Operation, sessionId: string, caps: Capabilities): Promise<ItemResult> {
    const answer = await this.send((signal) => {
      switch (op.kind) {
        case "create_session":
          return this.api.POST("/api/sdk/sessions", {
            body: wireBody(op, sessionId, caps) as SessionCreate,
            parseAs: "text",
            signal,
          });
        case "create_event":
          return this.api.POST("/api/sdk/events", {
            body: wireBody(op, sessionId, caps) as EventCreate,
            parseAs: "text",
            signal,
          });
        case "update_session":
          return this.api.PATCH("/api/sdk/sessions/{id}", {
            params: { path: { id: sessionId } },
            body: wireBody(op, sessionId, caps) as SessionUpdate,
            parseAs: "text",
            signal,
          });
      }
    });
    const { status } = answer.response;
    if (RETRYABLE_STATUSES.has(status)) throw retryable(answer);
    if (!isSuccess(status)) return { status, message: messageOf(answer), serverId: undefined };
    return { status, message: "", serverId: op.kind === "create_session" ? answerId(answer.text) : undefined };
  }
}
