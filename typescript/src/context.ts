/**
 * The current session of an async context: what `wrapOpenAI` records into
 * when it was not given a session. `begin()` makes its interaction current
 * for the rest of the calling async context (like the Python SDK's context
 * variable); `interaction.run(fn)` and `client.runInSession(id, fn)` scope it
 * to `fn` explicitly.
 */
import { AsyncLocalStorage } from "node:async_hooks";

import type { SentrialClient } from "./client.js";

export interface CurrentSession {
  client: SentrialClient;
  sessionId: string;
  /** Ended sessions are not current any more. */
  isFinished(): boolean;
}

export const currentSession = new AsyncLocalStorage<CurrentSession>();

/** The session calls in this async context belong to, if any. */
export function getCurrentSession(): CurrentSession | undefined {
  const current = currentSession.getStore();
  return current === undefined || current.isFinished() ? undefined : current;
}
