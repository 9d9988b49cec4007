"""Pure routing fixtures: a small centre + workstation configuration and a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from routing.acd import Acd
from routing.clock import FakeClock
from routing.config import (
    AgentConfig,
    BlacklistRule,
    CentreConfig,
    MatchOn,
    Prompts,
    SkillGroupConfig,
    SpecialSeatRule,
    TenantConfig,
)
from routing.hours import office_hours
from routing.ivr import parse_menu

MENU = {
    "start": "main",
    "nodes": {
        "main": {
            "prompt": "main.wav",
            "tries": 3,
            "options": {
                "1": {"type": "queue", "skill_group": "general"},
                "2": {"type": "queue", "skill_group": "complaint", "priority": 9},
                "3": {"type": "goto", "node": "enterprise"},
                "4": {"type": "goto", "node": "ticket"},
                "5": {"type": "voicemail"},
                "8": {"type": "transfer", "number": "0771-2891110"},
                "9": {"type": "hangup", "prompt": "bye.wav"},
            },
            "on_failure": {"type": "queue", "skill_group": "general"},
        },
        "enterprise": {
            "prompt": "enterprise.wav",
            "tries": 2,
            "options": {"1": {"type": "queue", "skill_group": "enterprise"}, "*": {"type": "back"}},
            "on_failure": {"type": "hangup"},
        },
        "ticket": {
            "kind": "input",
            "prompt": "ticket.wav",
            "self_service": "ticket_progress",
            "min_digits": 6,
            "max_digits": 20,
            "tries": 2,
            "then": {"type": "back"},
        },
    },
}

MONDAY_10 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Nanning


def make_config(
    *, agents: list[AgentConfig] | None = None, groups: list[SkillGroupConfig] | None = None, **over
) -> CentreConfig:
    centre = TenantConfig(
        tenant_id=1,
        code="NN",
        name="市中心",
        called_numbers=("12345", "077112345"),
        ivr_menu=parse_menu(MENU),
        default_group="general",
    )
    qx = TenantConfig(
        tenant_id=2,
        code="NN-QX",
        name="青秀区工作站",
        called_numbers=("123451",),
        parent_id=1,
        hours=office_hours(),
        prompts=Prompts(welcome="qx-welcome.wav"),
        default_group="qx",
    )
    xn = TenantConfig(
        tenant_id=3,
        code="NN-XN",
        name="兴宁区工作站",
        called_numbers=("123452",),
        parent_id=1,
        default_group="general",
    )
    groups = groups or [
        SkillGroupConfig("general", "综合咨询", 1, voicemail_after_s=600, announce_every_s=30),
        SkillGroupConfig(
            "complaint", "投诉举报", 1, overflow_group="general", overflow_after_s=60, voicemail_after_s=600
        ),
        SkillGroupConfig(
            "enterprise", "企业服务", 1, overflow_group="general", overflow_after_s=90, voicemail_after_s=120
        ),
        SkillGroupConfig("special", "12345专席", 1, voicemail_after_s=None),
        SkillGroupConfig("qx", "青秀区", 2, overflow_group="general", overflow_after_s=45),
    ]
    agents = (
        agents
        if agents is not None
        else [
            AgentConfig(1, "1001", "8001", 1, skills={"general": 5}),
            AgentConfig(2, "1002", "8002", 1, skills={"general": 3}),
            AgentConfig(3, "1003", "8003", 1, skills={"general": 3, "complaint": 4}),
            AgentConfig(11, "1011", "8011", 1, skills={"special": 5, "general": 1}),
            AgentConfig(12, "1012", "8012", 1, skills={"special": 4, "qx": 5}),
        ]
    )
    data = {
        "version": 1,
        "tenants": (centre, qx, xn),
        "groups": tuple(groups),
        "agents": tuple(agents),
        "blacklist": (BlacklistRule(1, "13000000000", 1, "骚扰"),),
        "special_seats": (
            SpecialSeatRule(1, 1, MatchOn.calling, "13907710001", "special", 5, ("1011", "1012"), order=10),
        ),
    }
    data.update(over)
    return CentreConfig(**data)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_10)


@pytest.fixture
def config() -> CentreConfig:
    return make_config()


@pytest.fixture
def acd(config, clock) -> Acd:
    return Acd(config, clock)
