#!/usr/bin/env bash
# Set up everything and start the visualizer (default: the built-in demo network). This is the README's run command.
# The app runs in the folder it was started from (captures, sessions and relative paths land there, not in the
# repository). Without a display (a headless machine) it runs on a virtual X server, where nothing is visible.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  bash "$repo/scripts/system-packages.sh"
  bash "$repo/scripts/setup.sh" requirements.txt
  exec "$repo/.venv/bin/python" "$repo/visualizer.py" "$@"
fi
bash "$repo/scripts/system-packages.sh" xvfb xauth
bash "$repo/scripts/setup.sh" requirements.txt
echo "No DISPLAY: running on a virtual X server (xvfb-run); the window is not visible. Stop it with Ctrl+C."
exec xvfb-run -a -s "-screen 0 1600x1000x24" "$repo/.venv/bin/python" "$repo/visualizer.py" "$@"
