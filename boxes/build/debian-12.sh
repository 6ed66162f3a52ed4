#!/usr/bin/env bash
# Builds a bootable UEFI Debian 12 (bookworm) box from Debian's packages, offline from any image
# registry: debootstrap from the Debian mirror apt is configured with, cloud-init (NoCloud),
# openssh-server, python3, ifupdown. No loop device and no mount of the image: the GPT disk is a
# plain file (sfdisk), the ESP a FAT file filled with mtools, the root an ext4 file made with
# `mkfs.ext4 -d`; both are written into the disk at their partition offsets.
#
# Output (cached outside the clone, keyed by this script's own SHA-256):
#   $LABRUNNER_BOX_CACHE/debian-12-<12 hex>/{debian-12.qcow2,debian-12.vhdx,box.json}
# The last line printed is that directory. A second run is a cache hit and returns at once.
#
# Usage: sudo boxes/build/debian-12.sh
# Environment:
#   LABRUNNER_BOX_CACHE     cache root (default /var/cache/labrunner/boxes)
#   LABRUNNER_DEBIAN_MIRROR Debian mirror URI (default: the one apt's sources use for bookworm)
#   LABRUNNER_BOX_SIZE_MIB  virtual disk size in MiB (default 4096)
set -euo pipefail

readonly NAME=debian-12
readonly SUITE=bookworm
readonly ESP_LABEL=ESP
readonly ROOT_LABEL=debian-root
readonly SECTOR=512
readonly ESP_START=2048          # sectors (1 MiB)
readonly ESP_SECTORS=260096      # 127 MiB, FAT32
readonly ROOT_START=262144       # sectors (128 MiB)

# Debian packages beyond minbase. Deliberately absent: net-tools, resolvconf, systemd-resolved,
# netplan: the box must show what a seed gives a plain ifupdown guest, with nothing papering over it.
# python3-cffi-backend: python3-cryptography (for cloud-init) needs it through a virtual package,
# which debootstrap does not resolve. dbus: systemd-logind needs it, and logind is what turns
# the ACPI power button (QMP system_powerdown, Hyper-V's Stop-VM) into a clean shutdown.
readonly PACKAGES=(
  systemd-sysv udev kmod dbus linux-image-cloud-amd64 initramfs-tools
  cloud-init python3-cffi-backend cloud-guest-utils openssh-server python3 sudo
  iproute2 ifupdown isc-dhcp-client iputils-ping netbase ca-certificates e2fsprogs
)

log() { printf '[%s] %s\n' "$NAME" "$*" >&2; }
die() { log "error: $*"; exit 1; }

script_path=$(readlink -f "${BASH_SOURCE[0]}")
script_hash=$(sha256sum "$script_path" | cut -c1-12)
cache_root=${LABRUNNER_BOX_CACHE:-/var/cache/labrunner/boxes}
out_dir=$cache_root/$NAME-$script_hash

if [[ -f $out_dir/box.json ]]; then
  log "cached: $out_dir"
  echo "$out_dir"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "run as root (debootstrap needs it): sudo $0"

# tool -> Debian package that provides it
declare -A TOOLS=(
  [debootstrap]=debootstrap [qemu-img]=qemu-utils [mkfs.fat]=dosfstools [mcopy]=mtools
  [mmd]=mtools [sfdisk]=fdisk [grub-mkstandalone]=grub-common [mkfs.ext4]=e2fsprogs
  [sha256sum]=coreutils [flock]=util-linux
)
missing=()
for t in "${!TOOLS[@]}"; do command -v "$t" >/dev/null 2>&1 || missing+=("${TOOLS[$t]}"); done
[[ -d /usr/lib/grub/x86_64-efi ]] || missing+=(grub-efi-amd64-bin)
if ((${#missing[@]})); then
  die "missing tools; install them with: apt-get install -y $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
fi

# First URI of an enabled 'deb' source for SUITE (component main) in apt's configuration:
# one-line *.list files and deb822 *.sources files. Nothing printed, and success, when there is none
# (the caller names what is missing; under pipefail a grep that matched nothing would end the script unsaid).
apt_uri_for_suite() {
  local suite=$1 f
  {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -f $f ]] || continue
      awk -v s="$suite" '
        $1 == "deb" {
          i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
          uri = $i; su = $(i + 1)
          if (su == s) for (j = i + 2; j <= NF; j++) if ($j == "main") { print uri; exit }
        }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -f $f ]] || continue
      awk -v s="$suite" '
        function flush() {
          if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " s " ") &&
              (" " comps " ") ~ / main /) { split(uris, u, " "); print u[1] }
          types = uris = suites = comps = ""; enabled = "yes"
        }
        BEGIN { enabled = "yes" }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        {
          key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
          if (key == "types") types = $0; else if (key == "uris") uris = $0
          else if (key == "suites") suites = $0; else if (key == "components") comps = $0
          else if (key == "enabled") enabled = tolower($0)
        }
        END { flush() }' "$f"
    done
  } | grep -E '^(https?|file):' | head -n1 || true
}

