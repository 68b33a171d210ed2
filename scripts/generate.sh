#!/usr/bin/env bash
# Regenerate the low-level client from openapi/sentrial.yaml into $1
# (default: generated/sentrial_api). Used by `make generate` and by
# `make check-generated`, so both produce byte-identical output.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/generated/sentrial_api}
venv_bin=${VENV_BIN:-$here/.venv/bin}
export PATH="$venv_bin:$PATH"   # the pinned ruff the post-hooks call
"$venv_bin/openapi-python-client" generate \
  --path "$here/openapi/sentrial.yaml" \
  --config "$here/openapi/config.yaml" \
  --meta none --output-path "$out" --overwrite --fail-on-warning >/dev/null
rm -rf "$out/.ruff_cache"
: > "$out/py.typed"
