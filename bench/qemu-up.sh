#!/usr/bin/env bash
# Issue 8 §5: 'lab up --provider qemu' of the 3-VM lab (the real-guest tests' Labfile: web-1, web-2, db;
# NAT + private + isolated networks; 1 vCPU, 640 MB each) from nothing to every guest answering at every
# planned IP, under TCG, inside network namespaces of its own. Prints:
#   - the wall time of 'lab up' (LabRunner itself: planning, seeds, ip/nft/qemu-img/qemu commands) and per VM,
#   - when each guest answered SSH and when all answered at all their IPs (the guests' boot),
#   - LabRunner's share of the whole,
#   - the processes 'lab up' started (successful execs, by program, counted with perf) for the first and for an idle 'lab up', and 'lab down',
#   - issue 9: a waiting 'lab up --json' right after: each guest's reachable/ready times from its "guests" array, and
#     LabRunner's own waiting overhead — how long after the guest's cloud-init finished (its /run/cloud-init/result.json,
#     guest clock mapped to the host's over an SSH round trip) LabRunner knew the guest ready (its "ready_at").
#
# Usage: sudo bash bench/qemu-up.sh [BOX.qcow2]
#   BOX   default: $LABRUNNER_TEST_BOX, else what boxes/build/debian-12.sh builds or finds in its cache
# Environment: LAB (a 'lab' executable; default: dotnet on the Release build's lab.dll, built if missing),
#   BENCH_BOOT_TIMEOUT (s, default 900)
#
# Network safety: every bridge, tap, nft rule, address and route is made inside lrbh-PID (the lab host) and
# lrbu-PID (its "internet", which routes nowhere); QEMU runs inside lrbh-PID. All removed on exit, failure included.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

