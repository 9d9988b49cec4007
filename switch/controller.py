"""The FreeSWITCH controller: inbound ESL (greenswitch, gevent) → call state → `routing/` decisions → commands.

Runs in its own process (`hotline switch run`). Every milestone of a call is upserted into its CDR
(`switch.store`), so a controller restart loses nothing: on (re)connect it rebuilds live calls from
`show calls as json` and the variables it set on each channel (`hotline_*`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import gevent
import gevent.queue
from greenswitch import InboundESL
from greenswitch.esl import NotConnectedError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.bus import COMMANDS, EVENTS, Bus, decode
from models.calls import Call
from models.errors import Conflict, DomainError
from routing import acd as acd_events
from routing.acd import Acd
from routing.actions import Collect, Hangup, Play, Queue, SelfService, Transfer, Voicemail
from routing.clock import Clock, SystemClock
from routing.inbound import Outcome, inbound_route
from switch import prompts, store
from switch.dbwriter import DbWriter, read

log = logging.getLogger("hotline.switch")

CONFIG_POLL_S = 30.0  # safety poll of the configuration version; changes normally arrive on the bus
SURVEY_PROMPT = "say:请对本次服务进行评价，满意请按1，基本满意请按2，不满意请按3。"
SURVEY_RATING = {"1": 5, "2": 3, "3": 1}


def prompt_url(prompt: str) -> str:
    """A `say:` text plays its espeak-ng rendering (switch.prompts) once made, a short tone until then."""
    return prompts.prompt_url(prompt)


def _var(value: str) -> str | None:
    return None if not value or value == "_undef_" or value.startswith("-ERR") else value


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RecordMessage:
    """The controller's own step after a voicemail prompt: FreeSWITCH `record <path> <limit> 200 3`."""

    path: str
    max_seconds: int


@dataclass
class LiveCall:
    uuid: str
    caller: str
    called: str
    tenant_id: int | None = None
    session: object | None = None  # routing.ivr.IvrSession
    pending: list = field(default_factory=list)
    waiting_app: str | None = None  # Application-UUID we wait for
    ivr_path: list[str] = field(default_factory=list)
    queued: bool = False
    entered_at: datetime | None = None
    agent_leg: str | None = None
    held_since: float | None = None  # monotonic clock
    held_at: float = 0.0  # epoch seconds of the open hold
    hold_s: float = 0.0
    holds: list[tuple[float, float]] = field(default_factory=list)  # closed holds, epoch seconds
    conference: str | None = None
    agent_leg_in_conference: str | None = None  # the first agent's leg while in a consult / three-way room
    consult_with: str | None = None  # the consulted agent's number
    consult_leg: str | None = None
    consult_answered: bool = False
    recording_path: str | None = None
    bridges: int = 0
    agent_number: str | None = None
    skill_group: str | None = None
    survey: bool = False
    ended: bool = False


