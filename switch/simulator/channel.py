"""A simulated FreeSWITCH channel and the channel headers FreeSWITCH puts on its events.

Header blocks follow `switch_channel_event_set_data`: basic data, then the caller profile, then (when the
channel has a partner) `Other-Type` and the partner's profile as `Other-Leg-*`, then `variable_*`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

STATE_NUMBERS = {
    "CS_NEW": 0,
    "CS_INIT": 1,
    "CS_ROUTING": 2,
    "CS_SOFT_EXECUTE": 3,
    "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5,
    "CS_PARK": 6,
    "CS_CONSUME_MEDIA": 7,
    "CS_HIBERNATE": 8,
    "CS_RESET": 9,
    "CS_HANGUP": 10,
    "CS_REPORTING": 11,
    "CS_DESTROY": 12,
}
CALLSTATE_NUMBERS = {
    "DOWN": 0,
    "DIALING": 1,
    "RINGING": 2,
    "EARLY": 3,
    "ACTIVE": 4,
    "HELD": 5,
    "RING_WAIT": 6,
    "HANGUP": 7,
    "UNHELD": 8,
}
Q850 = {
    "NORMAL_CLEARING": 16,
    "USER_BUSY": 17,
    "NO_ANSWER": 19,
    "CALL_REJECTED": 21,
    "ORIGINATOR_CANCEL": 487,
    "NO_USER_RESPONSE": 18,
    "USER_NOT_REGISTERED": 606,
    "SUBSCRIBER_ABSENT": 20,
    "NORMAL_TEMPORARY_FAILURE": 41,
    "LOSE_RACE": 502,
    "MANAGER_REQUEST": 503,
}
SIP_STATUS = {
    "NORMAL_CLEARING": 200,
    "USER_BUSY": 486,
    "NO_ANSWER": 487,
    "CALL_REJECTED": 603,
    "ORIGINATOR_CANCEL": 487,
}

PROFILE_ORDER = (
    "Direction",
    "Logical-Direction",
    "Username",
    "Dialplan",
    "Caller-ID-Name",
    "Caller-ID-Number",
    "Orig-Caller-ID-Name",
    "Orig-Caller-ID-Number",
    "Callee-ID-Name",
    "Callee-ID-Number",
    "Network-Addr",
    "ANI",
    "Destination-Number",
    "Unique-ID",
    "Source",
    "Transfer-Source",
    "Context",
    "RDNIS",
    "Channel-Name",
    "Profile-Index",
    "Profile-Created-Time",
    "Channel-Created-Time",
    "Channel-Answered-Time",
    "Channel-Progress-Time",
    "Channel-Progress-Media-Time",
    "Channel-Hangup-Time",
    "Channel-Transfer-Time",
    "Channel-Resurrect-Time",
    "Channel-Bridged-Time",
    "Channel-Last-Hold",
    "Channel-Hold-Accum",
    "Screen-Bit",
    "Privacy-Hide-Name",
    "Privacy-Hide-Number",
)


@dataclass
class Channel:
    uuid: str
    name: str
    direction: str  # inbound | outbound
    created_us: int
    profile: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    state: str = "CS_NEW"
    callstate: str = "DOWN"
    answer_state: str = "ringing"
    codec: bool = False
    hangup_cause: str | None = None
    partner: str | None = None  # bridged (or last-bridged) other leg
    other_type: str | None = None  # originator | originatee
    parked: bool = False
    held: bool = False
    app_task: asyncio.Task | None = None
    app_name: str | None = None
    playback: str | None = None  # file of the running playback, for PLAYBACK_STOP
    app_queue: asyncio.Queue | None = None
    runner: asyncio.Task | None = None
    answered_us: int = 0
    progress_us: int = 0
    progress_media_us: int = 0
    bridged_us: int = 0
    hangup_us: int = 0
    hold_started_us: int = 0
    hold_accum_us: int = 0
    record_path: str | None = None
    record_started_us: int = 0
    endpoint: str | None = None  # agent extension for originated legs
    script: object | None = None  # caller behaviour (traffic.CallerScript) for inbound legs
    outbound_conn: object | None = None  # the outbound-socket connection controlling this leg
    eavesdrop_target: str | None = None
    conference: str | None = None
    gone: bool = False

    def basic(self) -> list[tuple[str, str]]:
        h = [
            ("Channel-State", self.state),
            ("Channel-Call-State", self.callstate),
            ("Channel-State-Number", str(STATE_NUMBERS[self.state])),
            ("Channel-Name", self.name),
            ("Unique-ID", self.uuid),
            ("Call-Direction", self.direction),
            ("Presence-Call-Direction", self.direction),
            ("Channel-HIT-Dialplan", "true" if self.direction == "inbound" else "false"),
            ("Channel-Call-UUID", self.uuid),
            ("Answer-State", self.answer_state),
        ]
        if self.hangup_cause:
            h.append(("Hangup-Cause", self.hangup_cause))
        if self.codec:
            h += [
                ("Channel-Read-Codec-Name", "PCMU"),
                ("Channel-Read-Codec-Rate", "8000"),
                ("Channel-Read-Codec-Bit-Rate", "64000"),
                ("Channel-Write-Codec-Name", "PCMU"),
                ("Channel-Write-Codec-Rate", "8000"),
                ("Channel-Write-Codec-Bit-Rate", "64000"),
            ]
        return h

    def profile_headers(self, prefix: str = "Caller-") -> list[tuple[str, str]]:
        p = self.profile_values()
        return [(prefix + k, p[k]) for k in PROFILE_ORDER if p.get(k)]

    def profile_values(self) -> dict[str, str]:
        p = dict(self.profile)
        p.update(
            {
                "Unique-ID": self.uuid,
                "Channel-Name": self.name,
                "Profile-Created-Time": str(self.created_us),
                "Channel-Created-Time": str(self.created_us),
                "Channel-Answered-Time": str(self.answered_us),
                "Channel-Progress-Time": str(self.progress_us),
                "Channel-Progress-Media-Time": str(self.progress_media_us),
                "Channel-Hangup-Time": str(self.hangup_us),
                "Channel-Transfer-Time": "0",
                "Channel-Resurrect-Time": "0",
                "Channel-Bridged-Time": str(self.bridged_us),
                "Channel-Last-Hold": str(self.hold_started_us),
                "Channel-Hold-Accum": str(self.hold_accum_us),
                "Screen-Bit": "true",
                "Privacy-Hide-Name": "false",
                "Privacy-Hide-Number": "false",
            }
        )
        p.setdefault("Profile-Index", "1")
        return p

    def variable_headers(self) -> list[tuple[str, str]]:
        return [("variable_" + k, v) for k, v in self.variables.items()]

    @property
    def caller_number(self) -> str:
        return self.profile.get("Caller-ID-Number", "")

    @property
    def destination(self) -> str:
        return self.profile.get("Destination-Number", "")