log() { printf '[bench %5ss] %s\n' "$((SECONDS - t0))" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
t0=$SECONDS
[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces): sudo bash $0"
for t in ip nft qemu-system-x86_64 qemu-img ssh python3 perf; do
  command -v "$t" >/dev/null || die "missing $t (apt-get install -y iproute2 nftables qemu-system-x86 qemu-utils openssh-client python3 linux-perf)"
done

box=${1:-${LABRUNNER_TEST_BOX:-}}
[[ -n $box ]] || box=$(boxes/build/debian-12.sh | tail -n 1)/debian-12.qcow2
[[ -f $box ]] || die "no box at $box"
box=$(readlink -f "$box")

# shellcheck source=lib/lab-host.sh
source bench/lib/lab-host.sh
lab_command "$repo"

host=lrbh-$$ up=lrbu-$$
work=$(mktemp -d /tmp/lrbench.XXXXXX)
project=$work/project
mkdir -p "$project" "$work/state"
export LABRUNNER_QEMU_STATE=$work/state NO_COLOR=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

hx() { ip netns exec "$host" "$@"; }
lab() { (cd "$project" && hx "${lab_cmd[@]}" "$@" --provider qemu); }

cleanup() {
  local rc=$?
  set +e
  if ((${#netns_made[@]})); then
    log "cleanup: lab down, then anything left in $host by pid, then the namespaces"
    lab down >/dev/null 2>&1
    netns_cleanup
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- topology: the lab host and its upstream -----------------------------------------------------
netns_add "$host" "$up"
lab_uplink "$host" "$up"

cat >"$project/Labfile.yml" <<EOF
name: bench
boxes:
  debian-12: $box
defaults:
  box: debian-12
  cpus: 1
  memory: 640MB
  generation: 2
networks:
  - name: front
    type: nat
    subnet: 10.188.7.0/24
    dns: [198.51.100.1]
  - name: back
    type: private
    subnet: 192.168.61.0/24
  - name: store
    type: isolated
    subnet: 172.31.201.0/24
vms:
  - name: web-{n}
    count: 2
    networks:
      - front
      - network: back
        ip: 192.168.61.21
      - network: store
        ip: 172.31.201.21
    forwarded_ports:
      - { guest: 80, host: 8080 }
  - name: db
    networks:
      - network: back
        ip: 192.168.61.10
      - network: store
        ip: 172.31.201.10
EOF

# What to wait for, from the plan: per VM, its SSH address and every planned IP (network type first).
lab plan --json >"$work/plan.json"
mapfile -t targets < <(python3 - "$work/plan.json" <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
types = {n["name"]: n["type"] for n in plan["networks"]}
for vm in plan["vms"]:
    ips = [(types[a["network"]], a["ip"].split("/")[0]) for a in vm["adapters"] if a["ip"]]
    ssh = next(ip for t, ip in ips if t in ("nat", "private"))
    print(vm["name"], ssh, " ".join(f"{t}:{ip}" for t, ip in ips))
EOF
)

# perf counts what each lab command starts: every successful exec in its process tree (sched_process_exec),
# and returns when lab returns (strace -f would wait for the daemonized QEMU processes it follows).
# Writes NAME.out (lab's output), NAME.time (wall seconds), NAME.rc, NAME.execs (one program per line).
run_lab() {
  local name=$1; shift
  perf record -q -e sched:sched_process_exec -o "$work/$name.perf" -- bash -c \
    'cd "$1" && shift && TIMEFORMAT=%R && { time "$@" >"$0.out" 2>&1; } 2>"$0.time"; echo $? >"$0.rc"' \
    "$work/$name" "$project" ip netns exec "$host" "${lab_cmd[@]}" "$@" --provider qemu >/dev/null 2>&1
  # The first three execs are the harness's own: bash, ip netns exec, dotnet (or lab).
  perf script -i "$work/$name.perf" -F trace 2>/dev/null | sed -E 's/.*filename=([^ ]*).*/\1/' | tail -n +4 >"$work/$name.execs"
  [[ $(cat "$work/$name.rc") == 0 ]] || { cat "$work/$name.out" >&2; die "lab $* failed"; }
}
started() {
  xargs -r -n1 basename <"$work/$1.execs" | sort | uniq -c | sort -rn |
    awk '{printf "%s %s, ", $1, $2; n += $1} END {printf "(total %d)\n", n}'
}

log "lab up --no-wait (3 VMs, TCG) in $host"
ssh_key=$project/.lab/id_ecdsa
ssh_opts=(-i "$ssh_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=5)
t_up0=$(date +%s.%N)
run_lab up up --no-wait
up_wall=$(cat "$work/up.time")
log "lab up --no-wait returned after $up_wall s"

# Issue 9: 'lab up' that waits (nothing to do on the host; it waits for SSH and cloud-init of each guest).
log "lab up --json (waits for the guests)"
(cd "$project" && ip netns exec "$host" "${lab_cmd[@]}" up --json --provider qemu >"$work/wait.json" 2>"$work/wait.err") ||
  { cat "$work/wait.err" >&2; die "the waiting lab up failed"; }
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d.get("guests") and all(g["state"] == "ready" for g in d["guests"]) else 1)' "$work/wait.json" ||
  { cat "$work/wait.json" "$work/wait.err" >&2; die "the waiting lab up did not report every guest ready"; }

# LabRunner's waiting overhead per guest: when it knew the guest ready (ready_at) minus the guest's cloud-init finish (mapped to host time).
overhead=""
for line in "${targets[@]}"; do
  read -r name ssh_ip _ <<<"$line"
  done_at=$(hx ssh "${ssh_opts[@]}" "lab@$ssh_ip" 'date -r /run/cloud-init/result.json +%s.%N')
  # The guest's clock against the host's over one established (multiplexed) connection: 5 samples, the shortest round trip.
  cm=(-o ControlMaster=auto -o "ControlPath=$work/cm-$name" -o ControlPersist=30)
  hx ssh "${ssh_opts[@]}" "${cm[@]}" "lab@$ssh_ip" true
  samples=""
  for _ in 1 2 3 4 5; do
    sent=$(date +%s.%N); guest=$(hx ssh "${ssh_opts[@]}" "${cm[@]}" "lab@$ssh_ip" 'date +%s.%N'); received=$(date +%s.%N)
    samples+="$sent $guest $received "
  done
  hx ssh -o "ControlPath=$work/cm-$name" -O exit "lab@$ssh_ip" 2>/dev/null || true
  # shellcheck disable=SC2086 # numbers, split on purpose
  overhead+="$name $(python3 -c '
import json, sys
from datetime import datetime
doc = json.load(open(sys.argv[1]))
ready_at = next(g["ready_at"] for g in doc["guests"] if g["vm"] == sys.argv[2])
ready = datetime.fromisoformat(ready_at.replace("Z", "+00:00")).timestamp()
done = float(sys.argv[3])
v = list(map(float, sys.argv[4:]))
sent, guest, received = min((v[i:i + 3] for i in range(0, len(v), 3)), key=lambda s: s[2] - s[0])
offset = guest - (sent + received) / 2
print(f"{ready - (done - offset):.2f} s (± {(received - sent) / 2:.2f}); ", end="")
' "$work/wait.json" "$name" "$done_at" $samples)"
done
readiness=$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
parts = []
for g in sorted(doc["guests"], key=lambda g: g["vm"]):
    vm, reachable, ready = g["vm"], g["reachable_after_s"], g["ready_after_s"]
    parts.append(f"{vm} SSH {reachable:.1f} s, ready {ready:.1f} s")
print("; ".join(parts))
' "$work/wait.json")


since() { python3 -c "import time; print(f'{time.time() - $t_up0:.1f}')"; }
timeout=${BENCH_BOOT_TIMEOUT:-900}
declare -A ssh_at
for line in "${targets[@]}"; do
  read -r name ssh_ip _ <<<"$line"
  (
    until hx ssh "${ssh_opts[@]}" "lab@$ssh_ip" true 2>/dev/null; do
      (($(printf '%.0f' "$(since)") < timeout)) || exit 1
      sleep 2
    done
    since >"$work/ssh.$name"
  ) &
done
wait || die "a guest did not answer SSH within $timeout s"
for line in "${targets[@]}"; do read -r name _ <<<"$line"; ssh_at[$name]=$(cat "$work/ssh.$name"); done

# Every guest at every planned IP: from the host on NAT and private networks (TCP 22), from web-1 on the isolated one.
web1_ip=$(awk '$1 == "web-1" {print $2}' <<<"$(printf '%s\n' "${targets[@]}")")
for line in "${targets[@]}"; do
  read -r name _ ips <<<"$line"
  for pair in $ips; do
    type=${pair%%:*} ip=${pair#*:}
    if [[ $type == isolated ]]; then
      until hx ssh "${ssh_opts[@]}" "lab@$web1_ip" "ping -c1 -W2 $ip" >/dev/null 2>&1; do sleep 1; done
    else
      until hx python3 -c "import socket,sys; socket.create_connection((sys.argv[1], 22), timeout=3).close()" "$ip" 2>/dev/null; do sleep 1; done
    fi
  done
done
all_at=$(since)
log "every guest answers at every planned IP after $all_at s"

run_lab idle up
idle_wall=$(cat "$work/idle.time")
grep -q "Nothing to do" "$work/idle.out" || { cat "$work/idle.out" >&2; die "the second lab up had something to do"; }

run_lab down down
down_wall=$(cat "$work/down.time")

per_vm=$(python3 -c "print(f'{$up_wall / 3:.2f}')")
share=$(python3 -c "print(f'{100 * $up_wall / $all_at:.0f}')")
cat <<EOF

== lab up of 3 VMs on QEMU/TCG ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)), lab = ${lab_cmd[*]##*/}
lab up --no-wait (LabRunner's own time)   : $up_wall s  ($per_vm s per VM)
SSH answered (since lab up started)       : $(for n in "${!ssh_at[@]}"; do printf '%s %s s  ' "$n" "${ssh_at[$n]}"; done)
every guest at every IP                   : $all_at s
LabRunner's share of up-to-reachable      : $share %
idle lab up (Nothing to do)               : $idle_wall s
lab down                                  : $down_wall s
processes started by lab up               : $(started up)
processes started by the idle lab up      : $(started idle)
processes started by lab down             : $(started down)
waiting lab up, per guest since its wait  : $readiness
ready_at after the guest's cloud-init     : $overhead
EOF
