#!/usr/bin/env bash
# Derives, from the box boxes/build/debian-12.sh made, the same disk as a Vagrant box (libvirt provider) with
# cloud-init disabled: the guest Vagrant users boot, and the "no seed" floor a LabRunner boot is held against
# (bench/side-by-side.sh). Everything else is the same bytes: kernel, initrd, packages, file system.
#
# Changes, made to the disk image's files without a loop device or a mount (debugfs on the root file system,
# mtools on the ESP, each taken out at its partition's offset and written back):
#   - /etc/cloud/cloud-init.disabled: cloud-init does not run at all (no seed is looked for);
#   - SSH host keys made here (ed25519, ecdsa, rsa), since no cloud-init makes them at first boot;
#   - 'net.ifnames=0' on the kernel command line and 'allow-hotplug eth0 / dhcp' (as Vagrant's own boxes: the
#     first NIC leases an address from Vagrant's management network, or from QEMU's user network);
#   - a 'vagrant' user (uid 1000, no password) with Vagrant's published insecure public key, read from the
#     installed vagrant package (Vagrant replaces it with a key of its own at the first 'vagrant up'), and
#     password-less sudo, as Vagrant's box format asks.
#
# Output (cached beside the base box, keyed by both scripts' SHA-256):
#   $LABRUNNER_BOX_CACHE/debian-12-vagrant-<12 hex>/{box.img,metadata.json,Vagrantfile,debian-12-vagrant.box}
# The last line printed is that directory.
#
# Usage: sudo boxes/build/debian-12-vagrant.sh
# Environment: LABRUNNER_BOX_CACHE as debian-12.sh; LABRUNNER_BASE_BOX_DIR a base box folder to start from instead of
#   debian-12.sh's (the output goes beside it); VAGRANT_INSECURE_KEY another public key to authorize (tests).
# Needs: the tools of debian-12.sh, and the vagrant package (apt-get install vagrant) for its insecure key.
set -euo pipefail

readonly NAME=debian-12-vagrant
readonly SECTOR=512
readonly ESP_START=2048 ESP_SECTORS=260096 ROOT_START=262144   # as debian-12.sh lays the disk out
readonly VAGRANT_UID=1000

log() { printf '[%s] %s\n' "$NAME" "$*" >&2; }
die() { log "error: $*"; exit 1; }

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
[[ $(id -u) -eq 0 ]] || die "run as root (the base box build needs it): sudo $0"
for t in debugfs mcopy qemu-img grub-mkstandalone ssh-keygen tar sfdisk; do
  command -v "$t" >/dev/null 2>&1 || die "missing tool '$t' (see boxes/README.md for the packages)"
done
insecure_key=${VAGRANT_INSECURE_KEY:-$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub 2>/dev/null | sort -V | tail -n1 || true)}
[[ -n $insecure_key && -f $insecure_key ]] || die "Vagrant's insecure public key was not found: apt-get install vagrant"

base_dir=${LABRUNNER_BASE_BOX_DIR:-$("$here/debian-12.sh" | tail -n1)}
base=$base_dir/debian-12.qcow2
[[ -f $base ]] || die "the base box build printed '$base_dir' but it has no debian-12.qcow2"
cache_root=$(dirname "$base_dir")
key=$(cat "${BASH_SOURCE[0]}" "$here/debian-12.sh" "$insecure_key" | sha256sum | cut -c1-12)
out_dir=$cache_root/$NAME-$key
if [[ -f $out_dir/$NAME.box ]]; then
  log "cached: $out_dir"
  echo "$out_dir"
  exit 0
fi

