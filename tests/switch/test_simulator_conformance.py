"""The simulator, driven over TCP through the same flows as the recorded FreeSWITCH traces, must produce the
same per-leg event order, the same header blocks and the same command replies (values normalised)."""

from __future__ import annotations

import asyncio
import difflib
import json
import re
import uuid as uuidlib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from switch.esl.events import Event
from switch.esl.trace import load_trace
from switch.simulator import CallerScript, Endpoint, EventSocketServer, FreeSwitch
from switch.simulator.channel import PROFILE_ORDER
from switch.simulator.clock import SimClock
from tests.switch.conformance import TRACES, per_leg, profile_names, structure, trace_events, trace_replies
from tests.switch.esl_client import RawClient

Flow = Callable[[FreeSwitch, RawClient], Awaitable[None]]


def run_flow(flow: Flow, fmt: str = "plain", **fs_kwargs) -> list[Event]:
    async def main() -> list[Event]:
        fs = FreeSwitch(SimClock(8), **fs_kwargs)
        for ext, mode in (
            ("1001", "answer"),
            ("1002", "answer"),
            ("1003", "answer"),
            ("1004", "answer"),
            ("1005", "busy"),
            ("1006", "noanswer"),
        ):
            fs.endpoints[ext] = Endpoint(ext=ext, mode=mode)
        fs.endpoints["1000"] = Endpoint(ext="1000", registered=False)
        server = EventSocketServer(fs, port=0)
        await server.start()
        client = RawClient()
        await client.connect(server.port)
        await client.wait_for(lambda f: f.content_type == "auth/request")
        assert (await client.command("auth ClueCon")).reply_text == "+OK accepted"
        assert (await client.command(f"event {fmt} ALL")).reply_text == f"+OK event listener enabled {fmt}"
        await flow(fs, client)
        await asyncio.sleep(0.05)
        await client.close()
        await server.stop()
        await fs.close()
        return client.events()

    return asyncio.run(main())


def assert_conforms(sim: list[Event], trace_name: str) -> None:
    """Per-leg event order equal to one of the recordings of this flow (plain and json runs differ slightly,
    as threads race in FreeSWITCH), header blocks seen in the recordings, caller-profile fields in order."""
    variants = [trace_name]
    for a, b in ((".plain.", ".json."), (".json.", ".plain.")):
        if a in trace_name and (TRACES / trace_name.replace(a, b)).exists():
            variants.append(trace_name.replace(a, b))
    got_legs = per_leg(sim)
    recorded = {variant: per_leg(trace_events(variant)) for variant in variants}
    diffs = []
    # each leg as in one of the recordings (the races differ per leg: 04 plain has an extra CS_CONSUME_MEDIA
    # on the agent leg, 04 json a CHANNEL_UNHOLD before UNHELD->ACTIVE)
    for leg in sorted(set(got_legs) | {leg for legs in recorded.values() for leg in legs}):
        got = [" ".join(k) for k in got_legs.get(leg, [])]
        wants = {v: [" ".join(k) for k in legs.get(leg, [])] for v, legs in recorded.items()}
        if got not in wants.values():
            for variant, want in wants.items():
                diffs.append(
                    f"{variant} {leg}:\n"
                    + "\n".join(difflib.unified_diff(want, got, "trace", "simulator", lineterm=""))
                )
    if diffs:
        raise AssertionError("\n".join(diffs))
    expected = [e for v in variants for e in trace_events(v)]
    shapes = {structure(e) for e in expected}
    profile_fields: dict[str, set[str]] = {}
    for e in expected:
        profile_fields.setdefault(e.name, set()).update(profile_names(e))
    for ev in sim:
        if ev.name in ("API", "HEARTBEAT"):
            continue
        assert structure(ev) in shapes, f"{ev.name}: {structure(ev)}"
        names = profile_names(ev)
        assert names == [n for n in PROFILE_ORDER if n in names]
        assert set(names) <= profile_fields.get(ev.name, set()), (
            ev.name,
            set(names) - profile_fields[ev.name],
        )


