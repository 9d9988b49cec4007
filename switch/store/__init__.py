"""Call-centre persistence: the only writer of the tables in `models.calls`.

Modules: `common` (version, scope helpers), `loading` (`load_config`), `writes` (what the controller
records), `config` (configuration CRUD), `agents`, `records` (CDR search, recordings, voicemails,
missed calls). Everything is re-exported here: use `from switch import store; store.upsert_call(...)`.

Two audiences:

- the controller: `config_version`/`load_config` (reload when the version changes; every change is
  also announced on the bus channel `calls:config`, see `announce_config`),
  `agent_states` (rebuild the ACD after a restart), `record_agent_change`, `upsert_call`/`finish_call`
  (the CDR, upserted by call UUID at every milestone so a restart loses nothing),
  `log_blacklist_attempt`, `record_abandoned`/`record_missed`, `add_voicemail`,
  `add_recording`/`finish_recording`, `set_satisfaction`, `skill_group_id`, and
  `ticket_progress_prompt` (the answer to the IVR self-service lookup, for `IvrSession.on_self_service`);
- the API (`api/routers/calls.py`) and the demo data: configuration CRUD (skill groups, agents' skills,
  IVR menus, per-tenant settings, holidays, blacklist, 专席 rules) and the record queries.

Every function takes a `Session` and plain values and never commits: the caller owns the transaction.
Every configuration change calls `bump_config_version` so running controllers reload without restart.
"""

from __future__ import annotations

from switch.store.agents import *  # noqa: F403
from switch.store.common import *  # noqa: F403
from switch.store.config import *  # noqa: F403
from switch.store.loading import *  # noqa: F403
from switch.store.records import *  # noqa: F403
from switch.store.writes import *  # noqa: F403
