#!/usr/bin/env bash
# mmdebstrap customize hook of build-image.sh: configures the root filesystem at $1
# (locale, keymap, console font, autologin, the app in /opt/bench-agent, the
# BENCH-DATA mount). Arguments: ROOTFS PACKAGING_DIR WHEELS_DIR.
set -euo pipefail
root=$1
packaging=$2
wheels=$3
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# Our files: start script, units, configuration (packaging/rootfs mirrors the tree).
cp -a "$packaging/rootfs/." "$root/"
chmod 0755 "$root/usr/local/sbin/"*
chmod 0700 "$root/root"

# French first, English too.
printf 'fr_FR.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\n' >"$root/etc/locale.gen"
in_root locale-gen >/dev/null
printf 'LANG=fr_FR.UTF-8\n' >"$root/etc/default/locale"

# AZERTY and the Lat15-Fixed16 font on every console (the app only draws its glyphs).
cat >"$root/etc/default/keyboard" <<'EOF'
XKBMODEL="pc105"
XKBLAYOUT="fr"
XKBVARIANT=""
XKBOPTIONS=""
BACKSPACE="guess"
EOF
cat >"$root/etc/default/console-setup" <<'EOF'
ACTIVE_CONSOLES="/dev/tty[1-6]"
CHARMAP="UTF-8"
CODESET="Lat15"
FONTFACE="Fixed"
FONTSIZE="8x16"
VIDEOMODE=
EOF
in_root setupcon --force --save-only
test -e "$root/usr/share/consolefonts/Lat15-Fixed16.psf.gz"

echo bench-stick >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tbench-stick\n' >"$root/etc/hosts"

# The app, from the wheels only (no index).
in_root python3 -m venv /opt/bench-agent
cp -r "$wheels" "$root/tmp/wheels"
in_root /opt/bench-agent/bin/pip install -q --no-index --no-cache-dir \
  --disable-pip-version-check --find-links /tmp/wheels bench-agent
rm -rf "$root/tmp/wheels"
ln -sf /opt/bench-agent/bin/bench-agent "$root/usr/local/bin/bench-agent"

# Services: ours on, what a bench never needs off.
in_root systemctl enable bench-screen-mirror.service bench-debug-shell.service >/dev/null
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
  fstrim.timer serial-getty@ttyS0.service serial-getty@ttyS1.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
mkdir -p "$root/var/lib/bench-agent"

# The initramfs: built with live-boot's hooks when the packages were installed (dpkg
# trigger); nothing here changes it.
test -e "$root"/boot/initrd.img-*

# Smaller: no apt lists, caches or logs in the image.
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/debconf/"*-old "$root/var/log/"*.log
