#!/usr/bin/env bash
# Set up everything and run the whole test suite. This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh xvfb xauth xdotool
bash scripts/setup.sh requirements-test.txt
unset PYOPENGL_PLATFORM WAYLAND_DISPLAY XDG_SESSION_TYPE
exec .venv/bin/python -m pytest -q "$@"