async def start_call(fs: FreeSwitch, client: RawClient, script: CallerScript) -> str:
    start = len(client.frames)
    asyncio.get_running_loop().create_task(fs.inbound_call(script))
    return (await client.event("CHANNEL_PARK", start=start)).unique_id


async def flow_answer_playback(fs: FreeSwitch, c: RawClient) -> None:
    u = await start_call(fs, c, CallerScript(destination="12349"))
    assert (await c.command(f"api uuid_answer {u}")).body == b"+OK\n"
    assert (
        await c.command(f"api uuid_broadcast {u} tone_stream://%(1000,0,440) aleg")
    ).body == b"+OK Message sent\n"
    await c.event("PRIVATE_COMMAND")
    n = len(c.frames)
    reply = await c.command(
        f"sendmsg {u}\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: tone_stream://%(800,0,620)\n"
        f"event-lock: true\nEvent-UUID: {uuidlib.uuid4()}"
    )
    assert reply.reply_text == "+OK"
    await c.event("PRIVATE_COMMAND", start=n)
    assert (await c.command(f"api uuid_dump {u}")).body.startswith(b"Event-Name: CHANNEL_DATA\n")
    assert (await c.command(f"api uuid_dump {u} json")).body.startswith(b'{"Event-Name":"CHANNEL_DATA"')
    assert (await c.command(f"api uuid_getvar {u} sip_from_user")).body == b"13800138000"
    assert (await c.command(f"api uuid_exists {u}")).body == b"true"
    assert (await c.command(f"api uuid_kill {u} NORMAL_CLEARING")).body == b"+OK\n"
    await c.event("CHANNEL_STATE", Channel_State="CS_DESTROY")
    assert (await c.command(f"api uuid_exists {u}")).body == b"false"


async def flow_ivr(fs: FreeSwitch, c: RawClient) -> None:
    u = await start_call(fs, c, CallerScript(destination="12346", digits=["123#"]))
    await c.command(
        f"sendmsg {u}\ncall-command: execute\nexecute-app-name: play_and_get_digits\n"
        "execute-app-arg: 1 4 1 7000 # tone_stream://%(400,0,440) silence_stream://250 ivr_digits ^\\d+$ 3000\n"
        f"Event-UUID: {uuidlib.uuid4()}"
    )
    done = await c.event("CHANNEL_EXECUTE_COMPLETE", Application="play_and_get_digits")
    assert done.get("variable_ivr_digits") == "123"
    assert done.get("variable_read_terminator_used") == "#"
    await c.event("PRIVATE_COMMAND")
    assert (await c.command(f"api uuid_getvar {u} ivr_digits")).body == b"123"
    assert (await c.command(f"api uuid_getvar {u} read_terminator_used")).body == b"#"
    await c.command(f"api uuid_kill {u}")
    await c.event("CHANNEL_STATE", Channel_State="CS_DESTROY")


async def flow_queue_bridge(fs: FreeSwitch, c: RawClient) -> None:
    u = await start_call(fs, c, CallerScript(destination="12346", talk_seconds=2.5, hangup_by="agent"))
    await c.command(
        f"sendmsg {u}\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: local_stream://moh"
    )
    await c.event("PLAYBACK_START")
    agent = str(uuidlib.uuid4())
    reply = await c.command(
        f"bgapi originate {{origination_uuid={agent},origination_caller_id_number=13800138000,"
        f"origination_caller_id_name=Citizen,originate_timeout=15,ignore_early_media=true,cc_queue=hotline,"
        f"cc_caller_uuid={u}}}sofia/external/1001@127.0.0.1:5090 &park()"
    )
    assert reply.reply_text.startswith("+OK Job-UUID: ")
    job = await c.event("BACKGROUND_JOB")
    assert job.body == f"+OK {agent}\n"
    await c.event("CHANNEL_PARK", Unique_ID=agent)
    assert (await c.command(f"api uuid_bridge {u} {agent}")).body == f"+OK {agent}\n".encode()
    bridge = await c.event("CHANNEL_BRIDGE")
    assert (bridge.get("Bridge-A-Unique-ID"), bridge.get("Bridge-B-Unique-ID")) == (u, agent)
    await c.event("CHANNEL_STATE", Channel_State="CS_DESTROY", Unique_ID=u, timeout=20)
    assert (await c.command(f"api uuid_exists {u}")).body == b"false"


