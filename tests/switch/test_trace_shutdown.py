"""Trace 08 shutdown: after SHUTDOWN the subscribed client sees MODULE_UNLOAD events (recorded layout and
order) and then the disconnect notice."""

from __future__ import annotations

import asyncio

from switch.simulator import EventSocketServer, FreeSwitch
from switch.simulator.clock import SimClock
from tests.switch.conformance import structure, trace_events
from tests.switch.esl_client import RawClient


def test_module_unload_events_follow_shutdown_as_recorded() -> None:
    async def main():
        fs = FreeSwitch(SimClock(8))
        server = EventSocketServer(fs, port=0)
        await server.start()
        c = RawClient()
        await c.connect(server.port)
        await c.wait_for(lambda f: f.content_type == "auth/request")
        await c.command("auth ClueCon")
        await c.command("event plain ALL")
        await c.command("bgapi fsctl shutdown")
        await c.wait_for(lambda f: f.content_type == "text/disconnect-notice")
        await fs.close()
        return c.events(), c.frames

    events, frames = asyncio.run(main())
    recorded = [e for e in trace_events("08-api-misc.plain.txt") if e.name == "MODULE_UNLOAD"]
    unloads = [e for e in events if e.name == "MODULE_UNLOAD"]
    names = [e.name for e in events]
    assert unloads and names.index("SHUTDOWN") < names.index("MODULE_UNLOAD")
    assert frames[-1].content_type == "text/disconnect-notice"  # nothing after the notice
    shapes = {structure(e) for e in recorded}
    assert all(structure(e) in shapes for e in unloads)
    order = [(e.get("type"), e.get("name")) for e in recorded]
    got = [(e.get("type"), e.get("name")) for e in unloads]
    positions = [order.index(k) for k in got]  # every simulated module is in the recording, in its order
    assert positions == sorted(positions)
    for e in unloads:
        twin = recorded[order.index((e.get("type"), e.get("name")))]
        assert [(n, e.get(n)) for n in ("description", "syntax")] == [
            (n, twin.get(n)) for n in ("description", "syntax")
        ]
