"""Normalised views of ESL traffic for comparing the simulator with the recorded FreeSWITCH traces."""

from __future__ import annotations

from pathlib import Path

from switch.esl.events import Event, event_from_frame
from switch.esl.trace import load_trace

TRACES = Path(__file__).resolve().parents[3] / "shared" / "esl-traces"
if not TRACES.is_dir():
    TRACES = Path("/work/shared/esl-traces")

NOISE = {"API", "HEARTBEAT", "RE_SCHEDULE", "PRESENCE_IN", "MODULE_UNLOAD", "UNPUBLISH", "SHUTDOWN", "CUSTOM"}


def key(ev: Event) -> tuple[str, str]:
    name = ev.name
    if name == "CHANNEL_STATE":
        return name, ev.get("Channel-State", "")
    if name == "CHANNEL_CALLSTATE":
        return name, f"{ev.get('Original-Channel-Call-State')}->{ev.get('Channel-Call-State')}"
    if name in ("CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE"):
        return name, ev.get("Application", "")
    if name in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"):
        return name, ev.get("Hangup-Cause", "")
    if name == "DTMF":
        return name, ev.get("DTMF-Digit", "")
    return name, ""


def per_leg(events: list[Event]) -> dict[str, list[tuple[str, str]]]:
    """Channel events grouped by leg (L1, L2 … in order of first appearance)."""
    labels: dict[str, str] = {}
    legs: dict[str, list[tuple[str, str]]] = {}
    for ev in events:
        if ev.name in NOISE or not ev.unique_id:
            continue
        label = labels.setdefault(ev.unique_id, f"L{len(labels) + 1}")
        legs.setdefault(label, []).append(key(ev))
    return legs


def structure(ev: Event) -> tuple[str, ...]:
    """Header names without the caller profile, other leg and variables (those depend on call history)."""
    return tuple(n for n in ev.names() if not n.startswith(("variable_", "Caller-", "Other-Leg-")))


def profile_names(ev: Event, prefix: str = "Caller-") -> list[str]:
    return [n[len(prefix) :] for n in ev.names() if n.startswith(prefix)]


def trace_events(name: str) -> list[Event]:
    out = []
    for item in load_trace(TRACES / name):
        if item.kind == "recv":
            ev = event_from_frame(item.frame)
            if ev is not None:
                out.append(ev)
    return out


def trace_replies(name: str) -> list[tuple[str, str]]:
    """(command sent, reply) pairs: command/reply Reply-Text or api/response body."""
    out: list[tuple[str, str]] = []
    last = ""
    for item in load_trace(TRACES / name):
        if item.kind == "send":
            last = item.text
        elif item.kind == "recv" and item.frame.content_type in ("command/reply", "api/response"):
            text = (
                item.frame.reply_text
                if item.frame.content_type == "command/reply"
                else item.frame.body.decode()
            )
            out.append((last, text))
    return out
