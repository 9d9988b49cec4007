"""Load generator: Poisson arrivals of citizens with random IVR digits, patience and talk times."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from switch.simulator.core import CallerScript, Endpoint, FreeSwitch


@dataclass
class TrafficProfile:
    calls_per_minute: float = 6.0
    destinations: tuple[str, ...] = ("12345",)
    digits_choices: tuple[str, ...] = ("1", "2", "3", "")
    mean_talk_seconds: float = 120.0
    mean_patience_seconds: float = 90.0
    survey_digits: tuple[str, ...] = ("1", "1", "1", "2", "3")
    max_calls: int | None = None
    max_concurrent: int | None = None
    duration_s: float | None = None  # simulated seconds of arrivals
    # recorded conversations (path, seconds) streamed into the recording of `audio_share` of the calls
    audio_scripts: tuple[tuple[str, float], ...] = ()
    audio_share: float = 0.0
    # while it returns true every call speaks (e.g. a person is signed in at the desk)
    audio_always: Callable[[], bool] | None = None


def register_agents(fs: FreeSwitch, extensions: list[str], *, busy_ratio: float = 0.0, seed: int = 1) -> None:
    rnd = random.Random(seed)
    for ext in extensions:
        mode = "busy" if rnd.random() < busy_ratio else "answer"
        fs.endpoints[ext] = Endpoint(ext=ext, mode=mode, ring_seconds=rnd.uniform(1.0, 4.0))


def random_caller(rnd: random.Random, profile: TrafficProfile) -> CallerScript:
    number = "1" + rnd.choice("3578") + "".join(rnd.choice("0123456789") for _ in range(9))
    script = CallerScript(
        number=number,
        destination=rnd.choice(profile.destinations),
        digits=[rnd.choice(profile.digits_choices), rnd.choice(profile.survey_digits)],
        patience=rnd.expovariate(1 / profile.mean_patience_seconds) + 10,
        talk_seconds=rnd.expovariate(1 / profile.mean_talk_seconds) + 15,
        hangup_by="agent",
        max_seconds=3 * 3600,
    )
    # no draw without scripts: seeded traffic stays the same as before
    if profile.audio_scripts and (
        rnd.random() < profile.audio_share or (profile.audio_always is not None and profile.audio_always())
    ):
        script.audio, seconds = rnd.choice(profile.audio_scripts)
        script.talk_seconds = seconds + 3  # the recorded conversation ends with the goodbye, then a hang-up
    return script


async def generate(fs: FreeSwitch, profile: TrafficProfile, *, seed: int = 7) -> int:
    """Place calls until `max_calls` (or forever); returns how many were placed."""
    rnd = random.Random(seed)
    placed = 0
    end = fs.clock.now() + profile.duration_s if profile.duration_s is not None else None
    due = fs.clock.now()
    while profile.max_calls is None or placed < profile.max_calls:
        if end is not None and fs.clock.now() >= end:
            break
        # arrival times on the simulated clock: a late wake-up (busy loop) does not thin out the traffic
        due += rnd.expovariate(profile.calls_per_minute / 60)
        await fs.clock.sleep(max(0.0, due - fs.clock.now()))
        if profile.max_concurrent is not None:
            capped = False
            while len([c for c in fs.live_channels() if c.direction == "inbound"]) >= profile.max_concurrent:
                capped = True
                await fs.clock.sleep(1)
            if capped:  # no burst of held-back arrivals once below the cap
                due = fs.clock.now()
        fs.spawn(fs.inbound_call(random_caller(rnd, profile)))
        placed += 1
    return placed
