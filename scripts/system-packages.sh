#!/usr/bin/env bash
# Install the Debian packages the GUI needs (Mesa GL and the X11 libraries GLFW loads), a C compiler for the
# optional native kernels of sg3.ops (sg3/ops/native.py; everything works without it, slower), plus any named
# on the command line, skipping those already installed. Uses sudo when not run as root.
# Usage: bash scripts/system-packages.sh [EXTRA_PACKAGE ...]
set -euo pipefail
packages=(libgl1 libgl1-mesa-dri libglx-mesa0 libegl-mesa0 libxrandr2 libxinerama1 libxcursor1 libxi6 libxxf86vm1 gcc libc6-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_cmd=""
if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -q
$sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
