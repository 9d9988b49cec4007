"""IVR menu validation and session navigation (digits, timeouts, retries, sub-menus, self-service)."""

from __future__ import annotations

import copy

import pytest

from models.errors import Invalid
from routing.actions import Collect, Hangup, Play, Queue, SelfService, Transfer, Voicemail
from routing.ivr import IvrSession, parse_menu
from tests.routing.conftest import MENU


def session(**kw) -> IvrSession:
    return IvrSession(
        parse_menu(MENU),
        invalid_prompt="invalid.wav",
        timeout_prompt="timeout.wav",
        goodbye_prompt="goodbye.wav",
        voicemail_prompt="vm.wav",
        tenant_id=1,
        default_group="general",
        **kw,
    )


def test_start_collects_one_key_of_the_menu():
    [collect] = session().start()
    assert isinstance(collect, Collect)
    assert collect.prompt == "main.wav" and collect.max_digits == 1 and collect.tries == 1
    assert collect.regex == "^[1234589]$"
    assert collect.app_args() == "1 1 1 5000 # main.wav silence_stream://250 ivr_digits ^[1234589]$ 3000"


def test_key_to_queue_finishes_with_queue_action_and_path():
    s = session()
    s.start()
    assert s.on_digits("2") == [Queue("complaint", 9, 1)]
    assert s.finished and s.result == Queue("complaint", 9, 1)
    assert s.path == [("main", "2")]
    with pytest.raises(RuntimeError):
        s.on_digits("1")


def test_sub_menu_and_back():
    s = session()
    s.start()
    [c] = s.on_digits("3")
    assert c.prompt == "enterprise.wav" and c.regex == r"^[\*1]$"
    [c] = s.on_digits("*")
    assert c.prompt == "main.wav"
    assert s.on_digits("3")[0].prompt == "enterprise.wav"
    assert s.on_digits("1") == [Queue("enterprise", 0, 1)]
    assert s.describe_path() == "main:3 > enterprise:* > main:3 > enterprise:1"


def test_invalid_key_replays_then_fails_over_after_tries():
    s = session()
    s.start()
    first = s.start()[0]
    assert s.on_digits("7") == [Play("invalid.wav"), first]
    acts = s.on_digits("6")
    assert isinstance(acts[0], Play) and acts[0].prompt == "invalid.wav" and isinstance(acts[1], Collect)
    # third failure: tries=3 used up → on_failure (queue general)
    assert s.on_digits("0") == [Queue("general", 0, 1)]
    assert [k for _, k in s.path] == ["invalid:7", "invalid:6", "invalid:0"]


def test_timeouts_use_the_timeout_prompt_and_count_as_tries():
    s = session()
    s.start()
    acts = s.on_timeout()
    assert acts[0] == Play("timeout.wav") and isinstance(acts[1], Collect)
    s.on_timeout()
    assert s.on_timeout() == [Queue("general", 0, 1)]


def test_tries_reset_when_entering_a_sub_menu_whose_failure_hangs_up():
    s = session()
    s.start()
    s.on_timeout()  # one failed try in main
    s.on_digits("3")  # enterprise: tries=2
    s.on_timeout()
    assert s.on_digits("5") == [Hangup("goodbye.wav")]


def test_self_service_ticket_progress_then_back_to_main():
    s = session()
    s.start()
    [c] = s.on_digits("4")
    assert c.prompt == "ticket.wav" and c.min_digits == 6 and c.max_digits == 20 and c.terminators == "#"
    acts = s.on_digits("123")  # too short
    assert acts[0] == Play("invalid.wav")
    assert s.on_digits("202603020001") == [SelfService("ticket_progress", "202603020001")]
    assert s.on_self_service(None)[0].prompt == "main.wav"  # nothing to read back: straight on
    with pytest.raises(RuntimeError):
        s.on_self_service(None)  # no lookup pending any more
    s2 = session()
    s2.start()
    s2.on_digits("4")
    s2.on_digits("202603020001")
    acts = s2.on_self_service("say:您的工单已办结。")
    assert acts[0] == Play("say:您的工单已办结。") and acts[1].prompt == "main.wav"
    assert s2.on_digits("1") == [Queue("general", 0, 1)]
    assert s2.path == [("main", "4"), ("ticket", "input"), ("main", "1")]


def test_self_service_input_failures_follow_default_on_failure():
    s = session()
    s.start()
    s.on_digits("4")
    s.on_timeout()
    assert s.on_timeout() == [Queue("general", 0, 1)]  # default on_failure: the tenant's default queue


