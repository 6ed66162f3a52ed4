#!/usr/bin/env bash
# Boots a box for real (QEMU, TCG, UEFI) in a network namespace of its own and reads, over SSH, what
# the guest made of a NoCloud seed in the form LabRunner's templates produce: hostname, addresses,
# default route, resolver, cloud-init's status. Then powers it off through ACPI (QMP).
#
# Usage: sudo boxes/build/smoke-boot.sh [--gateway4] [BOX.qcow2]
#   BOX.qcow2   default: the box boxes/build/debian-12.sh builds (or finds in its cache)
#   --gateway4  network-config with "gateway4:" in place of the "routes: [{to: 0.0.0.0/0, via: …}]" entry
# Environment: SMOKE_SSH_TIMEOUT (s, default 300), SMOKE_MEMORY_MIB (default 1024)
#
# Network safety: the bridge, the tap and every address live only inside the namespace this script
# creates (lrsmoke-PID); QEMU runs inside it; packets go only to 10.199.0.0/24 inside it. Everything is
# removed on exit, failure included.
set -euo pipefail

variant=routes
box=
for a in "$@"; do
  case $a in
    --gateway4) variant=gateway4 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "unknown option: $a" >&2; exit 2 ;;
    *) box=$a ;;
  esac
done

readonly HOST_IP=10.199.0.1 GUEST_IP=10.199.0.10 MAC=02:4c:52:c7:00:10
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
ip -n "$ns" addr add "$HOST_IP/24" dev br0
ip -n "$ns" link set br0 up
ip -n "$ns" tuntap add dev tap0 mode tap
ip -n "$ns" link set tap0 master br0
ip -n "$ns" link set tap0 up

# --- the seed: a NoCloud CD labelled cidata, as LabRunner's templates write it --------------------
ssh-keygen -q -t ed25519 -N '' -C lrsmoke -f "$work/id"
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
  - name: lab
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
      - "$GUEST_IP/24"
$route
    nameservers:
      addresses:
        - "$HOST_IP"
EOF
genisoimage -quiet -output "$work/seed.iso" -volid cidata -joliet -rock \
  "$work/seed/user-data" "$work/seed/meta-data" "$work/seed/network-config"
log "network-config ($variant):"
sed 's/^/    /' "$work/seed/network-config" >&2

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
guest() { nsx ssh "${ssh_opts[@]}" "lab@$GUEST_IP" "$@"; }

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
run cat /etc/network/interfaces.d/50-cloud-init
log "cloud-init done after $t_ci s"

# --- what the guest showed vs the seed ----------------------------------------------------------
default_route=$(guest_retry ip -4 route show default 2>/dev/null || true)
resolv=$(guest_retry cat /etc/resolv.conf 2>/dev/null || true)
if [[ $default_route == *"via $HOST_IP"* ]]; then route_ok=yes; else route_ok=NO; fi
if grep -q "^nameserver $HOST_IP" <<<"$resolv"; then dns_ok=yes; else dns_ok=NO; fi

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
  "default_route_via_gateway=$route_ok planned_dns_in_resolv_conf=$dns_ok"
