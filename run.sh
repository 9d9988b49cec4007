#!/usr/bin/env bash
# Starts the platform on its embedded default: SQLite, embedded Redis, FreeSWITCH simulator, demo data, web UI.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh runtime
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/hotline up "$@"
