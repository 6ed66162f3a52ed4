#!/usr/bin/env bash
# Issue 16 (the db firmware hang): does a guest under TCG hang in OVMF after a warm reboot, and does a QEMU setting
# change that? Boots the box with LabRunner's QEMU settings (as bench/time-to-ready.sh's floor: no seed, no NIC, so
# nothing leaves the process), and N times: waits until systemd runs in the guest, presses Ctrl+Alt+Del through QMP
# (systemd reboots the guest the way 'systemctl reboot' does: the kernel's "reboot: machine restart", then a warm
# reset), and times how long the firmware takes to print its first line (BdsDxe) after the restart line. A restart
# with no firmware line within HANG_S seconds is a hang: it is recorded and the VM gets one QMP system_reset (what
# LabRunner's readiness rule does), to see whether that recovers it.
# Usage: sudo bash bench/reboot-loop.sh BOX.qcow2 [N]   Environment: QEMU_EXTRA (extra QEMU arguments to compare),
#   HANG_S (default 180), OUT (default: a temporary folder).
set -euo pipefail
box=$(readlink -f "${1:?BOX.qcow2}")
n=${2:-10}
hang_s=${HANG_S:-180}
work=$(mktemp -d /tmp/lrreboot.XXXXXX)
out=${OUT:-$work}
qemu_pid=
cleanup() { [[ -z $qemu_pid ]] || kill "$qemu_pid" 2>/dev/null; wait 2>/dev/null; [[ $out == "$work" ]] || rm -rf "$work"; }
trap cleanup EXIT
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$work/vars.fd"
qemu-img create -q -f qcow2 -F qcow2 -b "$box" "$work/disk.qcow2"
: >"$work/console.log"
# shellcheck disable=SC2086 # QEMU_EXTRA is split on purpose
qemu-system-x86_64 -nodefaults -no-user-config -machine q35 -accel tcg -smp 1 -m 768M \
  -drive if=pflash,unit=0,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
  -drive "if=pflash,unit=1,format=raw,file=$work/vars.fd" \
  -drive "if=none,id=disk0,format=qcow2,file=$work/disk.qcow2" -device virtio-blk-pci,drive=disk0,bootindex=0 \
  -device virtio-rng-pci -chardev "file,id=console,path=$work/console.log" -serial chardev:console -display none \
  -qmp "unix:$work/qmp.sock,server=on,wait=off" ${QEMU_EXTRA:-} &
qemu_pid=$!
python3 - "$work/console.log" "$work/qmp.sock" "$n" "$hang_s" "$qemu_pid" <<'EOF' | tee "$out/reboot-loop.txt"
import json, os, socket, sys, time
log, sock, n, hang_s, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
def qmp(cmd, args=None):
    s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile("rw")
    f.readline(); f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n"); f.flush(); f.readline()
    f.write(json.dumps({"execute": cmd, **({"arguments": args} if args else {})}) + "\n"); f.flush()
    while "return" not in (r := json.loads(f.readline())) and "error" not in r: pass
    s.close(); return r
def size(): return os.path.getsize(log)
def wait_for(marks, since, limit):
    start = time.time()
    while time.time() - start < limit:
        os.kill(pid, 0)
        with open(log, "rb") as f:
            f.seek(since); text = f.read().decode("latin-1")
        for m in marks:
            i = text.find(m)
            if i >= 0: return since + i + len(m), time.time() - start
        time.sleep(0.5)
    return None, time.time() - start
while not os.path.exists(sock): time.sleep(0.1)
pos, t = wait_for(["Reached target", "Started "], 0, 900)
print(f"first boot: systemd after {t:.0f} s; load {open('/proc/loadavg').read().split()[:3]}", flush=True)
hangs = 0
for i in range(1, n + 1):
    time.sleep(5)
    qmp("send-key", {"keys": [{"type": "qcode", "data": "ctrl"}, {"type": "qcode", "data": "alt"}, {"type": "qcode", "data": "delete"}]})
    pos2, t_restart = wait_for(["reboot: machine restart"], pos, 600)
    if pos2 is None: print(f"#{i}: no restart line in 600 s"); break
    pos3, t_fw = wait_for(["BdsDxe"], pos2, hang_s)
    if pos3 is None:
        hangs += 1
        print(f"#{i}: HANG: no firmware line {hang_s:.0f} s after the restart line; QMP system_reset", flush=True)
        qmp("system_reset"); pos3, t_fw2 = wait_for(["BdsDxe"], size(), hang_s)
        print(f"#{i}: after system_reset: {'firmware line after %.1f s' % t_fw2 if pos3 else 'still silent'}", flush=True)
        if pos3 is None: break
    else:
        print(f"#{i}: restart {t_restart:.0f} s after Ctrl+Alt+Del, firmware line {t_fw:.1f} s after it", flush=True)
    pos, t = wait_for(["Reached target", "Started "], pos3, 900)
    if pos is None: print(f"#{i}: systemd did not come back"); break
print(f"== {i} reboots, {hangs} hangs; QEMU_EXTRA='{os.environ.get('QEMU_EXTRA', '')}'; load {open('/proc/loadavg').read().split()[:3]}")
EOF