work=$(mktemp -d "$cache_root/.build-$NAME-XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$SECONDS
disk=$work/disk.raw
qemu-img convert -f qcow2 -O raw "$base" "$disk"
virtual_size=$(stat -c %s "$disk")
# The partitions as the disk's own table gives them, checked against the layout assumed above.
table=$(sfdisk -d "$disk")
grep -q "start= *$ESP_START, size= *$ESP_SECTORS," <<<"$table" || die "unexpected ESP in $base"
root_sectors=$(awk -v s="$ROOT_START" '$0 ~ "start= *" s "," { sub(/.*size= */, ""); sub(/,.*/, ""); print }' <<<"$table")
[[ -n $root_sectors ]] || die "no root partition at sector $ROOT_START in $base"
extract() { dd if="$disk" of="$2" bs=1M skip=$(($1 * SECTOR / 1048576)) count=$(($3 * SECTOR / 1048576)) status=none; }
put_back() { dd if="$2" of="$disk" bs=1M seek=$(($1 * SECTOR / 1048576)) conv=notrunc,sparse status=none; }

# --- ESP: the same standalone GRUB with net.ifnames=0 -----------------------------------------------------------
esp=$work/esp.img
extract "$ESP_START" "$esp" "$ESP_SECTORS"
export MTOOLS_SKIP_CHECK=1
cat >"$work/grub.cfg" <<'EOF'
insmod part_gpt
insmod fat
insmod search_label
insmod linux
set timeout=1
search --no-floppy --set=root --label ESP
menuentry 'Debian GNU/Linux 12 (Vagrant)' {
  linux /vmlinuz root=LABEL=debian-root ro console=tty0 console=ttyS0,115200 net.ifnames=0
  initrd /initrd.img
}
EOF
grub-mkstandalone -O x86_64-efi -o "$work/BOOTX64.EFI" --locales= --fonts= --themes= \
  --modules="part_gpt fat search_label linux normal" "boot/grub/grub.cfg=$work/grub.cfg"
mcopy -o -i "$esp" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
put_back "$ESP_START" "$esp"

# --- root file system ---------------------------------------------------------------------------------------------
root=$work/root.ext4
extract "$ROOT_START" "$root" "$root_sectors"
files=$work/files
mkdir -p "$files"
dump() { debugfs -R "dump $1 $files/${1//\//_}" "$root" 2>/dev/null; [[ -s $files/${1//\//_} ]] || die "no $1 in the box"; }
for f in /etc/passwd /etc/shadow /etc/group /etc/gshadow; do dump "$f"; done
grep -q '^vagrant:' "$files/_etc_passwd" && die "the base box already has a 'vagrant' user"
grep -q ":$VAGRANT_UID:" "$files/_etc_passwd" && die "uid $VAGRANT_UID is taken in the base box"
echo "vagrant:x:$VAGRANT_UID:$VAGRANT_UID:Vagrant:/home/vagrant:/bin/bash" >>"$files/_etc_passwd"
echo "vagrant:*:20000:0:99999:7:::" >>"$files/_etc_shadow"
echo "vagrant:x:$VAGRANT_UID:" >>"$files/_etc_group"
echo "vagrant:!::" >>"$files/_etc_gshadow"
printf 'vagrant ALL=(ALL) NOPASSWD:ALL\n' >"$files/sudoers"
printf 'allow-hotplug eth0\niface eth0 inet dhcp\n' >"$files/eth0"
cp "$insecure_key" "$files/authorized_keys"
for type in ed25519 ecdsa rsa; do ssh-keygen -q -t "$type" -N '' -C "root@$NAME" -f "$files/ssh_host_${type}_key"; done

# debugfs commands: replace a file (rm, write), then its mode and owner as inode fields.
{
  put() {   # put HOST_FILE GUEST_PATH MODE UID GID
    echo "rm $2"
    echo "write $1 $2"
    printf 'sif %s mode 0%o\n' "$2" $((8#100000 | 8#$3))
    echo "sif $2 uid $4"
    echo "sif $2 gid $5"
  }
  put "$files/_etc_passwd" /etc/passwd 644 0 0
  put "$files/_etc_shadow" /etc/shadow 640 0 42
  put "$files/_etc_group" /etc/group 644 0 0
  put "$files/_etc_gshadow" /etc/gshadow 640 0 42
  put "$files/sudoers" /etc/sudoers.d/vagrant 440 0 0
  put "$files/eth0" /etc/network/interfaces.d/eth0 644 0 0
  : >"$files/empty"
  put "$files/empty" /etc/cloud/cloud-init.disabled 644 0 0
  for type in ed25519 ecdsa rsa; do
    put "$files/ssh_host_${type}_key" "/etc/ssh/ssh_host_${type}_key" 600 0 0
    put "$files/ssh_host_${type}_key.pub" "/etc/ssh/ssh_host_${type}_key.pub" 644 0 0
  done
  for d in /home/vagrant /home/vagrant/.ssh; do
    echo "mkdir $d"
    echo "sif $d uid $VAGRANT_UID"
    echo "sif $d gid $VAGRANT_UID"
  done
  echo "sif /home/vagrant/.ssh mode 040700"
  put "$files/authorized_keys" /home/vagrant/.ssh/authorized_keys 600 "$VAGRANT_UID" "$VAGRANT_UID"
} >"$work/debugfs.cmd"
debugfs -w -f "$work/debugfs.cmd" "$root" >"$work/debugfs.log" 2>&1
# debugfs goes on after a failed command; a 'rm' of a file not there yet is the only failure allowed.
if grep -v 'File not found by ext2_lookup' "$work/debugfs.log" | grep -iE 'error|not found|invalid|cannot' >&2; then
  die "debugfs failed (above)"
fi
e2fsck -fn "$root" >"$work/fsck.log" 2>&1 || { cat "$work/fsck.log" >&2; die "the edited root file system does not check clean"; }
[[ $(debugfs -R "stat /home/vagrant/.ssh/authorized_keys" "$root" 2>/dev/null | grep -c "User: *$VAGRANT_UID") == 1 ]] \
  || die "authorized_keys is not the vagrant user's"
put_back "$ROOT_START" "$root"
rm -f "$root" "$esp"

# --- the Vagrant box -----------------------------------------------------------------------------------------------
stage=$work/out
mkdir -p "$stage"
qemu-img convert -f raw -O qcow2 "$disk" "$stage/box.img"
rm -f "$disk"
cat >"$stage/metadata.json" <<EOF
{"provider": "libvirt", "format": "qcow2", "virtual_size": $((virtual_size / 1073741824))}
EOF
cat >"$stage/Vagrantfile" <<'EOF'
# Built by LabRunner's boxes/build/debian-12-vagrant.sh: a UEFI disk (standalone GRUB on the ESP, no BIOS boot).
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |libvirt|
    libvirt.driver = "kvm"
    libvirt.machine_type = "q35"
    libvirt.loader = "/usr/share/OVMF/OVMF_CODE_4M.fd"
  end
end
EOF
tar -C "$stage" -cf "$stage/$NAME.box" metadata.json Vagrantfile box.img
rm -rf "$out_dir"
mv "$stage" "$out_dir"
log "built in $((SECONDS - started)) s from $base"
echo "$out_dir"