async def flow_hold_record_transfer(fs: FreeSwitch, c: RawClient, tmp: Path) -> None:
    u = await start_call(fs, c, CallerScript(destination="12346", talk_seconds=2.5, hangup_by="agent"))
    agent = str(uuidlib.uuid4())
    await c.command(
        f"bgapi originate {{origination_uuid={agent},originate_timeout=15}}sofia/external/1001@127.0.0.1:5090 &park()"
    )
    await c.event("CHANNEL_PARK", Unique_ID=agent)
    # keep the first agent on the line: its scripted talk time restarts after the transfer
    fs.channels[u].script.talk_seconds = 60
    await c.command(f"api uuid_bridge {u} {agent}")
    await c.event("CALL_UPDATE", Unique_ID=agent)
    assert (await c.command(f"api uuid_setvar {u} RECORD_STEREO true")).body == b"+OK\n"
    path = tmp / f"rec-{u}.wav"
    assert (await c.command(f"api uuid_record {u} start {path}")).body == b"+OK Success\n"
    assert (await c.command(f"api uuid_hold {agent}")).body == b"+OK Success\n"
    await c.event("PLAYBACK_START", Unique_ID=u)
    assert (await c.command(f"api uuid_hold off {agent}")).body == b"+OK Success\n"
    await c.event("CHANNEL_UNHOLD")
    assert (await c.command(f"api uuid_record {u} stop {path}")).body == b"+OK Success\n"
    await c.event("MEDIA_BUG_STOP")
    fs.channels[u].script.talk_seconds = 2.5
    agent2 = str(uuidlib.uuid4())
    reply = await c.command(
        f"api uuid_transfer {u} 'm:^:set:hangup_after_bridge=true^bridge:{{origination_uuid={agent2},"
        f"originate_timeout=15}}sofia/external/1002@127.0.0.1:5091' inline"
    )
    assert reply.body == b"+OK\n"
    await c.event("CHANNEL_STATE", Channel_State="CS_DESTROY", Unique_ID=u, timeout=20)
    import wave

    with wave.open(str(path)) as w:
        assert w.getnchannels() == 2 and w.getframerate() == 8000


