/** One run of the agent, from `begin()` to `finish()`. */
import type {
  CompleteSessionParams,
  EventRecord,
  SentrialClient,
  SessionRecord,
  TrackDecisionParams,
  TrackErrorParams,
  TrackLlmCallParams,
  TrackToolCallParams,
} from "./client.js";
import { type CurrentSession, currentSession } from "./context.js";

type Without<T> = Omit<T, "sessionId">;

/** `String(value)`, never throwing (a null-prototype object or a throwing `toString` has no string). */
export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return "[unprintable]";
    }
  }
}

function objectOr<T extends object>(value: T | null | undefined): Partial<T> {
  return value !== null && typeof value === "object" ? value : {};
}

export type FinishParams = Omit<CompleteSessionParams, "sessionId" | "userInput" | "assistantOutput"> & {
  output?: unknown;
};

export class Interaction {
  output: unknown = undefined;
  finished = false;
  private success = true;
  private failureReason: string | undefined;
  private readonly started = performance.now();
  private current: CurrentSession | undefined;

  constructor(
    readonly client: SentrialClient,
    readonly sessionId: string,
    readonly eventId: string,
    readonly userId: string,
    readonly event: string,
    readonly input: unknown = undefined,
  ) {}

  /** This interaction as the current session of an async context. */
  asCurrent(): CurrentSession {
    this.current ??= { client: this.client, sessionId: this.sessionId, isFinished: () => this.finished };
    return this.current;
  }

  /** Run `fn` with this interaction as the current session (for `wrapOpenAI`). */
  run<T>(fn: () => T): T {
    return currentSession.run(this.asCurrent(), fn);
  }

  setOutput(output: unknown): void {
    this.output = output;
  }

  trackToolCall(params: Without<TrackToolCallParams>): Promise<EventRecord> {
    return this.client.trackToolCall({ ...params, sessionId: this.sessionId });
  }

  trackDecision(params: Without<TrackDecisionParams>): Promise<EventRecord> {
    return this.client.trackDecision({ ...params, sessionId: this.sessionId });
  }

  /** Record an error; the interaction then ends as failed (with its message) unless `finish` says otherwise. */
  trackError(params: Without<TrackErrorParams>): Promise<EventRecord> {
    this.success = false;
    const given = objectOr(params);
    try {
      const thrown = given.error;
      const message = given.errorMessage ?? (thrown instanceof Error ? thrown.message : safeString(thrown ?? "error"));
      this.failureReason = typeof message === "string" ? message : safeString(message);
    } catch {
      this.failureReason = "error"; // a getter that throws: the client reports the argument
    }
    return this.client.trackError({ ...given, sessionId: this.sessionId } as TrackErrorParams);
  }

  trackLlmCall(params: Without<TrackLlmCallParams>): Promise<EventRecord> {
    return this.client.trackLlmCall({ ...params, sessionId: this.sessionId });
  }

  /**
   * End the session; the duration is measured unless given, `success`
   * defaults to true (false after `trackError`). A second call resolves `{}`.
   */
  finish(params: FinishParams | null = {}): Promise<SessionRecord | Record<string, never>> {
    if (this.finished) return Promise.resolve({});
    this.finished = true;
    params = objectOr(params) as FinishParams; // null: no options
    const { output, ...rest } = params;
    if (output !== undefined) this.output = output;
    const failed = params.success === undefined && !this.success;
    return this.client.completeSession({
      ...rest,
      sessionId: this.sessionId,
      success: params.success ?? this.success,
      failureReason: params.failureReason ?? (failed ? this.failureReason : undefined),
      durationMs: params.durationMs ?? performance.now() - this.started,
      userInput: this.input,
      assistantOutput: this.output,
    });
  }
}
