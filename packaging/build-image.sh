#!/usr/bin/env bash
# Builds the bench stick: build/bench-stick.img, a hybrid (BIOS + UEFI) disk image
# with a read-only squashfs root (Debian live-boot) and a persistent BENCH-DATA
# partition. See docs/stick.md for the layout. Runs as root on Debian 12.
#
#   packaging/build-image.sh              # or: make image
#
# Environment:
#   BENCH_IMAGE_OUT     the image file            (default build/bench-stick.img)
#   BENCH_IMAGE_CACHE   downloaded .debs, wheels  (default build/cache)
#   BENCH_IMAGE_MIRROR  Debian mirror             (default http://deb.debian.org/debian)
#   BENCH_IMAGE_DATA_MB size of BENCH-DATA in MiB (default 256)
#   BENCH_IMAGE_COMP    squashfs compressor       (default zstd; xz: smaller, much slower)
#   BENCH_IMAGE_PYTHON  python with pip to build the wheels (default .venv/bin/python)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
packaging="$repo/packaging"
out=$(realpath -m "${BENCH_IMAGE_OUT:-$repo/build/bench-stick.img}")
cache=$(realpath -m "${BENCH_IMAGE_CACHE:-$repo/build/cache}")
mirror=${BENCH_IMAGE_MIRROR:-http://deb.debian.org/debian}
data_mb=${BENCH_IMAGE_DATA_MB:-256}
comp=${BENCH_IMAGE_COMP:-zstd}
python=${BENCH_IMAGE_PYTHON:-$repo/.venv/bin/python}
[ -x "$python" ] || python=python3

say() { printf '[image %4ss] %s\n' "$SECONDS" "$*"; }
die() { printf 'build-image: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "il faut être root / must run as root (mmdebstrap, chroot)"
for tool in mmdebstrap mksquashfs mkfs.vfat mcopy mkfs.ext4 sfdisk grub-mkimage; do
  command -v "$tool" >/dev/null || die "outil manquant / missing tool: $tool (see .ci/run)"
done
for file in /usr/lib/shim/shimx64.efi.signed /usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed \
  /usr/lib/grub/i386-pc/boot.img; do
  [ -e "$file" ] || die "fichier manquant / missing file: $file (shim-signed, grub-efi-amd64-signed, grub-pc-bin)"
done
case "$data_mb" in '' | *[!0-9]*) die "BENCH_IMAGE_DATA_MB: un nombre de MiB / a number of MiB" ;; esac

work="$(dirname "$out")/work"
rm -rf "$work"
mkdir -p "$work" "$cache/debs" "$cache/wheels" "$cache/pip" "$(dirname "$out")"
rootfs="$work/rootfs"

# 1. Wheels: this repository and its pinned dependencies, with the transitive
#    versions of the development venv when there is one (what the suite tested).
say "wheels"
constraints="$work/constraints.txt"
"$python" -m pip freeze --exclude-editable 2>/dev/null | grep -v '^-e ' >"$constraints" || true
rm -f "$cache/wheels"/bench_agent-*.whl
PIP_CACHE_DIR="$cache/pip" "$python" -m pip wheel -q --disable-pip-version-check \
  --find-links "$cache/wheels" --wheel-dir "$cache/wheels" -c "$constraints" "$repo" \
  || die "pip wheel a échoué / pip wheel failed"
ls "$cache/wheels"/bench_agent-*.whl >/dev/null || die "pas de roue / no wheel for bench-agent"

# 2. The root filesystem from Debian bookworm packages (no recommends).
packages=(
  # boot: kernel, live-boot (squashfs root, fetch= over HTTP), init
  linux-image-amd64 live-boot live-boot-initramfs-tools busybox zstd systemd-sysv udev kmod
  # console: French locale, AZERTY keymap, the Lat15-Fixed16 font
  locales console-setup keyboard-configuration kbd
  # the app and what it runs
  python3 python3-venv ca-certificates
  smartmontools hdparm nvme-cli dmidecode pciutils usbutils util-linux e2fsprogs
  cups cups-client printer-driver-ptouch
  alsa-utils v4l-utils iw ethtool fonts-dejavu-core
  # wired network for the sync (DHCP, DNS)
  network-manager
)
say "mmdebstrap (${#packages[@]} packages, cache $cache/debs)"
mmdebstrap --variant=minbase --mode=root --format=directory \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/fr/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --skip=essential/unlink \
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
  --setup-hook="sync-in '$cache/debs' /var/cache/apt/archives/" \
  --customize-hook="sync-out /var/cache/apt/archives '$cache/debs'" \
  --customize-hook="'$packaging/customize.sh' \"\$1\" '$packaging' '$cache/wheels'" \
  bookworm "$rootfs" "$mirror" \
  || die "mmdebstrap a échoué / mmdebstrap failed"
rm -f "$cache/debs/lock" "$cache/debs"/partial 2>/dev/null || true

# 3. Kernel, initrd and the squashfs root (without /boot: live-boot takes them from /live).
say "squashfs ($comp)"
stage="$work/esp"
mkdir -p "$stage/live" "$stage/boot/grub" "$stage/EFI/BOOT" "$stage/EFI/debian" "$stage/.disk"
kernel=$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -1)
initrd=$(ls "$rootfs"/boot/initrd.img-* | sort -V | tail -1)
cp "$kernel" "$stage/live/vmlinuz"
cp "$initrd" "$stage/live/initrd.img"
comp_opts=(-comp "$comp")
[ "$comp" = xz ] && comp_opts+=(-Xbcj x86)
mksquashfs "$rootfs" "$stage/live/filesystem.squashfs" -noappend -quiet -no-progress \
  "${comp_opts[@]}" -wildcards -e 'boot/*' 'proc/*' 'sys/*' 'dev/*' 'run/*' 'tmp/*' \
  >/dev/null