async def flow_abandon_busy_noanswer(fs: FreeSwitch, c: RawClient) -> None:
    u = await start_call(fs, c, CallerScript(destination="12346", patience=3))
    await c.command(
        f"sendmsg {u}\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: local_stream://moh\n"
        f"Event-UUID: {uuidlib.uuid4()}"
    )
    await c.event("CHANNEL_STATE", Channel_State="CS_DESTROY", Unique_ID=u, timeout=20)
    assert (await c.command(f"api uuid_bridge {u} {uuidlib.uuid4()}")).body == b"-ERR Invalid uuid\n"
    assert (await c.command(f"api uuid_kill {u}")).body == b"-ERR No such channel!\n"
    busy = str(uuidlib.uuid4())
    r = await c.command(
        f"api originate {{origination_uuid={busy},originate_timeout=5}}sofia/external/1005@127.0.0.1:5094 &park()"
    )
    assert r.body == b"-ERR USER_BUSY\n"
    await c.event("CHANNEL_STATE", Channel_State="CS_DESTROY", Unique_ID=busy)
    busy2, job = str(uuidlib.uuid4()), str(uuidlib.uuid4())
    r = await c.command(
        f"bgapi originate {{origination_uuid={busy2},originate_timeout=5}}sofia/external/1005@127.0.0.1:5094 &park()\n"
        f"Job-UUID: {job}"
    )
    assert r.reply_text == f"+OK Job-UUID: {job}" and r.get("Job-UUID") == job
    bg = await c.event("BACKGROUND_JOB", Job_UUID=job)
    assert bg.body == "-ERR USER_BUSY\n"
    await c.event("CHANNEL_STATE", Channel_State="CS_DESTROY", Unique_ID=busy2)
    ring = str(uuidlib.uuid4())
    await c.command(
        f"bgapi originate {{origination_uuid={ring},originate_timeout=5}}sofia/external/1006@127.0.0.1:5095 &park()"
    )
    bg = await c.event("BACKGROUND_JOB", timeout=20, start=len(c.frames))
    assert bg.body == "-ERR NO_ANSWER\n"
    await c.event("CHANNEL_STATE", Channel_State="CS_DESTROY", Unique_ID=ring)
    ring2 = str(uuidlib.uuid4())
    r = await c.command(
        f"api originate {{origination_uuid={ring2},originate_timeout=5}}sofia/external/1006@127.0.0.1:5095 &park()"
    )
    assert r.body == b"-ERR NO_ANSWER\n"
    await c.event("CHANNEL_STATE", Channel_State="CS_DESTROY", Unique_ID=ring2)
    r = await c.command("api originate user/1000 &park()")
    assert r.body == b"-ERR USER_NOT_REGISTERED\n"


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_answer_playback_hangup(fmt: str) -> None:
    sim = run_flow(flow_answer_playback, fmt, dialplan={"12349": "park-noanswer"})
    assert_conforms(sim, f"01-answer-playback-hangup.{fmt}.txt")


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_ivr_play_and_get_digits(fmt: str) -> None:
    assert_conforms(run_flow(flow_ivr, fmt), f"02-ivr-play-and-get-digits.{fmt}.txt")


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_queue_bridge(fmt: str) -> None:
    assert_conforms(run_flow(flow_queue_bridge, fmt), f"03-queue-bridge.{fmt}.txt")


def test_hold_record_transfer(tmp_path: Path) -> None:
    sim = run_flow(lambda fs, c: flow_hold_record_transfer(fs, c, tmp_path))
    assert_conforms(sim, "04-hold-record-transfer.plain.txt")


def test_abandon_busy_noanswer() -> None:
    assert_conforms(run_flow(flow_abandon_busy_noanswer), "06-abandon-busy-noanswer.plain.txt")


