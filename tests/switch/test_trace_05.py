"""Trace 05 (eavesdrop listen / whisper / barge, three-way conference) replayed against the simulator:
the same commands must give the same per-leg events, header blocks and conference::maintenance actions."""

from __future__ import annotations

import uuid as uuidlib

import pytest

from switch.esl.events import Event
from switch.simulator import CallerScript, FreeSwitch
from tests.switch.conformance import trace_events
from tests.switch.esl_client import RawClient
from tests.switch.test_simulator_conformance import assert_conforms, run_flow, start_call

TRACE = "05-eavesdrop-threeway.plain.txt"


async def flow_eavesdrop_threeway(fs: FreeSwitch, c: RawClient) -> None:
    fs.endpoints["1003"].digits = ((2.0, "2"), (4.5, "3"), (7.0, "0"))  # the supervisor's keypad (RFC 2833)
    u = await start_call(fs, c, CallerScript(destination="12346", talk_seconds=600))
    agent = str(uuidlib.uuid4())
    await c.command(
        f"bgapi originate {{origination_uuid={agent},originate_timeout=15}}sofia/external/1001@127.0.0.1:5090 &park()"
    )
    await c.event("CHANNEL_PARK", Unique_ID=agent)
    await c.command(f"api uuid_bridge {u} {agent}")
    await c.event("CALL_UPDATE", Unique_ID=u)
    # supervisor 1003 listens, then keys 2 (whisper), 3 (barge), 0 (listen)
    sup = str(uuidlib.uuid4())
    await c.command(
        f"bgapi originate {{origination_uuid={sup},origination_caller_id_name=Supervisor,eavesdrop_enable_dtmf=true,"
        f"originate_timeout=15}}sofia/external/1003@127.0.0.1:5092 &eavesdrop({agent})"
    )
    await c.event("MEDIA_BUG_START", Unique_ID=agent)
    await c.event("DTMF", Unique_ID=sup, DTMF_Digit="0", timeout=20)
    assert fs.channels[sup].eavesdrop_mode == "listen"
    await c.command(f"api uuid_kill {sup}")
    await c.event("CHANNEL_STATE", Channel_State="CS_DESTROY", Unique_ID=sup)
    # supervisor 1004 whispers to the caller (aleg), then the controller switches modes with sendevent
    sup2 = str(uuidlib.uuid4())
    await c.command(
        f"bgapi originate {{origination_uuid={sup2},origination_caller_id_name=Supervisor2,eavesdrop_whisper_aleg=true,"
        f"originate_timeout=15}}sofia/external/1004@127.0.0.1:5093 &eavesdrop({agent})"
    )
    await c.event("CALL_UPDATE", Unique_ID=sup2)
    modes = []
    for command in ("2", "3", "0"):
        reply = await c.command(
            f"sendevent CUSTOM\nEvent-Subclass: esltrace::eavesdrop\nunique-id: {sup2}\neavesdrop-command: {command}"
        )
        assert reply.reply_text.startswith("+OK ")
        modes.append(fs.channels[sup2].eavesdrop_mode)
    assert modes == ["whisper", "barge", "listen"]
    await c.command(f"api uuid_kill {sup2}")
    await c.event("CHANNEL_STATE", Channel_State="CS_DESTROY", Unique_ID=sup2)
    # three-way: both legs into a conference, then agent 1002 joins; list; kick all
    room = f"threeway-{u[:8]}"
    assert (await c.command(f"api uuid_transfer {u} -both conference:{room}@default inline")).body == b"+OK\n"
    await c.event("CUSTOM", Action="floor-change")
    await c.event("CUSTOM", Action="play-file-done")  # the enter tone
    third = str(uuidlib.uuid4())
    joined = len(c.frames)
    await c.command(
        f"bgapi originate {{origination_uuid={third},originate_timeout=15}}sofia/external/1002@127.0.0.1:5091 &conference({room}@default)"
    )
    await c.event("CUSTOM", Action="add-member", Unique_ID=third)
    await c.event("CUSTOM", Action="play-file-done", start=joined)  # the enter tone, as the recorder waited
    listing = (await c.command(f"api conference {room} list")).body.decode()
    assert listing.count("\n") == 3 and f";{third};" in listing
    body = (await c.command(f"api conference {room} json_list")).body.decode()
    assert body.startswith('[{\n\t\t"conference_name":\t') and '"member_count":\t3,' in body
    kicked = (await c.command(f"api conference {room} kick all")).body
    assert kicked == b"+OK kicked 3\n+OK kicked 2\n+OK kicked 1\n"
    for leg in (u, third, agent):
        await c.event("CHANNEL_STATE", Channel_State="CS_DESTROY", Unique_ID=leg, timeout=20)


def conference_actions(events: list[Event]) -> list[str]:
    return [
        e.get("Action", "") for e in events if e.name == "CUSTOM" and e.subclass == "conference::maintenance"
    ]


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_eavesdrop_and_threeway_conform_to_trace_05(fmt: str) -> None:
    trace = TRACE.replace(".plain.", f".{fmt}.")
    sim = run_flow(flow_eavesdrop_threeway, fmt)
    assert_conforms(sim, trace)
    got, want = conference_actions(sim), conference_actions(trace_events(trace))
    cut = len(want) - want[::-1].index("kick-member")  # after the kicks, members leave in racing order
    assert got[:cut] == want[:cut], "\n".join(got) + "\n---\n" + "\n".join(want)
    assert sorted(got[cut:]) == sorted(want[cut:])
