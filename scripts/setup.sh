#!/usr/bin/env bash
# Installs what the platform needs into .venv (and builds the web UI). Safe to re-run.
# Usage: scripts/setup.sh [runtime|test]
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-runtime}"
PY="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  echo "==> 创建虚拟环境 .venv"
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip setuptools wheel
fi

extras="st"
[ "$mode" = "test" ] && extras="st,test"
stamp=".venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)-${extras/,/-}"
if [ ! -f "$stamp" ]; then
  echo "==> 安装 Python 依赖（$extras）"
  # torch is pinned to the CPU build; install it first so nothing pulls a CUDA build
  .venv/bin/pip install -q "torch==2.13.0"
  .venv/bin/pip install -q -e ".[$extras]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

if [ -f api/web/package.json ]; then
  if ! command -v npm >/dev/null; then
    echo "==> 安装 Node.js 与 npm"
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
  webstamp="api/web/node_modules/.stamp-$(cat api/web/package.json api/web/package-lock.json 2>/dev/null | sha1sum | cut -c1-12)"
  if [ ! -f "$webstamp" ]; then
    echo "==> 安装前端依赖"
    (cd api/web && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    touch "$webstamp"
  fi
  src_hash=$(find api/web/src api/web/index.html api/web/vite.config.* api/web/package-lock.json -type f 2>/dev/null | sort | xargs cat | sha1sum | cut -c1-12)
  if [ ! -f "api/web/dist/.build-$src_hash" ]; then
    echo "==> 构建前端"
    (cd api/web && npm run build --silent -- --logLevel warn)
    touch "api/web/dist/.build-$src_hash"
  fi
fi

if ! command -v espeak-ng >/dev/null; then
  echo "==> 安装 espeak-ng（say: 提示音的语音合成）"
  apt-get update -qq && apt-get install -y -qq espeak-ng >/dev/null
fi

if [ "$mode" = "test" ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/firefox-esr ] || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; }; then
  echo "==> 安装 Chromium、Firefox ESR 与中文字体（浏览器测试）"
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver firefox-esr fonts-noto-cjk >/dev/null
fi
