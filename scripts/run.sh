#!/usr/bin/env bash
# Set up everything and start the visualizer (default: the built-in demo network). This is the README's run command.
# Without a display (a headless machine) it runs on a virtual X server, where nothing is visible.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  bash scripts/system-packages.sh
  bash scripts/setup.sh requirements.txt
  exec .venv/bin/python visualizer.py "$@"
fi
bash scripts/system-packages.sh xvfb xauth
bash scripts/setup.sh requirements.txt
echo "No DISPLAY: running on a virtual X server (xvfb-run); the window is not visible. Stop it with Ctrl+C."
exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python visualizer.py "$@"
