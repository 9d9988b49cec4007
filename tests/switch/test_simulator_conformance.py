"""The simulator, driven over TCP through the same flows as the recorded FreeSWITCH traces, must produce the
same per-leg event order, the same header blocks and the same command replies (values normalised)."""

from __future__ import annotations

import asyncio
import difflib
import uuid as uuidlib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from switch.esl.events import Event
from switch.simulator import CallerScript, Endpoint, EventSocketServer, FreeSwitch
from switch.simulator.channel import PROFILE_ORDER
from switch.simulator.clock import SimClock
from tests.switch.conformance import TRACES, per_leg, profile_names, structure, trace_events
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
    diffs = []
    for variant in variants:
        want_legs = per_leg(trace_events(variant))
        if got_legs == want_legs:
            break
        for leg in sorted(set(got_legs) | set(want_legs)):
            got = [" ".join(k) for k in got_legs.get(leg, [])]
            want = [" ".join(k) for k in want_legs.get(leg, [])]
            if got != want:
                diffs.append(
                    f"{variant} {leg}:\n"
                    + "\n".join(difflib.unified_diff(want, got, "trace", "simulator", lineterm=""))
                )
    else:
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
