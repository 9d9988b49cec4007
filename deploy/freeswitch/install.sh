#!/usr/bin/env bash
# Load the hotline configuration into a FreeSWITCH 1.10 installation and reload it.
#   FS_CONF      FreeSWITCH configuration directory (default: /etc/freeswitch)
#   HOTLINE_ESL_PASSWORD / HOTLINE_ESL_PORT   the platform's settings (default ClueCon / 8021)
#   HOTLINE_ESL_MODE     inbound (default: calls parked for the controller) | outbound (socket per call to
#                        HOTLINE_OUTBOUND_HOST:HOTLINE_OUTBOUND_PORT, default 127.0.0.1:8084)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
FS_CONF="${FS_CONF:-/etc/freeswitch}"
ESL_PASSWORD="${HOTLINE_ESL_PASSWORD:-ClueCon}"
ESL_PORT="${HOTLINE_ESL_PORT:-8021}"
FS_CLI="${FS_CLI:-fs_cli}"
FS_CLI_ARGS=(${FS_CLI_ARGS:-})  # e.g. FS_CLI_ARGS="-p OldPassword" when the socket password was changed before

[ -d "$FS_CONF" ] || { echo "FreeSWITCH configuration not found in $FS_CONF (set FS_CONF)" >&2; exit 1; }

if [ "${HOTLINE_ESL_MODE:-inbound}" = outbound ]; then
  sed -e "s/@OUTBOUND_HOST@/${HOTLINE_OUTBOUND_HOST:-127.0.0.1}/" -e "s/@OUTBOUND_PORT@/${HOTLINE_OUTBOUND_PORT:-8084}/" \
    "$HERE/dialplan/public/00_hotline_socket.xml" > "$FS_CONF/dialplan/public/00_hotline.xml"
  chmod 0644 "$FS_CONF/dialplan/public/00_hotline.xml"
else
  install -m 0644 "$HERE/dialplan/public/00_hotline.xml" "$FS_CONF/dialplan/public/00_hotline.xml"
fi
install -m 0644 "$HERE/directory/default/hotline_agents.xml" "$FS_CONF/directory/default/hotline_agents.xml"
install -d "$FS_CONF/sip_profiles/external"
install -m 0644 "$HERE/sip_profiles/external/hotline_trunk.xml" "$FS_CONF/sip_profiles/external/hotline_trunk.xml"
# the event socket: keep a copy of the stock file once
if [ -f "$FS_CONF/autoload_configs/event_socket.conf.xml" ] && [ ! -f "$FS_CONF/autoload_configs/event_socket.conf.xml.orig" ]; then
  cp "$FS_CONF/autoload_configs/event_socket.conf.xml" "$FS_CONF/autoload_configs/event_socket.conf.xml.orig"
fi
sed -e "s/@ESL_PASSWORD@/${ESL_PASSWORD//\//\\/}/" -e "s/@ESL_PORT@/${ESL_PORT}/" \
  "$HERE/autoload_configs/event_socket.conf.xml" > "$FS_CONF/autoload_configs/event_socket.conf.xml"
chmod 0640 "$FS_CONF/autoload_configs/event_socket.conf.xml"

# reload: fs_cli still talks to the old socket settings until mod_event_socket is reloaded
if command -v "$FS_CLI" >/dev/null 2>&1; then
  "$FS_CLI" "${FS_CLI_ARGS[@]}" -x "reloadxml" || true
  "$FS_CLI" "${FS_CLI_ARGS[@]}" -x "sofia profile external rescan" || true
  "$FS_CLI" "${FS_CLI_ARGS[@]}" -x "reload mod_event_socket" || true
  echo "FreeSWITCH configuration loaded from $HERE into $FS_CONF"
else
  echo "configuration copied; restart FreeSWITCH (fs_cli not found)"
fi
