#!/usr/bin/env bash
# Runs the benchmarks under tests/bench (figures printed and saved as JSON in var/bench/).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh test
bash scripts/services.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/pytest tests/bench -s -p no:randomly "$@"