mirror=${LABRUNNER_DEBIAN_MIRROR:-$(apt_uri_for_suite "$SUITE")}
[[ -n $mirror ]] || die "no apt source for '$SUITE main' found; set LABRUNNER_DEBIAN_MIRROR to a Debian mirror URI"
security_mirror=$(apt_uri_for_suite "$SUITE-security")
size_mib=${LABRUNNER_BOX_SIZE_MIB:-4096}
((size_mib >= 1024)) || die "LABRUNNER_BOX_SIZE_MIB must be at least 1024"

mkdir -p "$cache_root"
exec 9>"$cache_root/.$NAME.lock"
flock 9
if [[ -f $out_dir/box.json ]]; then   # built by a concurrent run while we waited
  echo "$out_dir"
  exit 0
fi

started=$SECONDS
work=$(mktemp -d "$cache_root/.build-$NAME-XXXXXX")
cleanup() {
  local rc=$?
  # debootstrap mounts /proc and /sys inside the target while it runs; never leave them behind.
  if [[ -d $work/root ]]; then
    local m
    for m in $(awk -v r="$work/root" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
      umount -l "$m" 2>/dev/null || true
    done
  fi
  rm -rf --one-file-system "$work"
  ((rc == 0)) || log "failed (exit $rc); nothing was cached"
}
trap cleanup EXIT
root=$work/root

log "debootstrap $SUITE from $mirror"
mkdir -p "$cache_root/.debootstrap-debs"
include=$(IFS=,; echo "${PACKAGES[*]}")
debootstrap --arch=amd64 --variant=minbase --components=main --include="$include" \
  --cache-dir="$cache_root/.debootstrap-debs" "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 40 "$root/debootstrap/debootstrap.log" "$work/debootstrap.log" >&2 || true; die "debootstrap failed"; }
log "debootstrap done after $((SECONDS - started)) s"

# --- configure the root -----------------------------------------------------------------------
{
  echo "deb $mirror $SUITE main"
  echo "deb $mirror $SUITE-updates main"
  [[ -z $security_mirror ]] || echo "deb $security_mirror $SUITE-security main"
} >"$root/etc/apt/sources.list"

cat >"$root/etc/fstab" <<EOF
LABEL=$ROOT_LABEL  /          ext4  defaults,errors=remount-ro     0 1
LABEL=$ESP_LABEL          /boot/efi  vfat  umask=0077,nofail,x-systemd.device-timeout=10s  0 0
EOF
mkdir -p "$root/boot/efi"

echo debian >"$root/etc/hostname"
cat >"$root/etc/hosts" <<'EOF'
127.0.0.1 localhost
::1       localhost ip6-localhost ip6-loopback
EOF
# No resolver baked in (debootstrap copies the build host's): the seed's DNS, or nothing.
: >"$root/etc/resolv.conf"

cat >"$root/etc/network/interfaces" <<'EOF'
# ifupdown; cloud-init renders the seed's network-config into interfaces.d/50-cloud-init
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback
EOF
mkdir -p "$root/etc/network/interfaces.d"

echo 'LANG=C.UTF-8' >"$root/etc/default/locale"

cat >"$root/etc/cloud/cloud.cfg.d/90_labrunner.cfg" <<'EOF'
# LabRunner box: NoCloud seed (a CD or disk labelled cidata), else nothing.
datasource_list: [NoCloud, None]
system_info:
  network:
    renderers: [eni]
    activators: [eni]
# C.UTF-8 needs no locale-gen at first boot.
locale: C.UTF-8
# The hostname resolves (sudo asks), as on Debian's cloud images.
manage_etc_hosts: true
# No GRUB package in the box: the ESP carries a standalone GRUB.
grub_dpkg:
  enabled: false
apt:
  preserve_sources_list: true
EOF

# Kernel updates inside the guest: copy the new kernel and initrd to the ESP the standalone GRUB reads.
cat >"$root/usr/local/sbin/labrunner-esp-kernel" <<'EOF'
#!/bin/sh
# Copies the newest kernel and initrd to the ESP (mounted at /boot/efi), where the box's GRUB loads them.
set -e
mountpoint -q /boot/efi || mount /boot/efi || { echo "labrunner-esp-kernel: /boot/efi not mounted" >&2; exit 0; }
v=$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n1)
[ -n "$v" ] && [ -f "/boot/initrd.img-$v" ] || exit 0
cp "/boot/vmlinuz-$v" /boot/efi/vmlinuz.new && mv /boot/efi/vmlinuz.new /boot/efi/vmlinuz
cp "/boot/initrd.img-$v" /boot/efi/initrd.new && mv /boot/efi/initrd.new /boot/efi/initrd.img
EOF
chmod 0755 "$root/usr/local/sbin/labrunner-esp-kernel"
for d in /etc/kernel/postinst.d /etc/initramfs/post-update.d; do
  mkdir -p "$root$d"
  printf '#!/bin/sh\nexec /usr/local/sbin/labrunner-esp-kernel\n' >"$root$d/zz-labrunner-esp"
  chmod 0755 "$root$d/zz-labrunner-esp"
