#!/usr/bin/env bash
# Runs shensu-kiosk headless on a script (with no config, or the config given as 4th argument); checks the expected
# events appear, in order, and exit 0.
# Under scripts/with-virtual-reader the script may also use the card simulator.
set -euo pipefail
kiosk=$1 script=$2 expected=$3 config=${4:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
"$kiosk" ${config:+--config "$config"} --headless --script "$script" --screenshot-dir "$out" >"$out/events.jsonl" 2>"$out/stderr" || status=$?
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
# Every screenshot the kiosk reported is a real file.
while IFS= read -r png; do
  [[ -s "$png" ]] || { echo "screenshot $png not written"; exit 1; }
done < <(sed -n 's/.*"event":"screenshot","path":"\([^"]*\)".*/\1/p' "$out/events.jsonl")
# Logs never carry what the person typed.
# Logs and events never carry what the person typed or the name on the card (林測試, ID Z100000001).
if grep -q -e '測試市政府人事處' -e '主管長期' -e '拔卡後' -e '林測試' -e 'Z100000001' "$out/stderr"; then
  echo "personal data in the log"; exit 1
fi
if grep -q -e '林測試' -e 'Z100000001' -e '000012345678' "$out/events.jsonl"; then echo "card data in the events"; exit 1; fi
# Nor a registration password a script typed (the "password" command), anywhere the kiosk wrote.
if grep -rq -e 'Test#pw12' -e '000012345678' "$out" --exclude=events.jsonl; then echo "password or card number written"; exit 1; fi
if grep -q 'Test#pw12' "$out/events.jsonl"; then echo "password in the events"; exit 1; fi
echo "ok: $(wc -l <"$out/events.jsonl") events"
