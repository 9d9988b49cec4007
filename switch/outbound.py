"""Outbound-socket control: FreeSWITCH connects to us once per call (`socket <host>:<port> async full`).

Per call: `connect` (the reply carries the channel data), `myevents`, `linger`; then the controller runs the
same call logic as in inbound mode (`Controller.handle`), and its `sendmsg` for that call goes over this
socket. The controller's inbound connection still carries api/bgapi/originate and the agent legs' events.
"""

from __future__ import annotations

import logging
import time

import gevent
import gevent.event
from gevent.server import StreamServer
from greenswitch.esl import OutboundSession, OutboundSessionHasGoneAway

from switch.controller import Controller

log = logging.getLogger("hotline.switch.outbound")

# Seconds FreeSWITCH keeps the socket open after the hangup, so the last events still arrive.
LINGER_S = 3
# The events of its own call the controller acts on, when it has no inbound connection to copy them from.
CALL_EVENTS = ("CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE")


class _Fed:
    """The `connect` reply's channel data, handed to the controller like an event."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = {**headers, "Event-Name": "CHANNEL_DATA"}


class OutboundServer:
    """A gevent StreamServer on loopback; each accepted connection is one call under the controller."""

    def __init__(self, controller: Controller, *, host: str = "127.0.0.1", port: int = 8084) -> None:
        self.controller = controller
        self.server = StreamServer((host, port), self._serve)
        self.sessions_served = 0
        self.handshake_ms: list[
            float
        ] = []  # accept → the call handed to the controller (connect, myevents, linger)

    @property
    def port(self) -> int:
        return self.server.server_port

    def start(self) -> None:
        self.server.start()
        log.info("outbound socket server listening", extra={"port": self.port})

    def stop(self) -> None:
        self.server.stop(timeout=1)

    def call_events(self) -> list[str]:
        """What the controller handles on its inbound connection, so a call's own socket delivers the same
        (the inbound copies of that call's events are dropped while the socket is attached)."""
        esl = self.controller.esl
        names = list(esl.event_handlers) if esl is not None else list(CALL_EVENTS)
        return [n for n in names if n not in ("BACKGROUND_JOB", "DISCONNECT", "*")]

    def _serve(self, sock, address) -> None:
        session = OutboundSession(address, sock)
        gone = gevent.event.Event()
        session.register_handle("DISCONNECT", lambda _event: gone.set())
        uuid = ""
        started = time.perf_counter()
        try:
            session.connect()
            data = session.session_data or {}
            uuid = data.get("Unique-ID", "")
            session.myevents()
            session.linger(LINGER_S)
            self.sessions_served += 1
            if not uuid:
                raise OutboundSessionHasGoneAway()
            self.controller.sockets[uuid] = session
            for name in self.call_events():
                session.register_handle(name, lambda event: self.controller._guard(event, from_socket=True))
            self.controller._guard(_Fed(data), from_socket=True)
            self.handshake_ms.append((time.perf_counter() - started) * 1000)
            gone.wait()
        except (OutboundSessionHasGoneAway, OSError):
            log.info("outbound socket closed early", extra={"uuid": uuid, "peer": str(address)})
        finally:
            gevent.sleep(0.1)  # let the last events reach the call's lane before the socket is forgotten
            self.controller.sockets.pop(uuid, None)
            session.connected = False
            session._run = False
            sock.close()
