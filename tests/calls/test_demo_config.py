"""The demo call centre as the controller loads it: both tenant styles (menu / no menu), hours, blacklist."""

from __future__ import annotations

from datetime import UTC, datetime

from routing.acd import Acd, Offer
from routing.actions import Collect, Play, Queue, Voicemail
from routing.clock import FakeClock
from routing.inbound import Outcome, inbound_route
from switch import store
from switch.demo_data import WORKSTATION_NUMBER

MONDAY_10 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 Nanning
SATURDAY_10 = datetime(2026, 3, 7, 2, 0, tzinfo=UTC)
SPRING_FESTIVAL = datetime(2026, 2, 17, 2, 0, tzinfo=UTC)


def test_demo_configuration_routes_calls(db):
    cfg = store.load_config(db)
    assert cfg.version == store.config_version(db) > 0
    centre = cfg.tenant_for_called("12345")
    assert centre.code == "NN" and centre.ivr_menu is not None and centre.hours.always_open
    assert set(centre.ivr_menu.nodes) == {"main", "enterprise", "ticket"}
    qx = cfg.tenant_for_called(WORKSTATION_NUMBER)
    assert qx.code == "NN-QX" and qx.ivr_menu is None and not qx.hours.always_open

    d = inbound_route(cfg, caller="13877100001", called="12345", now=SATURDAY_10)
    assert d.outcome is Outcome.ivr and isinstance(d.actions[1], Collect)  # 7×24 with a menu
    assert d.session.on_digits("3")[0].prompt.startswith("say:涉企政策")
    assert d.session.on_digits("1") == [Queue("enterprise", 0, centre.tenant_id)]

    d = inbound_route(cfg, caller="13877100001", called=WORKSTATION_NUMBER, now=MONDAY_10)
    assert d.outcome is Outcome.queue  # no menu: welcome, then the queue
    assert d.actions == (Play(qx.prompts.welcome), Queue("qx-general", 0, qx.tenant_id))
    for when in (SATURDAY_10, SPRING_FESTIVAL):
        d = inbound_route(cfg, caller="13877100001", called=WORKSTATION_NUMBER, now=when)
        assert d.outcome is Outcome.closed and isinstance(d.actions[0], Voicemail)
    assert inbound_route(cfg, caller="13000000000", called="12345", now=MONDAY_10).outcome is Outcome.reject
    d = inbound_route(cfg, caller="13907710001", called="12345", now=MONDAY_10)
    assert d.actions[-1] == Queue("special", 5, centre.tenant_id, ("1011", "1012"))
    d = inbound_route(cfg, caller="0771-5888-6666", called="12345", now=MONDAY_10)
    assert d.actions[-1].skill_group == "enterprise"


def test_demo_agents_through_the_acd(db):
    acd = Acd(store.load_config(db), FakeClock(MONDAY_10))
    for n in range(1001, 1013):
        acd.login(str(n), ready=True)
    [offer] = [
        e
        for e in acd.enqueue("demo-vip", skill_group="special", agent_numbers=("1011", "1012"))
        if isinstance(e, Offer)
    ]
    assert offer.agent_number == "1011" and offer.extension == "8011"  # level 5 beats level 4
    [offer] = [e for e in acd.enqueue("demo-ent", skill_group="enterprise") if isinstance(e, Offer)]
    assert offer.agent_number == "1009"  # enterprise level 5
    [offer] = [e for e in acd.enqueue("demo-gen", skill_group="general") if isinstance(e, Offer)]
    assert offer.agent_number == "1001"  # general level 5
