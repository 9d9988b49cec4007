"""Outbound-socket mode: the simulator connects to the controller's socket server for each call (real TCP)."""

from __future__ import annotations

from pathlib import Path

import gevent.socket
import pytest

from switch.esl.trace import load_trace
from switch.outbound import OutboundServer
from switch.simulator import CallerScript
from tests.switch.conformance import TRACES
from tests.switch.rig import Rig, wait_until


@pytest.fixture
def rig(pg_url: str, tmp_path: Path):
    r = Rig(pg_url, tmp_path)
    server = OutboundServer(r.ctrl, port=0)
    server.start()
    r.sim.fs.dialplan["12345"] = "hotline-socket"
    r.sim.fs.outbound_address = ("127.0.0.1", server.port)
    r.outbound = server  # type: ignore[attr-defined]
    yield r
    server.stop()
    r.close()


def test_call_through_ivr_queue_agent_over_its_own_socket(rig: Rig) -> None:
    sent: list[str] = []
    uuid = rig.sim.call(
        CallerScript(number="13877719001", destination="12345", digits=["1", "1"], talk_seconds=4)
    )
    wait_until(lambda: uuid in rig.ctrl.sockets, 10, "outbound socket attached")
    session = rig.ctrl.sockets[uuid]
    send = session.send
    session.send = lambda text: (sent.append(text), send(text))[1]  # type: ignore[attr-defined]
    agent = rig.wait_connected(uuid)
    call = rig.wait_cdr_closed(uuid)
    assert rig.outbound.sessions_served == 1  # type: ignore[attr-defined]
    assert call.disposition == "answered" and call.agent_number == agent
    assert call.ivr_path == "1" and call.skill_group.code == "general"
    assert call.queue_entered_at is not None and call.agent_answered_at is not None
    assert call.talk_s and call.talk_s > 0 and call.ended_at is not None
    assert call.satisfaction == 5  # the survey after the agent hung up also ran over the socket
    # the call's sendmsg went over its socket, without a uuid (the socket knows its channel)
    assert sent and all(s.startswith("sendmsg\ncall-command: execute\n") for s in sent)
    assert any("play_and_get_digits" in s for s in sent)
    wait_until(lambda: uuid not in rig.ctrl.sockets, 15, "socket released after hangup")

    def general() -> dict | None:
        queues = [e for e in rig.events if e["type"] == "queues"]
        return next((g for g in queues[-1]["groups"] if g["code"] == "general"), None) if queues else None

    # the wallboard's 20-second service level counts the call (answered at once: an agent was ready)
    wait_until(lambda: (g := general()) is not None and g["offered"] >= 1, 15, "queues event with the call")
    g = general()
    assert g["answered_20s"] >= 1 and g["service_level"] == round(g["answered_20s"] / g["offered"], 4)


def test_call_routed_while_inbound_connection_sees_the_same_events(rig: Rig) -> None:
    """The inbound connection also receives the caller leg's events: they must not be handled twice."""
    handled: list[str] = []
    orig = rig.ctrl.handle
    rig.ctrl.handle = lambda h: (handled.append(f"{h.get('Event-Name')}:{h.get('Unique-ID')}"), orig(h))[1]  # type: ignore[method-assign]
    uuid = rig.sim.call(
        CallerScript(number="13877719002", destination="12345", digits=["1", "1"], talk_seconds=2)
    )
    rig.wait_cdr_closed(uuid)
    wait_until(lambda: f"CHANNEL_HANGUP_COMPLETE:{uuid}" in handled, 10, "hangup handled")
    assert handled.count(f"CHANNEL_HANGUP_COMPLETE:{uuid}") == 1
    assert handled.count(f"CHANNEL_DATA:{uuid}") == 1
    assert f"CHANNEL_PARK:{uuid}" not in handled[: handled.index(f"CHANNEL_DATA:{uuid}")]


def test_handshake_frames_match_the_outbound_trace(rig: Rig) -> None:
    """FreeSWITCH's side of trace 07 (connection 1) replayed to our server: we send the recorded commands
    byte for byte (connect, myevents, linger 3), the channel data starts the call, the recorded hangup ends it."""
    items = load_trace(TRACES / "07-outbound-socket.plain.txt")
    first = items[: next(i for i, it in enumerate(items) if it.kind == "note" and "connection 2" in it.text)]
    sends = [it.text for it in first if it.kind == "send"]
    recvs = [it for it in first if it.kind == "recv"]
    replies = [it.raw for it in recvs if it.frame.content_type == "command/reply"][:3]
    data = recvs[0].frame
    uuid = data.get("Unique-ID")
    ending = [
        it.raw
        for it in recvs
        if it.frame.content_type == "text/disconnect-notice"
        or it.frame.body.startswith(b"Event-Name: CHANNEL_HANGUP_COMPLETE\n")
    ]
    sock = gevent.socket.create_connection(("127.0.0.1", rig.outbound.port))  # type: ignore[attr-defined]
    got: list[bytes] = []
    buf = b""
    for reply in replies:
        while b"\n\n" not in buf:
            buf += sock.recv(65536)
        block, _, buf = buf.partition(b"\n\n")
        got.append(block)
        sock.sendall(reply)
    assert [g.decode() for g in got] == sends[:3]
    assert sends[2] == "linger 3"
    wait_until(lambda: rig.cdr(uuid) is not None, 10, "call started from the channel data")
    assert rig.cdr(uuid).caller == "13800138000" and uuid in rig.ctrl.sockets
    for raw in ending:
        sock.sendall(raw)
    rig.wait_cdr_closed(uuid, timeout=10)
    assert rig.cdr(uuid).hangup_cause == "NORMAL_CLEARING"
    sock.close()
