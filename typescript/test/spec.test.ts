/** What the hand-written layer says about the spec, the package and its configuration stays true. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { EXTENSION_FIELDS } from "../src/capabilities.js";
import { resolve } from "../src/config.js";
import { ConfigurationError, VERSION } from "../src/index.js";
import { PACKAGE_DIR, REPO_DIR, VENV_BIN, memoryLogger } from "./helpers.js";

test("the extension fields are the spec's x-sentrial-capability properties", () => {
  const code = [
    "import json, sys, yaml",
    "spec = yaml.safe_load(open(sys.argv[1]))",
    "schemas = spec['components']['schemas']",
    "out = {}",
    "for kind, name in (('create_session', 'SessionCreate'), ('create_event', 'EventCreate'), ('update_session', 'SessionUpdate')):",
    "    out[kind] = {k: v['x-sentrial-capability'] for k, v in schemas[name]['properties'].items() if 'x-sentrial-capability' in v}",
    "print(json.dumps(out))",
  ].join("\n");
  const spec = JSON.parse(
    execFileSync(join(VENV_BIN, "python"), ["-c", code, join(REPO_DIR, "openapi", "sentrial.yaml")], { encoding: "utf8" }),
  ) as unknown;
  assert.deepEqual(spec, EXTENSION_FIELDS);
});

test("VERSION is package.json's", () => {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as { version: string; dependencies: Record<string, string> };
  assert.equal(VERSION, pkg.version);
  // The only runtime dependency: the generated client's fetch wrapper, pinned.
  assert.deepEqual(Object.keys(pkg.dependencies), ["openapi-fetch"]);
  assert.match(pkg.dependencies["openapi-fetch"] ?? "", /^\d+\.\d+\.\d+$/);
});

test("options, then the environment (the Python SDK's variables, seconds), then defaults", () => {
  const env = {
    SENTRIAL_API_KEY: "k",
    SENTRIAL_API_URL: "http://127.0.0.1:8787/",
    SENTRIAL_BATCH_SIZE: "20",
    SENTRIAL_FLUSH_INTERVAL: "0.25",
    SENTRIAL_SHUTDOWN_TIMEOUT: "2",
  };
  const config = resolve({ batchSize: 10 }, env);
  assert.equal(config.apiKey, "k");
  assert.equal(config.apiUrl, "http://127.0.0.1:8787");
  assert.equal(config.batchSize, 10);
  assert.equal(config.flushIntervalMs, 250);
  assert.equal(config.shutdownTimeoutMs, 2000);
  assert.equal(config.requestTimeoutMs, 10_000);

  const logger = memoryLogger();
  const bad = resolve({ logger }, { SENTRIAL_BATCH_SIZE: "lots", SENTRIAL_API_URL: "ftp://example" });
  assert.equal(bad.batchSize, 500);
  assert.match(bad.apiUrlError ?? "", /http/);
  assert.equal(logger.lines.length, 2);
  assert.throws(() => resolve({}, { SENTRIAL_FAIL_SILENTLY: "false", SENTRIAL_BATCH_SIZE: "0" }), ConfigurationError);
});
