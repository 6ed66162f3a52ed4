#!/usr/bin/env bash
# The README's main job: a real two-VM lab from nothing, on this Linux machine, touching nothing of it.
#
#   sudo bash examples/try-lab.sh          # build (or reuse) the Debian 12 box, then 'lab up' the web-db lab
#   sudo bash examples/try-lab.sh --down   # remove the lab, its processes and its network namespaces
#
# What it does:
#   1. installs the Debian packages it needs when missing (QEMU, OVMF, iproute2, nftables, ssh; debootstrap and friends
#      for the box), builds 'lab' from this clone, and builds the Debian 12 test box once per machine
#      (boxes/build/debian-12.sh, cached in /var/cache/labrunner/boxes);
#   2. creates two network namespaces of its own: lrtry-host, where LabRunner runs and makes its bridges, taps and
#      nftables rules, and lrtry-up, a stand-in for the internet the lab's NAT network routes to (a veth pair in
#      TEST-NET-2, 198.51.100.0/24, with no route anywhere else). Nothing is made in the machine's own namespace;
#   3. writes a project with 'lab init web-db --box debian-12' (two VMs, 'web' and 'db', on a NAT and a private
#      network, with a forwarded port and a provisioner) and a Labfile.local.yml that makes the VMs small
#      (1 CPU, 640 MB: they boot under TCG where there is no KVM), then runs 'lab up --provider qemu' inside
#      lrtry-host, and prints how to log in.
# Everything else stays in $LABRUNNER_TRY_DIR (default /var/tmp/labrunner-try-lab): the project, the QEMU provider's
# state, LabRunner's lab registry and box store.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
readonly NS=lrtry-host UP=lrtry-up
readonly HOST_IP=198.51.100.2 UP_IP=198.51.100.1
work=${LABRUNNER_TRY_DIR:-/var/tmp/labrunner-try-lab}
project=$work/try-lab   # the lab is named after its folder: try-lab
start=$SECONDS

say() { printf 'try-lab: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
[[ $(uname -s) == Linux ]] || die "this runs on Linux (on Windows, see the README's Hyper-V path)"
[[ $(id -u) -eq 0 ]] || die "network namespaces need root: sudo bash $0 $*"

# 'lab' inside the lab's namespace, with this try's own state: what the user runs too (printed at the end).
lab_wrapper=$work/lab
write_wrapper() {
  mkdir -p "$work"
  cat >"$lab_wrapper" <<EOF
#!/bin/sh
# 'lab' of examples/try-lab.sh: run inside the network namespace $NS with the try's own state.
exec ip netns exec $NS env LABRUNNER_QEMU_STATE='$work/qemu-state' LABRUNNER_HOME='$work/home' XDG_STATE_HOME='$work/state' \\
  LABRUNNER_PROVIDER=qemu dotnet '$repo/src/LabRunner.Cli/bin/Release/net10.0/lab.dll' "\$@"
EOF
  chmod 755 "$lab_wrapper"
}

# Every process still in namespace NS, by pid (each one checked to be in NS when it is signalled).
kill_inside() {
  local ns=$1 signal pid
  [[ -e /run/netns/$ns ]] || return 0
  for signal in TERM KILL; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -s "$signal" "$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break; sleep 0.2; done
  done
}

down() {
  if [[ -e /run/netns/$NS && -f $project/Labfile.yml && -x $lab_wrapper ]]; then
    say "removing the lab (lab down)"
    (cd "$project" && "$lab_wrapper" down) || say "lab down failed; the namespaces' removal below ends what is left"
  fi
  for ns in $NS $UP; do
    if [[ -e /run/netns/$ns ]]; then
      kill_inside "$ns"
      ip netns delete "$ns"
      say "removed network namespace $ns"
    fi
  done
  rm -rf "$project" "$work/qemu-state" "$work/state" "$work/home" "$lab_wrapper"
  rmdir "$work" 2>/dev/null || true
  say "done; the Debian box stays cached for the next try (boxes/build/debian-12.sh)"
}

if [[ ${1:-} == --down ]]; then
  down
  exit 0
fi
[[ $# -eq 0 ]] || die "usage: $0 [--down]"

# 1. Tools, lab, box.
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v qemu-img >/dev/null || need+=(qemu-utils)
[[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ]] || need+=(ovmf)
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)
command -v ssh >/dev/null || need+=(openssh-client)
command -v debootstrap >/dev/null || need+=(debootstrap)
[[ -d /usr/lib/grub/x86_64-efi ]] || need+=(grub-efi-amd64-bin)
command -v grub-mkstandalone >/dev/null || need+=(grub-common)
command -v mcopy >/dev/null || need+=(mtools)
command -v mkfs.fat >/dev/null || need+=(dosfstools)
command -v sfdisk >/dev/null || need+=(fdisk)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if ((${#need[@]} > 0)); then
  say "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v dotnet >/dev/null || die "the .NET 10 SDK is needed to build lab from this clone (https://dot.net)"
say "building lab"
dotnet build src/LabRunner.Cli -c Release -v quiet -nologo >/dev/null
say "the Debian 12 box (built once per machine; the first build takes several minutes)"
box=$(boxes/build/debian-12.sh | tail -n 1)/debian-12.qcow2
[[ -f $box ]] || die "no box at $box"

# 2. The namespaces (a try left running is removed first).
if [[ -e /run/netns/$NS || -e /run/netns/$UP ]]; then
  say "an earlier try is still there; removing it first"
  write_wrapper
  down
fi
ip netns add "$NS"
ip netns add "$UP"
ip -n "$NS" link set lo up
ip -n "$UP" link set lo up
# Both ends are made inside the namespaces: the veth never exists in the machine's own.
ip -n "$NS" link add uplink0 type veth peer name wan0 netns "$UP"
ip -n "$NS" addr add "$HOST_IP/24" dev uplink0
ip -n "$UP" addr add "$UP_IP/24" dev wan0
ip -n "$NS" link set uplink0 up
ip -n "$UP" link set wan0 up
ip -n "$NS" route add default via "$UP_IP" dev uplink0
say "network namespaces $NS (the lab host) and $UP (its internet) are ready"

# 3. The project and the lab.
write_wrapper
mkdir -p "$project/boxes"
ln -sf "$box" "$project/boxes/debian-12.qcow2"
(cd "$project" && "$lab_wrapper" init web-db --box debian-12 >/dev/null)
cat >"$project/Labfile.local.yml" <<'EOF'
# Small VMs for a try under TCG; merged over Labfile.yml (see the README's "Per-person settings").
defaults:
  cpus: 1
  memory: 640MB
  boot_timeout: 900
vms:
  - name: db
    memory: 640MB
EOF
say "lab up (two real Debian guests; under TCG, without KVM, their boot takes a few minutes)"
(cd "$project" && "$lab_wrapper" up)
(cd "$project" && "$lab_wrapper" status)
cat <<EOF

The lab is up after $((SECONDS - start)) s, inside the network namespace $NS. Its project is $project.
  cd $project
  sudo $lab_wrapper ssh web                   # log in to 'web' (and 'lab ssh db')
  sudo $lab_wrapper ssh web -- ping -c1 db       # web's provisioner named db in /etc/hosts
  sudo $lab_wrapper port                      # the forwarded port: host 8080 -> web:80
  sudo $lab_wrapper global-status             # the labs of this try
Remove everything (the lab, its processes and both namespaces):
  sudo bash $repo/examples/try-lab.sh --down
EOF
