"""The call centre's configuration as plain, immutable values (what `switch.store.load_config` builds).

The controller keeps one `CentreConfig` and swaps it for a new one whenever
`switch.store.config_version(db)` differs from `CentreConfig.version` (admins edit through the API;
each change bumps the version). Routing never reads the database itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from routing.ivr import IvrMenu


class AfterHours(StrEnum):
    voicemail = "voicemail"  # 留言
    hangup = "hangup"  # play the closed prompt and hang up


class AcdStrategy(StrEnum):
    longest_idle = "longest_idle"  # ignore skill level: the agent idle longest gets the call
    skill_then_idle = "skill_then_idle"  # highest skill level first, longest idle among equals


@dataclass(frozen=True, slots=True)
class Prompts:
    """Configurable prompts per tenant (file paths, tone streams or `say:` text)."""

    welcome: str = "say:您好，欢迎致电12345政务服务便民热线。"
    closed: str = "say:您好，现在是非工作时间，请在提示音后留言，我们将在工作时间尽快回复您。"
    holiday: str = "say:您好，今天是法定节假日，请在提示音后留言，我们将在工作日尽快回复您。"
    blacklisted: str = "say:您的号码已被限制呼入，如有疑问请在工作时间联系我们。"
    queue_wait: str = "say:您好，坐席正忙，请稍候。"
    queue_position: str = "say:您前面还有{position}位，预计等待{minutes}分钟。"
    queue_next: str = "say:您是下一位，请稍候。"
    voicemail: str = "say:当前坐席全忙，请在提示音后留言，我们会尽快回电。"
    ivr_invalid: str = "say:您的输入有误，请重新输入。"
    ivr_timeout: str = "say:未收到您的输入。"
    goodbye: str = "say:感谢您的来电，再见。"
    hold_music: str = "local_stream://moh"

    @classmethod
    def from_dict(cls, data: dict[str, str] | None) -> Prompts:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__ and v}
        return cls(**known)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Open from `start` to `end` (local time, end exclusive) on the ISO weekdays listed (1=Mon … 7=Sun).
    `end` before `start` is an overnight window: it opens on the listed day and closes the next morning."""

    weekdays: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Weekly windows plus holidays (closed) and make-up working days (调休上班, opened like a Monday).

    `always_open=True` is 7×24 (the 12345 centre itself): holidays do not close it.
    """

    timezone: str = "Asia/Shanghai"
    always_open: bool = True
    windows: tuple[TimeWindow, ...] = ()
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # weekend dates worked as if a weekday (调休)


@dataclass(frozen=True, slots=True)
class SkillGroupConfig:
    code: str
    name: str
    tenant_id: int
    strategy: AcdStrategy = AcdStrategy.skill_then_idle
    overflow_group: str | None = None  # code of the group to overflow to (any tenant)
    overflow_after_s: int = 60
    voicemail_after_s: int | None = 300  # send to voicemail after this long in queue (None: never)
    announce_every_s: int = 30  # queue position announcement period (0: never)
    ring_timeout_s: int = 20
    wrap_up_s: int = 15
    avg_handle_s: int = 180  # seed for the estimated wait until real figures exist


@dataclass(frozen=True, slots=True)
class AgentConfig:
    user_id: int
    agent_number: str  # 工号
    extension: str
    tenant_id: int
    name: str = ""
    skills: dict[str, int] = field(default_factory=dict)  # skill-group code → level 1 (basic) … 5 (expert)
    wrap_up_s: int | None = None  # overrides the group's wrap-up time


@dataclass(frozen=True, slots=True)
class BlacklistRule:
    id: int
    number: str  # exact number, or a prefix ending in "*"
    tenant_id: int | None  # None: everywhere; else that tenant and its sub-tenants
    reason: str = ""
    expires_at: datetime | None = None


class MatchOn(StrEnum):
    calling = "calling"
    called = "called"


@dataclass(frozen=True, slots=True)
class SpecialSeatRule:
    """专席: calls whose calling/called number matches `pattern` go to `skill_group` (optionally only to
    `agent_numbers`, who must hold that skill) with `priority`. Lower `order` is tried first.
    With `bypass_ivr=False` the caller still goes through the tenant's menu and the rule only raises the
    caller's priority (a VIP list without a dedicated seat)."""

    id: int
    tenant_id: int
    match_on: MatchOn
    pattern: str  # exact number or prefix ending in "*"
    skill_group: str
    priority: int = 5
    agent_numbers: tuple[str, ...] = ()
    order: int = 100
    bypass_ivr: bool = True


