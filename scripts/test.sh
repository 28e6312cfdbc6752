#!/usr/bin/env bash
# The project's test command (README, .ci/run). bun test writes its report to stderr; this
# wrapper streams it there and prints exactly one summary line on stdout: "N passed, N failed".
# Exits non-zero on any failure, load error, crash, or when nothing passed.
set -uo pipefail
log=$(mktemp); trap 'rm -f "$log"' EXIT
bun test --timeout 120000 "$@" 2>&1 | tee "$log" >&2; rc=${PIPESTATUS[0]}
count() { grep -E "^ *[0-9]+ $1\$" "$log" | tail -1 | tr -dc '0-9'; }
pass=$(count pass); fail=$(count fail); errors=$(grep -Eo "^ *[0-9]+ errors?\$" "$log" | tail -1 | tr -dc '0-9')
pass=${pass:-0}; fail=${fail:-0}; errors=${errors:-0}
if [ "$errors" -gt "$fail" ]; then fail=$errors; fi
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
echo "$pass passed, $fail failed"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