# 4. Boot loaders. The boot partition is found by its FAT volume id, new at each build.
say "boot loaders"
volid=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ' | tr a-f A-F)
fsuuid="${volid:0:4}-${volid:4:4}"
version=$(cd "$repo" && git describe --always --dirty 2>/dev/null || echo unknown)
echo "bench-agent stick $version $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$stage/.disk/info"
sed -e "s/@FSUUID@/$fsuuid/g" -e "s/@VERSION@/$version/g" "$packaging/grub.cfg" \
  >"$stage/boot/grub/grub.cfg"
# UEFI: Debian's signed shim (Secure Boot) loads the signed GRUB from its own folder;
# that GRUB reads EFI/debian/grub.cfg, which hands over to the shared menu.
cp /usr/lib/shim/shimx64.efi.signed "$stage/EFI/BOOT/BOOTX64.EFI"
cp /usr/lib/shim/mmx64.efi.signed "$stage/EFI/BOOT/mmx64.efi"
cp /usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed "$stage/EFI/BOOT/grubx64.efi"
printf 'search --no-floppy --fs-uuid --set=root %s\nset prefix=($root)/boot/grub\nconfigfile $prefix/grub.cfg\n' \
  "$fsuuid" | tee "$stage/EFI/debian/grub.cfg" >"$stage/EFI/BOOT/grub.cfg"
# BIOS: GRUB's boot.img in the MBR, core.img right after it (sectors 1..), modules on the FAT.
mkdir -p "$stage/boot/grub/i386-pc"
cp /usr/lib/grub/i386-pc/*.mod /usr/lib/grub/i386-pc/*.lst "$stage/boot/grub/i386-pc/"
printf 'search --no-floppy --fs-uuid --set=root %s\nset prefix=($root)/boot/grub\n' "$fsuuid" \
  >"$work/early.cfg"
grub-mkimage -O i386-pc -o "$work/core.img" -c "$work/early.cfg" -p /boot/grub \
  biosdisk part_msdos fat search search_fs_uuid normal configfile linux echo test serial terminal

# 5. The partitions, then the disk: MBR, 1 MiB gap (GRUB core), BENCH-BOOT (FAT32, type
#    EF, active), BENCH-DATA (ext4, journaled).
say "disk image"
boot_mb=$(($(du -sm "$stage" | cut -f1) + 48))
mkfs.vfat -F 32 -n BENCH-BOOT -i "$volid" -C "$work/boot.img" $((boot_mb * 1024)) >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -s -i "$work/boot.img" "$stage"/* "$stage/.disk" ::/
mkdir -p "$work/data"
cp "$packaging/BENCH-DATA.txt" "$work/data/LISEZMOI-README.txt"
mkfs.ext4 -q -F -L BENCH-DATA -E root_owner=0:0 -d "$work/data" \
  "$work/data.img" "${data_mb}M"
grub_sectors=2048
boot_sectors=$((boot_mb * 2048))
data_sectors=$((data_mb * 2048))
rm -f "$out.tmp"
truncate -s $(((grub_sectors + boot_sectors + data_sectors) * 512)) "$out.tmp"
sfdisk -q "$out.tmp" <<EOF
label: dos
start=$grub_sectors, size=$boot_sectors, type=ef, bootable
start=$((grub_sectors + boot_sectors)), size=$data_sectors, type=83
EOF
dd if=/usr/lib/grub/i386-pc/boot.img of="$out.tmp" bs=440 count=1 conv=notrunc status=none
dd if="$work/core.img" of="$out.tmp" bs=512 seek=1 conv=notrunc status=none
dd if="$work/boot.img" of="$out.tmp" bs=1M seek=$((grub_sectors / 2048)) conv=notrunc,sparse status=none
dd if="$work/data.img" of="$out.tmp" bs=1M seek=$(((grub_sectors + boot_sectors) / 2048)) \
  conv=notrunc,sparse status=none
mv "$out.tmp" "$out"
# The PXE files (docs/stick.md): the same kernel, initrd and squashfs.
rm -rf "$(dirname "$out")/pxe"
cp -r "$stage/live" "$(dirname "$out")/pxe"
rm -rf "$work"

size_mb=$(($(stat -c %s "$out") / 1024 / 1024))
squash_mb=$(($(stat -c %s "$(dirname "$out")/pxe/filesystem.squashfs") / 1024 / 1024))
say "done: $out ($size_mb MiB; squashfs $squash_mb MiB; BENCH-DATA $data_mb MiB) in ${SECONDS}s"
