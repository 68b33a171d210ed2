#!/usr/bin/env bash
# Fail (with a diff) when generated/sentrial_api is not what the spec generates.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$here/scripts/generate.sh" "$tmp/sentrial_api"
if ! diff -r -u -x __pycache__ "$here/generated/sentrial_api" "$tmp/sentrial_api"; then
  echo "generated/sentrial_api is out of date with openapi/sentrial.yaml: run 'make generate' and commit both." >&2
  exit 1
fi
echo "generated/sentrial_api matches openapi/sentrial.yaml"
