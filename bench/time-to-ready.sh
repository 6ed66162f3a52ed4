#!/usr/bin/env bash
# Issue 16: a 1-VM lab's time to ready under TCG, and where the guest spends it.
#   lab    'lab up --provider qemu' of one VM (1 vCPU, 768 MB, UEFI; a NAT network with an upstream namespace)
#          from nothing until it returns with the guest ready (SSH answered, cloud-init done); then, read inside
#          the guest over SSH: systemd-analyze time / critical-chain / blame, cloud-init analyze show / blame,
#          what cloud-init ran, and the CPU each of cloud-init's four services used against its own stage's time.
#          Written to OUT/ (default: a temporary folder, printed).
#   The floor to hold it against, and Vagrant beside it, are bench/side-by-side.sh's (one run, both tools).
# Usage: sudo bash bench/time-to-ready.sh [BOX.qcow2]
#   (a first argument 'lab' is accepted and ignored, as earlier versions of this script had modes)
# Environment: LAB (a 'lab' executable; default dotnet on the Release lab.dll), OUT, BENCH_BOOT_TIMEOUT (s, default 900).
#
# Network safety: every bridge, tap, nft rule, address and route is made inside lrrh-PID (the lab host) and
# lrru-PID (its "internet", which routes nowhere); QEMU runs inside lrrh-PID. All removed on exit, failure included;
# processes are ended by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
log() { printf '[ready %5ss] %s\n' "$((SECONDS - t0))" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
t0=$SECONDS
[[ ${1:-} != lab ]] || shift
[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces): sudo bash $0"
box=${1:-${LABRUNNER_TEST_BOX:-}}
[[ -n $box && -f $box ]] || die "no box: give BOX.qcow2 or set LABRUNNER_TEST_BOX"
box=$(readlink -f "$box")
# shellcheck source=lib/lab-host.sh
source bench/lib/lab-host.sh
lab_command "$repo"
out=${OUT:-$(mktemp -d /tmp/lrready-out.XXXXXX)}
mkdir -p "$out"
host=lrrh-$$ up=lrru-$$
work=$(mktemp -d /tmp/lrready.XXXXXX)
project=$work/project
mkdir -p "$project" "$work/state"
export LABRUNNER_QEMU_STATE=$work/state NO_COLOR=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
hx() { ip netns exec "$host" "$@"; }
lab() { (cd "$project" && hx "${lab_cmd[@]}" "$@" --provider qemu); }
cleanup() {
  local rc=$?
  set +e
  if ((${#netns_made[@]})); then
    [[ ! -f $project/Labfile.yml ]] || lab down >/dev/null 2>&1
    netns_cleanup
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
load() { cut -d' ' -f1-3 /proc/loadavg; }

netns_add "$host" "$up"
lab_uplink "$host" "$up"

timeout=${BENCH_BOOT_TIMEOUT:-900}

{
  { labfile_head ready "$box" "$timeout"; printf 'vms:\n  - name: one\n    networks: [front]\n'; } >"$project/Labfile.yml"
  load0=$(load)
  log "lab up (1 VM, TCG), load $load0"
  start=$(date +%s.%N)
  lab up --json >"$out/up.json" 2>"$out/up.err" || { cat "$out/up.err" >&2; die "lab up failed"; }
  end=$(date +%s.%N)
  lab_s=$(python3 -c "print(f'{$end - $start:.1f}')")
  ip=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["guests"][0].get("address") or "")' "$out/up.json" 2>/dev/null || true)
  [[ -n $ip ]] || ip=$(lab plan --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vms"][0]["adapters"][0]["ip"].split("/")[0])')
  key=$project/.lab/id_ecdsa
  sshg() { hx ssh -i "$key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR "${cm[@]}" "lab@$ip" "$@"; }
  # LabRunner's own waiting overhead: its ready_at minus the guest's cloud-init finish (result.json's mtime), the
  # guest clock mapped to the host's by the shortest of 5 round trips over one shared connection.
  cm=(-o ControlMaster=auto -o "ControlPath=$work/cm" -o ControlPersist=60)
  done_at=$(sshg 'date -r /run/cloud-init/result.json +%s.%N')
  samples=""
  for _ in 1 2 3 4 5; do
    sent=$(date +%s.%N); guest=$(sshg 'date +%s.%N'); received=$(date +%s.%N)
    samples+="$sent $guest $received "
  done
  # shellcheck disable=SC2086 # numbers, split on purpose
  overhead=$(python3 -c '
import json, sys
from datetime import datetime
doc = json.load(open(sys.argv[1]))
ready = datetime.fromisoformat(doc["guests"][0]["ready_at"].replace("Z", "+00:00")).timestamp()
done = float(sys.argv[2])
v = list(map(float, sys.argv[3:]))
sent, guest, received = min((v[i:i + 3] for i in range(0, len(v), 3)), key=lambda s: s[2] - s[0])
offset = guest - (sent + received) / 2
print(f"{ready - (done - offset):.2f} s (± {(received - sent) / 2:.2f})")
' "$out/up.json" "$done_at" $samples)
  {
    echo "== lab up until ready: $lab_s s (load before $load0, after $(load))"
    echo "== ready_at after the guest's cloud-init finished: $overhead"
    python3 -c 'import json,sys; [print("guest", g["vm"], "SSH after", g["reachable_after_s"], "s, ready after", g["ready_after_s"], "s") for g in json.load(open(sys.argv[1]))["guests"]]' "$out/up.json"
    echo "== systemd-analyze time"; sshg systemd-analyze time
    echo "== systemd-analyze critical-chain"; sshg systemd-analyze critical-chain --no-pager
    echo "== systemd-analyze critical-chain ssh.service"; sshg systemd-analyze critical-chain ssh.service --no-pager
    echo "== systemd-analyze blame (top 20)"; sshg "systemd-analyze blame --no-pager | head -n 20"
    echo "== cloud-init analyze show"; sshg "sudo cloud-init analyze show"
    echo "== cloud-init analyze blame"; sshg "sudo cloud-init analyze blame"
    echo "== cloud-init status"; sshg "cloud-init status --long"
    # What each of cloud-init's four services cost the guest's CPU (systemd's accounting) against the wall time of
    # cloud-init's own stage in it (status.json): the difference is the stage's Python process starting, importing
    # cloud-init and loading its cached datasource, which no seed can ask away. On a guest whose vCPU the host
    # shares with other guests the accounting includes time the vCPU was not running (TCG reports no steal time).
    echo "== cloud-init's services: CPU against their stage's own time"
    # shellcheck disable=SC2016 # expanded in the guest
    sshg 'for u in cloud-init-local cloud-init cloud-config cloud-final; do echo "$u $(systemctl show -p CPUUsageNSec --value $u.service)"; done; echo; cat /run/cloud-init/status.json' |
      python3 -c '
import json, sys
head, _, body = sys.stdin.read().partition("\n\n")
status = json.loads(body)["v1"]
stage = {"cloud-init-local": "init-local", "cloud-init": "init", "cloud-config": "modules-config", "cloud-final": "modules-final"}
cpu_sum = out_sum = 0.0
for line in head.splitlines():
    unit, ns = line.split()
    cpu, wall = int(ns) / 1e9, status[stage[unit]]["finished"] - status[stage[unit]]["start"]
    cpu_sum, out_sum = cpu_sum + cpu, out_sum + max(cpu - wall, 0.0)
    print(f"{unit}.service: CPU {cpu:.2f} s, its stage {wall:.2f} s, outside the stage {max(cpu - wall, 0.0):.2f} s")
print(f"all four: CPU {cpu_sum:.2f} s, outside the stages {out_sum:.2f} s")' || true
    echo "== modules cloud-init ran (per stage)"; sshg "sudo sh -c 'grep -h -o \"running config-[a-z_]*\" /var/log/cloud-init.log | sort | uniq -c'" || true
    echo "== host keys"; sshg "ls /etc/ssh/ssh_host_*"
  } >"$out/lab.txt" 2>&1
  cat "$out/lab.txt"
  hx ssh -o "ControlPath=$work/cm" -O exit "lab@$ip" 2>/dev/null || true
  # Issue 16.4: 'lab ssh one -- hostname' cold (its own handshake; it leaves a shared connection in .lab/cm/) and
  # warm (over that connection), then 'lab halt' ending the shared connection.
  labssh() { (cd "$project" && hx "${lab_cmd[@]}" ssh --provider qemu one -- hostname); }
  {
    echo "== lab ssh one -- hostname: first, then warm (load $(load))"
    for n in 1 2 3 4; do
      s=$(date +%s.%N); name=$(labssh); e=$(date +%s.%N)
      echo "lab ssh #$n: $(python3 -c "print(f'{$e - $s:.3f}')") s ($name)"
    done
    control=$(find "$project/.lab/cm" -type s | head -n 1)
    echo "control socket: ${control#"$project"/} ($(stat -c %A "$project/.lab/cm") folder)"
    hx ssh -O check -o "ControlPath=$control" one 2>&1 | sed 's/^/ssh -O check: /'  || true
    s=$(date +%s.%N); lab halt >/dev/null 2>&1; e=$(date +%s.%N)
    echo "lab halt: $(python3 -c "print(f'{$e - $s:.1f}')") s; socket left: $([[ -e $control ]] && echo yes || echo no)"
    hx ssh -O check -o "ControlPath=$control" one 2>&1 | sed 's/^/ssh -O check after halt: /' || true
  } >"$out/ssh.txt" 2>&1
  cat "$out/ssh.txt"
  lab down >/dev/null 2>&1 || true
  rm -f "$project/Labfile.yml"
}
log "results in $out"
