"""A FreeSWITCH simulator speaking the real event-socket protocol: the embedded phone system, test double and load generator."""

from switch.simulator.core import CallerScript, Endpoint, FreeSwitch
from switch.simulator.server import EventSocketServer

__all__ = ["CallerScript", "Endpoint", "EventSocketServer", "FreeSwitch"]
