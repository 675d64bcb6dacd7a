#!/usr/bin/env bash
# A broken automation line that holds a PIN: the kiosk exits 1 with a script error naming the line and the JSON
# parser's error id, and the digits appear in nothing it printed (nlohmann's what() would quote them).
set -uo pipefail
kiosk=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%s\n' '{"cmd":"pin","digits":"918273' >"$out/script.jsonl"
"$kiosk" --headless --script "$out/script.jsonl" >"$out/events" 2>"$out/stderr"
status=$?
cat "$out/events" "$out/stderr"
[[ $status -eq 1 ]] || { echo "exit status $status, expected 1"; exit 1; }
grep -q '"event":"script_error","line":1' "$out/events" || { echo "no script_error for line 1"; exit 1; }
if grep -q 918273 "$out/events" "$out/stderr"; then echo "the digits were echoed"; exit 1; fi
