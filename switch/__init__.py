"""The FreeSWITCH side of the call centre.

- `switch.esl`        — the event-socket protocol: frames, URL encoding, plain/json events, trace reader.
- `switch.simulator`  — a FreeSWITCH simulator speaking that protocol (embedded default, tests, load).
- `switch.controller` — the controller: ESL events → call state → `routing/` decisions → commands, CDRs.
- `switch.actions`    — agent and supervisor actions arriving over the bus (see `switch/events.md`).
- `switch.store`      — persistence of the call-centre tables (the routing engineer's package).
"""
