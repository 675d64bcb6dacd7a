#!/usr/bin/env bash
# Runs shensu-kiosk headless on a script with no config; checks the expected events appear, in order, and exit 0.
set -euo pipefail
kiosk=$1 script=$2 expected=$3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
env -u SHENSU_CARDSIM_CTL "$kiosk" --headless --script "$script" --screenshot-dir "$out" >"$out/events.jsonl" 2>"$out/stderr" || status=$?
if [[ $status -ne 0 ]]; then
  echo "shensu-kiosk exited with $status"; cat "$out/events.jsonl" "$out/stderr"; exit 1
fi
line=0
while IFS= read -r want; do
  found=0
  while IFS= read -r got; do
    line=$((line + 1))
    if [[ "$got" == *"$want"* ]]; then found=1; break; fi
  done < <(tail -n +$((line + 1)) "$out/events.jsonl")
  if [[ $found -eq 0 ]]; then
    echo "missing (in order): $want"; echo "--- events:"; cat "$out/events.jsonl"; exit 1
  fi
done <"$expected"
for png in review.png home-en.png; do
  [[ -s "$out/$png" ]] || { echo "screenshot $png not written"; exit 1; }
done
# Logs never carry what the person typed.
if grep -q -e '測試市政府人事處' -e '主管長期' "$out/stderr"; then echo "personal data in the log"; exit 1; fi
echo "ok: $(wc -l <"$out/events.jsonl") events"
