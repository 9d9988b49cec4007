"""What routing tells the controller to do with a call.

Every routing step returns a list of actions; the controller executes them in order and reports back:

| action         | controller does (FreeSWITCH)                                              | then calls            |
|----------------|----------------------------------------------------------------------------|-----------------------|
| `Play`         | `playback <prompt>` (text prompts `say:...` via TTS or a pre-recorded file) | nothing (next action) |
| `Collect`      | `play_and_get_digits` with the action's parameters, `tries=1`            | `IvrSession.on_digits(digits)` or `.on_timeout()` when `variable_<var_name>` is empty |
| `Queue`        | `Acd.enqueue(...)`, park the caller with music on hold                    | the ACD's events       |
| `SelfService`  | look the request up (e.g. ticket progress by ticket number)               | `IvrSession.on_self_service(found, prompt)` |
| `Voicemail`    | `record` a message after the intro prompt, store it (`switch.store`)       | hang up               |
| `Transfer`     | `uuid_transfer` / bridge to the external number                           | nothing               |
| `Hangup`       | play `prompt` (if any), then `hangup <cause>`                              | nothing               |

Prompts are strings: a sound file path (relative to the FreeSWITCH sounds directory or absolute),
a `tone_stream://`/`silence_stream://` URL, or `say:<简体中文文本>` for text the controller renders with TTS.
"""

from __future__ import annotations

from dataclasses import dataclass

SAY = "say:"


@dataclass(frozen=True, slots=True)
class Play:
    prompt: str


@dataclass(frozen=True, slots=True)
class Collect:
    """`play_and_get_digits <min> <max> <tries> <timeout_ms> <terminators> <prompt> <invalid_prompt>
    <var_name> <regex> <digit_timeout_ms>` — the controller always sends tries=1: retries are counted here."""

    prompt: str
    min_digits: int = 1
    max_digits: int = 1
    timeout_ms: int = 5000
    terminators: str = "#"
    invalid_prompt: str = "silence_stream://250"
    var_name: str = "ivr_digits"
    regex: str = r"^\d+$"
    digit_timeout_ms: int = 3000
    tries: int = 1

    def app_args(self) -> str:
        """The argument string for `execute play_and_get_digits`."""
        return (
            f"{self.min_digits} {self.max_digits} {self.tries} {self.timeout_ms} {self.terminators} "
            f"{self.prompt} {self.invalid_prompt} {self.var_name} {self.regex} {self.digit_timeout_ms}"
        )


@dataclass(frozen=True, slots=True)
class Queue:
    """Put the caller in `skill_group`'s queue (a skill-group code, unique within the tenant)."""

    skill_group: str
    priority: int = 0  # 0 normal, 5 VIP, 9 urgent — higher is served first
    tenant_id: int | None = None
    agent_numbers: tuple[
        str, ...
    ] = ()  # 专席: only these agents may take the call (empty: any with the skill)


@dataclass(frozen=True, slots=True)
class SelfService:
    """Self-service lookup, e.g. kind="ticket_progress" with the ticket number the caller keyed in."""

    kind: str
    digits: str


@dataclass(frozen=True, slots=True)
class Voicemail:
    """Record a message (留言) for the tenant / skill group after `prompt`."""

    prompt: str
    tenant_id: int | None = None
    skill_group: str | None = None
    reason: str = "after_hours"  # after_hours | overflow | ivr
    max_seconds: int = 120


@dataclass(frozen=True, slots=True)
class Transfer:
    number: str


@dataclass(frozen=True, slots=True)
class Hangup:
    prompt: str | None = None
    cause: str = "NORMAL_CLEARING"


Action = Play | Collect | Queue | SelfService | Voicemail | Transfer | Hangup
