"""The simulated FreeSWITCH core: channels, applications, api commands and the events they fire.

Event names, header blocks and per-leg order follow the FreeSWITCH 1.10.12 recordings in
`shared/esl-traces` (see tests/switch/test_simulator_conformance.py). Time may be scaled (SimClock).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from switch.esl.events import Event
from switch.simulator.audio_script import start_scripted_recording, stop_scripted_recording
from switch.simulator.channel import CALLSTATE_NUMBERS, Q850, SIP_STATUS, Channel
from switch.simulator.cjson import cjson
from switch.simulator.clock import SimClock
from switch.simulator.conference import (
    ALONE_SOUND,
    ENTER_SOUND,
    EXIT_SOUND,
    conference_headers,
    member_fields,
)
from switch.simulator.wav import write_stereo_wav

log = logging.getLogger("hotline.switch.simulator")

VERSION = "1.10.12-release~64bit"
HOSTNAME = "vm"

CALLING = {
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", "2408"),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", "626"),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", "301"),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", "2944"),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", "2967"),
    "API": ("switch_loadable_module.c", "switch_api_execute", "2954"),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", "1002"),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", "1213"),
    "CODEC": ("switch_core_codec.c", "switch_core_session_set_real_read_codec", "168"),
    "CHANNEL_PROGRESS_MEDIA": ("switch_channel.c", "switch_channel_perform_mark_pre_answered", "3560"),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", "3846"),
    "PLAYBACK_START": ("switch_ivr_play_say.c", "switch_ivr_play_file", "1646"),
    "PLAYBACK_STOP": ("switch_ivr_play_say.c", "switch_ivr_play_file", "2020"),
    "PRIVATE_COMMAND": ("switch_ivr.c", "switch_ivr_parse_next_event", "804"),
    "COMMAND": ("switch_ivr_async.c", "switch_ivr_broadcast", "5731"),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", "3445"),
    "CHANNEL_HANGUP_COMPLETE": ("switch_core_state_machine.c", "switch_core_session_reporting_state", "943"),
    "CHANNEL_DESTROY": ("switch_core_session.c", "switch_core_session_perform_destroy", "1584"),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", "677"),
    "CHANNEL_OUTGOING": ("switch_core_session.c", "switch_core_session_outgoing_channel", "768"),
    "CHANNEL_ORIGINATE": ("switch_core_state_machine.c", "switch_core_session_run", "632"),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", "3505"),
    "CALL_UPDATE": ("mod_sofia.c", "sofia_receive_message", "2100"),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", "1572"),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", "1689"),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", "1879"),
    "HEARTBEAT": ("switch_core.c", "send_heartbeat", "95"),
    "RECORD_START": ("switch_ivr_async.c", "record_callback", "1481"),
    "RECORD_STOP": ("switch_ivr_async.c", "send_record_stop_event", "1240"),
    "MEDIA_BUG_START": ("switch_core_media_bug.c", "switch_core_media_bug_add", "1014"),
    "MEDIA_BUG_STOP": ("switch_core_media_bug.c", "switch_core_media_bug_destroy", "84"),
    "CHANNEL_HOLD": ("switch_ivr.c", "switch_ivr_hold", "1558"),
    "CHANNEL_UNHOLD": ("switch_ivr.c", "switch_ivr_unhold", "1638"),
    "CUSTOM": ("conference_member.c", "conference_member_add", "962"),
    "SHUTDOWN": ("switch_core.c", "switch_core_destroy", "3023"),
}

ENDPOINT_RE = re.compile(r"^(?:user/(?P<user>[^@\s]+)(?:@\S+)?|sofia/(?P<profile>[^/]+)/(?P<sip>\S+))$")


_UUID_BRIDGE_CALLING = ("switch_ivr_bridge.c", "uuid_bridge_on_soft_execute", "1236")


class NoSuchChannel(Exception):
    pass


@dataclass
class Endpoint:
    """A registered phone: an agent or supervisor seat, or an external number reached over a gateway."""

    ext: str
    mode: str = "answer"  # answer | busy | noanswer | reject
    ring_seconds: float = 0.5
    registered: bool = True
    # keys the phone sends (RFC 2833) after answering: (seconds after answer, digit); a supervisor with
    # eavesdrop_enable_dtmf switches modes with them (2 whisper, 3 barge, 0 listen, 1 caller only)
    digits: tuple[tuple[float, str], ...] = ()


@dataclass
class CallerScript:
    """How a simulated citizen behaves: what they key, how long they wait and talk."""

    number: str = "13800138000"
    name: str = "Citizen"
    destination: str = "12345"
    digits: list[str] = field(default_factory=list)  # one entry per digit prompt, e.g. "1", "2024#"
    digit_gap: float = 0.6
    patience: float | None = None  # hang up if not bridged to anyone within this many seconds
    talk_seconds: float = 30.0
    hangup_by: str = "agent"  # who ends the conversation: agent | caller
    max_seconds: float = 3600.0
    audio: str | None = None  # WAV streamed into the recording as the call goes (simulator/audio_script.py)


@dataclass
class Conference:
    name: str
    uuid: str
    members: dict[str, int] = field(default_factory=dict)  # channel uuid -> member id
    next_id: int = 1
    created: float = 0.0
    joined: dict[str, float] = field(default_factory=dict)  # channel uuid -> when it joined
    floor: str | None = None  # uuid of the member holding the floor
    exit_sounds: int = 0  # exit tones still playing


class FreeSwitch:
    """Channels and their applications. Listeners receive every event (the ESL server filters them)."""

    def __init__(
        self,
        clock: SimClock | None = None,
        *,
        record_dir: Path | None = None,
        wav_seconds_cap: float | None = None,
        dialplan: dict[str, str] | None = None,
        outbound_address: tuple[str, int] | None = None,
    ) -> None:
        self.clock = clock or SimClock()
        self.core_uuid = str(uuidlib.uuid4())
        self.channels: dict[str, Channel] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.conferences: dict[str, Conference] = {}
        self.listeners: list[Callable[[Event], None]] = []
        self.seq = 100
        self.session_id = 0
        self.sessions_since_startup = 0
        self.started = self.clock.now()
        self.record_dir = record_dir
        self.wav_seconds_cap = wav_seconds_cap
        # destination -> "park" (answer + park), "park-noanswer", "socket" (outbound socket to the controller)
        # the hotline numbers get the project's dialplan (deploy/freeswitch/dialplan/public/00_hotline.xml)
        self.dialplan = dialplan if dialplan is not None else {"12345": "hotline", "123451": "hotline"}
        self.default_route = "park"
        self.outbound_address = outbound_address
        self.outbound_connector: Callable[[Channel], asyncio.Future] | None = None
        self.shutdown_hook: Callable[[], asyncio.Future] | None = (
            None  # `fsctl shutdown` (set by the ESL server)
        )
        self.calls_finished = 0
        self.inbound_live = 0
        self.peak_inbound = 0
        self.events_fired = 0
        self._tasks: set[asyncio.Task] = set()

    async def close(self) -> None:
        """Cancel every running channel task (tests, shutdown)."""
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for ch in self.channels.values():
            if ch.runner is not None:
                tasks.append(ch.runner)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------------ events
    def spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def common(self, name: str, calling: tuple[str, str, str] | None = None) -> list[tuple[str, str]]:
        self.seq += 1
        file, func, line = calling or CALLING.get(name, ("switch_event.c", "switch_event_fire", "1"))
        return [
            ("Event-Name", name),
            ("Core-UUID", self.core_uuid),
            ("FreeSWITCH-Hostname", HOSTNAME),
            ("FreeSWITCH-Switchname", HOSTNAME),
            ("FreeSWITCH-IPv4", "192.0.2.2"),
            ("FreeSWITCH-IPv6", "fd00::2"),
            *self.clock.date_headers(),
            ("Event-Calling-File", file),
            ("Event-Calling-Function", func),
            ("Event-Calling-Line-Number", line),
            ("Event-Sequence", str(self.seq)),
        ]

    def channel_block(self, ch: Channel, *, profile: bool = True) -> list[tuple[str, str]]:
        h = ch.basic()
        if profile:
            h += ch.profile_headers()
            if ch.other_type and ch.variables.get("_other_profile"):
                other = json.loads(ch.variables["_other_profile"])
                h.append(("Other-Type", ch.other_type))
                h += [("Other-Leg-" + k, v) for k, v in other]
        return h

    def fire(
        self,
        name: str,
        ch: Channel | None = None,
        *,
        pre: list[tuple[str, str]] | None = None,
        post: list[tuple[str, str]] | None = None,
        variables: bool = True,
        profile: bool = True,
        calling: tuple[str, str, str] | None = None,
        lead: list[tuple[str, str]] | None = None,
        body: str | None = None,
    ) -> Event:
        headers = list(lead or []) + self.common(name, calling) + list(pre or [])
        if ch is not None:
            headers += self.channel_block(ch, profile=profile)
        headers += list(post or [])
        if ch is not None and variables:
            headers += [(k, v) for k, v in ch.variable_headers() if not k.startswith("variable__")]
        event = Event(headers, body)
        self.events_fired += 1
        for listener in list(self.listeners):
            listener(event)
        return event

    def set_state(self, ch: Channel, state: str, *, profile: bool = True) -> None:
        ch.state = state
        self.fire("CHANNEL_STATE", ch, variables=False, profile=profile)

    def set_callstate(self, ch: Channel, callstate: str) -> None:
        old = ch.callstate
        ch.callstate = callstate
        self.fire(
            "CHANNEL_CALLSTATE",
            ch,
            pre=[
                ("Original-Channel-Call-State", old),
                ("Channel-Call-State-Number", str(CALLSTATE_NUMBERS[callstate])),
            ],
            variables=False,
        )

    def heartbeat(self) -> Event:
        up = int(self.clock.now() - self.started)
        live = len([c for c in self.channels.values() if not c.gone])
        return self.fire(
            "HEARTBEAT",
            post=[
                ("Event-Info", "System Ready"),
                (
                    "Up-Time",
                    f"0 years, 0 days, {up // 3600} hours, {up % 3600 // 60} minutes, {up % 60} seconds, 0 milliseconds, 0 microseconds",
                ),
                ("FreeSWITCH-Version", VERSION),
                ("Uptime-msec", str(up * 1000)),
                ("Session-Count", str(live)),
                ("Max-Sessions", "1000"),
                ("Session-Per-Sec", "30"),
                ("Session-Per-Sec-Last", "0"),
                ("Session-Per-Sec-Max", "1"),
                ("Session-Per-Sec-FiveMin", "0"),
                ("Session-Since-Startup", str(self.sessions_since_startup)),
                ("Session-Peak-Max", str(live)),
                ("Session-Peak-FiveMin", str(live)),
                ("Idle-CPU", "98.000000"),
            ],
        )

    # ------------------------------------------------------------------ channel creation
    def _new_channel(self, uuid: str, name: str, direction: str) -> Channel:
        self.session_id += 1
        self.sessions_since_startup += 1
        ch = Channel(uuid=uuid, name=name, direction=direction, created_us=self.clock.now_us())
        ch.app_queue = asyncio.Queue()
        self.channels[uuid] = ch
        return ch

    def get(self, uuid: str) -> Channel:
        ch = self.channels.get(uuid)
        if ch is None or ch.gone:
            raise NoSuchChannel(uuid)
        return ch

    def live_channels(self) -> list[Channel]:
        return [c for c in self.channels.values() if not c.gone]

    async def inbound_call(self, script: CallerScript, *, uuid: str | None = None) -> Channel:
        """A citizen's INVITE: the dialplan runs, then the call is parked or handed to the outbound socket."""
        uuid = uuid or str(uuidlib.uuid4())
        name = f"sofia/external/{script.number}@127.0.0.1:5070"
        ch = self._new_channel(uuid, name, "inbound")
        ch.script = script
        self.inbound_live += 1
        self.peak_inbound = max(self.peak_inbound, self.inbound_live)
        ch.profile = {
            "Direction": "inbound",
            "Logical-Direction": "inbound",
            "Username": script.number,
            "Dialplan": "XML",
            "Caller-ID-Name": script.name,
            "Caller-ID-Number": script.number,
            "Orig-Caller-ID-Name": script.name,
            "Orig-Caller-ID-Number": script.number,
            "Network-Addr": "127.0.0.1",
            "ANI": script.number,
            "Destination-Number": script.destination,
            "Source": "mod_sofia",
            "Context": "public",
        }
        self.fire("CHANNEL_STATE", ch, variables=False, profile=False)  # CS_NEW: basic data only
        self.set_state(ch, "CS_INIT")
        ch.variables.update(
            {
                "direction": "inbound",
                "uuid": uuid,
                "call_uuid": uuid,
                "session_id": str(self.session_id),
                "sip_from_user": script.number,
                "sip_from_port": "5070",
                "sip_from_uri": f"{script.number}@127.0.0.1:5070",
                "sip_from_host": "127.0.0.1",
                "video_media_flow": "disabled",
                "audio_media_flow": "disabled",
                "text_media_flow": "disabled",
                "channel_name": name,
                "sip_call_id": f"{uuid[:8]}@127.0.0.1",
                "sip_local_network_addr": "127.0.0.1",
                "sip_network_ip": "127.0.0.1",
                "sip_network_port": "5070",
                "sip_invite_stamp": str(ch.created_us),
                "sip_received_ip": "127.0.0.1",
                "sip_received_port": "5070",
                "sip_via_protocol": "udp",
                "sip_from_user_stripped": script.number,
                "sofia_profile_name": "external",
                "sofia_profile_url": "sip:mod_sofia@127.0.0.1:5080",
                "recovery_profile_name": "external",
                "sip_from_display": script.name,
                "sip_req_user": script.destination,
                "sip_req_port": "5080",
                "sip_req_uri": f"{script.destination}@127.0.0.1:5080",
                "sip_req_host": "127.0.0.1",
                "sip_to_user": script.destination,
                "sip_to_port": "5080",
                "sip_to_uri": f"{script.destination}@127.0.0.1:5080",
                "sip_to_host": "127.0.0.1",
                "rtp_use_codec_string": "PCMU,PCMA",
                "sip_user_agent": "hotline-simulator",
                "max_forwards": "70",
                "ep_codec_string": "CORE_PCM_MODULE.PCMU@8000h@20i@64000b",
                "endpoint_disposition": "DELAYED NEGOTIATION",
            }
        )
        self.fire("CHANNEL_CREATE", ch)
        self.set_callstate(ch, "RINGING")
        self.set_state(ch, "CS_ROUTING")
        self.set_state(ch, "CS_EXECUTE")
        route = self.dialplan.get(script.destination, self.default_route)
        await self._dialplan_app(ch, "set", "outside_call=true", "outside_call", "true")
        date = self.clock.date_headers()[1][1].replace(" GMT", " +0000")
        await self._dialplan_app(ch, "export", f"RFC2822_DATE={date}", "RFC2822_DATE", date)
        if route in (
            "hotline",
            "hotline-socket",
        ):  # hotline-socket: the outbound-socket variant of 00_hotline.xml
            await self._dialplan_app(ch, "set", "hotline_inbound=true", "hotline_inbound", "true")
            await self._dialplan_app(ch, "set", "hangup_after_bridge=false", "hangup_after_bridge", "false")
            await self._dialplan_app(ch, "set", "RECORD_STEREO=true", "RECORD_STEREO", "true")
        if route in ("park", "hotline", "hotline-socket"):
            self._exec_event(ch, "answer", "")
            await self._answer(ch)
            self._exec_complete(ch, "answer", "")
        ch.runner = self.spawn(self._run_apps(ch))
        if route in ("socket", "hotline-socket") and self.outbound_connector is not None:
            arg = "{}:{} async full".format(*(self.outbound_address or ("127.0.0.1", 8084)))
            ch.variables["current_application"] = "socket"
            self._exec_event(ch, "socket", arg)
            ch.parked = True
            ch.parked_app = ("socket", arg)  # type: ignore[attr-defined]
            self.spawn(self.outbound_connector(ch))
        else:
            self._park(ch)
        self.spawn(self._caller_behaviour(ch))
        return ch

    async def _dialplan_app(self, ch: Channel, app: str, arg: str, var: str, value: str) -> None:
        self._exec_event(ch, app, arg)
        ch.variables[var] = value
        self._exec_complete(ch, app, arg)

    # ------------------------------------------------------------------ application events
    def _exec_event(
        self, ch: Channel, app: str, arg: str, app_uuid: str | None = None, *, with_uuid: bool = True
    ) -> str:
        app_uuid = app_uuid or str(uuidlib.uuid4())
        ch.variables["current_application_data"] = arg
        ch.variables["current_application"] = app
        post = [("Application", app)]
        if arg:
            post.append(("Application-Data", arg))
        if with_uuid:
            post.append(("Application-UUID", app_uuid))
        self.fire("CHANNEL_EXECUTE", ch, post=post, calling=_UUID_BRIDGE_CALLING if not with_uuid else None)
        return app_uuid

    def _exec_complete(
        self, ch: Channel, app: str, arg: str, app_uuid: str | None = None, response: str | None = None
    ) -> None:
        if response is not None:
            ch.variables["current_application_response"] = response
        post = [("Application", app)]
        if arg:
            post.append(("Application-Data", arg))
        post.append(("Application-Response", ch.variables.get("current_application_response", "_none_")))
        post.append(("Application-UUID", app_uuid or str(uuidlib.uuid4())))
        ch.variables["last_app"] = app
        ch.variables["last_arg"] = arg
        self.fire("CHANNEL_EXECUTE_COMPLETE", ch, post=post)

    def _park(self, ch: Channel) -> None:
        ch.parked_app = ("park", "")  # type: ignore[attr-defined]
        ch.park_uuid = self._exec_event(ch, "park", "")  # type: ignore[attr-defined]
        ch.parked = True
        self.fire("CHANNEL_PARK", ch)

    def _unpark(self, ch: Channel) -> None:
        if not ch.parked:
            return
        ch.parked = False
        self.fire("CHANNEL_UNPARK", ch)
        app, arg = getattr(ch, "parked_app", ("park", ""))
        self._exec_complete(ch, app, arg, getattr(ch, "park_uuid", None))

    async def _answer(self, ch: Channel) -> None:
        if ch.answer_state == "answered":
            return
        ch.codec = True
        self.fire(
            "CODEC",
            ch,
            variables=False,
            post=[
                ("channel-read-codec-name", "PCMU"),
                ("channel-read-codec-rate", "8000"),
                ("channel-read-codec-bit-rate", "64000"),
            ],
        )
        self.fire(
            "CODEC",
            ch,
            variables=False,
            calling=("switch_core_codec.c", "switch_core_session_set_write_codec", "450"),
            post=[
                ("Channel-Write-Codec-Name", "PCMU"),
                ("Channel-Write-Codec-Rate", "8000"),
                ("Channel-Write-codec-bit-rate", "64000"),
            ],
        )
        now = self.clock.now_us()
        if ch.direction == "inbound":
            ch.answer_state = "early"
            ch.progress_media_us = now
            ch.variables["progress_media_stamp"] = str(now)
            self.fire("CHANNEL_PROGRESS_MEDIA", ch)
            self.set_callstate(ch, "EARLY")
        ch.answer_state = "answered"
        ch.answered_us = now
        ch.variables["endpoint_disposition"] = "ANSWER"
        ch.variables["answer_stamp"] = str(now)
        self.fire("CHANNEL_ANSWER", ch)
        self.set_callstate(ch, "ACTIVE")

    def _read_codec(self, ch: Channel, codec: str) -> None:
        """The leg's read codec changes: L16 while in a conference or eavesdropping, PCMU again after."""
        self.fire(
            "CODEC",
            ch,
            variables=False,
            calling=("switch_core_codec.c", "switch_core_session_set_read_codec", "279"),
            post=[
                ("channel-read-codec-name", codec),
                ("channel-read-codec-rate", "8000"),
                ("channel-read-codec-bit-rate", "128000" if codec == "L16" else "64000"),
            ],
        )

    def _private_command(self, ch: Channel, msg: list[tuple[str, str]], *, broadcast: bool = False) -> None:
        if broadcast:
            lead = self.common("COMMAND", CALLING["COMMAND"]) + msg
            self.fire("PRIVATE_COMMAND", ch, lead=lead, variables=False)
        else:
            self.fire("PRIVATE_COMMAND", ch, lead=[("Command", f"sendmsg {ch.uuid}"), *msg], variables=False)

    # ------------------------------------------------------------------ the per-channel application runner
    async def _run_apps(self, ch: Channel) -> None:
        """One application at a time, like a channel thread; cancelled (and restarted) to interrupt."""
        assert ch.app_queue is not None
        while not ch.gone:
            app, arg, app_uuid, msg, broadcast = await ch.app_queue.get()
            if ch.gone:
                break
            await self._execute(ch, app, arg, app_uuid, msg, broadcast)

    def queue_app(
        self,
        ch: Channel,
        app: str,
        arg: str,
        *,
        app_uuid: str | None = None,
        msg: list[tuple[str, str]] | None = None,
        broadcast: bool = False,
    ) -> None:
        assert ch.app_queue is not None
        ch.app_queue.put_nowait((app, arg, app_uuid or str(uuidlib.uuid4()), msg or [], broadcast))

    async def _interrupt(self, ch: Channel) -> None:
        """Stop whatever the channel is running (bridge, hangup): PLAYBACK_STOP + EXECUTE_COMPLETE PLAYBACK ERROR."""
        current = getattr(ch, "current", None)
        if current is None:
            return
        ch.current = None  # type: ignore[attr-defined]
        app, arg, app_uuid, msg, broadcast = current
        response = None
        if ch.playback is not None:
            self._playback_stop(ch, ch.playback, "done")
            response = "PLAYBACK ERROR"
        self._restart_runner(ch)
        self._exec_complete(ch, app, arg, app_uuid, response=response)
        if msg:
            self._private_command(ch, msg, broadcast=broadcast)

    def _restart_runner(self, ch: Channel) -> None:
        if ch.runner is not None and not ch.runner.done() and ch.runner is not asyncio.current_task():
            ch.runner.cancel()
        if not ch.gone:
            ch.runner = self.spawn(self._run_apps(ch))

    def _playback_stop(self, ch: Channel, path: str, status: str) -> None:
        ch.playback = None
        self.fire(
            "PLAYBACK_STOP",
            ch,
            post=[
                ("Playback-File-Type", _file_type(path)),
                ("Playback-File-Path", path),
                ("Playback-Status", status),
            ],
        )

    async def _play(self, ch: Channel, path: str) -> bool:
        """Play one file; returns False if the caller interrupted it with a digit."""
        ch.playback = path
        self.fire(
            "PLAYBACK_START",
            ch,
            post=[("Playback-File-Type", _file_type(path)), ("Playback-File-Path", path)],
        )
        await self.clock.sleep(playback_seconds(path))
        ch.playback = None
        self._playback_stop(ch, path, "done")
        ch.variables["playback_seconds"] = str(int(playback_seconds(path)))
        return True

    async def _execute(
        self, ch: Channel, app: str, arg: str, app_uuid: str, msg: list[tuple[str, str]], broadcast: bool
    ) -> None:
        ch.current = (app, arg, app_uuid, msg, broadcast)  # type: ignore[attr-defined]
        self._exec_event(ch, app, arg, app_uuid)
        response = "_none_"
        if app == "playback":
            loops = int(dict(msg).get("loops", "1") or 1)
            for _ in range(max(1, loops)):
                await self._play(ch, arg)
            response = "FILE PLAYED"
        elif app == "play_and_get_digits":
            await self._play_and_get_digits(ch, arg)
        elif app == "answer":
            await self._answer(ch)
        elif app in ("set", "export"):
            key, _, value = arg.partition("=")
            ch.variables[key] = value
        elif app == "sleep":
            await self.clock.sleep(int(arg or "0") / 1000)
        elif app == "hangup":
            ch.current = None  # type: ignore[attr-defined]
            self.spawn(self.hangup(ch.uuid, arg or "NORMAL_CLEARING", "send_bye"))
            return
        elif app == "park":
            ch.current = None  # type: ignore[attr-defined]
            self.fire("CHANNEL_PARK", ch)
            ch.parked = True
            ch.parked_app = ("park", "")  # type: ignore[attr-defined]
            ch.park_uuid = app_uuid  # type: ignore[attr-defined]
            return
        elif app == "record":
            # record <path> [limit_s] [silence_thresh] [silence_hits]: the caller speaks for their talk time
            parts = arg.split()
            limit = float(parts[1]) if len(parts) > 1 else 60.0
            script = ch.script if isinstance(ch.script, CallerScript) else None
            self._record_start(ch, parts[0])
            await self.clock.sleep(min(limit, script.talk_seconds if script else limit))
            self._record_stop(ch, "success-silence")
        elif app == "record_session":
            self._record_start(ch, arg.split()[0])
        elif app == "conference":
            ch.current = None  # type: ignore[attr-defined]
            self._conference_join(ch, arg, app_uuid, announce=False)
            return
        elif app == "bridge":
            ch.current = None  # type: ignore[attr-defined]
            self.spawn(self._bridge_app(ch, arg, app_uuid))
            return
        elif app == "eavesdrop":
            ch.current = None  # type: ignore[attr-defined]
            self._eavesdrop_start(ch, arg, app_uuid)
            return
        if getattr(ch, "current", None) is None or ch.gone:
            return
        ch.current = None  # type: ignore[attr-defined]
        self._exec_complete(ch, app, arg, app_uuid, response=response)
        if msg:
            self._private_command(ch, msg, broadcast=broadcast)

    async def _play_and_get_digits(self, ch: Channel, arg: str) -> None:
        parts = arg.split()
        min_d, max_d, tries, timeout_ms, terminators, prompt = (
            int(parts[0]),
            int(parts[1]),
            int(parts[2]),
            int(parts[3]),
            parts[4],
            parts[5],
        )
        var = parts[7] if len(parts) > 7 else "pagd_input"
        script: CallerScript | None = ch.script if isinstance(ch.script, CallerScript) else None
        digits = ""
        terminator = ""
        for _ in range(max(1, tries)):
            await self._play(ch, prompt)
            planned = script.digits.pop(0) if script and script.digits else None
            if planned is None:
                await self.clock.sleep(timeout_ms / 1000)
                continue
            for d in planned:
                await self.clock.sleep(script.digit_gap)
                self.fire(
                    "DTMF",
                    ch,
                    variables=False,
                    post=[("DTMF-Digit", d), ("DTMF-Duration", "2240"), ("DTMF-Source", "RTP")],
                )
                if d in terminators:
                    terminator = d
                    break
                digits += d
                if len(digits) >= max_d:
                    break
            if len(digits) >= min_d:
                break
            digits = ""
        if digits:
            ch.variables[var] = digits
            ch.variables["read_result"] = "success"
        else:
            ch.variables["read_result"] = "timeout"
        if terminator:
            ch.variables["read_terminator_used"] = terminator
        ch.variables["current_application_response"] = "_none_"

    # ------------------------------------------------------------------ hangup
    async def hangup(self, uuid: str, cause: str = "NORMAL_CLEARING", disposition: str = "send_bye") -> None:
        ch = self.channels.get(uuid)
        if ch is None or ch.gone or ch.hangup_cause:
            return
        ch.hangup_cause = cause
        ch.answer_state = "hangup"
        ch.hangup_us = self.clock.now_us()
        ch.variables["sip_hangup_disposition"] = disposition
        ch.variables["hangup_cause"] = cause
        ch.variables["hangup_cause_q850"] = str(Q850.get(cause, 16))
        ch.variables["proto_specific_hangup_cause"] = f"sip:{SIP_STATUS.get(cause, 200)}"
        self.fire("CHANNEL_HANGUP", ch)
        if ch.record_path:
            self._record_stop(ch, "success-maxtime")
        await self._interrupt(ch)
        self._unpark(ch)
        partner = self.channels.get(ch.partner) if ch.partner else None
        self._eavesdrop_end_for(ch)
        self._conference_leave(ch)
        self.set_state(ch, "CS_HANGUP")
        old = ch.callstate
        self.set_callstate(ch, "HANGUP") if old != "HANGUP" else None
        self.set_state(ch, "CS_REPORTING")
        self._final_variables(ch)
        self.fire("CHANNEL_HANGUP_COMPLETE", ch, pre=[("Hangup-Cause", cause)])
        conn = ch.outbound_conn
        if conn is not None:
            conn.channel_gone(ch)  # type: ignore[attr-defined]
        ch.gone = True
        if ch.direction == "inbound":
            self.inbound_live -= 1
        if (
            partner is not None
            and not partner.gone
            and partner.partner == ch.uuid
            and getattr(partner, "bridged", False)
        ):
            await self._after_partner_hangup(partner, ch)
        self.fire("CHANNEL_DESTROY", ch)
        self.set_state(ch, "CS_DESTROY")
        if ch.runner is not None and ch.runner is not asyncio.current_task():
            ch.runner.cancel()
        self.calls_finished += 1
        self.spawn(self._forget(ch.uuid))

    async def _forget(self, uuid: str) -> None:
        await asyncio.sleep(5)
        self.channels.pop(uuid, None)

    def _final_variables(self, ch: Channel) -> None:
        created = ch.created_us
        end = ch.hangup_us
        answered = ch.answered_us
        v = ch.variables
        v["start_stamp"] = _stamp(created)
        v["start_epoch"] = str(created // 1_000_000)
        v["start_uepoch"] = str(created)
        v["answer_epoch"] = str(answered // 1_000_000)
        v["answer_uepoch"] = str(answered)
        v["bridge_epoch"] = str(ch.bridged_us // 1_000_000)
        v["bridge_uepoch"] = str(ch.bridged_us)
        v["hold_accum_seconds"] = str(ch.hold_accum_us // 1_000_000)
        v["hold_accum_ms"] = str(ch.hold_accum_us // 1000)
        v["end_stamp"] = _stamp(end)
        v["end_epoch"] = str(end // 1_000_000)
        v["end_uepoch"] = str(end)
        v["caller_id"] = f'"{ch.profile.get("Caller-ID-Name", "")}" <{ch.caller_number}>'
        v["duration"] = str(max(0, end - created) // 1_000_000)
        v["billsec"] = str(max(0, end - answered) // 1_000_000 if answered else 0)
        v["answersec"] = str(max(0, answered - created) // 1_000_000 if answered else 0)
        v["waitsec"] = str(max(0, (ch.bridged_us or end) - created) // 1_000_000)
        v["progresssec"] = str(max(0, ch.progress_us - created) // 1_000_000 if ch.progress_us else 0)
        v["mduration"] = str(max(0, end - created) // 1000)
        v["billmsec"] = str(max(0, end - answered) // 1000 if answered else 0)
        v["flow_billsec"] = v["billsec"]

    async def _after_partner_hangup(self, ch: Channel, gone: Channel) -> None:
        """The other leg of a bridge hung up: UNBRIDGE on the A leg, then park or hang up this leg."""
        ch.bridged = False  # type: ignore[attr-defined]
        gone.bridged = False  # type: ignore[attr-defined]
        a, b = (ch, gone) if ch.other_type == "originatee" or getattr(ch, "bridge_a", False) else (gone, ch)
        self.fire("CHANNEL_UNBRIDGE", a, pre=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])
        ch.variables["last_bridge_hangup_cause"] = gone.hangup_cause or "NORMAL_CLEARING"
        ch.variables["bridge_hangup_cause"] = gone.hangup_cause or "NORMAL_CLEARING"
        bridge_app = getattr(ch, "bridge_app", None)
        if bridge_app is not None:
            ch.bridge_app = None  # type: ignore[attr-defined]
        keep = (
            ch.variables.get("park_after_bridge") == "true"
            or ch.variables.get("hangup_after_bridge") == "false"
        )
        if keep and not ch.gone:
            self.set_state(ch, "CS_EXECUTE")
            if bridge_app is not None:
                self._exec_complete(ch, "bridge", bridge_app[0], bridge_app[1])
            self._park(ch)
            self._restart_runner(ch)
            return
        if bridge_app is not None:
            self.spawn(self._hangup_after_bridge_app(ch, bridge_app))
            return
        self.set_state(ch, "CS_EXECUTE")
        self.spawn(self.hangup(ch.uuid, "NORMAL_CLEARING", "send_bye"))

    async def _hangup_after_bridge_app(self, ch: Channel, bridge_app: tuple[str, str]) -> None:
        # hangup_after_bridge=true: CHANNEL_HANGUP comes before the bridge app's EXECUTE_COMPLETE.
        ch.current = ("bridge", bridge_app[0], bridge_app[1], [], False)  # type: ignore[attr-defined]
        await self.hangup(ch.uuid, "NORMAL_CLEARING", "send_bye")

    # ------------------------------------------------------------------ bridge
    def _profile_snapshot(self, ch: Channel) -> str:
        p = ch.profile_values()
        from switch.simulator.channel import PROFILE_ORDER

        return json.dumps([(k, p[k]) for k in PROFILE_ORDER if p.get(k)])

    def _link(self, a: Channel, b: Channel) -> None:
        a.partner, b.partner = b.uuid, a.uuid
        a.other_type, b.other_type = "originatee", "originator"
        a.variables["_other_profile"] = self._profile_snapshot(b)
        b.variables["_other_profile"] = self._profile_snapshot(a)
        now = self.clock.now_us()
        a.bridged_us = a.bridged_us or now
        b.bridged_us = b.bridged_us or now
        for x, y in ((a, b), (b, a)):
            x.bridged = True  # type: ignore[attr-defined]
            x.variables["bridge_uuid"] = y.uuid
            x.variables["last_bridge_to"] = y.uuid
            x.variables["signal_bond"] = y.uuid
            x.variables["bridge_channel"] = y.name
            x.variables["bridge_stamp"] = _stamp(now)
        a.bridge_a = True  # type: ignore[attr-defined]
        b.bridge_a = False  # type: ignore[attr-defined]
        if b.direction == "outbound":
            b.profile["Callee-ID-Number"] = a.caller_number
        a.profile["Callee-ID-Name"] = b.profile.get("Caller-ID-Name", "")
        a.profile["Callee-ID-Number"] = b.profile.get("Destination-Number", "") or b.caller_number

    async def uuid_bridge(self, a_uuid: str, b_uuid: str) -> str:
        a = self.channels.get(a_uuid)
        b = self.channels.get(b_uuid)
        if a is None or a.gone or b is None or b.gone:
            return "-ERR Invalid uuid\n"
        self.spawn(self._do_uuid_bridge(a, b))
        return f"+OK {b_uuid}\n"

    async def _do_uuid_bridge(self, a: Channel, b: Channel) -> None:
        await asyncio.sleep(0)
        for leg in (a, b):  # a conference member pulled into a bridge leaves its room (consult completed)
            self._conference_leave(leg)
        self._link(a, b)  # other-leg data is attached before the legs leave park
        for leg in (b, a):
            await self._interrupt(leg)
            self._unpark(leg)
            self.set_state(leg, "CS_HIBERNATE")
            self.set_state(leg, "CS_RESET")
        self.set_state(a, "CS_SOFT_EXECUTE")
        self.set_state(b, "CS_SOFT_EXECUTE")
        a.profile["Transfer-Source"] = f"{int(self.clock.now())}:{a.uuid}:uuid_br:{b.uuid}"
        b.profile["Transfer-Source"] = f"{int(self.clock.now())}:{b.uuid}:uuid_br:{a.uuid}"
        self._exec_event(a, "uuid_bridge", b.uuid, with_uuid=False)
        self._exec_event(b, "uuid_bridge", a.uuid, with_uuid=False)
        self.fire("CHANNEL_BRIDGE", a, pre=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)])
        # (04 plain once shows B passing CS_CONSUME_MEDIA here; 03, 04 json and 05 do not: a race, left out)
        self.set_state(b, "CS_EXCHANGE_MEDIA")
        a.state = "CS_EXCHANGE_MEDIA"
        self._call_update(a, b)
        self._call_update(b, a)
        self._on_bridged(a, b)

    def _call_update(self, ch: Channel, other: Channel) -> None:
        self.fire(
            "CALL_UPDATE",
            ch,
            pre=[
                ("Direction", "SEND"),
                ("Sent-Callee-ID-Name", other.profile.get("Caller-ID-Name", "")),
                ("Sent-Callee-ID-Number", other.caller_number),
                ("Bridged-To", other.uuid),
            ],
        )

    def _on_bridged(self, a: Channel, b: Channel) -> None:
        """Start the conversation timer of the citizen's script (who hangs up after talk time)."""
        caller, agent = (a, b) if isinstance(a.script, CallerScript) else (b, a)
        script = caller.script
        if not isinstance(script, CallerScript) or agent.endpoint is None:
            return
        caller.talk_generation = getattr(caller, "talk_generation", 0) + 1  # type: ignore[attr-defined]
        self.spawn(self._talk(caller, agent, script, caller.talk_generation))  # type: ignore[attr-defined]

    async def _talk(self, caller: Channel, agent: Channel, script: CallerScript, generation: int) -> None:
        await self.clock.sleep(script.talk_seconds)
        if getattr(caller, "talk_generation", 0) != generation:
            return  # transferred or re-bridged meanwhile: the new bridge restarts the timer
        if caller.gone or agent.gone or caller.partner != agent.uuid:
            return
        if script.hangup_by == "caller":
            await self.hangup(caller.uuid, "NORMAL_CLEARING", "recv_bye")
        else:
            await self.hangup(agent.uuid, "NORMAL_CLEARING", "recv_bye")

    async def _bridge_app(self, ch: Channel, arg: str, app_uuid: str) -> None:
        """`bridge` application (used by uuid_transfer inline): originate B, then bridge with CHANNEL_BRIDGE."""
        self.set_callstate(ch, "RING_WAIT")
        ch.bridge_app = (arg, app_uuid)  # type: ignore[attr-defined]
        result = await self.originate(arg, None, parent=ch)
        if not result.startswith("+OK") or ch.gone:
            if not ch.gone:
                ch.bridge_app = None  # type: ignore[attr-defined]
                ch.variables["originate_disposition"] = result[5:].strip()
                self.set_callstate(ch, "ACTIVE")
                self._exec_complete(ch, "bridge", arg, app_uuid)
                ends = ch.variables.get("hangup_after_bridge") == "true" or getattr(ch, "inline_app", False)
                if ends and ch.variables.get("continue_on_fail") != "true":
                    await self.hangup(ch.uuid, result[5:].strip() or "NORMAL_CLEARING", "send_bye")
                else:
                    self._park(ch)
            return
        b = self.get(result[4:].strip())
        self.set_callstate(ch, "ACTIVE")
        self._link(ch, b)
        self.fire("CHANNEL_BRIDGE", ch, pre=[("Bridge-A-Unique-ID", ch.uuid), ("Bridge-B-Unique-ID", b.uuid)])
        self.set_state(b, "CS_EXCHANGE_MEDIA")
        self._call_update(b, ch)
        self._call_update(ch, b)
        self._on_bridged(ch, b)

    # ------------------------------------------------------------------ originate
    def endpoint_for(self, dial: str) -> tuple[str, str, Endpoint | None]:
        """(channel name, destination number, endpoint) for a dial string; gateways reach external numbers."""
        m = ENDPOINT_RE.match(dial)
        if not m:
            return "", "", None
        if m.group("user"):
            ext = m.group("user")
            return f"sofia/internal/{ext}@127.0.0.1", ext, self.endpoints.get(ext)
        profile, sip = m.group("profile"), m.group("sip")
        if profile == "gateway":
            number = sip.split("/", 1)[1] if "/" in sip else sip
            return f"sofia/gateway/{sip}", number, Endpoint(ext=number)
        ext = sip.split("@", 1)[0]
        ep = self.endpoints.get(ext) or Endpoint(ext=ext)
        return f"sofia/{profile}/{sip}", ext, ep

    async def originate(self, args: str, job_uuid: str | None, *, parent: Channel | None = None) -> str:
        """`originate {vars}endpoint &app(arg)` (or bridge's dial string when `parent` is given)."""
        args = args.strip()
        variables: dict[str, str] = {}
        if args.startswith("{"):
            end = args.index("}")
            for item in _split_vars(args[1:end]):
                key, _, value = item.partition("=")
                variables[key.strip()] = value
            args = args[end + 1 :]
        dial, _, app = args.partition(" ")
        app = app.strip()
        name, dest, ep = self.endpoint_for(dial)
        if ep is None:
            return "-ERR USER_NOT_REGISTERED\n" if dial.startswith("user/") else "-ERR CHAN_NOT_IMPLEMENTED\n"
        if not ep.registered:
            return "-ERR USER_NOT_REGISTERED\n"
        uuid = variables.get("origination_uuid") or str(uuidlib.uuid4())
        ch = self._new_channel(uuid, name, "outbound")
        ch.endpoint = ep.ext
        cid_num = variables.get(
            "origination_caller_id_number", parent.caller_number if parent else "0000000000"
        )
        cid_name = variables.get(
            "origination_caller_id_name", parent.profile.get("Caller-ID-Name", "") if parent else ""
        )
        ch.profile = {
            "Direction": "outbound",
            "Logical-Direction": "outbound",
            "Caller-ID-Name": cid_name,
            "Caller-ID-Number": cid_num,
            "Orig-Caller-ID-Name": cid_name,
            "Orig-Caller-ID-Number": cid_num,
            "Callee-ID-Name": "Outbound Call",
            "Callee-ID-Number": dest,
            "ANI": cid_num,
            "Destination-Number": dest,
            "Source": "src/switch_ivr_originate.c",
            "Context": "default",
        }
        ch.state = "CS_INIT"
        if parent is not None:
            parent_snapshot = self._profile_snapshot(parent)
            ch.other_type = "originator"
            ch.variables["_other_profile"] = parent_snapshot
        self.fire("CHANNEL_OUTGOING", ch, variables=False)
        self.set_state(ch, "CS_INIT")
        ch.variables.update(
            {
                "direction": "outbound",
                "is_outbound": "true",
                "uuid": uuid,
                "call_uuid": uuid,
                "session_id": str(self.session_id),
                "sip_local_network_addr": "127.0.0.1",
                "sip_profile_name": "external",
                "video_media_flow": "disabled",
                "text_media_flow": "disabled",
                "channel_name": name,
                "sip_destination_url": f"sip:{dial.split('/')[-1]}",
            }
        )
        ch.variables.update(variables)
        ch.variables.update({"originate_early_media": "false", "originate_endpoint": "sofia"})
        self.fire("CHANNEL_CREATE", ch)
        self.fire("CHANNEL_ORIGINATE", ch)
        self.set_state(ch, "CS_ROUTING")
        self.set_state(ch, "CS_CONSUME_MEDIA")
        timeout = float(variables.get("originate_timeout", "60") or 60)
        if ep.mode in ("busy", "reject"):
            cause = "USER_BUSY" if ep.mode == "busy" else "CALL_REJECTED"
            await self.clock.sleep(0.02)
            await self._fail_leg(ch, cause, "recv_refuse", job_uuid, args, before_complete=False)
            return f"-ERR {cause}\n"
        ch.progress_us = self.clock.now_us()
        ch.profile["Network-Addr"] = "127.0.0.1"
        self.fire("CHANNEL_PROGRESS", ch)
        self.set_callstate(ch, "RINGING")
        ring = ep.ring_seconds if ep.mode == "answer" else timeout
        waited = 0.0
        while waited < min(ring, timeout):
            step = min(0.25, min(ring, timeout) - waited)
            await self.clock.sleep(step)
            waited += step
            if ch.gone or (parent is not None and parent.gone):
                if not ch.gone:
                    await self.hangup(ch.uuid, "ORIGINATOR_CANCEL", "send_cancel")
                return "-ERR ORIGINATOR_CANCEL\n"
            if ch.answer_state == "answered":  # uuid_answer: answered from the agent desk while ringing
                break
        if ch.gone:
            return f"-ERR {ch.hangup_cause or 'NORMAL_CLEARING'}\n"
        if ch.answer_state != "answered" and (ep.mode != "answer" or ring >= timeout):
            await self._fail_leg(ch, "NO_ANSWER", "send_cancel", job_uuid, args, before_complete=True)
            return "-ERR NO_ANSWER\n"
        await self._answer(ch)
        # switch_channel_flip_cid on answer: the callee name becomes the originating caller id name
        ch.profile["Callee-ID-Name"] = variables.get("origination_caller_id_name", "")
        if parent is not None:
            return f"+OK {uuid}\n"
        self.fire("CALL_UPDATE", ch, pre=[("Direction", "RECV")])
        result = f"+OK {uuid}\n"
        if job_uuid:
            self._background_job(job_uuid, args, result)
        self.set_state(ch, "CS_EXECUTE")
        ch.runner = self.spawn(self._run_apps(ch))
        self._start_originate_app(ch, app)
        if ep.digits:
            self.spawn(self._phone_keys(ch, ep.digits))
        return result

    async def _phone_keys(self, ch: Channel, digits: tuple[tuple[float, str], ...]) -> None:
        """A phone keys digits during the call (200 ms RFC 2833 events, as the supervisor did in trace 05)."""
        started = self.clock.now()
        for at, digit in digits:
            await self.clock.sleep(max(0.0, at - (self.clock.now() - started)))
            if ch.gone:
                return
            self.fire(
                "DTMF",
                ch,
                variables=False,
                post=[("DTMF-Digit", digit), ("DTMF-Duration", "1600"), ("DTMF-Source", "RTP")],
            )
            if ch.eavesdrop_target and ch.variables.get("eavesdrop_enable_dtmf") == "true":
                self.eavesdrop_command(ch.uuid, digit)

    def _start_originate_app(self, ch: Channel, app: str) -> None:
        m = re.match(r"^&(\w+)\((.*)\)$", app)
        ch.inline_app = bool(m)  # type: ignore[attr-defined]  # no dialplan after it: the leg ends with the app
        if m:
            name, arg = m.group(1), m.group(2)
            if name == "park":
                self._park(ch)
            else:
                self.queue_app(ch, name, arg)
        elif app:
            # an extension: route it through the dialplan as a parked call
            self._park(ch)

    async def _fail_leg(
        self,
        ch: Channel,
        cause: str,
        disposition: str,
        job_uuid: str | None,
        args: str,
        *,
        before_complete: bool,
    ) -> None:
        ch.hangup_cause = cause
        ch.answer_state = "hangup"
        ch.hangup_us = self.clock.now_us()
        ch.variables.update(
            {
                "sip_hangup_disposition": disposition,
                "hangup_cause": cause,
                "hangup_cause_q850": str(Q850.get(cause, 16)),
                "originate_disposition": cause,
                "endpoint_disposition": cause,
                "sip_term_status": str(SIP_STATUS.get(cause, 486)),
                "proto_specific_hangup_cause": f"sip:{SIP_STATUS.get(cause, 486)}",
            }
        )
        self.fire("CHANNEL_HANGUP", ch)
        if before_complete and job_uuid:
            self._background_job(job_uuid, args, f"-ERR {cause}\n")
        self.set_state(ch, "CS_HANGUP")
        self.set_callstate(ch, "HANGUP")
        self.set_state(ch, "CS_REPORTING")
        self._final_variables(ch)
        self.fire("CHANNEL_HANGUP_COMPLETE", ch, pre=[("Hangup-Cause", cause)])
        if not before_complete and job_uuid:
            self._background_job(job_uuid, args, f"-ERR {cause}\n")
        ch.gone = True
        self.fire("CHANNEL_DESTROY", ch)
        self.set_state(ch, "CS_DESTROY")
        self.spawn(self._forget(ch.uuid))

    def _background_job(self, job_uuid: str, args: str, result: str, command: str = "originate") -> None:
        # the API event of a bgapi command comes just before its BACKGROUND_JOB (recorded order)
        self.fire("API", post=[("API-Command", command)] + ([("API-Command-Argument", args)] if args else []))
        self.fire(
            "BACKGROUND_JOB",
            post=[("Job-UUID", job_uuid), ("Job-Command", command), ("Job-Command-Arg", args)],
            body=result,
        )

    # ------------------------------------------------------------------ hold, record, transfer
    async def uuid_hold(self, uuid: str, off: bool) -> str:
        ch = self.channels.get(uuid)
        if ch is None or ch.gone:
            return "-ERR Operation failed\n"
        partner = self.channels.get(ch.partner) if ch.partner else None
        now = self.clock.now_us()
        if not off and not ch.held:
            ch.held = True
            ch.hold_started_us = now
            ch.variables["last_hold_epoch"] = str(now // 1_000_000)
            self.set_callstate(ch, "HELD")
            self.fire("CHANNEL_HOLD", ch)
            if partner is not None and not partner.gone:
                self.queue_app(
                    partner,
                    "playback",
                    "local_stream://moh",
                    msg=_broadcast_msg("local_stream://moh", loops="-1"),
                    broadcast=True,
                )
        elif off and ch.held:
            ch.held = False
            ch.hold_accum_us += now - ch.hold_started_us
            self.set_callstate(ch, "UNHELD")
            if partner is not None and not partner.gone and getattr(partner, "current", None):
                current = partner.current  # type: ignore[attr-defined]
                partner.current = None  # type: ignore[attr-defined]
                if partner.playback:
                    self._playback_stop(partner, partner.playback, "break")
                partner.variables["current_application_response"] = "FILE PLAYED"
                self._exec_complete(partner, current[0], current[1], current[2], response="FILE PLAYED")
                self._private_command(partner, current[3], broadcast=True)
                self._restart_runner(partner)
            # UNHELD->ACTIVE before CHANNEL_UNHOLD as in 04 json (plain raced the other way round)
            self.set_callstate(ch, "ACTIVE")
            self.fire("CHANNEL_UNHOLD", ch)
        return "+OK Success\n"

    def _record_start(self, ch: Channel, path: str) -> None:
        ch.record_path = path
        ch.record_started_us = self.clock.now_us()
        start_scripted_recording(self, ch, path)
        self.fire("RECORD_START", ch, post=[("Record-File-Path", path)])
        self.fire(
            "MEDIA_BUG_START", ch, pre=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)]
        )

    def _record_stop(self, ch: Channel, cause: str) -> None:
        path = ch.record_path
        if not path:
            return
        ch.record_path = None
        seconds = (self.clock.now_us() - ch.record_started_us) / 1e6
        ch.variables["record_seconds"] = str(int(seconds))
        ch.variables["record_ms"] = str(int(seconds * 1000))
        stereo = ch.variables.get("RECORD_STEREO") == "true"
        try:
            stop_scripted_recording(ch) or write_stereo_wav(
                Path(path),
                seconds if self.wav_seconds_cap is None else min(seconds, self.wav_seconds_cap),
                stereo=stereo,
            )
        except OSError:
            log.warning("recording not written", extra={"path": path})
        self.fire("RECORD_STOP", ch, post=[("Record-File-Path", path), ("Record-Completion-Cause", cause)])
        self.fire(
            "MEDIA_BUG_STOP", ch, pre=[("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)]
        )

    async def uuid_transfer(self, uuid: str, rest: str) -> str:
        ch = self.channels.get(uuid)
        if ch is None or ch.gone:
            return "-ERR No such channel!\n"
        parts = rest.split()
        both = False
        if parts and parts[0] in ("-both", "-bleg"):
            both = parts[0] == "-both"
            if parts[0] == "-bleg" and ch.partner:
                ch = self.get(ch.partner)
            parts = parts[1:]
        dest = " ".join(p for p in parts if p not in ("inline", "XML", "default", "public")).strip("'")
        self.spawn(self._do_transfer(ch, dest, both))
        return "+OK\n"

    async def _do_transfer(self, ch: Channel, dest: str, both: bool) -> None:
        await asyncio.sleep(0)
        partner = self.channels.get(ch.partner) if ch.partner else None
        ch.talk_generation = getattr(ch, "talk_generation", 0) + 1  # type: ignore[attr-defined]
        history = ch.variables.get("transfer_history")
        entry = f"{int(self.clock.now())}:{uuidlib.uuid4()}:bl_xfer:{dest}/public/inline"
        ch.variables["transfer_history"] = (
            f"ARRAY::{history[7:] if history and history.startswith('ARRAY::') else history}|:{entry}"
            if history
            else entry
        )
        if dest.startswith("conference:"):
            await self._transfer_to_conference(ch, partner if both else None, dest.split(":", 1)[1])
            return
        if partner is not None and not partner.gone and getattr(partner, "bridged", False):
            ch.bridged = False  # type: ignore[attr-defined]
            partner.bridged = False  # type: ignore[attr-defined]
            await self.hangup(partner.uuid, "NORMAL_CLEARING", "send_bye")
            self.fire(
                "CHANNEL_UNBRIDGE",
                ch,
                pre=[("Bridge-A-Unique-ID", ch.uuid), ("Bridge-B-Unique-ID", partner.uuid)],
            )
        else:
            await self._interrupt(ch)
            self._unpark(ch)
        self.set_callstate(ch, "RINGING")
        self.set_state(ch, "CS_ROUTING")
        self.set_callstate(ch, "ACTIVE")
        self.set_state(ch, "CS_EXECUTE")
        self._restart_runner(ch)
        if dest.startswith("m:"):
            delim = dest[2]
            apps = dest[4:].split(delim)
            for item in apps:
                app, _, arg = item.partition(":")
                self.queue_app(ch, app, arg)
        else:
            ch.profile["Destination-Number"] = dest
            self._park(ch)

    async def _transfer_to_conference(self, ch: Channel, partner: Channel | None, conf: str) -> None:
        """`uuid_transfer <a> [-both] conference:<room>@default inline`, in the order trace 05 shows: the
        partner re-routes first (CALL_UPDATE from flip_cid), then A unbridges and re-routes; both join."""
        other = ch.partner and self.channels.get(ch.partner)
        was_bridged = bool(other) and getattr(ch, "bridged", False) and not other.gone  # type: ignore[union-attr]
        legs = [ch] + ([partner] if partner is not None and not partner.gone else [])
        for leg in [ch] + ([other] if other else []):
            leg.other_type = None  # type: ignore[union-attr]  # no other-leg block once unbridged
        for leg in legs:
            leg.bridged = False  # type: ignore[attr-defined]
            await self._interrupt(leg)
            self._unpark(leg)
        joins: list[tuple[Channel, str]] = []
        if len(legs) == 2:
            self.set_state(partner, "CS_ROUTING")  # type: ignore[arg-type]
            self.fire(
                "CALL_UPDATE",
                partner,
                pre=[("Direction", "RECV")],
                calling=("switch_channel.c", "switch_channel_flip_cid", "3277"),
            )
            self.set_state(partner, "CS_EXECUTE")  # type: ignore[arg-type]
            joins.append((partner, self._exec_event(partner, "conference", conf)))  # type: ignore[arg-type]
        if was_bridged:
            a, b = (ch, other) if getattr(ch, "bridge_a", False) else (other, ch)
            self.fire(
                "CHANNEL_UNBRIDGE",
                a,
                pre=[("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)],  # type: ignore[union-attr]
            )
        self.set_callstate(ch, "RINGING")
        self.set_state(ch, "CS_ROUTING")
        self.set_callstate(ch, "ACTIVE")
        self.set_state(ch, "CS_EXECUTE")
        joins.append((ch, self._exec_event(ch, "conference", conf)))
        for leg, app_uuid in joins:
            self._conference_join(leg, conf, app_uuid, announce=False)
        room = self.conferences.get(conf.split("@", 1)[0])
        if room is not None and room.floor is None and ch.uuid in room.members:
            self._set_floor(room, ch)  # the transferred leg (the citizen) took the floor in the recording

    # ------------------------------------------------------------------ conference and eavesdrop
    def _conference_event(
        self,
        conf: Conference,
        action: str,
        ch: Channel | None = None,
        member: int | None = None,
        *,
        before: list[tuple[str, str]] | None = None,
        after: list[tuple[str, str]] | None = None,
        calling: tuple[str, str, str] | None = None,
    ) -> None:
        """conference::maintenance with the header layout of trace 05: conference headers, then (for a
        member) Floor, the channel, the member flags; `before`/`after` go around `Action`."""
        room = conference_headers(conf.name, conf.uuid, len(conf.members))
        lead = [("Event-Subclass", "conference::maintenance")]
        if ch is None:
            pre = room + list(before or []) + [("Action", action)] + list(after or [])
            self.fire("CUSTOM", None, lead=lead, pre=pre, calling=calling)
            return
        pre = list(before or []) + room + [("Floor", "true" if conf.floor == ch.uuid else "false")]
        post = (
            member_fields(member or 0) + ([("Action", action)] if before is None else []) + list(after or [])
        )
        self.fire("CUSTOM", ch, lead=lead, pre=pre, post=post, variables=False, calling=calling)

    def _conference_sound(self, conf: Conference, path: str, ms: int) -> None:
        """A conference sound finished (enter / exit tones)."""
        self._conference_event(
            conf,
            "play-file-done",
            before=[("seconds", str(ms // 1000)), ("milliseconds", str(ms)), ("samples", str(ms * 8))],
            after=[("File", path)],
            calling=("conference_file.c", "conference_file_close", "52"),
        )

    async def _enter_sound(self, conf: Conference) -> None:
        await self.clock.sleep(0.4)
        if self.conferences.get(conf.name) is conf:
            self._conference_sound(conf, ENTER_SOUND, 400)

    def _alone(self, conf: Conference) -> None:
        """The only member hears conf-alone (not installed on the recording host: the event says so)."""
        self._conference_event(
            conf,
            "play-file",
            after=[("File", ALONE_SOUND), ("Async", "false"), ("Error", "File could not be played")],
            calling=("conference_file.c", "conference_file_play", "268"),
        )

    def _set_floor(self, conf: Conference, ch: Channel) -> None:
        old = conf.members.get(conf.floor or "", None)
        conf.floor = ch.uuid
        room = conference_headers(conf.name, conf.uuid, len(conf.members))
        self._conference_event(
            conf,
            "floor-change",
            ch,
            conf.members[ch.uuid],
            before=room + [("Action", "floor-change"), ("Old-ID", str(old) if old else "none")],
            after=[("New-ID", str(conf.members[ch.uuid]))],
            calling=("conference_member.c", "conference_member_set_floor_holder", "1158"),
        )

    def _conference_join(self, ch: Channel, arg: str, app_uuid: str, *, announce: bool = True) -> None:
        if announce:
            self._exec_event(ch, "conference", arg, app_uuid)
        name = arg.split("@", 1)[0]
        conf = self.conferences.get(name)
        if conf is None:
            conf = Conference(name=name, uuid=str(uuidlib.uuid4()), created=self.clock.now())
            self.conferences[name] = conf
            self._conference_event(conf, "conference-create")
        member = conf.next_id
        conf.next_id += 1
        conf.members[ch.uuid] = member
        conf.joined[ch.uuid] = self.clock.now()
        ch.conference = name
        ch.conference_app = (arg, app_uuid)  # type: ignore[attr-defined]
        if len(conf.members) == 1:
            self._alone(conf)
        self._read_codec(ch, "L16")
        self._conference_event(conf, "add-member", ch, member)
        if len(conf.members) > 1:
            self.spawn(self._enter_sound(conf))

    def _conference_leave(self, ch: Channel, *, kicked: bool = False) -> None:
        if not ch.conference:
            return
        conf = self.conferences.get(ch.conference)
        ch.conference = None
        if conf is None or ch.uuid not in conf.members:
            return
        if conf.floor == ch.uuid:
            conf.floor = None
            self._conference_event(
                conf,
                "floor-change",
                before=[],
                after=[("Old-ID", "none"), ("New-ID", "none")],
                calling=("conference_member.c", "conference_member_set_floor_holder", "1158"),
            )
        member = conf.members.pop(ch.uuid)
        self._conference_event(conf, "del-member", ch, member)
        self._read_codec(ch, "PCMU")
        arg, app_uuid = getattr(ch, "conference_app", ("", None))
        self._exec_complete(ch, "conference", arg, app_uuid)
        if conf.members:
            conf.exit_sounds += 1  # the others hear the exit tone; it completes with the conference
            if len(conf.members) == 1:
                self._alone(conf)
            return
        for _ in range(conf.exit_sounds):
            self._conference_sound(conf, EXIT_SOUND, 0)
        self._conference_event(conf, "conference-destroy")
        self.conferences.pop(conf.name, None)

    async def _kicked(self, uuid: str) -> None:
        """A kicked member leaves (del-member, the conference app completes), then its dialplan is over."""
        await asyncio.sleep(0)
        ch = self.channels.get(uuid)
        if ch is None or ch.gone:
            return
        self._conference_leave(ch, kicked=True)
        await self.hangup(uuid, "NORMAL_CLEARING", "send_bye")

    def _conference_json(self, conf: Conference) -> dict:
        now = self.clock.now()
        flags = ("locked", "destruct", "wait_mod", "audio_always", "running", "answered", "enforce_min")
        more = ("bridge_to", "dynamic", "exit_sound", "enter_sound", "recording", "video_bridge")
        members = []
        for uuid, member in reversed(conf.members.items()):
            ch = self.channels.get(uuid)
            if ch is None:
                continue
            members.append(
                {
                    "type": "caller",
                    "id": member,
                    "flags": {
                        "can_hear": True,
                        "can_see": True,
                        "can_speak": True,
                        "hold": False,
                        "mute_detect": False,
                        "talking": False,
                        "has_video": False,
                        "video_bridge": False,
                        "has_floor": conf.floor == uuid,
                        "is_moderator": False,
                        "end_conference": False,
                        "mandatory_member_end_conference": False,
                        "pass_digits": False,
                    },
                    "uuid": uuid,
                    "caller_id_name": ch.profile.get("Caller-ID-Name", ""),
                    "caller_id_number": ch.caller_number,
                    "join_time": int(now - conf.joined.get(uuid, now)),
                    "last_talking": 0,
                    "energy": 100,
                    "volume_in": 0,
                    "volume_out": 0,
                    "output-volume": 0,
                    "input-volume": 0,
                }
            )
        return {
            "conference_name": conf.name,
            "member_count": len(members),
            "ghost_count": 0,
            "rate": 8000,
            "run_time": int(now - conf.created),
            "conference_uuid": conf.uuid,
            "canvas_count": 0,
            "max_bw_in": 0,
            "force_bw_in": 0,
            "video_floor_packets": 0,
            **{f: f in ("running", "answered", "enforce_min") for f in flags},
            **{f: f in ("dynamic", "exit_sound", "enter_sound") for f in more},
            "video_floor_only": False,
            "video_rfc4579": False,
            "variables": {},
            "members": members,
        }

    async def conference_api(self, rest: str) -> str:
        parts = rest.split()
        if len(parts) < 2:
            return "-ERR Conference not found\n"
        conf = self.conferences.get(parts[0])
        if conf is None:
            return f"-ERR Conference {parts[0]} not found\n"
        cmd = parts[1]
        if cmd == "list":  # newest member first, as FreeSWITCH lists them
            lines = []
            for uuid, member in reversed(conf.members.items()):
                ch = self.channels.get(uuid)
                if ch is not None:
                    flags = "hear|speak|floor" if conf.floor == uuid else "hear|speak"
                    lines.append(
                        f"{member};{ch.name};{uuid};{ch.profile.get('Caller-ID-Name', '')};{ch.caller_number};{flags};0;0;100"
                    )
            return "\n".join(lines) + "\n"
        if cmd == "json_list":
            return cjson([self._conference_json(conf)])
        if cmd == "kick" and len(parts) > 2:
            targets = (
                list(conf.members.items())[::-1]
                if parts[2] == "all"
                else [(u, m) for u, m in conf.members.items() if str(m) == parts[2]]
            )
            out = []
            for uuid, member in targets:
                ch = self.channels.get(uuid)
                if ch is not None:
                    self._conference_event(conf, "kick-member", ch, member)
                    out.append(f"+OK kicked {member}\n")
            for uuid, _ in targets:
                self.spawn(self._kicked(uuid))
            return "".join(out)
        return "-ERR unknown conference command\n"

    def _eavesdrop_start(self, ch: Channel, target_uuid: str, app_uuid: str) -> None:
        target = self.channels.get(target_uuid)
        if target is None or target.gone:
            self._exec_complete(ch, "eavesdrop", target_uuid, app_uuid, response="_none_")
            self.spawn(self.hangup(ch.uuid, "NORMAL_CLEARING", "send_bye"))
            return
        ch.eavesdrop_target = target_uuid
        ch.eavesdrop_app = app_uuid  # type: ignore[attr-defined]
        ch.eavesdrop_mode = (
            "whisper-aleg" if ch.variables.get("eavesdrop_whisper_aleg") == "true" else "listen"
        )  # type: ignore[attr-defined]
        self._read_codec(ch, "L16")
        self.fire(
            "MEDIA_BUG_START",
            target,
            pre=[("Media-Bug-Function", "eavesdrop"), ("Media-Bug-Target", target_uuid)],
        )
        # the supervisor's phone is told who is on the line: the eavesdropped leg's partner (the citizen)
        heard = self.channels.get(target.partner) if target.partner else None
        heard = heard if heard is not None else target
        self.fire(
            "CALL_UPDATE",
            ch,
            pre=[
                ("Direction", "SEND"),
                ("Sent-Callee-ID-Name", heard.profile.get("Caller-ID-Name", "")),
                ("Sent-Callee-ID-Number", heard.caller_number),
            ],
        )

    def _eavesdrop_end_for(self, ch: Channel) -> None:
        """A supervisor leg or the eavesdropped leg is gone: stop the media bug."""
        if ch.eavesdrop_target:
            target = self.channels.get(ch.eavesdrop_target)
            ch.eavesdrop_target = None
            if target is not None:
                self.fire(
                    "MEDIA_BUG_STOP",
                    target,
                    pre=[("Media-Bug-Function", "eavesdrop"), ("Media-Bug-Target", target.uuid)],
                )
            self._read_codec(ch, "PCMU")
            self._exec_complete(
                ch, "eavesdrop", target.uuid if target else "", getattr(ch, "eavesdrop_app", None)
            )
            return
        for other in self.live_channels():
            if other.eavesdrop_target == ch.uuid and other is not ch:
                self.fire(
                    "MEDIA_BUG_STOP",
                    ch,
                    pre=[("Media-Bug-Function", "eavesdrop"), ("Media-Bug-Target", ch.uuid)],
                )
                other.eavesdrop_target = None
                self._exec_complete(other, "eavesdrop", ch.uuid, getattr(other, "eavesdrop_app", None))
                self.spawn(self.hangup(other.uuid, "NORMAL_CLEARING", "send_bye"))

    def eavesdrop_command(self, uuid: str, command: str) -> None:
        ch = self.channels.get(uuid)
        if ch is not None and ch.eavesdrop_target:
            ch.eavesdrop_mode = {"0": "listen", "1": "whisper-aleg", "2": "whisper", "3": "barge"}.get(
                command, "listen"
            )  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ caller behaviour
    async def _caller_behaviour(self, ch: Channel) -> None:
        script = ch.script
        if not isinstance(script, CallerScript):
            return
        if script.patience is not None:
            await self.clock.sleep(script.patience)
            if not ch.gone and not ch.bridged_us and not ch.conference:
                await self.hangup(ch.uuid, "NORMAL_CLEARING", "recv_bye")
                return
        remaining = script.max_seconds - (script.patience or 0)
        await self.clock.sleep(max(0.0, remaining))
        if not ch.gone:
            await self.hangup(ch.uuid, "NORMAL_CLEARING", "recv_bye")

    # ------------------------------------------------------------------ status
    def show_channels_rows(self) -> list[dict[str, str]]:
        rows = []
        for ch in self.live_channels():
            rows.append(
                {
                    "uuid": ch.uuid,
                    "direction": ch.direction,
                    "created": _stamp(ch.created_us),
                    "created_epoch": str(ch.created_us // 1_000_000),
                    "name": ch.name,
                    "state": ch.state,
                    "cid_name": ch.profile.get("Caller-ID-Name", ""),
                    "cid_num": ch.caller_number,
                    "ip_addr": "127.0.0.1",
                    "dest": ch.destination,
                    "application": ch.variables.get("current_application", ""),
                    "application_data": ch.variables.get("current_application_data", ""),
                    "dialplan": "XML",
                    "context": ch.profile.get("Context", ""),
                    "read_codec": "PCMU" if ch.codec else "",
                    "read_rate": "8000" if ch.codec else "",
                    "read_bit_rate": "64000" if ch.codec else "",
                    "write_codec": "PCMU" if ch.codec else "",
                    "write_rate": "8000" if ch.codec else "",
                    "write_bit_rate": "64000" if ch.codec else "",
                    "secure": "",
                    "hostname": HOSTNAME,
                    "presence_id": "",
                    "presence_data": "",
                    "accountcode": "",
                    "callstate": ch.callstate,
                    "callee_name": ch.profile.get("Callee-ID-Name", ""),
                    "callee_num": ch.profile.get("Callee-ID-Number", ""),
                    "callee_direction": "",
                    "call_uuid": ch.uuid,
                    "sent_callee_name": "",
                    "sent_callee_num": "",
                    "initial_cid_name": ch.profile.get("Orig-Caller-ID-Name", ""),
                    "initial_cid_num": ch.profile.get("Orig-Caller-ID-Number", ""),
                    "initial_ip_addr": "127.0.0.1",
                    "initial_dest": ch.destination,
                    "initial_dialplan": "XML",
                    "initial_context": ch.profile.get("Context", ""),
                }
            )
        return rows

    def show_calls_rows(self) -> list[dict[str, str]]:
        """One row per call: a bridged pair is one row (A leg with `b_*` columns), as `show calls` does."""
        channel_rows = {r["uuid"]: r for r in self.show_channels_rows()}
        rows: list[dict[str, str]] = []
        seen: set[str] = set()
        for uuid, row in channel_rows.items():
            if uuid in seen:
                continue
            ch = self.channels[uuid]
            partner = channel_rows.get(ch.partner or "") if getattr(ch, "bridged", False) else None
            if partner is not None and not getattr(ch, "bridge_a", False):
                continue
            seen.add(uuid)
            out = {k: row[k] for k in CALL_COLUMNS}
            out["call_uuid"] = uuid if partner else ""
            for key in B_COLUMNS:
                out["b_" + key] = partner[key] if partner is not None else ""
            if partner is not None:
                seen.add(partner["uuid"])
            out["call_created_epoch"] = row["created_epoch"] if partner is not None else ""
            rows.append(out)
        return rows


CALL_COLUMNS = [
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
    "presence_id",
    "presence_data",
    "accountcode",
    "callstate",
    "callee_name",
    "callee_num",
    "callee_direction",
    "call_uuid",
    "hostname",
    "sent_callee_name",
    "sent_callee_num",
]
B_COLUMNS = [
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
    "presence_id",
    "presence_data",
    "accountcode",
    "callstate",
    "callee_name",
    "callee_num",
    "callee_direction",
    "sent_callee_name",
    "sent_callee_num",
]


def _broadcast_msg(path: str, loops: str | None = None) -> list[tuple[str, str]]:
    msg = [
        ("call-command", "execute"),
        ("execute-app-name", "playback"),
        ("execute-app-arg", path),
        ("event-lock", "true"),
        ("lead-frames", "5"),
    ]
    if loops is not None:
        msg.append(("loops", loops))
    return msg


def _split_vars(text: str) -> list[str]:
    """Split `a=b,c=d` (values may hold `\\,`) the way FreeSWITCH splits channel variable lists."""
    out, cur, i = [], "", 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur += text[i + 1]
            i += 2
            continue
        if c == ",":
            out.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    if cur:
        out.append(cur)
    return out


def _stamp(us: int) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(us / 1e6)) if us else ""


def _file_type(path: str) -> str:
    return path.split("://", 1)[0] if "://" in path else path.rsplit(".", 1)[-1]


def playback_seconds(path: str) -> float:
    """How long a file plays: tone_stream %(on,off,...) durations, silence_stream ms, moh forever, files 2 s."""
    if path.startswith("local_stream://"):
        return 10**9
    if path.startswith("silence_stream://"):
        return int(path[len("silence_stream://") :].split(",")[0] or 0) / 1000
    if path.startswith("tone_stream://"):
        total = 0
        for m in re.finditer(r"%\((\d+),(\d+)", path):
            total += int(m.group(1)) + int(m.group(2))
        return total / 1000 if total else 1.0
    m = re.search(r"(\d+(?:\.\d+)?)s\.wav$", path)
    return float(m.group(1)) if m else 2.0


async def cancel_quietly(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
