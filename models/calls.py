"""Call centre: agents, skill groups, queues, IVR menus, blacklist, calls/CDRs, recordings."""

from __future__ import annotations
