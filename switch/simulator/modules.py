"""MODULE_UNLOAD events a shutting-down FreeSWITCH sends (trace 08) for the modules the hotline uses, in the
recorded order and header layout (`type`, `name`, then `description`, `syntax`, `key`, `filename` if set)."""

from __future__ import annotations

MOD = "/usr/lib/freeswitch/mod/{}.so"

# (type, name, description, syntax, module key)
UNLOADED: tuple[tuple[str, str, str | None, str | None, str | None], ...] = (
    ("application", "conference", "conference", None, None),
    ("api", "conference", "Conference module commands", None, "mod_conference"),
    ("endpoint", "sofia", None, None, None),
    ("api", "sofia", "Sofia Controls", "<cmd> <args>", "mod_sofia"),
    ("application", "answer", "Answer the call", None, None),
    ("application", "eavesdrop", "eavesdrop on a uuid", "[all | <uuid>]", None),
    ("application", "park", "Park", None, None),
    ("application", "playback", "Playback File", "<path>", None),
    (
        "application",
        "play_and_get_digits",
        "Play and get Digits",
        "\n\t<min> <max> <tries> <timeout> <terminators> <file> <invalid_file> <var_name> <regexp>"
        " [<digit_timeout>] ['<failure_ext> [failure_dp [failure_context]]']",
        None,
    ),
    (
        "application",
        "record",
        "Record File",
        "<path> [<time_limit_secs>] [<silence_thresh>] [<silence_hits>]",
        None,
    ),
    ("application", "bridge", "Bridge Audio", "<channel_url>", None),
)


def unload_headers() -> list[list[tuple[str, str]]]:
    out = []
    for kind, name, description, syntax, key in UNLOADED:
        headers = [("type", kind), ("name", name)]
        headers += [("description", description)] if description is not None else []
        headers += [("syntax", syntax)] if syntax is not None else []
        if key is not None:
            headers += [("key", key), ("filename", MOD.format(key))]
        out.append(headers)
    return out
