#!/usr/bin/env bash
# Whole-process timings of the shipped 'lab' binary (native AOT), side by side with 'vagrant validate'
# on the same 3-VM lab, and 'lab plan' on a generated 500-VM Labfile. Needs hyperfine; vagrant optional.
#   bash bench/cli-timings.sh            # publishes lab, then measures
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
dotnet publish src/LabRunner.Cli -c Release -r linux-x64 -o "$out/lab" >/dev/null
lab="$out/lab/lab"
bash bench/generate-labfile.sh 500 > "$out/Labfile.500.yml"
"$lab" validate -f bench/three-vm/Labfile.yml >/dev/null
"$lab" plan --json -f "$out/Labfile.500.yml" >/dev/null

runs=(--warmup 3 --runs 30 -N)
# vagrant reads ./Vagrantfile; both run from bench/three-vm so each reads the same lab in its own format.
validate=(-n "lab validate (3 VMs)" "$lab validate -f Labfile.yml")
if command -v vagrant >/dev/null; then
  validate+=(-n "vagrant validate (3 VMs)" "vagrant validate")
else
  echo "vagrant not installed (apt-get install vagrant): measuring lab alone"
fi
(cd bench/three-vm && hyperfine "${runs[@]}" "${validate[@]}" --export-markdown "$out/validate.md")
hyperfine "${runs[@]}" -n "lab plan --json (500 VMs)" "$lab plan --json -f $out/Labfile.500.yml" \
  -n "lab validate (500 VMs)" "$lab validate -f $out/Labfile.500.yml" --export-markdown "$out/plan.md"
cat "$out/validate.md" "$out/plan.md"