@dataclass(frozen=True, slots=True)
class TenantConfig:
    tenant_id: int
    code: str
    name: str
    called_numbers: tuple[str, ...] = ()
    parent_id: int | None = None
    path: str = "/"
    hours: BusinessHours = BusinessHours()
    prompts: Prompts = Prompts()
    ivr_menu: IvrMenu | None = None  # None: welcome prompt, then straight to `default_group`
    default_group: str | None = None
    after_hours: AfterHours = AfterHours.voicemail
    survey: bool = True  # satisfaction survey after the agent hangs up


@dataclass(frozen=True, slots=True)
class CentreConfig:
    """Everything routing needs, indexed for the lookups a call makes."""

    version: int = 0
    tenants: tuple[TenantConfig, ...] = ()
    groups: tuple[SkillGroupConfig, ...] = ()
    agents: tuple[AgentConfig, ...] = ()
    blacklist: tuple[BlacklistRule, ...] = ()
    special_seats: tuple[SpecialSeatRule, ...] = ()
    _by_number: dict[str, TenantConfig] = field(default_factory=dict, compare=False, repr=False)
    _by_id: dict[int, TenantConfig] = field(default_factory=dict, compare=False, repr=False)
    _groups: dict[str, SkillGroupConfig] = field(default_factory=dict, compare=False, repr=False)
    _agents: dict[str, AgentConfig] = field(default_factory=dict, compare=False, repr=False)
    # numbers normalised once, so a call's checks are dictionary lookups and short prefix scans
    _black_exact: dict[str, list[BlacklistRule]] = field(default_factory=dict, compare=False, repr=False)
    _black_prefix: list[tuple[str, BlacklistRule]] = field(default_factory=list, compare=False, repr=False)
    _seats: list[tuple[str, bool, SpecialSeatRule]] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        for t in self.tenants:
            self._by_id[t.tenant_id] = t
            for n in t.called_numbers:
                self._by_number[normalise_number(n)] = t
        for g in self.groups:
            self._groups[g.code] = g
        for a in self.agents:
            self._agents[a.agent_number] = a
        for rule in self.blacklist:
            if rule.number.endswith("*"):
                self._black_prefix.append((normalise_number(rule.number[:-1]), rule))
            else:
                self._black_exact.setdefault(normalise_number(rule.number), []).append(rule)
        for seat in sorted(self.special_seats, key=lambda r: (r.order, r.id)):
            prefix = seat.pattern.endswith("*")
            self._seats.append((normalise_number(seat.pattern.rstrip("*")), prefix, seat))

    def blacklist_candidates(self, caller: str) -> list[BlacklistRule]:
        """Rules whose number matches `caller` (exact or prefix), before tenant and expiry checks."""
        number = normalise_number(caller)
        found = list(self._black_exact.get(number, ()))
        found += [rule for prefix, rule in self._black_prefix if number.startswith(prefix)]
        return found

    def special_seat_candidates(self, caller: str, called: str) -> list[SpecialSeatRule]:
        """专席 rules matching the call, in rule order, before the tenant check."""
        calling_n, called_n = normalise_number(caller), normalise_number(called)
        out = []
        for pattern, prefix, seat in self._seats:
            number = calling_n if seat.match_on is MatchOn.calling else called_n
            if (prefix and number.startswith(pattern)) or (not prefix and number == pattern):
                out.append(seat)
        return out

    def tenant(self, tenant_id: int) -> TenantConfig | None:
        return self._by_id.get(tenant_id)

    def tenant_for_called(self, called: str) -> TenantConfig | None:
        """The tenant owning the dialled number (`0771-12345`, `12345`, `+86 771 12345` all match)."""
        return self._by_number.get(normalise_number(called))

    def group(self, code: str) -> SkillGroupConfig | None:
        """Skill-group codes are unique across tenants (a workstation's group may overflow to the centre's)."""
        return self._groups.get(code)

    def agent(self, agent_number: str) -> AgentConfig | None:
        return self._agents.get(agent_number)

    def tenant_lineage(self, tenant_id: int) -> list[int]:
        """The tenant and its ancestors, nearest first."""
        out: list[int] = []
        t = self._by_id.get(tenant_id)
        while t is not None and t.tenant_id not in out:
            out.append(t.tenant_id)
            t = self._by_id.get(t.parent_id) if t.parent_id is not None else None
        return out


def normalise_number(number: str) -> str:
    """Digits only, without the international prefix (+86/0086) — `0771-12345` → `077112345`."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if number.strip().startswith("+86"):
        digits = "0" + digits[2:] if not digits[2:].startswith("1") else digits[2:]
    elif digits.startswith("0086"):
        rest = digits[4:]
        digits = rest if rest.startswith("1") else "0" + rest
    return digits


def number_matches(pattern: str, number: str) -> bool:
    """Exact match, or prefix match when the pattern ends in `*` (both sides normalised)."""
    if pattern.endswith("*"):
        return normalise_number(number).startswith(normalise_number(pattern[:-1]))
    return normalise_number(number) == normalise_number(pattern)
