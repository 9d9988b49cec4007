"""inbound_route: tenant by called number → blacklist → hours → 专席 → IVR or queue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from routing.actions import Collect, Hangup, Play, Queue, Voicemail
from routing.config import (
    AfterHours,
    BlacklistRule,
    MatchOn,
    SpecialSeatRule,
    normalise_number,
    number_matches,
)
from routing.hours import OpenState
from routing.inbound import Outcome, inbound_route
from tests.routing.conftest import MONDAY_10, make_config

SATURDAY_10 = datetime(2026, 3, 7, 2, 0, tzinfo=UTC)


def test_centre_call_enters_the_ivr_after_the_welcome(config):
    d = inbound_route(config, caller="13877100001", called="12345", now=MONDAY_10)
    assert d.outcome is Outcome.ivr and d.tenant.code == "NN"
    assert d.actions[0] == Play(config.tenant(1).prompts.welcome)
    assert isinstance(d.actions[1], Collect) and d.actions[1].prompt == "main.wav"
    assert d.session.on_digits("1") == [Queue("general", 0, 1)]


def test_called_number_forms_are_normalised(config):
    for called in ("0771-12345", "+86 771 12345", "0086771 12345", "077112345"):
        assert inbound_route(config, caller="1", called=called, now=MONDAY_10).tenant.code == "NN"
    assert normalise_number("+86 138 0000 0000") == "13800000000"
    assert number_matches("07715888*", "0771-5888-1234") and not number_matches("07715888*", "0771-5999")


def test_workstation_without_menu_goes_straight_to_its_queue(config):
    d = inbound_route(config, caller="13877100001", called="123451", now=MONDAY_10)
    assert d.outcome is Outcome.queue and d.session is None
    assert d.actions == (Play("qx-welcome.wav"), Queue("qx", 0, 2))


def test_unknown_number_falls_back_to_the_root_tenant(config):
    assert inbound_route(config, caller="1", called="99999", now=MONDAY_10).tenant.code == "NN"
    two_roots = replace(config.tenants[1], parent_id=None)
    cfg = make_config(tenants=(config.tenants[0], two_roots))
    d = inbound_route(cfg, caller="1", called="99999", now=MONDAY_10)
    assert d.outcome is Outcome.unknown_number and isinstance(d.actions[0], Hangup)


def test_blacklisted_caller_is_rejected_with_the_prompt(config):
    d = inbound_route(config, caller="130-0000-0000", called="12345", now=MONDAY_10)
    assert d.outcome is Outcome.reject and d.blacklist.id == 1
    assert d.actions == (Hangup(config.tenant(1).prompts.blacklisted, "CALL_REJECTED"),)


def test_centre_blacklist_applies_to_workstations_but_not_the_reverse(config):
    d = inbound_route(config, caller="13000000000", called="123451", now=MONDAY_10)
    assert d.outcome is Outcome.reject
    cfg = make_config(blacklist=(BlacklistRule(2, "13500000000", 2, "只在青秀区"),))
    assert inbound_route(cfg, caller="13500000000", called="123451", now=MONDAY_10).outcome is Outcome.reject
    assert inbound_route(cfg, caller="13500000000", called="12345", now=MONDAY_10).outcome is Outcome.ivr
    assert inbound_route(cfg, caller="13500000000", called="123452", now=MONDAY_10).outcome is Outcome.queue


def test_expired_and_prefix_blacklist_rules():
    cfg = make_config(
        blacklist=(
            BlacklistRule(1, "13000000000", 1, expires_at=MONDAY_10 - timedelta(seconds=1)),
            BlacklistRule(2, "170*", None),
        )
    )
    assert inbound_route(cfg, caller="13000000000", called="12345", now=MONDAY_10).outcome is Outcome.ivr
    assert inbound_route(cfg, caller="17012345678", called="12345", now=MONDAY_10).outcome is Outcome.reject


def test_after_hours_voicemail_or_hangup(config):
    d = inbound_route(config, caller="13877100001", called="123451", now=SATURDAY_10)
    assert d.outcome is Outcome.closed and d.hours is OpenState.closed
    assert d.actions == (Voicemail(config.tenant(2).prompts.closed, tenant_id=2, reason="after_hours"),)
    qx = replace(config.tenant(2), after_hours=AfterHours.hangup)
    cfg = make_config(tenants=(config.tenant(1), qx))
    d = inbound_route(cfg, caller="13877100001", called="123451", now=SATURDAY_10)
    assert d.actions == (Hangup(qx.prompts.closed),)


def test_holiday_prompt(config):
    from datetime import date

    qx = replace(
        config.tenant(2), hours=replace(config.tenant(2).hours, holidays=frozenset({date(2026, 3, 2)}))
    )
    cfg = make_config(tenants=(config.tenant(1), qx))
    d = inbound_route(cfg, caller="1", called="123451", now=MONDAY_10)
    assert d.hours is OpenState.holiday and d.actions[0].prompt == qx.prompts.holiday


def test_blacklist_is_checked_before_hours(config):
    d = inbound_route(config, caller="13000000000", called="123451", now=SATURDAY_10)
    assert d.outcome is Outcome.reject


def test_special_seat_by_calling_number_bypasses_the_ivr(config):
    d = inbound_route(config, caller="13907710001", called="12345", now=MONDAY_10)
    assert d.outcome is Outcome.queue and d.special_seat.id == 1 and d.priority == 5
    assert d.actions[-1] == Queue("special", 5, 1, ("1011", "1012"))


def test_special_seat_by_called_number_and_rule_order(config):
    seats = (
        SpecialSeatRule(1, 1, MatchOn.called, "077112345", "enterprise", 0, order=50),
        SpecialSeatRule(2, 1, MatchOn.calling, "1390771*", "special", 9, order=10),
    )
    cfg = make_config(special_seats=seats)
    assert inbound_route(cfg, caller="13907719999", called="077112345", now=MONDAY_10).actions[
        -1
    ].skill_group == ("special")
    assert inbound_route(cfg, caller="13800000000", called="0771-12345", now=MONDAY_10).actions[
        -1
    ].skill_group == ("enterprise")
    assert inbound_route(cfg, caller="13800000000", called="12345", now=MONDAY_10).outcome is Outcome.ivr


def test_special_seat_without_bypass_raises_priority_in_the_ivr():
    seats = (SpecialSeatRule(1, 1, MatchOn.calling, "139*", "special", 5, bypass_ivr=False),)
    cfg = make_config(special_seats=seats)
    d = inbound_route(cfg, caller="13900000000", called="12345", now=MONDAY_10)
    assert d.outcome is Outcome.ivr and d.session.on_digits("1") == [Queue("general", 5, 1)]


def test_special_seat_of_another_tenant_does_not_apply():
    seats = (SpecialSeatRule(1, 2, MatchOn.calling, "139*", "qx", 5),)
    cfg = make_config(special_seats=seats)
    assert inbound_route(cfg, caller="13900000000", called="12345", now=MONDAY_10).outcome is Outcome.ivr
    assert inbound_route(cfg, caller="13900000000", called="123451", now=MONDAY_10).special_seat.id == 1
