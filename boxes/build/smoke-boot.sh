#!/usr/bin/env bash
# Boots a box for real (QEMU, TCG, UEFI) in a network namespace of its own and reads, over SSH, what
# the guest made of a NoCloud seed: hostname, addresses, default route, resolver, cloud-init's status.
# The seed is either a hand-made one (the templates' network-config form, without their DNS bootcmd,
# so its resolv.conf stays empty), or one LabRunner wrote itself (--seed, from "lab seed VM --out DIR"). Then powers the guest off through ACPI (QMP).
#
# Usage: sudo boxes/build/smoke-boot.sh [--gateway4] [OPTIONS] [BOX.qcow2]
#   BOX.qcow2        default: the box boxes/build/debian-12.sh builds (or finds in its cache)
#   --gateway4       hand-made seed: "routes: [{to: 0.0.0.0/0, via: GW}]" → "gateway4: GW"
#   --seed ISO       boot this cidata seed ISO instead of the hand-made one (needs --ssh-key)
#   --mac MAC        the guest NIC's MAC, which the seed matches       [02:4c:52:c7:00:10]
#   --ip IP/PREFIX   the guest's address (the seed's)                  [10.199.0.10/24]
#   --gateway GW     the bridge's address in the namespace: GW/PREFIX  [10.199.0.1]
#   --ssh-key FILE   private key to log in with (e.g. a project's .lab/id_ecdsa)  [a fresh one]
#   --user USER      user to log in as                                  [lab]
#   --hostname NAME  the hostname the guest must end up with (checked in the SUMMARY)
#   --dns A,B        the nameservers resolv.conf must list, in order   [GW]
# Exits 1 when the guest's address, default route, resolvers or (with --hostname) hostname differ.
# Environment: SMOKE_SSH_TIMEOUT (s, default 300), SMOKE_MEMORY_MIB (default 1024)
#
# Network safety: the bridge, the tap and every address live only inside the namespace this script
# creates (lrsmoke-PID); QEMU runs inside it; packets go only to the guest's subnet inside it. Everything
# is removed on exit, failure included.
set -euo pipefail

variant=routes
box= seed_iso= key= user=lab want_hostname= want_dns=
MAC=02:4c:52:c7:00:10 GUEST_CIDR=10.199.0.10/24 HOST_IP=10.199.0.1
usage() { sed -n '2,23p' "$0"; }
need() { [[ $# -ge 2 && -n $2 ]] || { echo "$1 needs a value" >&2; exit 2; }; }
while (($#)); do
  case $1 in
    --gateway4) variant=gateway4 ;;
    --seed) need "$@"; seed_iso=$2; shift ;;
    --mac) need "$@"; MAC=$2; shift ;;
    --ip) need "$@"; GUEST_CIDR=$2; shift ;;
    --gateway) need "$@"; HOST_IP=$2; shift ;;
    --ssh-key) need "$@"; key=$2; shift ;;
    --user) need "$@"; user=$2; shift ;;
    --hostname) need "$@"; want_hostname=$2; shift ;;
    --dns) need "$@"; want_dns=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "unknown option: $1" >&2; exit 2 ;;
    *) box=$1 ;;
  esac
  shift
done

