"""The simulator's event socket: inbound ESL server and outbound-socket connections to the controller."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid as uuidlib

from switch.esl.codec import url_encode
from switch.esl.events import Event, event_frame
from switch.esl.frames import Frame, api_response, command_reply
from switch.simulator.channel import PROFILE_ORDER, Channel
from switch.simulator.core import VERSION, FreeSwitch, NoSuchChannel
from switch.simulator.modules import unload_headers

log = logging.getLogger("hotline.switch.simulator")

GOODBYE = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
KNOWN_EVENTS = {
    "ALL",
    "CUSTOM",
    "CHANNEL_CREATE",
    "CHANNEL_DESTROY",
    "CHANNEL_STATE",
    "CHANNEL_CALLSTATE",
    "CHANNEL_ANSWER",
    "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_HOLD",
    "CHANNEL_UNHOLD",
    "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE",
    "CHANNEL_PROGRESS",
    "CHANNEL_PROGRESS_MEDIA",
    "CHANNEL_OUTGOING",
    "CHANNEL_PARK",
    "CHANNEL_UNPARK",
    "CHANNEL_ORIGINATE",
    "CHANNEL_DATA",
    "CALL_UPDATE",
    "API",
    "BACKGROUND_JOB",
    "DTMF",
    "HEARTBEAT",
    "RE_SCHEDULE",
    "CODEC",
    "PLAYBACK_START",
    "PLAYBACK_STOP",
    "RECORD_START",
    "RECORD_STOP",
    "MEDIA_BUG_START",
    "MEDIA_BUG_STOP",
    "PRIVATE_COMMAND",
    "COMMAND",
    "PRESENCE_IN",
    "SHUTDOWN",
    "MODULE_UNLOAD",
    "UNPUBLISH",
    "CALL_SECURE",
    "TALK",
    "NOTALK",
}
# Not delivered on an outbound socket's `myevents` (see trace 07).
OUTBOUND_SKIP = {
    "CHANNEL_CALLSTATE",
    "CODEC",
    "PLAYBACK_START",
    "PLAYBACK_STOP",
    "PRIVATE_COMMAND",
    "CHANNEL_DESTROY",
    "API",
}


class Connection:
    """One event-socket connection (inbound client, or an outbound socket for one channel)."""

    def __init__(
        self,
        fs: FreeSwitch,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        password: str,
        *,
        session: Channel | None = None,
    ) -> None:
        self.fs = fs
        self.reader = reader
        self.writer = writer
        self.password = password
        self.session = session
        self.authed = session is not None
        self.fmt: str | None = None
        self.events: set[str] = set()
        self.subclasses: set[str] = set()
        self.filters: list[tuple[str, str]] = []
        self.my_uuid: str | None = None
        self.linger: float | None = None
        self.blocking = 0
        self.held: list[Frame] = []
        self.closed = False
        self.session_gone = False

    # -- delivery
    def send(self, frame: Frame) -> None:
        if self.closed:
            return
        if self.blocking:
            self.held.append(frame)
            return
        self.writer.write(frame.to_bytes())

    def on_event(self, event: Event) -> None:
        if self.fmt is None or self.closed:
            return
        name = event.name
        if self.session is not None:
            if self.session_gone or name in OUTBOUND_SKIP or event.get("Unique-ID") != self.my_uuid:
                return
        elif self.my_uuid and event.get("Unique-ID") != self.my_uuid:
            return
        if (
            "ALL" not in self.events
            and name not in self.events
            and not (
                name == "CUSTOM"
                and (event.subclass in self.subclasses or "CUSTOM" in self.events and not self.subclasses)
            )
        ):
            return
        if self.filters and not any(event.get(k) == v for k, v in self.filters):
            return
        self.send(event_frame(event, self.fmt))

    def channel_gone(self, ch: Channel) -> None:
        """Outbound socket: the controlled channel hung up (after CHANNEL_HANGUP_COMPLETE)."""
        if self.session is None or ch.uuid != self.session.uuid or self.closed:
            return
        self.session_gone = True  # nothing after CHANNEL_HANGUP_COMPLETE reaches an outbound socket
        if self.linger is not None:
            self.send(
                Frame(
                    [
                        ("Content-Type", "text/disconnect-notice"),
                        ("Controlled-Session-UUID", ch.uuid),
                        ("Content-Disposition", "linger"),
                        ("Channel-Name", ch.name),
                        ("Linger-Time", str(int(self.linger))),
                        ("Content-Length", "0"),
                    ]
                )
            )
            self.fs.spawn(self._linger_then_close(ch))
        else:
            self._final_notice(ch)

    async def _linger_then_close(self, ch: Channel) -> None:
        if self.linger is not None and self.linger >= 0:
            await self.fs.clock.sleep(self.linger)
            self._final_notice(ch)

    def _final_notice(self, ch: Channel) -> None:
        self.send(
            Frame(
                [
                    ("Content-Type", "text/disconnect-notice"),
                    ("Controlled-Session-UUID", ch.uuid),
                    ("Content-Disposition", "disconnect"),
                    ("Content-Length", str(len(GOODBYE))),
                ],
                GOODBYE.encode(),
            )
        )
        self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(ValueError):
            self.fs.listeners.remove(self.on_event)
        with contextlib.suppress(Exception):
            self.writer.close()

    # -- command loop
    async def serve(self) -> None:
        self.fs.listeners.append(self.on_event)
        if self.session is None:
            self.send(Frame([("Content-Type", "auth/request")]))
        try:
            while not self.closed:
                try:
                    line, frame = await read_command(self.reader)
                except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
                    break
                try:
                    await self.handle(line, frame)
                except Exception:  # a simulator bug must not cost the client its connection
                    log.exception("command failed", extra={"command": line})
                    self.send(command_reply("-ERR simulator error"))
                with contextlib.suppress(ConnectionError):
                    await self.writer.drain()
        finally:
            self.close()

    async def handle(self, line: str, frame: Frame) -> None:
        cmd, _, rest = line.partition(" ")
        rest = rest.strip()
        if not self.authed:
            if cmd == "auth":
                if rest == self.password:
                    self.authed = True
                    self.send(command_reply("+OK accepted"))
                else:
                    self.send(command_reply("-ERR invalid"))
                    self.send(Frame.make("text/disconnect-notice", GOODBYE))
                    self.close()
            else:
                self.send(command_reply("-ERR command not found"))
            return
        if cmd == "exit":
            self.send(command_reply("+OK bye"))
            self.send(Frame.make("text/disconnect-notice", GOODBYE))
            await asyncio.sleep(0)
            self.close()
        elif cmd == "connect" and self.session is not None:
            self.send(self._channel_data_reply(self.session))
        elif cmd == "myevents":
            parts = rest.split()
            fmt = "plain"
            target = self.session.uuid if self.session is not None else None
            for p in parts:
                if p in ("plain", "json", "xml"):
                    fmt = p
                else:
                    target = p
            self.fmt, self.events, self.my_uuid = fmt, {"ALL"}, target
            self.send(command_reply("+OK Events Enabled"))
        elif cmd == "event":
            self._event_cmd(rest)
        elif cmd == "noevents":
            self.fmt, self.events, self.subclasses = None, set(), set()
            self.send(command_reply("+OK no longer listening for events"))
        elif cmd == "nixevent":
            for name in rest.split():
                self.events.discard(name)
            self.send(command_reply("+OK events nixed"))
        elif cmd == "filter":
            self._filter_cmd(rest)
        elif cmd == "linger":
            if rest:
                self.linger = float(rest)
                self.send(command_reply(f"+OK will linger {rest} seconds"))
            else:
                self.linger = -1
                self.send(command_reply("+OK will linger"))
        elif cmd == "nolinger":
            self.linger = None
            self.send(command_reply("+OK will not linger"))
        elif cmd == "log":
            self.send(command_reply(f"+OK log level {rest} [{rest}]"))
        elif cmd == "nolog":
            self.send(command_reply("+OK no longer logging"))
        elif cmd == "api":
            await self._api(rest)
        elif cmd == "bgapi":
            job = frame.get("Job-UUID") or str(uuidlib.uuid4())
            self.send(command_reply(f"+OK Job-UUID: {job}", **{"Job-UUID": job}))
            self.fs.spawn(self._bgapi(rest, job))
        elif cmd == "sendmsg":
            await self._sendmsg(rest, frame)
        elif cmd == "sendevent":
            self._sendevent(frame)
        else:
            self.send(command_reply("-ERR command not found"))

    def _event_cmd(self, rest: str) -> None:
        parts = rest.split()
        fmt = parts[0] if parts and parts[0] in ("plain", "json", "xml") else "plain"
        names = parts[1:] if parts and parts[0] in ("plain", "json", "xml") else parts
        valid = [n for n in names if n in KNOWN_EVENTS or "::" in n]
        if not valid:
            self.send(command_reply("-ERR no keywords supplied"))
            return
        self.fmt = fmt
        custom = False
        for name in valid:
            if name == "CUSTOM":
                custom = True
            elif "::" in name:
                self.subclasses.add(name)
                self.events.add("CUSTOM") if custom else None
            else:
                self.events.add(name)
        if custom:
            self.events.add("CUSTOM")
        self.send(command_reply(f"+OK event listener enabled {fmt}"))

    def _filter_cmd(self, rest: str) -> None:
        parts = rest.split(None, 2)
        if parts and parts[0] == "delete":
            key = parts[1] if len(parts) > 1 else ""
            value = parts[2] if len(parts) > 2 else ""
            self.filters = [(k, v) for k, v in self.filters if not (k == key and (not value or v == value))]
            self.send(command_reply(f"+OK filter deleted. [{key}][{value}]"))
            return
        key, value = (parts + ["", ""])[:2]
        self.filters.append((key, value))
        self.send(command_reply(f"+OK filter added. [{key}]=[{value}]"))

    async def _api(self, line: str) -> None:
        self.blocking += 1
        try:
            body = await run_api(self.fs, line)
            self.blocking -= 1
            self.send(api_response(body))
        finally:
            if self.blocking:
                self.blocking -= 1
            held, self.held = self.held, []
            for f in held:
                self.send(f)
        cmd, _, arg = line.partition(" ")
        post = [("API-Command", cmd)] + ([("API-Command-Argument", arg)] if arg else [])
        self.fs.fire("API", post=post)

    async def _bgapi(self, line: str, job: str) -> None:
        cmd, _, arg = line.partition(" ")
        if cmd == "originate":
            await run_api(self.fs, line, job_uuid=job)
        else:
            body = await run_api(self.fs, line)
            self.fs._background_job(job, arg, body, command=cmd)
        if line.split()[:2] == ["fsctl", "shutdown"] and self.fs.shutdown_hook is not None:
            self.fs.fire("SHUTDOWN", post=[("Event-Info", "System Shutting Down")])
            calling = ("switch_loadable_module.c", "switch_loadable_module_unprocess", "1240")
            for headers in unload_headers():  # modules unload until mod_event_socket closes the sockets
                self.fs.fire("MODULE_UNLOAD", post=headers, calling=calling)
            await self.fs.shutdown_hook()

    async def _sendmsg(self, rest: str, frame: Frame) -> None:
        uuid = rest or (self.session.uuid if self.session is not None else "")
        msg = [(k, v) for k, v in frame.headers[1:] if k not in ("Content-Length", "Content-Type")]
        headers = dict(msg)
        self.send(command_reply("+OK"))
        try:
            ch = self.fs.get(uuid)
        except NoSuchChannel:
            return
        command = headers.get("call-command", "")
        if command == "execute":
            app = headers.get("execute-app-name", "")
            arg = headers.get("execute-app-arg", "")
            if frame.body and not arg:
                arg = frame.body.decode()
            self.fs.queue_app(ch, app, arg, app_uuid=headers.get("Event-UUID"), msg=msg)
        elif command == "hangup":
            self.fs.spawn(self.fs.hangup(ch.uuid, headers.get("hangup-cause", "NORMAL_CLEARING"), "send_bye"))

    def _sendevent(self, frame: Frame) -> None:
        headers = dict(frame.headers[1:])
        event_uuid = str(uuidlib.uuid4())
        target = headers.get("unique-id")
        if target and "eavesdrop-command" in headers:
            self.fs.eavesdrop_command(target, headers["eavesdrop-command"])
        self.send(command_reply(f"+OK {event_uuid}"))

    def _channel_data_reply(self, ch: Channel) -> Frame:
        fs = self.fs
        headers = fs.common("CHANNEL_DATA", ("mod_event_socket.c", "parse_command", "2021"))
        p = ch.profile_values()
        headers += [("Channel-" + k, p[k]) for k in PROFILE_ORDER if p.get(k)]
        headers += fs.channel_block(ch)
        headers += [(k, v) for k, v in ch.variable_headers() if not k.startswith("variable__")]
        encoded = [(k, url_encode(v)) for k, v in headers]
        encoded += [
            ("Content-Type", "command/reply"),
            ("Reply-Text", url_encode("+OK\n")),
            ("Socket-Mode", "async"),
            ("Control", "full"),
        ]
        return Frame(encoded)


async def read_command(reader: asyncio.StreamReader) -> tuple[str, Frame]:
    """A client command block: the command line, then `Name: value` headers, then an optional body."""
    while True:
        block = (await reader.readuntil(b"\n\n")).lstrip(b"\n")
        if block.strip():
            break
    lines = block[:-2].decode("utf-8", errors="replace").split("\n")
    frame = Frame([(lines[0].rstrip("\r"), "")])
    for line in lines[1:]:
        key, _, value = line.rstrip("\r").partition(": ")
        frame.headers.append((key, value))
    length = frame.get("Content-Length")
    if length and int(length) > 0:
        frame.body = await reader.readexactly(int(length))
    return lines[0].rstrip("\r"), frame


def run_api_sync_commands(fs: FreeSwitch, cmd: str, arg: str) -> str | None:
    if cmd == "uptime":
        return f"{int(fs.clock.now() - fs.started)}\n"
    if cmd == "version":
        return f"FreeSWITCH Version {VERSION} ( 64bit)\n"
    if cmd == "status":
        up = int(fs.clock.now() - fs.started)
        live = len(fs.live_channels())
        return (
            f"UP 0 years, 0 days, {up // 3600} hours, {up % 3600 // 60} minutes, {up % 60} seconds, 0 milliseconds, 0 microseconds\n"
            f"FreeSWITCH (Version {VERSION}) is ready\n"
            f"{fs.sessions_since_startup} session(s) since startup\n"
            f"{live} session(s) - peak {live}, last 5min {live} \n"
            "0 session(s) per Sec out of max 30, peak 1, last 5min 0 \n"
            "1000 session(s) max\nmin idle cpu 0.00/98.00\nCurrent Stack Size/Max 240K/8192K\n"
        )
    if cmd == "global_getvar":
        return "vm" if arg == "hostname" else "hostname=vm\nswitchname=vm\n"
    if cmd == "sofia":
        return (
            "                     Name\t   Type\t                                      Data\tState\n"
            "=================================================================================================\n"
            "                 external\tprofile\t                  sip:mod_sofia@127.0.0.1:5080\tRUNNING (0)\n"
            "=================================================================================================\n"
            "1 profile 0 aliases\n"
        )
    if cmd == "show":
        return _show(fs, arg)
    return None


def _show(fs: FreeSwitch, arg: str) -> str:
    what, _, fmt = arg.partition(" ")
    rows = (
        fs.show_channels_rows() if what == "channels" else fs.show_calls_rows() if what == "calls" else None
    )
    if rows is None:
        return "-USAGE: show channels|calls [as json]\n"
    if fmt.strip() == "as json":
        if not rows:
            return json.dumps({"row_count": 0}, separators=(",", ":"))
        return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"), ensure_ascii=False)
    if what == "channels":
        from switch.simulator.core import CALL_COLUMNS

        cols = list(rows[0]) if rows else list(_empty_channel_columns())
    else:
        from switch.simulator.core import B_COLUMNS, CALL_COLUMNS

        cols = CALL_COLUMNS + ["b_" + c for c in B_COLUMNS] + ["call_created_epoch"]
    lines = [",".join(cols)] + [",".join(r.get(c, "") for c in cols) for r in rows]
    return "\n".join(lines) + f"\n\n{len(rows)} total.\n"


def _empty_channel_columns() -> list[str]:
    return [
        "uuid",
        "direction",
        "created",
        "created_epoch",
        "name",
        "state",
        "cid_name",
        "cid_num",
        "ip_addr",
        "dest",
        "application",
        "application_data",
        "dialplan",
        "context",
        "read_codec",
        "read_rate",
        "read_bit_rate",
        "write_codec",
        "write_rate",
        "write_bit_rate",
        "secure",
        "hostname",
        "presence_id",
        "presence_data",
        "accountcode",
        "callstate",
        "callee_name",
        "callee_num",
        "callee_direction",
        "call_uuid",
        "sent_callee_name",
        "sent_callee_num",
        "initial_cid_name",
        "initial_cid_num",
        "initial_ip_addr",
        "initial_dest",
        "initial_dialplan",
        "initial_context",
    ]


async def run_api(fs: FreeSwitch, line: str, *, job_uuid: str | None = None) -> str:
    """Run one `api` command line and return the api/response body."""
    cmd, _, arg = line.strip().partition(" ")
    arg = arg.strip()
    simple = run_api_sync_commands(fs, cmd, arg)
    if simple is not None:
        return simple
    parts = arg.split()
    try:
        if cmd == "originate":
            result = await fs.originate(arg, job_uuid)
            return result
        if cmd == "uuid_answer":
            ch = fs.get(parts[0])
            fs.spawn(fs._answer(ch))
            await asyncio.sleep(0)
            return "+OK\n"
        if cmd == "uuid_kill":
            if not parts or parts[0] not in fs.channels or fs.channels[parts[0]].gone:
                return "-ERR No such channel!\n"
            fs.spawn(fs.hangup(parts[0], parts[1] if len(parts) > 1 else "NORMAL_CLEARING", "send_bye"))
            return "+OK\n"
        if cmd == "uuid_exists":
            return "true" if parts and parts[0] in fs.channels and not fs.channels[parts[0]].gone else "false"
        if cmd == "uuid_getvar":
            ch = fs.get(parts[0])
            value = ch.variables.get(parts[1]) if len(parts) > 1 else None
            return value if value is not None else "_undef_"
        if cmd == "uuid_setvar":
            ch = fs.get(parts[0])
            ch.variables[parts[1]] = " ".join(parts[2:])
            return "+OK\n"
        if cmd == "uuid_setvar_multi":
            ch = fs.get(parts[0])
            for item in " ".join(parts[1:]).split(";"):
                k, _, v = item.partition("=")
                if k:
                    ch.variables[k] = v
            return "+OK\n"
        if cmd == "uuid_dump":
            ch = fs.get(parts[0])
            headers = fs.common("CHANNEL_DATA", ("switch_ivr.c", "switch_ivr_uuid_dump", "1"))
            headers += fs.channel_block(ch) + [
                (k, v) for k, v in ch.variable_headers() if not k.startswith("variable__")
            ]
            if len(parts) > 1 and parts[1] == "json":
                return json.dumps(dict(headers), ensure_ascii=False, separators=(",", ":"))
            return "".join(f"{k}: {url_encode(v)}\n" for k, v in headers)
        if cmd == "uuid_bridge":
            return await fs.uuid_bridge(parts[0], parts[1])
        if cmd == "uuid_broadcast":
            ch = fs.get(parts[0])
            path = parts[1]
            from switch.simulator.core import _broadcast_msg

            fs.queue_app(ch, "playback", path, msg=_broadcast_msg(path), broadcast=True)
            return "+OK Message sent\n"
        if cmd == "uuid_break":
            ch = fs.get(parts[0])
            if len(parts) > 1 and parts[1] == "all" and ch.app_queue is not None:
                while not ch.app_queue.empty():  # `all` also drops what was queued behind it
                    ch.app_queue.get_nowait()
            await fs._interrupt(ch)
            return "+OK\n"
        if cmd == "uuid_park":
            ch = fs.get(parts[0])
            fs.spawn(_park_channel(fs, ch))
            return "+OK\n"
        if cmd == "uuid_hold":
            off = parts[0] == "off"
            return await fs.uuid_hold(parts[1] if off else parts[0], off)
        if cmd == "uuid_record":
            ch = fs.get(parts[0])
            if parts[1] == "start":
                fs._record_start(ch, parts[2])
            else:
                fs._record_stop(ch, "success-maxtime")
            return "+OK Success\n"
        if cmd == "uuid_transfer":
            return await fs.uuid_transfer(parts[0], " ".join(parts[1:]))
        if cmd == "conference":
            return await fs.conference_api(arg)
        if cmd == "fsctl" and parts[:1] == ["shutdown"]:
            return "+OK\n"
        if cmd == "hupall":
            for ch in fs.live_channels():
                fs.spawn(fs.hangup(ch.uuid, parts[0] if parts else "MANAGER_REQUEST", "send_bye"))
            return "+OK hangup all channels with cause MANAGER_REQUEST\n"
        if cmd == "sofia_contact":
            ext = parts[0].split("/")[-1].split("@")[0] if parts else ""
            ep = fs.endpoints.get(ext)
            return (
                f"sofia/internal/sip:{ext}@127.0.0.1:5060"
                if ep and ep.registered
                else "error/user_not_registered"
            )
    except (NoSuchChannel, IndexError):
        if cmd == "uuid_bridge":
            return "-ERR Invalid uuid\n"
        return "-ERR No such channel!\n"
    return f"-ERR {cmd} Command not found!\n"


async def _park_channel(fs: FreeSwitch, ch: Channel) -> None:
    partner = fs.channels.get(ch.partner) if ch.partner else None
    if partner is not None and getattr(partner, "bridged", False):
        ch.bridged = False  # type: ignore[attr-defined]
        partner.bridged = False  # type: ignore[attr-defined]
        a, b = (ch, partner) if getattr(ch, "bridge_a", False) else (partner, ch)
        fs.fire("CHANNEL_UNBRIDGE", a, pre=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])
        for leg in (ch, partner):
            leg.talk_generation = getattr(leg, "talk_generation", 0) + 1  # type: ignore[attr-defined]
    await fs._interrupt(ch)
    fs._unpark(ch)
    fs.set_state(ch, "CS_EXECUTE")
    fs._park(ch)


class EventSocketServer:
    """Listens for inbound ESL clients; also connects outbound sockets to the controller for `socket` calls."""

    def __init__(
        self,
        fs: FreeSwitch,
        *,
        host: str = "127.0.0.1",
        port: int = 8021,
        password: str = "ClueCon",
        heartbeat_seconds: float = 20.0,
    ) -> None:
        self.fs = fs
        self.host = host
        self.port = port
        self.password = password
        self.heartbeat_seconds = heartbeat_seconds
        self.server: asyncio.base_events.Server | None = None
        self.connections: set[Connection] = set()
        self._hb: asyncio.Task | None = None
        fs.outbound_connector = self.connect_outbound
        fs.shutdown_hook = self.shutdown

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]
        self._hb = asyncio.get_running_loop().create_task(self._heartbeat())

    async def _heartbeat(self) -> None:
        while True:
            await self.fs.clock.sleep(self.heartbeat_seconds)
            self.fs.heartbeat()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(self.fs, reader, writer, self.password)
        self.connections.add(conn)
        try:
            await conn.serve()
        finally:
            self.connections.discard(conn)

    async def connect_outbound(self, ch: Channel) -> None:
        host, port = self.fs.outbound_address or ("127.0.0.1", 8084)
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            log.warning("outbound socket refused; hanging up", extra={"uuid": ch.uuid})
            await self.fs.hangup(ch.uuid, "DESTINATION_OUT_OF_ORDER", "send_bye")
            return
        conn = Connection(self.fs, reader, writer, self.password, session=ch)
        ch.outbound_conn = conn
        await conn.serve()

    async def shutdown(self) -> None:
        """`fsctl shutdown`: notice to every client, then close."""
        for conn in list(self.connections):
            conn.send(Frame.make("text/disconnect-notice", "The system is being shut down.\n"))
        await asyncio.sleep(0.05)  # let the notices go out before the sockets close
        for conn in list(self.connections):
            conn.close()
        await self.stop()

    async def stop(self) -> None:
        if self._hb is not None:
            self._hb.cancel()
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 1)
        for conn in list(self.connections):
            conn.close()


def now_ms() -> int:
    return int(time.time() * 1000)
