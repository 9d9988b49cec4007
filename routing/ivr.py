"""IVR menu trees (语音导航) and the per-call session state machine that walks them.

A menu is a set of named nodes; `start` names the first. Two node kinds:

- `menu`: plays `prompt`, collects one key (or `max_digits`), and follows `options[digit]`;
- `input`: collects a number (e.g. a ticket number ending in #) and asks the controller to run the
  self-service lookup `kind` with it, then follows `then`.

A target (what an option leads to) is one of:
`{"type": "goto", "node": "..."}` (sub-menu), `{"type": "back"}` (previous menu), `{"type": "repeat"}`,
`{"type": "queue", "skill_group": "code"|null, "priority": 0}` (null: the tenant's default group),
`{"type": "voicemail"}`, `{"type": "transfer", "number": "..."}`, `{"type": "hangup", "prompt": "..."}`.
A node whose attempts (`tries`, counting the first) run out through invalid keys or silence follows
`on_failure` (default: the tenant's default queue).

How the controller drives a session (one per call; not thread-safe, it belongs to the call's greenlet):

    session = IvrSession(menu, prompts=tenant.prompts)
    actions = session.start()                      # usually [Collect(...)]
    # after play_and_get_digits completes:
    actions = session.on_digits(digits) if digits else session.on_timeout()
    # after a SelfService action, with the text/prompt to read back:
    actions = session.on_self_service(prompt)
    # execute the actions; stop when one is Queue / Voicemail / Transfer / Hangup (session.finished)

`session.path` is the list of (node, key) steps taken, for the CDR and the agent's screen pop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from models.errors import Invalid
from routing.actions import SAY, Action, Collect, Hangup, Play, Queue, SelfService, Transfer, Voicemail

NODE_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
KEYS = set("0123456789*#")
TARGET_TYPES = ("goto", "back", "repeat", "queue", "voicemail", "transfer", "hangup")
SELF_SERVICE_KINDS = ("ticket_progress",)
MAX_NODES = 100


@dataclass(frozen=True, slots=True)
class Target:
    type: str
    node: str | None = None
    skill_group: str | None = None
    priority: int = 0
    number: str | None = None
    prompt: str | None = None


@dataclass(frozen=True, slots=True)
class IvrNode:
    id: str
    kind: str  # menu | input
    prompt: str
    options: dict[str, Target] = field(default_factory=dict)
    tries: int = 3
    timeout_ms: int = 5000
    digit_timeout_ms: int = 3000
    min_digits: int = 1
    max_digits: int = 1
    terminators: str = "#"
    invalid_prompt: str | None = None
    timeout_prompt: str | None = None
    on_failure: Target = Target("queue")
    self_service: str | None = None  # input nodes: the lookup kind
    then: Target = Target("back")  # input nodes: where to go after the lookup's answer


@dataclass(frozen=True, slots=True)
class IvrMenu:
    start: str
    nodes: dict[str, IvrNode]
    name: str = ""


# ---------------------------------------------------------------- parsing / validation


def _int(data: dict[str, Any], key: str, default: int, lo: int, hi: int, where: str) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise Invalid(f"{key} 应为 {lo}–{hi} 之间的整数", field=f"{where}.{key}")
    return value


def _str(
    data: dict[str, Any], key: str, where: str, *, required: bool = False, max_len: int = 500
) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise Invalid(f"{key} 必填", field=f"{where}.{key}")
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise Invalid(f"{key} 应为不超过 {max_len} 字的文本", field=f"{where}.{key}")
    return value


def check_prompt(value: str, field: str) -> str:
    """A prompt is `say:<text>` or a sound file / stream URL without whitespace (FreeSWITCH splits
    application arguments such as play_and_get_digits' on spaces)."""
    if not value.startswith(SAY) and any(ch.isspace() for ch in value):
        raise Invalid("提示音文件路径不能包含空格（文字提示请以 say: 开头）", field=field)
    if value.startswith(SAY) and not value[len(SAY) :].strip():
        raise Invalid("文字提示不能为空", field=field)
    return value


def _prompt(data: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = _str(data, key, where, required=required)
    return check_prompt(value, f"{where}.{key}") if value is not None else None


def _target(data: Any, where: str, groups: set[str] | None) -> Target:
    if not isinstance(data, dict):
        raise Invalid('应为对象，例如 {"type": "queue"}', field=where)
    kind = data.get("type")
    if kind not in TARGET_TYPES:
        raise Invalid(f"type 应为 {'/'.join(TARGET_TYPES)} 之一", field=f"{where}.type")
    if kind == "goto":
        node = _str(data, "node", where, required=True, max_len=32)
        return Target("goto", node=node)
    if kind == "queue":
        group = _str(data, "skill_group", where, max_len=32)
        if group is not None and groups is not None and group not in groups:
            raise Invalid(f"技能组 {group} 不存在", field=f"{where}.skill_group")
        return Target("queue", skill_group=group, priority=_int(data, "priority", 0, 0, 9, where))
    if kind == "transfer":
        number = _str(data, "number", where, required=True, max_len=32)
        if not re.fullmatch(r"[0-9+*#-]{3,32}", number or ""):
            raise Invalid("转接号码格式不正确", field=f"{where}.number")
        return Target("transfer", number=number)
    if kind == "hangup":
        return Target("hangup", prompt=_prompt(data, "prompt", where))
    return Target(kind)


def parse_menu(data: Any, *, groups: set[str] | None = None, where: str = "tree") -> IvrMenu:
    """Validate a menu tree (the JSON the API stores) and build it.

    `groups`: the skill-group codes that queue targets may name (None: not checked).
    Raises `models.errors.Invalid` naming the offending field, e.g. `tree.nodes.main.options.2.node`.
    """
    if not isinstance(data, dict):
        raise Invalid("菜单应为对象", field=where)
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        raise Invalid("至少需要一个节点", field=f"{where}.nodes")
    if len(raw_nodes) > MAX_NODES:
        raise Invalid(f"节点不能超过 {MAX_NODES} 个", field=f"{where}.nodes")
    start = data.get("start")
    if start not in raw_nodes:
        raise Invalid("start 应为已定义的节点", field=f"{where}.start")
    nodes: dict[str, IvrNode] = {}
    for node_id, raw in raw_nodes.items():
        w = f"{where}.nodes.{node_id}"
        if not NODE_ID.match(str(node_id)):
            raise Invalid("节点名只能包含字母、数字、下划线和短横线（最多 32 位）", field=w)
        if not isinstance(raw, dict):
            raise Invalid("节点应为对象", field=w)
        kind = raw.get("kind", "menu")
        if kind not in ("menu", "input"):
            raise Invalid("kind 应为 menu 或 input", field=f"{w}.kind")
        common = {
            "id": node_id,
            "kind": kind,
            "prompt": _prompt(raw, "prompt", w, required=True),
            "tries": _int(raw, "tries", 3, 1, 9, w),
            "timeout_ms": _int(raw, "timeout_ms", 5000, 1000, 60000, w),
            "digit_timeout_ms": _int(raw, "digit_timeout_ms", 3000, 500, 30000, w),
            "invalid_prompt": _prompt(raw, "invalid_prompt", w),
            "timeout_prompt": _prompt(raw, "timeout_prompt", w),
            "on_failure": _target(raw["on_failure"], f"{w}.on_failure", groups)
            if "on_failure" in raw
            else Target("queue"),
        }
        if kind == "menu":
            options = raw.get("options")
            if not isinstance(options, dict) or not options:
                raise Invalid("菜单节点至少需要一个按键选项", field=f"{w}.options")
            parsed = {}
            for key, target in options.items():
                if key not in KEYS:
                    raise Invalid("按键应为 0-9、* 或 #", field=f"{w}.options.{key}")
                parsed[key] = _target(target, f"{w}.options.{key}", groups)
            nodes[node_id] = IvrNode(**common, options=parsed)
        else:
            ss = raw.get("self_service")
            if ss not in SELF_SERVICE_KINDS:
                raise Invalid(
                    f"self_service 应为 {'/'.join(SELF_SERVICE_KINDS)} 之一", field=f"{w}.self_service"
                )
            min_d = _int(raw, "min_digits", 1, 1, 32, w)
            max_d = _int(raw, "max_digits", 20, min_d, 32, w)
            terms = raw.get("terminators", "#")
            if not isinstance(terms, str) or not set(terms) <= {"#", "*"}:
                raise Invalid("结束键只能是 # 或 *", field=f"{w}.terminators")
            then = _target(raw["then"], f"{w}.then", groups) if "then" in raw else Target("back")
            nodes[node_id] = IvrNode(
                **common, min_digits=min_d, max_digits=max_d, terminators=terms, self_service=ss, then=then
            )
    for node in nodes.values():
        targets = [(f"options.{k}", t) for k, t in node.options.items()]
        targets += [("on_failure", node.on_failure), ("then", node.then)]
        for name, t in targets:
            if t.type == "goto" and t.node not in nodes:
                raise Invalid(f"节点 {t.node} 不存在", field=f"{where}.nodes.{node.id}.{name}.node")
    return IvrMenu(start=start, nodes=nodes, name=str(data.get("name", "")))


# ---------------------------------------------------------------- session


class IvrSession:
    """One caller's walk through a menu. Each `on_*` returns the next actions."""

    def __init__(
        self,
        menu: IvrMenu,
        *,
        invalid_prompt: str = "say:您的输入有误，请重新输入。",
        timeout_prompt: str = "say:未收到您的输入。",
        goodbye_prompt: str = "say:感谢您的来电，再见。",
        voicemail_prompt: str = "say:请在提示音后留言。",
        tenant_id: int | None = None,
        default_group: str | None = None,
        priority: int = 0,
    ) -> None:
        self.menu = menu
        self.invalid_prompt = invalid_prompt
        self.timeout_prompt = timeout_prompt
        self.goodbye_prompt = goodbye_prompt
        self.voicemail_prompt = voicemail_prompt
        self.tenant_id = tenant_id
        self.default_group = default_group
        self.priority = priority
        self.node: IvrNode = menu.nodes[menu.start]
        self.stack: list[str] = []  # previous menus, for "back"
        self.attempts = 0
        self.path: list[tuple[str, str]] = []  # (node, key or "timeout"/"invalid:<digits>"/"input")
        self.finished = False
        self.result: Action | None = None  # the final action once finished
        self.awaiting_self_service = False

    # -- events from the controller

    def start(self) -> list[Action]:
        return [self._collect()]

    def on_digits(self, digits: str) -> list[Action]:
        self._check_running()
        digits = digits.strip()
        node = self.node
        if node.kind == "input":
            ok = node.min_digits <= len(digits) <= node.max_digits and digits.isdigit()
            if not ok:
                self.path.append((node.id, f"invalid:{digits}"))
                return self._retry(node.invalid_prompt or self.invalid_prompt)
            self.path.append((node.id, "input"))
            self.awaiting_self_service = True
            return [SelfService(kind=node.self_service or "", digits=digits)]
        key = digits[:1]
        target = node.options.get(key)
        if target is None:
            self.path.append((node.id, f"invalid:{digits}"))
            return self._retry(node.invalid_prompt or self.invalid_prompt)
        self.path.append((node.id, key))
        return self._follow(target)

    def on_timeout(self) -> list[Action]:
        """No digits before the timeout (play_and_get_digits left the variable empty)."""
        self._check_running()
        self.path.append((self.node.id, "timeout"))
        return self._retry(self.node.timeout_prompt or self.timeout_prompt)

    def on_self_service(self, prompt: str | None) -> list[Action]:
        """The lookup's answer to read back (None: nothing to say); then the input node's `then` target."""
        self._check_running()
        if not self.awaiting_self_service:
            raise RuntimeError("no self-service lookup pending")
        self.awaiting_self_service = False
        head = [Play(prompt)] if prompt else []
        return head + self._follow(self.node.then)

    # -- internals

    def _check_running(self) -> None:
        if self.finished:
            raise RuntimeError("IVR session already finished")

    def _collect(self) -> Collect:
        n = self.node
        if n.kind == "input":
            return Collect(
                prompt=n.prompt,
                min_digits=n.min_digits,
                max_digits=n.max_digits,
                timeout_ms=n.timeout_ms,
                terminators=n.terminators,
                digit_timeout_ms=n.digit_timeout_ms,
            )
        keys = "".join(sorted(n.options))
        max_digits = 1
        regex = "^[" + re.escape(keys) + "]$"
        return Collect(
            prompt=n.prompt,
            min_digits=1,
            max_digits=max_digits,
            timeout_ms=n.timeout_ms,
            # "#" as a menu key must not end the input ("none": no terminator in switch_ivr_read)
            terminators="none" if "#" in n.options else "#",
            regex=regex,
            digit_timeout_ms=n.digit_timeout_ms,
        )

    def _retry(self, prompt: str) -> list[Action]:
        self.attempts += 1
        if self.attempts >= self.node.tries:
            return self._follow(self.node.on_failure, failed=True)
        return [Play(prompt), self._collect()]

    def _enter(self, node_id: str, *, push: bool = True) -> list[Action]:
        if push:
            self.stack.append(self.node.id)
        self.node = self.menu.nodes[node_id]
        self.attempts = 0
        return [self._collect()]

    def _finish(self, action: Action, *, head: list[Action] | None = None) -> list[Action]:
        self.finished = True
        self.result = action
        return [*(head or []), action]

    def _follow(self, target: Target, *, failed: bool = False) -> list[Action]:
        t = target.type
        if t == "goto":
            return self._enter(target.node or self.menu.start)
        if t == "repeat":
            self.attempts = 0
            return [self._collect()]
        if t == "back":
            if not self.stack:
                self.attempts = 0
                return [self._collect()]
            return self._enter(self.stack.pop(), push=False)
        if t == "queue":
            group = target.skill_group or self.default_group
            if group is None:
                return self._finish(Hangup(self.goodbye_prompt))
            prio = max(self.priority, target.priority)
            return self._finish(Queue(skill_group=group, priority=prio, tenant_id=self.tenant_id))
        if t == "voicemail":
            return self._finish(
                Voicemail(prompt=self.voicemail_prompt, tenant_id=self.tenant_id, reason="ivr")
            )
        if t == "transfer":
            return self._finish(Transfer(number=target.number or ""))
        return self._finish(Hangup(target.prompt or self.goodbye_prompt))

    def describe_path(self) -> str:
        """Human-readable path for the screen pop: `main:2 > enterprise:1`."""
        return " > ".join(f"{n}:{k}" for n, k in self.path)
