"""conference::maintenance header blocks and sounds, as FreeSWITCH 1.10 mod_conference sends them (trace 05)."""

from __future__ import annotations

ENTER_SOUND = "tone_stream://%(200,0,500,600,700)"
EXIT_SOUND = "tone_stream://%(500,0,300,200,100,50,25)"
ALONE_SOUND = "/usr/share/freeswitch/sounds/en/us/callie/conference/conf-alone.wav"


def conference_headers(name: str, uuid: str, size: int) -> list[tuple[str, str]]:
    return [
        ("Conference-Name", name),
        ("Conference-Domain", "default"),
        ("Conference-Size", str(size)),
        ("Conference-Ghosts", "0"),
        ("Conference-Profile-Name", "default"),
        ("Conference-Unique-ID", uuid),
    ]


def member_fields(member: int) -> list[tuple[str, str]]:
    """What follows the channel block in a member's event."""
    return [
        ("Video", "false"),
        ("Hear", "true"),
        ("See", "true"),
        ("Speak", "true"),
        ("Talking", "false"),
        ("Mute-Detect", "false"),
        ("Hold", "false"),
        ("Member-ID", str(member)),
        ("Member-Type", "member"),
        ("Member-Ghost", "false"),
        ("Energy-Level", "100"),
        ("Current-Energy", "0"),
    ]
