#!/usr/bin/env bash
# Set up everything and run the whole test suite, then again under `python -O` (asserts stripped: every check of
# what a caller, a file or a user gives must still hold). This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh xvfb xauth xdotool
bash scripts/setup.sh requirements-test.txt
unset PYOPENGL_PLATFORM WAYLAND_DISPLAY XDG_SESSION_TYPE
.venv/bin/python -m pytest -q "$@"
echo "Again with python -O:"
.venv/bin/python -O -m pytest -q "$@"
