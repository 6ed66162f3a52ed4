# Sourced by the bench scripts that run labs under QEMU (qemu-up.sh, time-to-ready.sh, side-by-side.sh): the lab
# host's network namespace and its "internet", the 'lab' to run, and the cleanup of what the script made.
#
# Network safety: namespaces are made only by netns_add and recorded in netns_made; netns_cleanup ends their
# processes by pid (TERM, then KILL) and deletes exactly those namespaces. Nothing is made in the machine's own.

netns_made=()

# netns_add NS...: new namespaces with their loopback up
netns_add() {
  local ns
  for ns; do
    ip netns add "$ns"
    netns_made+=("$ns")
    ip -n "$ns" link set lo up
  done
}

# lab_uplink HOST UP: a veth from HOST (198.51.100.2, its default route) to UP (198.51.100.1, which routes nowhere)
lab_uplink() {
  local host=$1 up=$2
  ip -n "$host" link add uplink0 type veth peer name wan0 netns "$up"
  ip -n "$host" addr add 198.51.100.2/24 dev uplink0
  ip -n "$host" link set uplink0 up
  ip -n "$up" addr add 198.51.100.1/24 dev wan0
  ip -n "$up" link set wan0 up
  ip -n "$host" route add default via 198.51.100.1 dev uplink0
}

# netns_cleanup: every process left in the namespaces this script made, by pid, then the namespaces
netns_cleanup() {
  local ns pids
  ((${#netns_made[@]})) || return 0
  for ns in "${netns_made[@]}"; do
    pids=$(ip netns pids "$ns" 2>/dev/null); [[ -z $pids ]] || kill $pids 2>/dev/null
  done
  sleep 1
  for ns in "${netns_made[@]}"; do
    pids=$(ip netns pids "$ns" 2>/dev/null); [[ -z $pids ]] || kill -9 $pids 2>/dev/null
    ip netns delete "$ns"
  done
  netns_made=()
}

# lab_command REPO: sets lab_cmd to $LAB, else dotnet on the Release build's lab.dll (built if missing)
lab_command() {
  if [[ -n ${LAB:-} ]]; then
    lab_cmd=("$LAB")
    return
  fi
  local dll=$1/src/LabRunner.Cli/bin/Release/net10.0/lab.dll
  [[ -f $dll ]] || dotnet build "$1/src/LabRunner.Cli" -c Release -v q >/dev/null
  lab_cmd=("$(command -v dotnet)" "$dll")
}

# labfile_head NAME BOX BOOT_TIMEOUT: a Labfile's start — the box, 1 vCPU and 768 MB per VM (UEFI), and a NAT network
# 'front' whose DNS is the "internet" namespace's address; the caller adds more networks and the 'vms:'.
labfile_head() {
  cat <<LABFILE
name: $1
boxes:
  debian-12: $2
defaults:
  box: debian-12
  cpus: 1
  memory: 768MB
  generation: 2
  boot_timeout: $3
networks:
  - name: front
    type: nat
    subnet: 10.188.9.0/24
    dns: [198.51.100.1]
LABFILE
}