class Controller:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        password: str,
        sessions: sessionmaker,
        record_dir: Path,
        survey: bool = True,
        bus: Bus | None = None,
        callback_caller_id: str = "077112345",
        clock: Clock | None = None,
    ) -> None:
        self.host, self.port, self.password = host, port, password
        self.bus = bus
        # commands, and configuration changes announced by the API (reloaded at once, see `reload_config`)
        self.commands = bus.subscribe(COMMANDS, store.CONFIG_CHANNEL) if bus is not None else None
        self.config_channel = bus.key(store.CONFIG_CHANNEL) if bus is not None else ""
        self.config_checked = time.monotonic()
        self.callback_caller_id = callback_caller_id
        self.supervisors: dict[str, dict[str, str]] = {}  # supervisor extension -> {leg, target, mode}
        self.pending_modes: dict[str, str] = {}  # supervisor leg -> eavesdrop-command to send on answer
        self.outbound_calls: dict[str, str] = {}  # callback call uuid -> agent number
        self.extra_legs: dict[str, str] = {}  # consult / three-way legs of agents -> agent number
        self.released_legs: set[str] = set()  # agent legs let go by a transfer (their hangup is expected)
        self.lanes: dict[str, gevent.queue.Queue] = {}
        self.sockets: dict[str, object] = {}  # caller uuid -> its outbound-socket session (switch.outbound)
        self.sessions = sessions
        self.record_dir = record_dir
        self.survey = survey
        self.esl: InboundESL | None = None
        self.calls: dict[str, LiveCall] = {}
        self.agent_legs: dict[str, str] = {}  # agent leg uuid -> caller uuid
        self.jobs: dict[str, tuple[str, str]] = {}  # Job-UUID -> (caller uuid, agent leg uuid)
        self.consult_jobs: dict[str, tuple[str, str]] = {}  # Job-UUID -> (caller uuid, consulted leg)
        self.conference_legs: dict[
            str, str
        ] = {}  # agent / third-party legs of a consult or three-way -> caller
        with self.sessions() as db:
            self.config_version = store.config_version(db)
            self.acd = Acd(store.load_config(db), clock or SystemClock())
            self.restore_agents(db)
        self.render_prompts()
        self.writer = DbWriter(sessions)
        self.decision_ms: list[float] = []
        self.events_handled = 0
        self.running = True

    def write(self, job) -> None:
        """Queue DB work (a function of a session) for the writer thread; it commits, in submission order."""
        self.writer.submit(job)

    def read(self, fn):
        """A query whose answer this greenlet needs now, run off the event loop."""
        return read(self.sessions, fn)

    def render_prompts(self) -> None:
        """Speak the configuration's `say:` prompts into files, in a thread (espeak-ng must not block calls)."""
        texts = prompts.say_texts(self.acd.config, SURVEY_PROMPT)
        gevent.get_hub().threadpool.spawn(prompts.render_all, texts)

    def restore_agents(self, db: Session) -> None:
        """After a restart: agents keep their recorded state; ringing ones go back to ready (the offer is gone)."""
        for status in store.agent_states(db):
            state = status.state
            if state == "ringing":
                state = "ready"
            self.acd.restore_agent(
                status.agent_number,
                state=state,
                since=_aware(status.since),
                reason=status.reason,
                idle_since=_aware(status.idle_since),
                extension=status.extension,
                call_id=status.call_uuid,
            )

    # ------------------------------------------------------------------ connection
    def connect(self) -> None:
        delay = 0.5
        while self.running:
            try:
                esl = InboundESL(self.host, self.port, self.password)
                esl.connect()
                break
            except Exception as exc:
                log.warning("ESL connect failed, retrying", extra={"error": str(exc), "delay_s": delay})
                gevent.sleep(delay)
                delay = min(delay * 2, 10)
        self.esl = esl
        for name in ("CHANNEL_PARK", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"):
            esl.register_handle(name, self._guard)
        esl.send("event plain CHANNEL_PARK CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
        self.rebuild()

    def _guard(self, event, *, from_socket: bool = False) -> None:
        """Events of one call are handled in order in that call's lane (a greenlet); lanes run side by side,
        so a call waiting for a FreeSWITCH reply does not hold up the others."""
        h = event.headers
        key = h.get("Unique-ID") or ""
        if not from_socket and (key in self.sockets or h.get("variable_current_application") == "socket"):
            return  # the call's own outbound socket delivers its events (switch.outbound)
        self.events_handled += 1
        if h.get("Event-Name") == "BACKGROUND_JOB":
            job = self.jobs.get(h.get("Job-UUID", "")) or self.consult_jobs.get(h.get("Job-UUID", ""))
            key = job[0] if job else "-"
        key = self.agent_legs.get(key) or self.conference_legs.get(key) or key
        lane = self.lanes.get(key)
        if lane is None:
            lane = self.lanes[key] = gevent.queue.Queue()
            gevent.spawn(self._lane, key, lane)
        lane.put(h)

    def _lane(self, key: str, lane: gevent.queue.Queue) -> None:
        while True:
            try:
                h = lane.get(timeout=5)
            except gevent.queue.Empty:
                if lane.empty():  # no yield between this check and the removal
                    self.lanes.pop(key, None)
                    return
                continue
            try:
                self.handle(h)
            except Exception:
                log.exception("event handling failed", extra={"event": h.get("Event-Name")})

    def send(self, text: str):
        """One ESL command; a lost connection is not an error here (the reconnect rebuilds the state)."""
        try:
            assert self.esl is not None
            return self.esl.send(text)
        except (NotConnectedError, OSError):
            log.warning("ESL command not sent: not connected", extra={"command": text.split("\n", 1)[0]})
            return None

    def api(self, cmd: str) -> str:
        reply = self.send(f"api {cmd}")
        return reply.data if reply is not None else "-ERR not connected"

    def sendmsg(self, uuid: str, app: str, arg: str = "", *, call: LiveCall | None = None) -> str:
        """Execute `app` on the channel. With `call`, its completion is awaited: the Application-UUID is set
        before sending, as the EXECUTE_COMPLETE may be handled (another greenlet) before the reply returns."""
        app_uuid = str(uuidlib.uuid4())
        if call is not None:
            call.waiting_app = app_uuid
        assert self.esl is not None
        lines = [f"sendmsg {uuid}", "call-command: execute", f"execute-app-name: {app}"]
        if arg:
            lines.append(f"execute-app-arg: {arg}")
        lines.append(f"Event-UUID: {app_uuid}")
        socket = self.sockets.get(uuid)
        if socket is not None:  # outbound mode: the call's own socket, which needs no uuid
            try:
                socket.send("\n".join(["sendmsg", *lines[1:]]))  # type: ignore[attr-defined]
            except Exception:
                log.warning("outbound socket gone; command not sent", extra={"uuid": uuid, "app": app})
            return app_uuid
        self.send("\n".join(lines))
        return app_uuid

    def run(self) -> None:
        try:
            self.connect()
            last_tick = 0.0
            while self.running:
                gevent.sleep(0.05)
                self.poll_commands()
                if self.esl is None or not self.esl.connected:
                    log.warning("ESL connection lost; reconnecting")
                    self.drain()
                    self.connect()
                if time.monotonic() - last_tick >= 1:
                    last_tick = time.monotonic()
                    self.tick()
        finally:
            self.writer.flush()  # stopping or killed: what the calls recorded is written before we go

    def drain(self) -> None:
        """Handle the events that arrived before the connection dropped (greenswitch stops its processor)."""
        if self.esl is None:
            return
        queue = self.esl._esl_event_queue
        while not queue.empty():
            event = queue.get()
            if (
                event.headers.get("Content-Type") in ("text/event-plain", "text/event-json")
                or "Event-Name" in event.headers
            ):
                self._guard(event)

    # ------------------------------------------------------------------ restart recovery
    def rebuild(self) -> None:
        """Adopt calls that are already up (controller restart): bridged ones stay with their agent, parked
        ones resume where their CDR says they were (queued: back in the queue with the original entry time)."""
        body = self.api("show calls as json")
        rows = json.loads(body).get("rows", []) if body.startswith("{") else []
        for row in rows:
            uuid = row["uuid"]
            if uuid in self.calls or row.get("direction") != "inbound":
                continue
            agent_leg = row.get("b_uuid") or ""
            if not agent_leg:
                self.adopt_parked(uuid, row)
                continue
            call = LiveCall(uuid=uuid, caller=row.get("cid_num", ""), called=row.get("dest", ""))
            self.calls[uuid] = call
            call.agent_leg = agent_leg
            call.agent_number = _var(self.api(f"uuid_getvar {agent_leg} hotline_agent"))
            call.skill_group = _var(self.api(f"uuid_getvar {agent_leg} hotline_group"))
            self.agent_legs[agent_leg] = uuid
            if call.agent_number and call.skill_group and call.agent_number in self.acd.agents:
                self.acd.adopt_connected(
                    uuid,
                    agent_number=call.agent_number,
                    skill_group=call.skill_group,
                    caller=call.caller,
                    called=call.called,
                )
                agent = self.acd.agents[call.agent_number]
                self.acd.restore_agent(
                    call.agent_number, state="in_call", since=now(), call_id=uuid, extension=agent.extension
                )
            log.info("adopted bridged call", extra={"uuid": uuid, "agent_leg": agent_leg})
        self.close_orphans({row["uuid"] for row in rows} | {row.get("b_uuid", "") for row in rows})
        for agent in list(self.acd.agents.values()):
            if agent.state.value in ("in_call", "ringing") and agent.call_id not in self.acd.calls:
                # its call ended while no controller was listening
                self.acd.restore_agent(
                    agent.agent_number, state="ready", since=now(), extension=agent.extension
                )

    def close_orphans(self, live: set[str]) -> None:
        """CDRs still open for calls FreeSWITCH no longer has (the switch restarted while we were away)."""
        from models.calls import Disposition

        at = now()

        def job(db: Session) -> None:
            stale = db.scalars(select(Call.uuid).where(Call.disposition == Disposition.in_progress)).all()
            for uuid in stale:
                if uuid not in live and uuid not in self.calls:
                    store.finish_call(db, uuid, ended_at=at, hangup_cause="LOST_ON_RESTART")

        self.write(job)

    def adopt_parked(self, uuid: str, row: dict[str, str]) -> None:
        def lookup(db: Session):
            cdr = db.scalar(select(Call).where(Call.uuid == uuid))
            if cdr is None:
                return None, False, None, None, None
            queued = cdr.queue_entered_at is not None and cdr.agent_answered_at is None
            group = cdr.skill_group.code if cdr.skill_group is not None else None
            return cdr, queued, group, cdr.queue_entered_at, cdr.tenant_id

        cdr, queued, group, entered, tenant_id = self.read(lookup)
        if cdr is None or not queued or group is None:
            self.new_call(
                {
                    "Unique-ID": uuid,
                    "Caller-Caller-ID-Number": row.get("cid_num", ""),
                    "Caller-Destination-Number": row.get("dest", ""),
                },
                resumed=cdr is not None,
            )
            return
        call = LiveCall(
            uuid=uuid, caller=row.get("cid_num", ""), called=row.get("dest", ""), tenant_id=tenant_id
        )
        self.calls[uuid] = call
        call.queued, call.skill_group = True, group
        log.info("re-queued call after restart", extra={"uuid": uuid, "skill_group": group})
        self.apply_acd(
            self.acd.enqueue(
                uuid,
                skill_group=group,
                tenant_id=tenant_id,
                caller=call.caller,
                called=call.called,
                entered_at=entered,
            )
        )

    # ------------------------------------------------------------------ events
    def handle(self, h: dict[str, str]) -> None:
        name = h.get("Event-Name")
        uuid = h.get("Unique-ID", "")
        if name in ("CHANNEL_PARK", "CHANNEL_DATA"):  # CHANNEL_DATA: an outbound socket's `connect` reply
            if h.get("Call-Direction") == "inbound" and uuid not in self.calls:
                self.new_call(h)
        elif name == "CHANNEL_EXECUTE_COMPLETE":
            call = self.calls.get(uuid)
            if call is not None and call.waiting_app and h.get("Application-UUID") == call.waiting_app:
                call.waiting_app = None
                self.app_done(call, h)
        elif name == "BACKGROUND_JOB":
            # greenswitch folds an event body into its last header (Content-Length)
            body = h.get("_body") or h.get("Content-Length", "").rsplit("\n", 1)[-1]
            self.job_done(h.get("Job-UUID", ""), body)
        elif name == "CHANNEL_HANGUP_COMPLETE":
            if uuid in self.conference_legs:
                self.conference_leg_gone(uuid)
            if uuid in self.released_legs:
                self.released_legs.discard(uuid)
            elif uuid in self.extra_legs:
                agent = self.extra_legs.pop(uuid)
                self.apply_acd(self.acd.agent_hangup(agent))
            elif uuid in self.outbound_calls:
                self.callback_done(uuid, h)
            elif any(sup["leg"] == uuid for sup in self.supervisors.values()):
                self.supervisors = {k: v for k, v in self.supervisors.items() if v["leg"] != uuid}
            elif uuid in self.agent_legs:
                self.agent_leg_gone(uuid, h)
            elif uuid in self.calls:
                self.caller_gone(self.calls[uuid], h)

    def new_call(self, h: dict[str, str], *, resumed: bool = False) -> None:
        uuid = h["Unique-ID"]
        caller = h.get("Caller-Caller-ID-Number", "")
        called = h.get("Caller-Destination-Number", "")
        call = LiveCall(uuid=uuid, caller=caller, called=called)
        self.calls[uuid] = call
        t0 = time.perf_counter()
        decision = inbound_route(self.acd.config, caller=caller, called=called, now=self.acd.clock.now())
        self.decision_ms.append((time.perf_counter() - t0) * 1000)
        call.tenant_id = decision.tenant.tenant_id if decision.tenant else None
        call.session = decision.session
        stamps = {} if resumed else {"started_at": now(), "answered_at": now()}
        tenant_id, blacklist = call.tenant_id, decision.blacklist

        def record(db: Session) -> None:
            store.upsert_call(
                db,
                uuid,
                caller=caller,
                called=called,
                tenant_id=tenant_id,
                priority=decision.priority,
                **stamps,
            )
            if blacklist is not None:
                store.log_blacklist_attempt(
                    db,
                    entry_id=blacklist.id,
                    caller=caller,
                    called=called,
                    tenant_id=tenant_id,
                    call_uuid=uuid,
                )
                store.upsert_call(db, uuid, disposition="blacklisted")
            elif outcome is not None:
                store.upsert_call(db, uuid, disposition=outcome)

        # closed without voicemail (that records its own outcome) / a number no tenant answers
        outcome = None
        if decision.outcome is Outcome.closed and not any(isinstance(a, Voicemail) for a in decision.actions):
            outcome = "closed"
        elif decision.outcome is Outcome.unknown_number:
            outcome = "failed"
        self.write(record)
        if decision.outcome is Outcome.reject:
            call.ivr_path.append("黑名单")
        call.pending = list(decision.actions)
        # (the dialplan sets hangup_after_bridge=false and RECORD_STEREO=true: no round trip per call here)
        self.next_action(call)

    def next_action(self, call: LiveCall) -> None:
        while call.pending and not call.ended:
            action = call.pending.pop(0)
            if isinstance(action, Play):
                self.sendmsg(call.uuid, "playback", prompt_url(action.prompt), call=call)
                return
            if isinstance(action, RecordMessage):
                self.sendmsg(call.uuid, "record", f"{action.path} {action.max_seconds} 200 3", call=call)
                return
            if isinstance(action, Collect):
                # a fresh variable per prompt, so a timeout never reads the previous answer
                call.collects = getattr(call, "collects", 0) + 1  # type: ignore[attr-defined]
                var = f"{action.var_name}_{call.collects}"  # type: ignore[attr-defined]
                collect = dataclasses.replace(action, prompt=prompt_url(action.prompt), var_name=var)
                call.collect_var = var  # type: ignore[attr-defined]
                self.sendmsg(call.uuid, "play_and_get_digits", collect.app_args(), call=call)
                return
            if isinstance(action, Queue):
                self.enqueue(call, action)
                return
            if isinstance(action, SelfService):
                answer = self.self_service(call, action)
                call.pending = list(call.session.on_self_service(answer)) + call.pending  # type: ignore[union-attr]
                continue
            if isinstance(action, Voicemail):
                self.voicemail(call, action)
                return
            if isinstance(action, Transfer):
                fields = {"disposition": "transferred", "transferred_to": action.number}
                self.write(lambda db, f=fields: store.upsert_call(db, call.uuid, **f))
                self.api(f"uuid_transfer {call.uuid} 'm:^:bridge:sofia/gateway/trunk/{action.number}' inline")
                return
            if isinstance(action, Hangup):
                if action.prompt:
                    call.pending = [Play(action.prompt), Hangup(None, action.cause)] + call.pending
                    continue
                self.hangup(call.uuid, action.cause)
                return

    def self_service(self, call: LiveCall, action: SelfService) -> str | None:
        """The IVR lookup's answer as a `say:` prompt, spoken now (off the loop) as it is new text each time."""
        if action.kind != "ticket_progress":
            return None
        try:
            answer = self.read(lambda db: store.ticket_progress_prompt(db, action.digits, caller=call.caller))
        except Exception:  # the caller hears an apology rather than silence
            log.exception("ticket progress lookup failed", extra={"uuid": call.uuid})
            answer = "say:暂时无法查询工单进度，请稍后再试或按0转人工服务。"
        self.publish("self_service", call, lookup=action.kind, prompt=answer)
        if answer.startswith("say:"):
            try:
                gevent.get_hub().threadpool.apply(prompts.render, (answer[4:],))
            except Exception:  # no voice: a tone stands in (prompt_url)
                log.warning("self-service answer not rendered", extra={"uuid": call.uuid})
        return answer

    def app_done(self, call: LiveCall, h: dict[str, str]) -> None:
        if h.get("Application") == "play_and_get_digits":
            var = getattr(call, "collect_var", "ivr_digits")
            digits = h.get(f"variable_{var}", "")
            if call.survey:
                self.finish_survey(call, digits)
                return
            if call.session is not None:
                call.ivr_path.append(digits or "超时")
                actions = call.session.on_digits(digits) if digits else call.session.on_timeout()  # type: ignore[attr-defined]
                call.pending = list(actions) + call.pending
        elif h.get("Application") == "record" and getattr(call, "voicemail_path", None):
            fields = dict(
                call_uuid=call.uuid,
                caller=call.caller,
                called=call.called,
                tenant_id=call.tenant_id,
                reason=call.voicemail_reason,  # type: ignore[attr-defined]
                path=call.voicemail_path,  # type: ignore[attr-defined]
                duration_s=float(h.get("variable_record_seconds", "0") or 0),
            )
            self.write(lambda db: store.add_voicemail(db, **fields))
        self.next_action(call)

    # ------------------------------------------------------------------ queue and agents
    def enqueue(self, call: LiveCall, action: Queue) -> None:
        call.queued = True
        call.entered_at = now()
        call.skill_group = action.skill_group
        fields = dict(
            skill_group=action.skill_group,
            queue_entered_at=call.entered_at,
            ivr_path=" > ".join(call.ivr_path),
            priority=action.priority,
        )
        self.write(lambda db, uuid=call.uuid: store.upsert_call(db, uuid, **fields))
        self.sendmsg(call.uuid, "playback", "local_stream://moh")
        t0 = time.perf_counter()
        events = self.acd.enqueue(
            call.uuid,
            skill_group=action.skill_group,
            tenant_id=action.tenant_id,
            caller=call.caller,
            called=call.called,
            priority=action.priority,
            agent_numbers=action.agent_numbers,
        )
        self.decision_ms.append((time.perf_counter() - t0) * 1000)
        self.apply_acd(events)

    def apply_acd(self, events: list) -> None:
        """Queue the ACD's facts for the writer (one transaction), then act on the switch."""
        after: list = []
        ops: list = []
        for ev in events:
            if isinstance(ev, acd_events.AgentChanged):
                ops.append(lambda db, c=ev.change: store.record_agent_change(db, c))
                c = ev.change
                self.bus_publish(
                    {
                        "type": "agent_state",
                        "agent_number": c.agent_number,
                        "user_id": c.user_id,
                        "tenant_id": c.tenant_id,
                        "state": str(c.to_state),
                        "reason": c.reason,
                        "call_uuid": c.call_id,
                        "at": c.at.isoformat(),
                    }
                )
            elif isinstance(ev, acd_events.Offer):
                after.append(self.offer(ops, ev))
            elif isinstance(ev, acd_events.Missed | acd_events.Abandoned):
                ops.append(self.missed_op(ev))
            elif isinstance(ev, acd_events.Overflowed):
                ops.append(lambda db, ev=ev: store.upsert_call(db, ev.call_id, overflowed_to=ev.to_group))
            elif isinstance(ev, acd_events.Waiting) and ev.actions:
                after.append(lambda ev=ev: self.announce(ev))
            elif isinstance(ev, acd_events.VoicemailDue):
                call = self.calls.get(ev.call_id)
                if call is not None:
                    call.queued = False
                    call.pending = [ev.action]
                    after.append(
                        lambda call=call: (
                            self.api(f"uuid_break {call.uuid} all"),
                            self.next_action(call),
                        )
                    )
        if ops:
            self.write(lambda db: [op(db) for op in ops])
        for action in after:
            if action is not None:
                action()

    def missed_op(self, ev: acd_events.Missed | acd_events.Abandoned):
        """The write of a 未接 (an agent did not answer) or 放弃 (the caller gave up) record."""
        call = self.calls.get(ev.call_id)
        caller = call.caller if call else ""
        if isinstance(ev, acd_events.Missed):
            return lambda db: store.record_missed(
                db, call_uuid=ev.call_id, caller=caller, agent_user_id=ev.user_id, ring_s=ev.ring_s
            )
        return lambda db: store.record_abandoned(
            db,
            call_uuid=ev.call_id,
            caller=caller,
            stage=ev.stage,
            skill_group=ev.skill_group,
            waited_s=ev.waited_s,
            position=ev.position,
        )

    def announce(self, ev: acd_events.Waiting) -> None:
        """Queue position / expected wait: stop the music, play the announcement, music again."""
        call = self.calls.get(ev.call_id)
        if call is None or not call.queued or call.ended:
            return
        missing = [
            p.prompt[4:]
            for p in ev.actions
            if p.prompt.startswith("say:") and not prompts.prompt_file(p.prompt[4:]).is_file()
        ]
        if missing:  # a figure not rendered ahead (position 6+): speak it off the loop, then announce
            gevent.spawn(self._announce_rendered, ev, missing)
            return
        self._announce(call, ev)

    def _announce_rendered(self, ev: acd_events.Waiting, texts: list[str]) -> None:
        try:
            gevent.get_hub().threadpool.apply(prompts.render_all, (texts,))
        except Exception:  # no voice: the tone stands in (prompt_url)
            log.warning("queue announcement not rendered", extra={"call_id": ev.call_id})
        call = self.calls.get(ev.call_id)
        if call is not None and call.queued and not call.ended:
            self._announce(call, ev)

    def _announce(self, call: LiveCall, ev: acd_events.Waiting) -> None:
        self.api(f"uuid_break {call.uuid} all")
        for play in ev.actions:
            self.sendmsg(call.uuid, "playback", prompt_url(play.prompt))
        self.sendmsg(call.uuid, "playback", "local_stream://moh")
        self.publish("queue_position", call, position=ev.position, estimated_wait_s=ev.estimated_wait_s)

    def offer(self, ops: list, ev: acd_events.Offer):
        call = self.calls.get(ev.call_id)
        if call is None:
            return None
        leg = str(uuidlib.uuid4())
        job = str(uuidlib.uuid4())
        call.agent_leg, call.agent_number, call.skill_group = leg, ev.agent_number, ev.skill_group
        self.agent_legs[leg] = call.uuid
        self.jobs[job] = (call.uuid, leg)
        fields = dict(
            ring_started_at=now(),
            agent_number=ev.agent_number,
            agent_user_id=ev.user_id,
            extension=ev.extension,
        )
        ops.append(lambda db, uuid=call.uuid: store.upsert_call(db, uuid, **fields))
        command = (
            f"bgapi originate {{origination_uuid={leg},origination_caller_id_number={call.caller},"
            f"originate_timeout={ev.ring_timeout_s},hotline_call={call.uuid},hotline_agent={ev.agent_number},"
            f"hotline_group={ev.skill_group}}}user/{ev.extension} &park()\nJob-UUID: {job}"
        )

        def ring() -> None:
            gevent.spawn(self.screen_pop, call)  # its history query must not delay the ringing
            self.send(command)

        return ring

    def job_done(self, job: str, body: str) -> None:
        if job in self.consult_jobs:
            self.consult_dialled(*self.consult_jobs.pop(job), ok=body.startswith("+OK"))
            return
        target = self.jobs.pop(job, None)
        if target is None:
            leg = body[4:].strip() if body.startswith("+OK") else ""
            mode = self.pending_modes.pop(leg, None)
            if mode is not None:
                assert self.esl is not None
                self.send(
                    f"sendevent CUSTOM\nEvent-Subclass: hotline::eavesdrop\nunique-id: {leg}\n"
                    f"eavesdrop-command: {mode}"
                )
            return
        caller_uuid, leg = target
        call = self.calls.get(caller_uuid)
        if call is None or call.ended:
            if body.startswith("+OK"):
                self.hangup(leg, "ORIGINATOR_CANCEL")
            return
        if not body.startswith("+OK"):
            self.agent_legs.pop(leg, None)
            call.agent_leg = None
            self.apply_acd(self.acd.ring_failed(caller_uuid))
            return
        reply = self.api(f"uuid_bridge {caller_uuid} {leg}")
        if not reply.startswith("+OK"):
            self.hangup(leg, "ORIGINATOR_CANCEL")
            return
        call.queued = False
        call.bridges += 1
        path = self.record_dir / (
            f"{caller_uuid}.wav" if call.bridges == 1 else f"{caller_uuid}-{call.bridges}.wav"
        )
        call.recording_path = str(path)
        self.api(f"uuid_record {caller_uuid} start {path}")
        events = self.acd.answered(caller_uuid)
        at = now()

        def record(db: Session) -> None:
            store.upsert_call(db, caller_uuid, agent_answered_at=at, queue_left_at=at)
            store.add_recording(db, call_uuid=caller_uuid, path=str(path), started_at=at)

        self.write(record)
        self.apply_acd(events)
        # the path travels with the event: the recording row is written asynchronously (self.write)
        self.publish("call_connected", call, agent_leg=leg, recording_path=str(path))

    def agent_leg_gone(self, leg: str, h: dict[str, str]) -> None:
        caller_uuid = self.agent_legs.pop(leg)
        call = self.calls.get(caller_uuid)
        if call is None or call.agent_leg != leg:
            return
        call.agent_leg = None
        answered = h.get("variable_answer_epoch", "0") not in ("", "0")
        if not answered:
            return  # no answer / busy: handled by BACKGROUND_JOB
        self.release_agent(call)
        self.write(lambda db: store.upsert_call(db, caller_uuid, hangup_by="agent"))
        if self.survey_wanted(call) and not call.ended:
            call.survey = True
            call.collect_var = "survey_rating"  # type: ignore[attr-defined]
            self.sendmsg(
                caller_uuid,
                "play_and_get_digits",
                f"1 1 1 5000 # {prompt_url(SURVEY_PROMPT)} silence_stream://250 survey_rating ^[1-3]$ 3000",
                call=call,
            )
        elif not call.ended and not getattr(call, "survey_done", False):
            self.hangup(caller_uuid, "NORMAL_CLEARING")  # no survey: the caller is not left waiting

    def callback_done(self, uuid: str, h: dict[str, str]) -> None:
        agent_number = self.outbound_calls.pop(uuid)
        answered = h.get("variable_answer_epoch", "0") not in ("", "0")
        fields = dict(
            ended_at=now(),
            hangup_cause=h.get("Hangup-Cause"),
            disposition="answered" if answered else "failed",
        )
        self.write(lambda db: store.finish_call(db, uuid, **fields))
        try:
            self.apply_acd(self.acd.agent_hangup(agent_number))
        except DomainError:
            log.info("agent state after callback unchanged", extra={"agent_number": agent_number})

    def survey_wanted(self, call: LiveCall) -> bool:
        """The controller's switch and the tenant's (`call_settings.survey_enabled`) both on."""
        tenant = self.acd.config.tenant(call.tenant_id) if call.tenant_id is not None else None
        return self.survey and (tenant is None or tenant.survey)

    def finish_survey(self, call: LiveCall, digits: str) -> None:
        """A key 1–3 is a rating; a timeout or another key leaves satisfaction empty (not rated)."""
        rating = SURVEY_RATING.get(digits)
        if rating is not None:
            self.write(lambda db: store.set_satisfaction(db, call.uuid, rating))
        self.hangup(call.uuid, "NORMAL_CLEARING")

    def finish_recording(self, call: LiveCall) -> None:
        if not call.recording_path:
            return
        path, call.recording_path = call.recording_path, None
        at = now()

        def record(db: Session) -> None:
            try:
                store.finish_recording(db, path=str(path), ended_at=at)
            except DomainError:  # never registered (the bridge failed first)
                log.info("recording to finish not found", extra={"path": path})

        self.write(record)

    def caller_gone(self, call: LiveCall, h: dict[str, str]) -> None:
        call.ended = True
        queued = self.acd.calls.get(call.uuid)
        if queued is not None and queued.state is acd_events.CallState.connected:
            self.apply_acd(self.acd.call_ended(call.uuid))
        elif queued is not None:
            self.apply_acd(self.acd.abandon(call.uuid))
        if call.agent_leg:
            self.hangup(call.agent_leg, "ORIGINATOR_CANCEL")
        if call.conference:
            self.api(f"conference {call.conference} kick all")
        self.hold_ended(call)
        self.finish_recording(call)
        fields: dict = (
            {"hold_s": round(call.hold_s, 1), "holds": [list(h) for h in call.holds]} if call.holds else {}
        )
        if call.ivr_path:
            fields["ivr_path"] = " > ".join(call.ivr_path)
        fields.update(ended_at=now(), hangup_cause=h.get("Hangup-Cause"))
        self.write(lambda db: store.finish_call(db, call.uuid, **fields))
        self.publish("call_ended", call, hangup_cause=h.get("Hangup-Cause"))
        self.calls.pop(call.uuid, None)

    def voicemail(self, call: LiveCall, action: Voicemail) -> None:
        path = self.record_dir / f"voicemail-{call.uuid}.wav"
        call.voicemail_path = str(path)  # type: ignore[attr-defined]
        call.voicemail_reason = action.reason  # type: ignore[attr-defined]
        reason, group = action.reason, action.skill_group
        caller, called, tenant_id = call.caller, call.called, call.tenant_id

        def record(db: Session) -> None:
            store.add_voicemail(
                db,
                call_uuid=call.uuid,
                caller=caller,
                called=called,
                tenant_id=tenant_id,
                reason=reason,
                skill_group=group,
            )
            store.upsert_call(db, call.uuid, disposition="voicemail")

        self.write(record)
        # prompt, then the caller speaks (record ends on silence, the limit or hang-up), then goodbye
        call.pending = [
            Play(action.prompt),
            RecordMessage(str(path), action.max_seconds),
            Hangup(None),
        ] + call.pending
        self.next_action(call)

    def hangup(self, uuid: str, cause: str = "NORMAL_CLEARING") -> None:
        self.api(f"uuid_kill {uuid} {cause}")

    # ------------------------------------------------------------------ bus: commands in, events out
    def poll_commands(self) -> None:
        if self.commands is None:
            return
        while True:
            raw = self.commands.get_message(timeout=0)
            if raw is None:
                return
            message = decode(raw)
            if message is None:
                continue
            if raw.get("channel") == self.config_channel:
                if message.get("version") != self.config_version:
                    self.reload_config()
                continue
            self.handle_command(message)

    def reload_config(self) -> None:
        """Load the configuration (off the event loop) and hand it to the ACD if its version moved."""
        self.config_checked = time.monotonic()
        version = self.read(store.config_version)
        if version != self.config_version:
            config = self.read(store.load_config)
            self.acd.reload(config)
            self.config_version = version
            self.render_prompts()
            log.info("configuration reloaded", extra={"version": version})

    def handle_command(self, message: dict) -> dict:
        from switch.actions import HANDLERS

        handler = HANDLERS.get(message.get("action", ""))
        try:
            if handler is None:
                raise DomainError(f"未知操作 {message.get('action')}", field="action")
            reply = {"ok": True, **handler(self, message)}
        except DomainError as exc:
            reply = {"ok": False, "status": exc.status, "detail": exc.detail, "field": exc.field}
        except Exception as exc:  # report any failure to the waiting API request
            log.exception("command failed", extra={"action": message.get("action")})
            reply = {"ok": False, "status": 500, "detail": f"话务控制器执行失败：{exc}"}
        if self.bus is not None and message.get("id"):
            self.bus.reply(message["id"], reply)
        return reply

    def bus_publish(self, message: dict) -> None:
        if self.bus is not None:
            try:
                self.bus.publish(EVENTS, message)
            except Exception:  # the phone system must not stop for a bus hiccup
                log.warning("bus publish failed", extra={"type": message.get("type")})

    def publish(self, kind: str, call: LiveCall, **extra) -> None:
        self.bus_publish(
            {
                "type": kind,
                "call_uuid": call.uuid,
                "caller": call.caller,
                "called": call.called,
                "agent_number": call.agent_number,
                "skill_group": call.skill_group,
                "tenant_id": call.tenant_id,
                "at": now().isoformat(),
                **extra,
            }
        )

    def screen_pop(self, call: LiveCall) -> None:
        """Caller number, the caller's past tickets, queue and IVR path for the agent's desktop."""
        tickets: list[dict] = []
        try:
            from models.tickets import Ticket

            def past(db: Session) -> list[dict]:
                rows = db.scalars(
                    select(Ticket)
                    .where(Ticket.citizen_phone == call.caller)
                    .order_by(Ticket.id.desc())
                    .limit(5)
                )
                return [{"number": t.number, "title": t.title, "state": t.state} for t in rows]

            tickets = self.read(past)
        except Exception:  # a screen pop without history is better than none
            log.warning("past tickets lookup failed", extra={"caller": call.caller})
        self.publish("screen_pop", call, ivr_path=call.ivr_path, queue=call.skill_group, past_tickets=tickets)

    @staticmethod
    def clock() -> float:
        return time.monotonic()

    @staticmethod
    def now() -> datetime:
        return now()

    # ------------------------------------------------------------------ transfers and conferences
    def detach_agent_leg(self, call: LiveCall, *, keep_caller: bool = False) -> str | None:
        """Let the current agent leg go without treating its hangup as the end of the conversation."""
        leg = call.agent_leg
        if leg:
            self.agent_legs.pop(leg, None)
            self.released_legs.add(leg)
        if not keep_caller:
            call.agent_leg = None
        return leg

    def release_agent(self, call: LiveCall) -> None:
        if call.uuid in self.acd.calls:
            self.apply_acd(self.acd.call_ended(call.uuid))
        self.hold_ended(call)
        self.finish_recording(call)

    def hold_ended(self, call: LiveCall) -> None:
        """Close an open hold: count it in the total and keep its interval (QA leaves it out of dead air)."""
        if call.held_since is None:
            return
        call.hold_s += self.clock() - call.held_since
        call.holds.append((round(call.held_at, 3), round(time.time(), 3)))
        call.held_since = None

    def requeue(self, call: LiveCall, *, skill_group: str = "", agent_number: str = "") -> None:
        """Transfer within the centre: the ACD decides first (its refusal changes nothing), then the first
        agent goes to wrap-up and the caller waits with music for the group / the named colleague."""
        if agent_number:
            events = self.acd.transfer_to_agent(call.uuid, agent_number)
        else:
            events = self.acd.transfer_to_group(call.uuid, skill_group)
        self.detach_agent_leg(call)
        self.hold_ended(call)
        self.finish_recording(call)
        self.api(f"uuid_transfer {call.uuid} 'm:^:park' inline")
        self.sendmsg(call.uuid, "playback", "local_stream://moh")
        queued = self.acd.calls.get(call.uuid)
        call.queued, call.skill_group = True, queued.group if queued is not None else skill_group
        self.apply_acd(events)

    def transfer_out(self, call: LiveCall, number: str) -> None:
        self.detach_agent_leg(call)
        self.release_agent(call)
        call.survey_done = True  # type: ignore[attr-defined]
        self.api(
            f"uuid_transfer {call.uuid} 'm:^:set:hangup_after_bridge=true^bridge:sofia/gateway/trunk/{number}' inline"
        )

    def originate_into_conference(
        self,
        extension: str | None,
        room: str,
        call: LiveCall,
        *,
        number: str = "",
        job: str = "",
        leg: str = "",
    ) -> str:
        """Dial an agent (or a number) into `room`; its hangup is then watched (`conference_leg_gone`)."""
        leg = leg or str(uuidlib.uuid4())
        self.conference_legs[leg] = call.uuid
        dial = f"user/{extension}" if extension else f"sofia/gateway/trunk/{number}"
        if extension:
            agent = next((a for a in self.acd.agents.values() if a.extension == extension), None)
            if agent is not None:
                self.extra_legs[leg] = agent.agent_number
        assert self.esl is not None
        self.send(
            f"bgapi originate {{origination_uuid={leg},origination_caller_id_number={call.caller}}}"
            f"{dial} &conference({room}@default)" + (f"\nJob-UUID: {job}" if job else "")
        )
        return leg

    # ------------------------------------------------------------------ consult (attended transfer)
    def consult_dialled(self, caller_uuid: str, leg: str, *, ok: bool) -> None:
        """The consulted party answered (originate returns once answered) or could not be reached."""
        call = self.calls.get(caller_uuid)
        if call is None or call.consult_leg != leg:
            return
        if ok:
            call.consult_answered = True
            self.publish("consult_answered", call, consult_with=call.consult_with)
        elif not call.ended:
            self.cancel_consult(call)  # nobody to talk to: back to the caller

    def end_consult(self, call: LiveCall) -> str | None:
        """Forget the consult on the call; the first agent's leg (still in the room) is returned."""
        first = call.agent_leg_in_conference
        for leg in (first, call.consult_leg):
            if leg:
                self.conference_legs.pop(leg, None)
        call.conference = call.agent_leg_in_conference = call.consult_with = call.consult_leg = None
        call.consult_answered = False
        return first

    def complete_consult(self, call: LiveCall) -> str:
        """咨询转接: the caller is bridged to the consulted agent, the first agent leaves (wrap-up)."""
        consulted, leg = call.consult_with or "", call.consult_leg or ""
        reply = self.api(f"uuid_bridge {call.uuid} {leg}")
        if not reply.startswith("+OK"):
            raise Conflict(f"被咨询方不在线，无法完成转接：{reply.strip()}", field="agent_number")
        first = self.end_consult(call)
        self.extra_legs.pop(leg, None)  # from now on it is the call's agent leg
        self.release_agent(call)  # first agent: wrap-up (its leg's hangup is expected: released)
        if first:
            self.hangup(first, "NORMAL_CLEARING")
        agent = self.acd.agents[consulted]
        self.acd.adopt_connected(
            call.uuid,
            agent_number=consulted,
            skill_group=call.skill_group or next(iter(agent.skills), ""),
            tenant_id=call.tenant_id,
            caller=call.caller,
            called=call.called,
            entered_at=call.entered_at,
        )
        call.agent_leg, call.agent_number = leg, consulted
        self.agent_legs[leg] = call.uuid
        label = f"坐席{consulted}"
        fields = dict(
            transferred_to=label,
            agent_number=consulted,
            agent_user_id=agent.user_id,
            extension=agent.extension,
        )
        self.write(lambda db: store.upsert_call(db, call.uuid, **fields))
        self.publish("call_transferred", call, transferred_to=label, agent_leg=leg)
        return label

    def cancel_consult(self, call: LiveCall, *, hang_up_consulted: bool = False) -> None:
        """取消咨询: the consulted leg goes, the caller is retrieved by the first agent."""
        consulted_leg = call.consult_leg
        first = self.end_consult(call)
        if hang_up_consulted and consulted_leg:
            self.hangup(consulted_leg, "NORMAL_CLEARING")  # its hangup puts the consulted agent in wrap-up
        if first is None:
            return
        self.released_legs.discard(first)
        call.agent_leg = first
        self.agent_legs[first] = call.uuid
        reply = self.api(f"uuid_bridge {call.uuid} {first}")
        if not reply.startswith("+OK"):
            log.warning("caller not retrieved after consult", extra={"uuid": call.uuid, "reply": reply})
        self.publish("call_retrieved", call)

    def conference_leg_gone(self, leg: str) -> None:
        """A party of a consult or three-way hung up: the others are put back together or let go."""
        caller_uuid = self.conference_legs.pop(leg)
        call = self.calls.get(caller_uuid)
        if call is None or call.ended:
            return
        if call.consult_leg is not None:  # consult: the caller waits on music outside the room
            if leg == call.consult_leg:
                self.cancel_consult(call)
            elif leg == call.agent_leg_in_conference:
                # the first agent hung up: the consulted party takes the caller if there, else the queue does
                if call.consult_answered:
                    self.complete_consult(call)
                else:
                    consulted = call.consult_leg
                    self.end_consult(call)
                    self.hangup(consulted, "ORIGINATOR_CANCEL")
                    self.requeue(call, skill_group=call.skill_group or "")
            return
        if leg == call.agent_leg_in_conference:  # three-way: the first agent left, the others talk on
            call.agent_leg_in_conference = None
            self.release_agent(call)
        if not any(c == call.uuid for c in self.conference_legs.values()):
            self.hangup(call.uuid, "NORMAL_CLEARING")  # the caller is alone in the room

    def tick(self) -> None:
        try:
            self.apply_acd(self.acd.tick())
            self.ticks = getattr(self, "ticks", 0) + 1
            if self.ticks % 5 == 0:
                self.bus_publish(
                    {
                        "type": "queues",
                        "at": now().isoformat(),
                        "groups": [
                            vars(g) if hasattr(g, "__dict__") else {f: getattr(g, f) for f in g.__slots__}
                            for g in self.acd.snapshot()
                        ],
                    }
                )
            # the bus announces changes; this slow poll covers a missed announcement (Redis down, no bus)
            if time.monotonic() - self.config_checked >= CONFIG_POLL_S:
                self.reload_config()
        except Exception:
            log.exception("tick failed")
