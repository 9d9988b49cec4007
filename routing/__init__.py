"""Pure call-routing logic (no I/O): IVR, ACD, agent states, hours, blacklist, called-number rules.

Modules, in the order a call meets them:

- `routing.config`  — the configuration as immutable values (`CentreConfig`), loaded by `switch.store`.
- `routing.inbound` — `inbound_route(config, caller=, called=, now=)`: the first decision on a call.
- `routing.hours`   — business hours and holidays.
- `routing.ivr`     — menu trees (`parse_menu` validates the API's JSON) and the `IvrSession` state machine.
- `routing.acd`     — skill-group queues and agent selection (`Acd`), overflow, voicemail, announcements.
- `routing.agents`  — the agent state machine (transition table, stamped `StateChange`s).
- `routing.actions` — what the controller is told to do (`Play`, `Collect`, `Queue`, ...).
- `routing.clock`   — `SystemClock` for the controller, `FakeClock` for tests.

Imports: the standard library and `models` types only (`models.errors` for the exceptions).
"""
