#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs, lints, then pytest against real services.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh test
bash scripts/services.sh
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> pytest"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/pytest tests --ignore=tests/bench "$@"
