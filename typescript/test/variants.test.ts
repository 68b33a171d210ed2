/**
 * `getVariant`, the Python SDK's `get_variant` in TypeScript, against
 * `sentrial serve`: the same sticky assignment as Python's for each user,
 * cached in the process, sessions carrying it, and the control variant,
 * counted by reason, whenever the server cannot answer in time.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { type Socket, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { SentrialClient, getVariant, variantStats } from "../src/index.js";
import { API_KEY, SentrialServer, VENV_BIN, closedPort } from "./helpers.js";

const USERS = Array.from({ length: 40 }, (_, i) => `user-${i}`);

describe("getVariant", () => {
  let server: SentrialServer;
  let experiment: string;
  before(async () => {
    server = await SentrialServer.start();
    const created = await fetch(`${server.url}/api/experiments`, {
      method: "POST",
      headers: { Authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "prompt ab",
        variants: [
          { name: "control", systemPrompt: "Be brief.", weight: 0.5 },
          { name: "friendly", systemPrompt: "Be warm.", weight: 0.5 },
        ],
      }),
    });
    assert.equal(created.status, 200, await created.clone().text());
    experiment = ((await created.json()) as { experiment: { id: string } }).experiment.id;
  });
  after(async () => {
    await server.stop();
  });

  test("each user gets the assignment Python's get_variant gets, cached in the process, carried by sessions", async () => {
    const options = { apiKey: API_KEY, apiUrl: server.url, timeoutMs: 30_000 };
    const before = variantStats();
    const ours = await Promise.all(USERS.map((user) => getVariant(experiment, user, options)));
    assert.ok(ours.every((v) => !v.fallback && v.assignmentId?.startsWith("asg_")), JSON.stringify(ours[0]));
    assert.deepEqual(new Set(ours.map((v) => v.name)), new Set(["control", "friendly"]));
    for (const v of ours) assert.equal(v.systemPrompt, v.name === "control" ? "Be brief." : "Be warm.");
    // Python, in another process, gets the same variant and assignment id for each user.
    const code = [
      "import json, sys",
      "from sentrial.variants import get_variant",
      "exp, url, key, users = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])",
      "out = [get_variant(exp, u, api_url=url, api_key=key, timeout=30) for u in users]",
      "assert not any(v.fallback for v in out)",
      "print(json.dumps([[v.name, v.assignment_id, v.system_prompt] for v in out]))",
    ].join("\n");
    const run = spawnSync(join(VENV_BIN, "python"), ["-c", code, experiment, server.url, API_KEY, JSON.stringify(USERS)], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), ours.map((v) => [v.name, v.assignmentId, v.systemPrompt]));
    // Asked again: from the cache, the same answers.
    const again = await Promise.all(USERS.map((user) => getVariant(experiment, user, options)));
    assert.deepEqual(again, ours);
    const stats = variantStats();
    assert.equal(stats.assigned - before.assigned, USERS.length);
    assert.equal(stats.cached - before.cached, USERS.length);
    // A session carries its assignment.
    const sentrial = new SentrialClient({ apiKey: API_KEY, apiUrl: server.url, flushOnExit: false });
    const variant = ours[0]!;
    const id = sentrial.createSessionSync({ name: "n", agentName: "variants", userId: variant.userId, experimentAssignmentId: variant.assignmentId });
    assert.equal(await sentrial.shutdown(), true);
    assert.equal((await server.session(id))["experimentAssignmentId"], variant.assignmentId);
  });

  test("concurrent calls for one user share one answer", async () => {
    const options = { apiKey: API_KEY, apiUrl: server.url, timeoutMs: 30_000 };
    const before = variantStats();
    const answers = await Promise.all(Array.from({ length: 5 }, () => getVariant(experiment, "together", options)));
    assert.ok(answers.every((v) => v === answers[0] && !v.fallback));
    assert.equal(variantStats().assigned - before.assigned, 5);
  });

  test("the control variant, counted by reason, when the server cannot answer in time (never a throw)", async () => {
    const sockets = new Set<Socket>();
    const hole = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    hole.listen(0, "127.0.0.1");
    await once(hole, "listening");
    const silent = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
    const control = { default: "You are helpful." };
    const before = variantStats().fallback;
    try {
      const cases = [
        await getVariant(experiment, "u", { ...control, apiKey: API_KEY, apiUrl: silent, timeoutMs: 50 }),
        await getVariant("exp_nope", "u", { ...control, apiKey: API_KEY, apiUrl: server.url, timeoutMs: 30_000 }),
        await getVariant(experiment, "u", { ...control, apiKey: API_KEY, apiUrl: await closedPort(), timeoutMs: 30_000 }),
        await getVariant(experiment, "u", { ...control, apiKey: "", apiUrl: server.url }),
        await getVariant(experiment, "", { ...control, apiKey: API_KEY, apiUrl: server.url }),
        await getVariant(experiment, "u", { ...control, control: "baseline", apiKey: "wrong", apiUrl: server.url, timeoutMs: 30_000 }),
      ];
      for (const v of cases) {
        assert.equal(v.fallback, true);
        assert.equal(v.assignmentId, null);
        assert.equal(v.systemPrompt, "You are helpful.");
      }
      assert.deepEqual(cases.map((v) => v.name), ["control", "control", "control", "control", "control", "baseline"]);
      const after = variantStats().fallback;
      const grew = Object.fromEntries(
        Object.entries(after).filter(([reason, n]) => n !== (before[reason] ?? 0)).map(([reason, n]) => [reason, n - (before[reason] ?? 0)]),
      );
      assert.deepEqual(grew, { bad_argument: 1, http_401: 1, http_404: 1, no_api_key: 1, timeout: 1, unreachable: 1 });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => hole.close(resolve));
    }
  });
});