def test_outbound_socket() -> None:
    """Trace 07: the switch connects to the controller per call; `connect` returns the channel data."""

    async def main() -> tuple[list[Event], list[Event], list]:
        accepted: asyncio.Queue = asyncio.Queue()

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            client = RawClient()
            client.attach(reader, writer)
            await accepted.put(client)

        listener = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        fs = FreeSwitch(SimClock(8), dialplan={"12348": "socket"}, outbound_address=("127.0.0.1", port))
        server = EventSocketServer(fs, port=0)
        await server.start()
        # connection 1: linger 3, answer, playback, api, hangup from the controller
        loop = asyncio.get_running_loop()
        loop.create_task(fs.inbound_call(CallerScript(destination="12348")))
        c1: RawClient = await asyncio.wait_for(accepted.get(), 5)
        await asyncio.sleep(0.05)
        assert c1.frames == []  # nothing until `connect`
        data = await c1.command("connect")
        assert data.headers[0] == ("Event-Name", "CHANNEL_DATA")
        assert data.headers[-4:] == [
            ("Content-Type", "command/reply"),
            ("Reply-Text", "%2BOK%0A"),
            ("Socket-Mode", "async"),
            ("Control", "full"),
        ]
        assert data.get("Content-Length") is None
        u = data.get("Unique-ID")
        assert (await c1.command("myevents")).reply_text == "+OK Events Enabled"
        assert (await c1.command("linger 3")).reply_text == "+OK will linger 3 seconds"
        assert (
            await c1.command("sendmsg\ncall-command: execute\nexecute-app-name: answer\nevent-lock: true")
        ).reply_text == "+OK"
        await c1.command(
            "sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: tone_stream://%(1000,0,440)\n"
            f"event-lock: true\nEvent-UUID: {uuidlib.uuid4()}"
        )
        await c1.event("CHANNEL_EXECUTE_COMPLETE", Application="playback")
        assert (await c1.command(f"api uuid_getvar {u} sip_from_user")).body == b"13800138000"
        await c1.command("sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING")
        linger = await c1.wait_for(lambda f: f.content_type == "text/disconnect-notice")
        assert linger.get("Content-Disposition") == "linger" and linger.get("Linger-Time") == "3"
        final = await c1.wait_for(lambda f: f.get("Content-Disposition") == "disconnect", timeout=10)
        assert final.body.startswith(b"Disconnected, goodbye.")
        # connection 2: no linger, the caller hangs up during the playback
        loop.create_task(fs.inbound_call(CallerScript(destination="12348", patience=3)))
        c2: RawClient = await asyncio.wait_for(accepted.get(), 5)
        await c2.command("connect")
        await c2.command("myevents")
        await c2.command("sendmsg\ncall-command: execute\nexecute-app-name: answer\nevent-lock: true")
        await c2.command(
            "sendmsg\ncall-command: execute\nexecute-app-name: playback\n"
            "execute-app-arg: tone_stream://%(10000,0,350,440)\nevent-lock: true"
        )
        notice = await c2.wait_for(lambda f: f.content_type == "text/disconnect-notice", timeout=10)
        assert notice.get("Content-Disposition") == "disconnect"
        await asyncio.sleep(0.1)
        assert c2.closed
        channel_data = [data]
        await server.stop()
        await fs.close()
        listener.close()
        return c1.events(), c2.events(), channel_data

    first, second, channel_data = asyncio.run(main())
    want = per_leg(trace_events("07-outbound-socket.plain.txt"))
    assert per_leg(first)["L1"] == want["L1"]
    assert per_leg(second)["L1"] == [
        k for k in want["L2"] if k[0] != "CHANNEL_PARK"
    ]  # the recorded PARK raced in
    recorded = next(
        it.frame
        for it in load_trace(TRACES / "07-outbound-socket.plain.txt")
        if it.kind == "recv" and it.frame.headers and it.frame.headers[0] == ("Event-Name", "CHANNEL_DATA")
    )
    names = [k for k, _ in recorded.headers if not k.startswith(("variable_", "Caller-", "Channel-"))]
    got = [k for k, _ in channel_data[0].headers if not k.startswith(("variable_", "Caller-", "Channel-"))]
    assert got == names


def test_auth_errors_are_byte_exact() -> None:
    recorded = [it.frame.to_bytes() for it in load_trace(TRACES / "08-auth-errors.txt") if it.kind == "recv"]

    async def main() -> list[bytes]:
        fs = FreeSwitch(SimClock(8))
        server = EventSocketServer(fs, port=0)
        await server.start()
        got: list[bytes] = []
        for script in (
            ["auth WrongPassword"],
            ["api status", "auth ClueCon", "exit"],
            ["auth ClueCon", "exit"],
        ):
            c = RawClient()
            await c.connect(server.port)
            await c.wait_for(lambda f: f.content_type == "auth/request")
            for line in script:
                await c.send(line)
                await asyncio.sleep(0.05)
            await c.wait_for(lambda f: f.content_type == "text/disconnect-notice")
            await asyncio.sleep(0.05)
            assert c.closed
            got.extend(f.to_bytes() for f in c.frames)
        await server.stop()
        return got

    assert asyncio.run(main()) == recorded


