#!/usr/bin/env bash
# `make test`'s runner: runs every suite (a make target each) even when an earlier
# one fails, so one failure never hides the others' results; then one summary
# line per suite and a non-zero exit if any failed.
#   scripts/run-suites.sh browser check-generated lint ts-test pytest
set -u
make_cmd=${MAKE:-make}
failed=()
summary=()
for suite in "$@"; do
  start=$SECONDS
  echo "=== suite: $suite ==="
  if $make_cmd --no-print-directory "$suite"; then
    status=passed
  else
    status=FAILED
    failed+=("$suite")
  fi
  summary+=("$(printf '  %-16s %-7s %5ss' "$suite" "$status" "$((SECONDS - start))")")
done
echo "=== make test: ${#summary[@]} suites ==="
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "make test: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "make test: every suite passed"