def test_voicemail_transfer_hangup_targets():
    s = session()
    s.start()
    assert s.on_digits("5") == [Voicemail("vm.wav", tenant_id=1, reason="ivr")]
    s = session()
    s.start()
    assert s.on_digits("8") == [Transfer("0771-2891110")]
    s = session()
    s.start()
    assert s.on_digits("9") == [Hangup("bye.wav")]


def test_caller_priority_is_kept_when_higher_than_the_option():
    s = session(priority=5)
    s.start()
    assert s.on_digits("1") == [Queue("general", 5, 1)]
    s = session(priority=5)
    s.start()
    assert s.on_digits("2") == [Queue("complaint", 9, 1)]


def test_queue_without_group_and_without_default_hangs_up():
    tree = {"start": "m", "nodes": {"m": {"prompt": "m.wav", "options": {"1": {"type": "queue"}}}}}
    s = IvrSession(parse_menu(tree), goodbye_prompt="bye.wav")
    s.start()
    assert s.on_digits("1") == [Hangup("bye.wav")]


def test_hash_as_a_menu_key_disables_the_terminator():
    tree = {
        "start": "m",
        "nodes": {"m": {"prompt": "m.wav", "options": {"#": {"type": "repeat"}, "1": {"type": "hangup"}}}},
    }
    s = IvrSession(parse_menu(tree))
    [c] = s.start()
    assert c.terminators == "none"
    assert s.on_digits("#")[0].prompt == "m.wav"


def _bad(mutate, field: str, groups=None):
    tree = copy.deepcopy(MENU)
    mutate(tree)
    with pytest.raises(Invalid) as err:
        parse_menu(tree, groups=groups)
    assert err.value.field == field, err.value.field
    assert err.value.status == 422


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda t: t.update(start="nope"), "tree.start"),
        (lambda t: t.update(nodes={}), "tree.nodes"),
        (lambda t: t["nodes"]["main"]["options"]["3"].update(node="ghost"), "tree.nodes.main.options.3.node"),
        (
            lambda t: t["nodes"]["main"]["options"].update({"x": {"type": "back"}}),
            "tree.nodes.main.options.x",
        ),
        (lambda t: t["nodes"]["main"]["options"]["1"].update(type="dance"), "tree.nodes.main.options.1.type"),
        (lambda t: t["nodes"]["main"].update(tries=0), "tree.nodes.main.tries"),
        (lambda t: t["nodes"]["main"].update(timeout_ms="5s"), "tree.nodes.main.timeout_ms"),
        (lambda t: t["nodes"]["main"].pop("prompt"), "tree.nodes.main.prompt"),
        (lambda t: t["nodes"]["main"].update(options={}), "tree.nodes.main.options"),
        (lambda t: t["nodes"]["ticket"].update(self_service="weather"), "tree.nodes.ticket.self_service"),
        (lambda t: t["nodes"]["ticket"].update(max_digits=3), "tree.nodes.ticket.max_digits"),
        (
            lambda t: t["nodes"]["main"]["options"]["8"].update(number="abc"),
            "tree.nodes.main.options.8.number",
        ),
        (
            lambda t: t["nodes"].update({"bad id!": {"prompt": "x", "options": {"1": {"type": "back"}}}}),
            "tree.nodes.bad id!",
        ),
        (
            lambda t: t["nodes"]["main"].update(on_failure={"type": "goto", "node": "ghost"}),
            "tree.nodes.main.on_failure.node",
        ),
        (
            lambda t: t["nodes"]["main"]["options"]["2"].update(priority=10),
            "tree.nodes.main.options.2.priority",
        ),
        (lambda t: t["nodes"]["main"].update(prompt="my menu.wav"), "tree.nodes.main.prompt"),
        (lambda t: t["nodes"]["main"].update(invalid_prompt="say: "), "tree.nodes.main.invalid_prompt"),
        (
            lambda t: t["nodes"]["main"]["options"]["9"].update(prompt="bye bye.wav"),
            "tree.nodes.main.options.9.prompt",
        ),
    ],
)
def test_invalid_trees_name_the_field(mutate, field):
    _bad(mutate, field)


def test_queue_targets_must_name_known_groups():
    _bad(lambda t: None, "tree.nodes.main.options.2.skill_group", groups={"general", "enterprise"})
    assert parse_menu(MENU, groups={"general", "complaint", "enterprise"}).start == "main"


def test_not_a_dict():
    with pytest.raises(Invalid) as err:
        parse_menu([1, 2])
    assert err.value.field == "tree"
