"""Work orders (工单): tickets, timeline, deadlines, calendar, supervision."""

from __future__ import annotations
