#!/usr/bin/env bash
# Issue 16: LabRunner and Vagrant + vagrant-libvirt side by side, in one run, on the same disk and the same virtual
# hardware (TCG, q35, UEFI, qemu64 CPU, 1 vCPU, 768 MB, virtio disk and NICs, no display), with the floor beside them.
#
#   floor        the box with no seed at all, booted by QEMU with LabRunner's settings and a user-mode NIC, until its
#                sshd answers (an SSH banner through a forwarded port): (a) the same box LabRunner boots (its
#                cloud-init still runs, finds no seed, falls back to DHCP and makes host keys), and (b) the same disk
#                with cloud-init disabled (the Vagrant box: boxes/build/debian-12-vagrant.sh).
#   one VM       'lab up' of a 1-VM lab (a NAT network) until the guest is ready, and 'vagrant up' of the same VM.
#   three VMs    the issue's lab: 'lb' on NAT + private with ports 8080 and 8443, 'web-1' and 'db' on private +
#                isolated. For each tool: 'up' from nothing until every guest is ready, an idle 'up', 'status',
#                'ssh web-1 -- hostname' three times (the first, then warm), 'halt', and 'down'/'destroy'.
#   floor3       (not run unless asked) the floor with three guests started together, the 3-VM lab's count: the
#                time until the last one's sshd answers, for the same box and for the disk with cloud-init disabled.
#   settings     (issue 16.5; not run unless asked) boots of the floor's disk with cloud-init disabled under QEMU
#                settings for TCG:
#                as LabRunner runs it, '-cpu max', a 2 GiB and a 256 MiB translation cache, single-threaded TCG, no
#                virtio RNG, NICs without their iPXE option ROM; the time until sshd answers, per setting.
#
# Usage: sudo bash bench/side-by-side.sh
# Environment:
#   LAB        a 'lab' executable (default: the native AOT lab published from this clone into a temporary folder)
#   BOX        the box's qcow2 (default: boxes/build/debian-12.sh's cached one)
#   LOAD       number of busy-loop processes kept running for the whole run (default 0), the same load for both tools;
#              each in a session of its own, like each VM's QEMU (see the autogroup note below)
#   PARTS      which parts to run, of: floor floor3 one three settings (default: floor one three)
#   ROUNDS     how many times the floors, the 1-VM labs and each setting are booted, in turn (default 3)
#   OUT        where the logs and the table go (default: a temporary folder, printed)
# Needs: vagrant, vagrant-libvirt, libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-clients, dnsmasq-base,
#   iptables (libvirt 9 writes its NAT rules with it), ovmf, qemu-system-x86; see README "Performance".
#
# Network safety: every bridge, tap, firewall rule, address and route is made inside namespaces this script creates:
# lrsh-PID (LabRunner's lab host), lrsu-PID (its "internet", routing nowhere), lrsv-PID (Vagrant's host: libvirtd
# runs there, in a mount namespace of its own whose /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/log/libvirt and
# /var/cache/libvirt are folders of this run) and lrsf-PID (the floor). All removed on exit, failure included;
# processes ended by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
log() { printf '[sbs %5ss] %s\n' "$((SECONDS - t0))" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
t0=$SECONDS
[[ $(id -u) -eq 0 ]] || die "run as root (network namespaces, libvirtd): sudo bash $0"
parts=${PARTS:-floor one three}
for t in vagrant libvirtd virsh dnsmasq iptables qemu-system-x86_64 qemu-img python3 unshare; do
  command -v "$t" >/dev/null || die "missing '$t': apt-get install -y --no-install-recommends vagrant vagrant-libvirt libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients dnsmasq-base iptables ovmf qemu-system-x86"
done
vagrant plugin list 2>/dev/null | grep -q vagrant-libvirt || die "the vagrant-libvirt plugin is missing: apt-get install -y vagrant-libvirt"
# libvirt's QEMU driver resolves its default user before reading qemu.conf (which sets root here).
id libvirt-qemu >/dev/null 2>&1 || die "no 'libvirt-qemu' user (libvirt-daemon-system makes it): adduser --system --group --no-create-home libvirt-qemu"

box=${BOX:-$(boxes/build/debian-12.sh | tail -n1)/debian-12.qcow2}
[[ -f $box ]] || die "no box at $box"
box=$(readlink -f "$box")
vagrant_box=$(boxes/build/debian-12-vagrant.sh | tail -n1)
out=${OUT:-$(mktemp -d /tmp/lrsbs-out.XXXXXX)}
mkdir -p "$out"
work=$(mktemp -d /tmp/lrsbs.XXXXXX)
if [[ -n ${LAB:-} ]]; then lab_bin=$LAB; else
  log "publishing the native AOT lab"
  dotnet publish src/LabRunner.Cli -c Release -r linux-x64 -o "$work/lab" -v q >/dev/null
  lab_bin=$work/lab/lab
fi
# shellcheck source=lib/lab-host.sh
source bench/lib/lab-host.sh
host=lrsh-$$ up=lrsu-$$ vhost=lrsv-$$ fhost=lrsf-$$
pids=() libvirtd_pid=
export NO_COLOR=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 LABRUNNER_QEMU_STATE=$work/qemu-state VAGRANT_CHECKPOINT_DISABLE=1
mkdir -p "$LABRUNNER_QEMU_STATE"

load() { cut -d' ' -f1-3 /proc/loadavg; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
# result KEY SECONDS: one figure, kept for the table
result() { echo "$1 $2" >>"$out/results.txt"; log "$1: $2 s (load $(load))"; }
timed() {   # timed KEY LOGFILE COMMAND...: runs the command, its output to LOGFILE, and records how long it took
  local key=$1 logf=$2 s rc=0; shift 2
  s=$(now)
  "$@" >>"$logf" 2>&1 || rc=$?
  result "$key" "$(since "$s")"
  ((rc == 0)) || { tail -n 30 "$logf" >&2; die "$key failed (exit $rc), log $logf"; }
}

cleanup() {
  local rc=$? p
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  if [[ -d $work/lab3 || -d $work/lab1 ]]; then
    for d in "$work"/lab1 "$work"/lab3; do
      [[ -f $d/Labfile.yml ]] && (cd "$d" && ip netns exec "$host" "$lab_bin" down --provider qemu >/dev/null 2>&1)
    done
  fi
  [[ -z $libvirtd_pid ]] || vsh bash -c 'for d in $(virsh list --name); do virsh destroy "$d"; done' >/dev/null 2>&1
  [[ -z $libvirtd_pid ]] || kill "$libvirtd_pid" 2>/dev/null
  netns_cleanup
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

netns_add "$host" "$up" "$vhost" "$fhost"
lab_uplink "$host" "$up"

# Each busy loop is a session of its own, as each VM's QEMU is (LabRunner's and libvirt's both start QEMU in a new
# session): with the kernel's autogroup scheduling a session is one group sharing the CPUs, so loops in the script's own
# session would weigh as one program, and on the floor's QEMU more than on the labs'.
for ((i = 0; i < ${LOAD:-0}; i++)); do
  setsid bash -c 'while :; do :; done' &
  pids+=($!)
done
{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(nproc) cores, $(uname -r); load before: $(load); background busy loops: ${LOAD:-0}"
  echo "lab: $("$lab_bin" --version 2>/dev/null | head -n1) ($lab_bin)"
  echo "vagrant: $(vagrant --version), $(vagrant plugin list 2>/dev/null | grep vagrant-libvirt)"
  echo "qemu: $(qemu-system-x86_64 --version | head -n1); libvirt: $(libvirtd --version)"
  echo "box: $box; vagrant box: $vagrant_box"
} | tee "$out/setup.txt" >&2

# --- the floor ----------------------------------------------------------------------------------------------------
# floor_boot KEY DISK PORT [ACCEL [RNG [EXTRA...]]]: starts DISK (a qcow2 overlay on it) with LabRunner's TCG settings,
# its sshd forwarded to 127.0.0.1:PORT in the floor's namespace; the QEMU's pid in 'q'. ACCEL replaces '-accel tcg',
# RNG 'none' drops the virtio RNG, EXTRA is added (the settings part).
floor_boot() {
  local key=$1 disk=$2 port=$3 accel=${4:-tcg} rng=${5:-virtio-rng-pci} d=$work/floor-$1
  local extra=("${@:6}")
  [[ $rng == none ]] && rng=() || rng=(-device "$rng")
  rm -rf "$d"
  mkdir -p "$d"
  cp /usr/share/OVMF/OVMF_VARS_4M.fd "$d/vars.fd"
  qemu-img create -q -f qcow2 -F qcow2 -b "$disk" "$d/disk.qcow2"
  : >"$d/console.log"
  ip netns exec "$fhost" setsid qemu-system-x86_64 -nodefaults -no-user-config -machine q35 -accel "$accel" -smp 1 -m 768M \
    -drive if=pflash,unit=0,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
    -drive "if=pflash,unit=1,format=raw,file=$d/vars.fd" \
    -drive "if=none,id=disk0,format=qcow2,file=$d/disk.qcow2" -device virtio-blk-pci,drive=disk0,bootindex=0 \
    "${rng[@]}" -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0 \
    -chardev "file,id=console,path=$d/console.log" -serial chardev:console -display none "${extra[@]}" &
  q=$!
  pids+=("$q")
}
# floor_wait KEY PORT PID START: until the guest's sshd sends its banner (slirp accepts a connection before the guest
# listens: only an SSH banner counts), then the console log is kept
floor_wait() {
  local key=$1 port=$2 pid=$3 s=$4
  until [[ $(ip netns exec "$fhost" timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 7 <&3" 2>/dev/null) == SSH-2.0 ]]; do
    kill -0 "$pid" 2>/dev/null || die "floor $key: QEMU ended"
    (($(printf '%.0f' "$(since "$s")") < 900)) || die "floor $key: no SSH banner in 900 s"
    sleep 0.25
  done
  cp "$work/floor-$key/console.log" "$out/floor-$key-console.log"
}
# floor KEY DISK [ACCEL [RNG [EXTRA...]]]: one guest with no seed, until its sshd answers
floor() {
  local key=$1 disk=$2 s
  s=$(now)
  floor_boot "$key" "$disk" 2222 "${@:3}"
  floor_wait "$key" 2222 "$q" "$s"
  result "floor-$key" "$(since "$s")"
  kill "$q"; wait "$q" 2>/dev/null || true
}
# floor3 KEY DISK: three guests with no seed started together (as the 3-VM lab's are), each its own QEMU and session,
# until the last one's sshd answers. With cloud-init disabled, what no tool booting three guests of this disk goes below.
floor3() {
  local key=$1 disk=$2 s i qs=()
  s=$(now)
  for i in 1 2 3; do floor_boot "$key-$i" "$disk" $((2222 + i)); qs+=("$q"); done
  for i in 1 2 3; do floor_wait "$key-$i" $((2222 + i)) "${qs[i - 1]}" "$s"; log "floor3 $key: guest $i answered after $(since "$s") s"; done
  result "floor3-$key" "$(since "$s")"
  kill "${qs[@]}"; wait "${qs[@]}" 2>/dev/null || true
}
# Each floor and the 1-VM labs are booted ROUNDS times, in turn: a boot's time varies (the same box's cloud-init
# makes an RSA host key, whose prime search under TCG takes from a few to tens of seconds), so the table gives medians.
rounds=${ROUNDS:-3}
if [[ " $parts " == *" floor "* ]]; then
  for ((r = 1; r <= rounds; r++)); do
    floor same-box "$box"
    floor no-cloud-init "$vagrant_box/box.img"
  done
fi
if [[ " $parts " == *" floor3 "* ]]; then
  floor3 same-box "$box"
  floor3 no-cloud-init "$vagrant_box/box.img"
fi
# Issue 16.5: QEMU settings for TCG guests, each measured by boots of the disk with cloud-init disabled (the same
# kernel, systemd and services; no RSA key made at boot, so a boot's time is steady), ROUNDS rounds with the settings
# in turn so that a change of the machine's load falls on all of them alike.
if [[ " $parts " == *" settings "* ]]; then
  for ((r = 1; r <= rounds; r++)); do
    floor settings-as-is "$vagrant_box/box.img"
    floor settings-cpu-max "$vagrant_box/box.img" tcg virtio-rng-pci -cpu max
    floor settings-tb-size-2048 "$vagrant_box/box.img" tcg,tb-size=2048
    floor settings-tb-size-256 "$vagrant_box/box.img" tcg,tb-size=256
    floor settings-thread-single "$vagrant_box/box.img" tcg,thread=single
    floor settings-no-rng "$vagrant_box/box.img" tcg none
    floor settings-nic-no-option-rom "$vagrant_box/box.img" tcg virtio-rng-pci -global virtio-net-pci.romfile=
  done
fi

# --- LabRunner ----------------------------------------------------------------------------------------------------
lab_labfile() {   # lab_labfile N: the 1-VM or the 3-VM lab
  labfile_head "sbs$1" "$box" 900
  if [[ $1 == 1 ]]; then
    printf 'vms:\n  - name: web-1\n    networks: [front]\n'
    return
  fi
  cat <<'EOF'
  - name: back
    type: private
    subnet: 10.188.10.0/24
  - name: store
    type: isolated
    subnet: 10.188.11.0/24
vms:
  - name: lb
    networks: [front, back]
    forwarded_ports:
      - { guest: 80, host: 8080 }
      - { guest: 443, host: 8443 }
  - name: web-1
    networks: [back, store]
  - name: db
    networks: [back, store]
EOF
}
run_lab() {   # run_lab N
  local n=$1 d=$work/lab$1 logf=$out/lab-$1vm.log
  mkdir -p "$d"
  lab_labfile "$n" >"$d/Labfile.yml"
  lab() { (cd "$d" && ip netns exec "$host" "$lab_bin" "$1" --provider qemu "${@:2}"); }   # before a '--
  timed "lab-$n-up" "$logf" lab up
  lab status --json >"$out/lab-$n-status.json"
  if ((n == 3)); then
    timed "lab-$n-idle-up" "$logf" lab up
    timed "lab-$n-status" "$logf" lab status
    timed "lab-$n-ssh-first" "$logf" lab ssh web-1 -- hostname
    timed "lab-$n-ssh-warm" "$logf" lab ssh web-1 -- hostname
    timed "lab-$n-ssh-warm" "$logf" lab ssh web-1 -- hostname
    timed "lab-$n-halt" "$logf" lab halt
  fi
  timed "lab-$n-down" "$logf" lab down
  rm -f "$d/Labfile.yml"
}

# --- Vagrant + vagrant-libvirt --------------------------------------------------------------------------------------
# vsh CMD...: runs CMD in Vagrant's host namespace, in the mount namespace where libvirtd's folders are this run's.
# Entering a mount namespace moves to its root folder, hence 'env -C' back to the caller's.
vsh() { nsenter --net="/run/netns/$vhost" --mount="/proc/$libvirtd_pid/ns/mnt" -- env -C "$PWD" VAGRANT_HOME="$work/vagrant-home" "$@"; }
start_libvirtd() {
  local lv=$work/libvirt d
  for d in etc run lib log cache; do mkdir -p "$lv/$d"; done
  cp -r /etc/libvirt/. "$lv/etc/"
  # QEMU as root with no security driver (a throwaway daemon of this run), and its output to files (no virtlogd).
  printf 'user = "root"\ngroup = "root"\ndynamic_ownership = 0\nsecurity_driver = "none"\nstdio_handler = "file"\n' >"$lv/etc/qemu.conf"
  mkdir -p /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt
  ip netns exec "$vhost" unshare -m --propagation private bash -c '
    lv=$1
    mount --bind "$lv/etc" /etc/libvirt && mount --bind "$lv/run" /run/libvirt && mount --bind "$lv/lib" /var/lib/libvirt &&
      mount --bind "$lv/log" /var/log/libvirt && mount --bind "$lv/cache" /var/cache/libvirt || exit 1
    exec libvirtd' _ "$lv" >"$out/libvirtd.out" 2>&1 &
  libvirtd_pid=$!
  pids+=("$libvirtd_pid")
  for _ in $(seq 1 100); do
    [[ -S $lv/run/libvirt-sock ]] && break
    kill -0 "$libvirtd_pid" 2>/dev/null || die "libvirtd ended: $(tail -n 5 "$out/libvirtd.out")"
    sleep 0.1
  done
  # 'exec libvirtd' keeps the pid; its mount namespace is the one vsh enters.
  vsh virsh -c qemu:///system version >/dev/null || die "libvirtd does not answer"
  vsh vagrant box add --name labrunner/debian-12 "$vagrant_box/debian-12-vagrant.box" >"$out/vagrant-box-add.log" 2>&1
}
vagrantfile() {   # vagrantfile N: the same VMs, networks and hardware as lab_labfile N
  cat <<'EOF'
Vagrant.configure("2") do |config|
  config.vm.box = "labrunner/debian-12"
  config.vm.synced_folder ".", "/vagrant", disabled: true
  config.vm.provider :libvirt do |lv|
    lv.driver = "qemu"
    lv.cpus = 1
    lv.memory = 768
    lv.machine_type = "q35"
    lv.cpu_mode = "custom"
    lv.cpu_model = "qemu64"
    lv.loader = "/usr/share/OVMF/OVMF_CODE_4M.fd"
    lv.graphics_type = "none"
    lv.video_type = "none"
  end
  def vm(config, name)
    config.vm.define name do |node|
      node.vm.hostname = name
      node.vm.provider(:libvirt) { |lv| lv.nvram = "/var/lib/libvirt/qemu/nvram/#{name}_VARS.fd" }
      yield node if block_given?
    end
  end
EOF
  if [[ $1 == 1 ]]; then
    echo '  vm(config, "web-1")'
  else
    cat <<'EOF'
  back = { libvirt__network_name: "back", libvirt__forward_mode: "none", libvirt__dhcp_enabled: false }
  store = { libvirt__network_name: "store", libvirt__forward_mode: "none", libvirt__dhcp_enabled: false }
  vm(config, "lb") do |n|
    n.vm.network "private_network", ip: "10.188.10.10", **back
    n.vm.network "forwarded_port", guest: 80, host: 8080
    n.vm.network "forwarded_port", guest: 443, host: 8443
  end
  vm(config, "web-1") do |n|
    n.vm.network "private_network", ip: "10.188.10.11", **back
    n.vm.network "private_network", ip: "10.188.11.11", **store
  end
  vm(config, "db") do |n|
    n.vm.network "private_network", ip: "10.188.10.12", **back
    n.vm.network "private_network", ip: "10.188.11.12", **store
  end
EOF
  fi
  echo 'end'
}
run_vagrant() {   # run_vagrant N
  local n=$1 d=$work/vagrant$1 logf=$out/vagrant-$1vm.log
  mkdir -p "$d"
  vagrantfile "$n" >"$d/Vagrantfile"
  cp "$d/Vagrantfile" "$out/Vagrantfile.$n"
  vg() { (cd "$d" && vsh vagrant "$@"); }
  timed "vagrant-$n-up" "$logf" vg up --provider libvirt
  if ((n == 3)); then
    timed "vagrant-$n-idle-up" "$logf" vg up --provider libvirt
    timed "vagrant-$n-status" "$logf" vg status
    timed "vagrant-$n-ssh-first" "$logf" vg ssh web-1 -c hostname
    timed "vagrant-$n-ssh-warm" "$logf" vg ssh web-1 -c hostname
    timed "vagrant-$n-ssh-warm" "$logf" vg ssh web-1 -c hostname
    timed "vagrant-$n-halt" "$logf" vg halt
  fi
  timed "vagrant-$n-down" "$logf" vg destroy -f
}

[[ " $parts " != *" one "* && " $parts " != *" three "* ]] || start_libvirtd
if [[ " $parts " == *" one "* ]]; then
  for ((r = 1; r <= rounds; r++)); do run_lab 1; run_vagrant 1; done
fi
if [[ " $parts " == *" three "* ]]; then run_lab 3; run_vagrant 3; fi

# --- the table ----------------------------------------------------------------------------------------------------
python3 - "$out/results.txt" "$(load)" <<'PY' | tee "$out/table.md"
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    k, v = line.split()
    rows.setdefault(k, []).append(float(v))
def fig(k):
    v = rows.get(k)
    return None if not v else (v[0] if len(v) == 1 else statistics.median(v))
def cell(k):
    v = fig(k)
    if v is None: return "–"
    text = f"{v:.2f} s" if v < 10 else f"{v:.1f} s"
    if len(rows[k]) > 2: text += f" ({min(rows[k]):.1f}–{max(rows[k]):.1f})"
    return text
print("| | LabRunner | Vagrant + libvirt | LabRunner's time as a share of Vagrant's |")
print("|---|---:|---:|---:|")
for n, what in [(1, "1 VM: `up` until ready (median of the rounds)"), (3, "3 VMs: `up` until every guest is ready"), (3, "idle `up`"),
                (3, "`status`"), (3, "`ssh web-1 -- hostname`, first"), (3, "`ssh web-1 -- hostname`, warm (median of 2)"),
                (3, "`halt`"), (3, "`down` / `destroy -f`")]:
    op = {"idle `up`": "idle-up", "`status`": "status", "`halt`": "halt", "`down` / `destroy -f`": "down"}.get(what)
    op = op or ("ssh-first" if "first" in what else "ssh-warm" if "warm" in what else "up")
    l, v = fig(f"lab-{n}-{op}"), fig(f"vagrant-{n}-{op}")
    ratio = "–" if l is None or v is None else f"{l / v:.2f}× ({v / l:.1f}× faster)"
    print(f"| {what} | {cell(f'lab-{n}-{op}')} | {cell(f'vagrant-{n}-{op}')} | {ratio} |")
a, b, one = fig("floor-same-box"), fig("floor-no-cloud-init"), fig("lab-1-up")
if a: print(f"\nFloor (no seed, until sshd answers; medians): the same box {cell('floor-same-box')}" + (f"; with cloud-init disabled {cell('floor-no-cloud-init')}" if b else ""))
if one and a: print(f"1-VM `lab up` until ready: {one / a:.2f}× the same box's floor" + (f", {one / b:.2f}× the floor with cloud-init disabled" if b else ""))
a3, b3, vg3, lab3 = fig("floor3-same-box"), fig("floor3-no-cloud-init"), fig("vagrant-3-up"), fig("lab-3-up")
if a3:
    print(f"\nThree guests with no seed at once, until the last sshd answers: the same box {cell('floor3-same-box')}"
          + (f"; with cloud-init disabled {cell('floor3-no-cloud-init')}" if b3 else "")
          + (f". As a share of Vagrant's 3-VM `up`: the same box's floor {a3 / vg3:.2f}×" + (f", cloud-init disabled {b3 / vg3:.2f}×" if b3 else "") if vg3 else ""))
    if lab3: print(f"3-VM `lab up` until ready: {lab3 / a3:.2f}× the three-guest floor of the same box")
settings = [k for k in rows if k.startswith("floor-settings-")]
if settings:
    base = statistics.median(rows["floor-settings-as-is"]) if "floor-settings-as-is" in rows else None
    print("\n| QEMU setting (TCG, 1 vCPU) | boots until sshd answers | median | against LabRunner's |")
    print("|---|---|---:|---:|")
    for k in settings:
        m = statistics.median(rows[k])
        vs = f"{(m / base - 1) * 100:+.1f} %" if base else "–"
        print(f"| {k.removeprefix('floor-settings-')} | {' / '.join(f'{v:.1f}' for v in rows[k])} s | {m:.1f} s | {vs} |")
print(f"load at the end: {sys.argv[2]}")
PY
log "results in $out"
