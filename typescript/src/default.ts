/** The module-level client of `configure()` / `begin()` (made from the environment when never configured). */
import { type BeginParams, SentrialClient } from "./client.js";
import type { SentrialClientOptions } from "./config.js";
import type { Interaction } from "./interaction.js";

let defaultClient: SentrialClient | undefined;

/** Set up the client `begin()` and `wrapOpenAI` use; returns it. The previous one is shut down. */
export function configure(options: SentrialClientOptions = {}): SentrialClient {
  const previous = defaultClient;
  defaultClient = new SentrialClient(options);
  if (previous !== undefined) void previous.shutdown();
  return defaultClient;
}

/** The configured client (made from the environment if `configure` was never called). */
export function getClient(): SentrialClient {
  defaultClient ??= new SentrialClient();
  return defaultClient;
}

/** Start tracking one interaction with the configured client (see `SentrialClient.begin`). */
export function begin(params: BeginParams): Interaction {
  return getClient().begin(params);
}

/** Wait until everything the configured client tracked is delivered. */
export function flush(timeoutMs?: number): Promise<boolean> {
  return defaultClient === undefined ? Promise.resolve(true) : defaultClient.flush(timeoutMs);
}
