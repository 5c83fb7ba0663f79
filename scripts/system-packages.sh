#!/usr/bin/env bash
# Debian packages the GUI and its tests need (X virtual framebuffer, input driver, Mesa GL, a font).
set -euo pipefail
sudo_cmd=""
if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -q
$sudo_cmd apt-get install -y -q --no-install-recommends \
  xvfb xauth xdotool libgl1 libgl1-mesa-dri libglx-mesa0 libegl-mesa0 \
  libxrandr2 libxinerama1 libxcursor1 libxi6 libxxf86vm1
