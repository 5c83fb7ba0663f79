#!/usr/bin/env bash
# Set up everything and start the visualizer on the built-in demo network. This is the README's run command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/python visualizer.py "$@"
