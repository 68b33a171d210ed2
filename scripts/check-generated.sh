#!/usr/bin/env bash
# Fail (with a diff) when generated/sentrial_api or typescript/src/generated/
# is not what the spec generates.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$here/scripts/generate.sh" "$tmp/sentrial_api" "$tmp/schema.ts"
status=0
if ! diff -r -u -x __pycache__ "$here/generated/sentrial_api" "$tmp/sentrial_api"; then
  echo "generated/sentrial_api is out of date with openapi/sentrial.yaml: run 'make generate' and commit both." >&2
  status=1
fi
if ! diff -u "$here/typescript/src/generated/schema.ts" "$tmp/schema.ts"; then
  echo "typescript/src/generated/schema.ts is out of date with openapi/sentrial.yaml: run 'make generate' and commit both." >&2
  status=1
fi
[ "$status" = 0 ] && echo "generated/sentrial_api and typescript/src/generated/schema.ts match openapi/sentrial.yaml"
exit "$status"
