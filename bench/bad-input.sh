#!/usr/bin/env bash
# How fast 'lab' refuses input it must never read: a device given as the Labfile and a '@' response file
# (tests/LabRunner.Cli.Tests/BadInputTests.cs checks that they are refused; this measures that it happens at once).
#   bash bench/bad-input.sh            # builds lab, then times each case; fails when one takes 2 s or more
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build src/LabRunner.Cli -c Release -o "$out/lab" >/dev/null
lab=(dotnet "$out/lab/lab.dll")
status=0
for args in "validate -f /dev/zero" "validate -f /dev/urandom" "validate @/dev/zero" "up @/dev/zero"; do
  start=$(date +%s%N)
  # Exit 2 is the refusal; 124 would be timeout's: the input was read.
  set +e
  # shellcheck disable=SC2086
  timeout 10 "${lab[@]}" $args >/dev/null 2>&1
  code=$?
  set -e
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf '%-28s exit %3d  %6d ms\n' "lab $args" "$code" "$ms"
  if [ "$code" -ne 2 ] || [ "$ms" -ge 2000 ]; then status=1; fi
done
exit "$status"