done

# First-boot identity comes from the VM, not from the build: empty machine-id, no SSH host keys
# (cloud-init generates them), no apt lists or caches, no logs.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/var/log/*.log \
  "$root"/var/log/apt/* "$root"/tmp/* "$root"/var/tmp/*
mkdir -p "$root/var/lib/apt/lists/partial"

kernel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n1)
kver=${kernel##*/vmlinuz-}
[[ -f $root/boot/initrd.img-$kver ]] || die "no initrd for kernel $kver"
debian_version=$(cat "$root/etc/debian_version")
cloud_init_version=$(awk '/^Package: cloud-init$/{p=1} p && /^Version:/{print $2; exit}' "$root/var/lib/dpkg/status")

# --- ESP: standalone GRUB + kernel + initrd ---------------------------------------------------
cmdline="root=LABEL=$ROOT_LABEL ro console=tty0 console=ttyS0,115200"
cat >"$work/grub.cfg" <<EOF
insmod part_gpt
insmod fat
insmod search_label
insmod linux
set timeout=1
search --no-floppy --set=root --label $ESP_LABEL
menuentry 'Debian GNU/Linux 12 ($kver)' {
  linux /vmlinuz $cmdline
  initrd /initrd.img
}
EOF
grub-mkstandalone -O x86_64-efi -o "$work/BOOTX64.EFI" --locales= --fonts= --themes= \
  --modules="part_gpt fat search_label linux normal" "boot/grub/grub.cfg=$work/grub.cfg"

export MTOOLS_SKIP_CHECK=1
esp=$work/esp.img
mkfs.fat -C -F 32 -s 1 -S "$SECTOR" -n "$ESP_LABEL" "$esp" $((ESP_SECTORS * SECTOR / 1024)) >/dev/null
mmd -i "$esp" ::/EFI ::/EFI/BOOT
mcopy -i "$esp" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$kernel" ::/vmlinuz
mcopy -i "$esp" "$root/boot/initrd.img-$kver" ::/initrd.img

# --- root filesystem and disk ------------------------------------------------------------------
total_sectors=$((size_mib * 1024 * 1024 / SECTOR))
root_sectors=$((total_sectors - ROOT_START - 2048))   # leave 1 MiB for the backup GPT
rootfs=$work/root.ext4
truncate -s $((root_sectors * SECTOR)) "$rootfs"
mkfs.ext4 -q -L "$ROOT_LABEL" -d "$root" "$rootfs"

disk=$work/disk.raw
truncate -s $((total_sectors * SECTOR)) "$disk"
sfdisk -q "$disk" <<EOF
label: gpt
unit: sectors
start=$ESP_START, size=$ESP_SECTORS, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI System"
start=$ROOT_START, size=$root_sectors, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="$ROOT_LABEL"
EOF
dd if="$esp" of="$disk" bs=1M seek=$((ESP_START * SECTOR / 1048576)) conv=notrunc,sparse status=none
dd if="$rootfs" of="$disk" bs=1M seek=$((ROOT_START * SECTOR / 1048576)) conv=notrunc,sparse status=none
rm -f "$rootfs" "$esp"

stage=$work/out
mkdir -p "$stage"
qemu-img convert -f raw -O qcow2 "$disk" "$stage/$NAME.qcow2"
qemu-img convert -f raw -O vhdx -o subformat=dynamic "$disk" "$stage/$NAME.vhdx"
rm -f "$disk"

file_entry() {
  local f=$1 fmt=$2
  printf '    {"format": "%s", "file": "%s", "size": %s, "sha256": "%s"}' \
    "$fmt" "${f##*/}" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
}
cat >"$stage/box.json" <<EOF
{
  "name": "$NAME",
  "version": "$debian_version-$(date -u +%Y%m%d)",
  "description": "Debian 12 (bookworm) with cloud-init (NoCloud), openssh-server, python3, ifupdown; no net-tools, no resolvconf",
  "firmware": "uefi",
  "secure_boot": false,
  "hyperv": "the VHDX serves a Hyper-V generation 2 VM with secure boot off (its GRUB is not signed)",
  "virtual_size": $((total_sectors * SECTOR)),
  "kernel": "$kver",
  "cloud_init": "$cloud_init_version",
  "root_label": "$ROOT_LABEL",
  "built_by": "boxes/build/debian-12.sh",
  "script_sha256": "$(sha256sum "$script_path" | cut -d' ' -f1)",
  "disks": [
$(file_entry "$stage/$NAME.qcow2" qcow2),
$(file_entry "$stage/$NAME.vhdx" vhdx)
  ]
}
EOF

rm -rf "$out_dir"
mv "$stage" "$out_dir"
log "built in $((SECONDS - started)) s: $(du -h --apparent-size "$out_dir/$NAME.qcow2" | cut -f1) qcow2, kernel $kver, cloud-init $cloud_init_version"
echo "$out_dir"
