#!/usr/bin/env bash
# Regenerate both low-level clients from openapi/sentrial.yaml: Python into
# $1 (default: generated/sentrial_api), TypeScript types into $2 (default:
# typescript/src/generated/schema.ts). Used by `make generate` and by
# `make check-generated`, so both produce byte-identical output.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/generated/sentrial_api}
ts_out=${2:-$here/typescript/src/generated/schema.ts}
venv_bin=${VENV_BIN:-$here/.venv/bin}
ts_bin=${TS_BIN:-$here/typescript/node_modules/.bin}
export PATH="$venv_bin:$PATH"   # the pinned ruff the post-hooks call
"$venv_bin/openapi-python-client" generate \
  --path "$here/openapi/sentrial.yaml" \
  --config "$here/openapi/config.yaml" \
  --meta none --output-path "$out" --overwrite --fail-on-warning >/dev/null
rm -rf "$out/.ruff_cache"
: > "$out/py.typed"
# TypeScript: openapi-typescript, pinned in typescript/package-lock.json
# (installed by `make generate` / `make check-generated`).
mkdir -p "$(dirname "$ts_out")"
"$ts_bin/openapi-typescript" "$here/openapi/sentrial.yaml" \
  --output "$ts_out" >/dev/null 2>&1 || {
  "$ts_bin/openapi-typescript" "$here/openapi/sentrial.yaml" --output "$ts_out"
  exit 1
}