def test_api_replies_match_the_recording() -> None:
    recorded = dict(trace_replies("08-api-misc.plain.txt"))

    async def flow(fs: FreeSwitch, c: RawClient) -> None:
        u = await start_call(fs, c, CallerScript(destination="12346"))
        for cmd in ("api show channels as json", "api show calls as json"):
            got = json.loads((await c.command(cmd)).body)
            want = json.loads(recorded[cmd])
            assert got["row_count"] == 1 and list(got["rows"][0]) == list(want["rows"][0])
        for cmd in ("api show channels", "api show calls"):
            body = (await c.command(cmd)).body.decode()
            assert body.split("\n")[0] == recorded[cmd].split("\n")[0] and body.endswith("\n\n1 total.\n")
        assert (await c.command("api version")).body.decode() == recorded["api version"]
        assert (await c.command("api global_getvar hostname")).body == b"vm"
        assert re.fullmatch(rb"\d+\n", (await c.command("api uptime")).body)
        assert (await c.command("api status")).body.startswith(b"UP 0 years, 0 days, ")
        for cmd in (
            "api nosuchcommand foo",
            "nosuchcommand",
            "event plain NOSUCHEVENT",
            "api uuid_kill 00000000-0000-0000-0000-000000000000",
            "log 6",
            "nolog",
            "noevents",
            "event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE",
            "nixevent CHANNEL_CREATE",
        ):
            reply = await c.command(cmd)
            text = reply.body.decode() if reply.content_type == "api/response" else reply.reply_text
            want = next(v for k, v in trace_replies("08-api-misc.plain.txt") if k.startswith(cmd))
            assert text == want, cmd
        assert (await c.command(f"filter Unique-ID {u}")).reply_text == f"+OK filter added. [Unique-ID]=[{u}]"
        assert (
            await c.command(f"filter delete Unique-ID {u}")
        ).reply_text == f"+OK filter deleted. [Unique-ID][{u}]"
        assert (await c.command("event plain ALL")).reply_text == "+OK event listener enabled plain"
        job = await c.command("bgapi nosuchcommand foo")
        assert job.reply_text.startswith("+OK Job-UUID: ")
        bg = await c.event("BACKGROUND_JOB", Job_UUID=job.get("Job-UUID"))
        assert bg.body == "-ERR nosuchcommand Command not found!\n"
        await c.command(f"api uuid_kill {u}")

    run_flow(flow)


def test_shutdown_notifies_every_client() -> None:
    """`fsctl shutdown`: the subscribed client gets BACKGROUND_JOB and SHUTDOWN, then every client the notice."""
    recorded = [
        it.frame.to_bytes()
        for it in load_trace(TRACES / "08-shutdown-idle-client.plain.txt")
        if it.kind == "recv"
    ]

    async def main() -> tuple[list[bytes], list[str], bytes]:
        fs = FreeSwitch(SimClock(8))
        server = EventSocketServer(fs, port=0)
        await server.start()
        idle, boss = RawClient(), RawClient()
        for c in (idle, boss):
            await c.connect(server.port)
            await c.wait_for(lambda f: f.content_type == "auth/request")
            await c.command("auth ClueCon")
        await boss.command("event plain ALL")
        reply = await boss.command("bgapi fsctl shutdown")
        assert reply.reply_text.startswith("+OK Job-UUID: ")
        notice = await boss.wait_for(lambda f: f.content_type == "text/disconnect-notice")
        await idle.wait_for(lambda f: f.content_type == "text/disconnect-notice")
        await asyncio.sleep(0.1)
        assert idle.closed and boss.closed
        await fs.close()
        return [f.to_bytes() for f in idle.frames], [e.name for e in boss.events()], notice.to_bytes()

    idle_frames, boss_events, notice = asyncio.run(main())
    assert idle_frames == recorded
    assert boss_events[:3] == ["API", "BACKGROUND_JOB", "SHUTDOWN"]
    assert set(boss_events[3:]) == {"MODULE_UNLOAD"}  # checked against trace 08 in test_trace_shutdown.py
    assert notice == recorded[-1]
