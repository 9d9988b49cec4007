#!/usr/bin/env bash
# Smoke test after installing FreeSWITCH 1.10 (SIP on loopback): loads the project's configuration,
# runs the controller against it, places test calls with sipp (Debian package sip-tester) through
# IVR, queue and agent (with the satisfaction survey), and prints the CDRs the platform recorded.
#
#   sudo apt-get install sip-tester          # sipp, with /usr/share/sip-tester/dtmf_2833_*.pcap
#   FS_CONF=/etc/freeswitch ./deploy/freeswitch/smoke.sh
#
# Needs: FreeSWITCH running with the stock "external" SIP profile on 127.0.0.1:5080 (context public,
# no auth) and local_stream://moh (package freeswitch-music-default); the platform's database migrated
# and demo-loaded (hotline init-db && hotline demo); run from the repository root.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/deploy/freeswitch"
HOTLINE="${HOTLINE:-$ROOT/.venv/bin/hotline}"
CALLS="${CALLS:-3}"
SIP_PORT="${SIP_PORT:-5080}"
LOG_DIR="${LOG_DIR:-$(mktemp -d /tmp/hotline-smoke.XXXXXX)}"
export HOTLINE_ESL_HOST="${HOTLINE_ESL_HOST:-127.0.0.1}"
export HOTLINE_ESL_PORT="${HOTLINE_ESL_PORT:-8021}"
export HOTLINE_ESL_PASSWORD="${HOTLINE_ESL_PASSWORD:-ClueCon}"

command -v sipp >/dev/null || { echo "sipp not found: apt-get install sip-tester" >&2; exit 1; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

echo "== 1. load the configuration into FreeSWITCH"
"$HERE/install.sh"
fs_cli -p "$HOTLINE_ESL_PASSWORD" -P "$HOTLINE_ESL_PORT" -x "status" | head -3

echo "== 2. start the controller (agents 1001 on 8001 and 1002 on 8002 signed in and ready)"
"$HOTLINE" switch run --login 1001:8001,1002:8002 > "$LOG_DIR/controller.log" 2>&1 &
PIDS+=($!)
sleep 3
kill -0 "${PIDS[-1]}" || { echo "controller did not start:"; cat "$LOG_DIR/controller.log"; exit 1; }

echo "== 3. agent phones: sipp UAS on 127.0.0.1:5090 (8001) and :5091 (8002): ring 0.5 s, talk 5 s, hang up"
for port in 5090 5091; do
  sipp -sf "$HERE/sipp/agent.xml" -i 127.0.0.1 -p "$port" -mi 127.0.0.1 -d 5000 -m "$CALLS" \
       -trace_err -error_file "$LOG_DIR/agent-$port.err" -nostdin > "$LOG_DIR/agent-$port.log" 2>&1 &
  PIDS+=($!)
done
sleep 1

echo "== 4. $CALLS citizen calls to 12345: key 1 in the menu, talk, key 1 in the survey"
sipp -sf "$HERE/sipp/caller.xml" -i 127.0.0.1 -p 5070 -mi 127.0.0.1 -s 12345 "127.0.0.1:$SIP_PORT" \
     -m "$CALLS" -r 1 -rp 8000 -trace_err -error_file "$LOG_DIR/caller.err" -nostdin \
     > "$LOG_DIR/caller.log" 2>&1 || echo "(sipp reported failed calls, see $LOG_DIR/caller.err)"
grep -E "Successful call|Failed call" "$LOG_DIR/caller.log" | tail -2 || true
sleep 3

echo "== 5. CDRs recorded by the platform"
"$HOTLINE" switch cdrs --last "$CALLS"
echo "logs: $LOG_DIR"