# Every value reaches ip(8), QEMU's comma-separated -device syntax or ssh: accept only plain forms.
octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
ipv4="$octet\.$octet\.$octet\.$octet"
bad() { echo "$1" >&2; exit 2; }
[[ $MAC =~ ^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$ ]] || bad "--mac: not a MAC: $MAC"
MAC=$(tr 'A-F-' 'a-f:' <<<"$MAC")
[[ $GUEST_CIDR =~ ^$ipv4/([0-9]|[12][0-9]|30)$ ]] || bad "--ip: not IPv4/PREFIX (prefix ≤ 30): $GUEST_CIDR"
[[ $HOST_IP =~ ^$ipv4$ ]] || bad "--gateway: not an IPv4 address: $HOST_IP"
[[ $user =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || bad "--user: not a user name: $user"
[[ -z $want_hostname || $want_hostname =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$ ]] || bad "--hostname: not a host name"
want_dns=${want_dns:-$HOST_IP}
IFS=, read -r -a want_dns_list <<<"$want_dns"
for d in "${want_dns_list[@]}"; do [[ $d =~ ^$ipv4$ ]] || bad "--dns: not an IPv4 address: $d"; done
GUEST_IP=${GUEST_CIDR%/*} PREFIX=${GUEST_CIDR#*/}
[[ $GUEST_IP != "$HOST_IP" ]] || bad "--ip and --gateway are the same address"
if [[ -n $seed_iso ]]; then
  [[ -f $seed_iso ]] || bad "--seed: no file $seed_iso"
  [[ -n $key ]] || bad "--seed needs --ssh-key: the key whose public half the seed carries"
  [[ $variant == routes ]] || bad "--gateway4 shapes the hand-made seed only"
  seed_iso=$(readlink -f "$seed_iso")
fi
[[ -z $key || -f $key ]] || bad "--ssh-key: no file $key"
readonly MAC GUEST_CIDR GUEST_IP PREFIX HOST_IP

readonly OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
ssh_timeout=${SMOKE_SSH_TIMEOUT:-300}

log() { printf '[smoke %4ss] %s\n' "$((SECONDS - t0))" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
t0=$SECONDS

[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces need CAP_NET_ADMIN)"
declare -A TOOLS=([qemu-system-x86_64]=qemu-system-x86 [qemu-img]=qemu-utils [ip]=iproute2
  [ssh]=openssh-client [ssh-keygen]=openssh-client [genisoimage]=genisoimage [python3]=python3)
missing=()
for t in "${!TOOLS[@]}"; do command -v "$t" >/dev/null 2>&1 || missing+=("${TOOLS[$t]}"); done
[[ -f $OVMF_CODE && -f $OVMF_VARS ]] || missing+=(ovmf)
((${#missing[@]} == 0)) || die "missing tools; apt-get install -y $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"

if [[ -z $box ]]; then
  box=$("$(dirname "$(readlink -f "$0")")/debian-12.sh" | tail -n1)/debian-12.qcow2
fi
[[ -f $box ]] || die "no box at $box"
box=$(readlink -f "$box")

ns=lrsmoke-$$
work=$(mktemp -d /tmp/lrsmoke.XXXXXX)
ns_made=
qemu_pid=

cleanup() {
  local rc=$?
  set +e
  if [[ -z $qemu_pid && -s $work/qemu.pid ]]; then qemu_pid=$(cat "$work/qemu.pid"); fi
  # Our QEMU only: the pid from our pidfile whose command line names our work directory.
  if [[ -n $qemu_pid ]] && grep -qa -- "$work" "/proc/$qemu_pid/cmdline" 2>/dev/null; then
    log "killing QEMU $qemu_pid"
    kill "$qemu_pid"
    for _ in $(seq 50); do [[ -d /proc/$qemu_pid ]] || break; sleep 0.2; done
    [[ ! -d /proc/$qemu_pid ]] || kill -9 "$qemu_pid"
  fi
  [[ -z $ns_made ]] || ip netns delete "$ns"
  rm -rf "$work"
  if ip netns list | grep -qw -- "$ns"; then log "LEFT BEHIND: namespace $ns"; rc=1; fi
  if [[ -n $qemu_pid && -d /proc/$qemu_pid ]]; then log "LEFT BEHIND: QEMU $qemu_pid"; rc=1; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the namespace: bridge with the gateway address, one tap -------------------------------------
ip netns add "$ns"
ns_made=1
nsx() { ip netns exec "$ns" "$@"; }
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge
ip -n "$ns" addr add "$HOST_IP/$PREFIX" dev br0
ip -n "$ns" link set br0 up
ip -n "$ns" tuntap add dev tap0 mode tap
ip -n "$ns" link set tap0 master br0
ip -n "$ns" link set tap0 up

# --- the seed: LabRunner's own (--seed), or a NoCloud CD labelled cidata as its templates write it --
# Copied into the work directory: a path with a comma would break QEMU's -drive syntax.
if [[ -n $key ]]; then
  install -m 600 "$key" "$work/id"
  ssh-keygen -y -f "$work/id" >"$work/id.pub" || die "--ssh-key: cannot read $key (a passphrase?)"
else
  ssh-keygen -q -t ed25519 -N '' -C lrsmoke -f "$work/id"
fi
if [[ -n $seed_iso ]]; then
  variant=seed
  cp "$seed_iso" "$work/seed.iso"
  log "seed: $seed_iso (as given)"
else
  mkdir "$work/seed"
  cat >"$work/seed/meta-data" <<EOF
instance-id: lrsmoke-$$
local-hostname: smoke
EOF
  cat >"$work/seed/user-data" <<EOF
#cloud-config
hostname: smoke
preserve_hostname: false
manage_etc_hosts: true
users:
  - name: $user
    shell: /bin/bash
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    lock_passwd: true
    ssh_authorized_keys:
      - "$(cat "$work/id.pub")"
ssh_pwauth: false
EOF
  if [[ $variant == gateway4 ]]; then
    route="    gateway4: \"$HOST_IP\""
  else
    route="    routes:
      - to: \"0.0.0.0/0\"
        via: \"$HOST_IP\""
  fi
  cat >"$work/seed/network-config" <<EOF
version: 2
ethernets:
  eth0:
    match:
      macaddress: "$MAC"
    set-name: "eth0"
    dhcp4: false
    addresses:
      - "$GUEST_CIDR"
$route
    nameservers:
      addresses:
        - "$HOST_IP"
EOF
  genisoimage -quiet -output "$work/seed.iso" -volid cidata -joliet -rock \
    "$work/seed/user-data" "$work/seed/meta-data" "$work/seed/network-config"
  log "network-config ($variant):"
  sed 's/^/    /' "$work/seed/network-config" >&2
fi

# --- the VM -------------------------------------------------------------------------------------
qemu-img create -q -f qcow2 -b "$box" -F qcow2 "$work/disk.qcow2"
cp "$OVMF_VARS" "$work/OVMF_VARS.fd"
log "starting QEMU (TCG) in namespace $ns on $(basename "$box")"
t_start=$SECONDS
nsx qemu-system-x86_64 -name lrsmoke,process=lrsmoke -nodefaults -accel tcg -machine q35 \
  -m "${SMOKE_MEMORY_MIB:-1024}" -smp 1 \
  -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
  -drive "if=pflash,format=raw,unit=1,file=$work/OVMF_VARS.fd" \
  -drive "if=none,id=disk0,format=qcow2,file=$work/disk.qcow2" -device virtio-blk-pci,drive=disk0 \
  -device virtio-scsi-pci,id=scsi0 \
  -drive "if=none,id=seed,format=raw,media=cdrom,readonly=on,file=$work/seed.iso" \
  -device scsi-cd,drive=seed,bus=scsi0.0 \
  -netdev tap,id=net0,ifname=tap0,script=no,downscript=no -device "virtio-net-pci,netdev=net0,mac=$MAC" \
  -serial "file:$work/console.log" -display none -vga none \
  -qmp "unix:$work/qmp.sock,server=on,wait=off" -daemonize -pidfile "$work/qemu.pid"
qemu_pid=$(cat "$work/qemu.pid")
log "QEMU pid $qemu_pid"

ssh_opts=(-i "$work/id" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o LogLevel=ERROR -o ConnectTimeout=5)
guest() { nsx ssh "${ssh_opts[@]}" "$user@$GUEST_IP" "$@"; }

show_console() { log "console (last 40 lines):"; tail -n 40 "$work/console.log" | sed 's/^/    /' >&2 || true; }

until guest true 2>/dev/null; do
  [[ -d /proc/$qemu_pid ]] || { show_console; die "QEMU exited before SSH answered"; }
  if ((SECONDS - t_start > ssh_timeout)); then show_console; die "no SSH at $GUEST_IP after $ssh_timeout s"; fi
  sleep 3
done
t_ssh=$((SECONDS - t_start))
log "SSH answered after $t_ssh s"

# sshd restarts while cloud-init configures it (ssh_pwauth, host keys): retry while ssh itself
# fails (exit 255), up to a minute.
guest_retry() {
  local rc t=$SECONDS
  while :; do
    rc=0
    guest "$@" || rc=$?
    ((rc == 255 && SECONDS - t < 60)) || return "$rc"
    sleep 2
  done
}
run() {
  printf '$ %s\n' "$*"
  guest_retry "$@" 2>&1 || printf '(exit %s)\n' "$?"
  echo
}
# cloud-init first, so that what follows is the guest's settled state.
run cloud-init status --wait --long
t_ci=$((SECONDS - t_start))
run hostname
run ip -4 addr
run ip -4 route show default
run cat /etc/resolv.conf
run 'command -v route || echo no-net-tools'
run 'dpkg -l resolvconf 2>/dev/null | tail -n 1 || echo no-resolvconf'
run cat /etc/network/interfaces.d/50-cloud-init
# What cloud-init logged about bootcmd (LabRunner's DNS fallback runs there) and anything it called
# an error or warning; the fallback's own complaints go to cloud-init-output.log.
run "sudo grep -nE 'cc_bootcmd|bootcmd|WARNING|ERROR|Traceback' /var/log/cloud-init.log || echo no-bootcmd-lines"
run "sudo grep -n 'labrunner-dns' /var/log/cloud-init-output.log || echo no-labrunner-dns-output"
log "cloud-init done after $t_ci s"

# --- what the guest showed vs the seed ----------------------------------------------------------
default_route=$(guest_retry ip -4 route show default 2>/dev/null || true)
resolv=$(guest_retry cat /etc/resolv.conf 2>/dev/null || true)
if [[ $default_route == *"via $HOST_IP"* ]]; then route_ok=yes; else route_ok=NO; fi
got_dns=$(awk '$1 == "nameserver" { print $2 }' <<<"$resolv" | paste -sd, -)
if [[ $got_dns == "$want_dns" ]]; then dns_ok=yes; else dns_ok=NO; fi
got_hostname=$(guest_retry hostname 2>/dev/null || true)
if [[ -z $want_hostname ]]; then hostname_ok=unchecked
elif [[ $got_hostname == "$want_hostname" ]]; then hostname_ok=yes; else hostname_ok=NO; fi
got_addr=$(guest_retry ip -4 -o addr show 2>/dev/null || true)
if grep -q "inet $GUEST_CIDR " <<<"$got_addr"; then addr_ok=yes; else addr_ok=NO; fi

# --- ACPI power-off through QMP ----------------------------------------------------------------
log "system_powerdown over QMP"
python3 - "$work/qmp.sock" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rw")
json.loads(f.readline())                       # greeting
for cmd in ("qmp_capabilities", "system_powerdown"):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            break
    if "error" in r:
        sys.exit("QMP %s: %s" % (cmd, r["error"]))
EOF
t_off=$SECONDS
while [[ -d /proc/$qemu_pid ]] && ((SECONDS - t_off < 90)); do sleep 1; done
[[ ! -d /proc/$qemu_pid ]] || die "guest still running 90 s after system_powerdown"
log "guest powered off $((SECONDS - t_off)) s after system_powerdown"
qemu_pid=

echo "SUMMARY variant=$variant ssh_after=${t_ssh}s cloud_init_done_after=${t_ci}s" \
  "address=$addr_ok default_route_via_gateway=$route_ok planned_dns_in_resolv_conf=$dns_ok" \
  "(want $want_dns, got ${got_dns:-none}) hostname=$hostname_ok"
[[ "$addr_ok $route_ok $dns_ok $hostname_ok" != *NO* ]] || exit 1
