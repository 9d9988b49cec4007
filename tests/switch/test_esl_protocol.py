"""The protocol layer reads every recorded frame and writes it back byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from switch.esl import Event, FrameReader, event_from_frame, format_json, format_plain, url_decode, url_encode
from switch.esl.trace import load_trace

TRACES = Path(__file__).resolve().parents[3] / "shared" / "esl-traces"
if not TRACES.is_dir():
    TRACES = Path("/work/shared/esl-traces")
TRACE_FILES = sorted(p for p in TRACES.glob("0[1-8]-*.txt") if "rtp-check" not in p.name)


def test_url_encode_matches_freeswitch() -> None:
    assert url_encode("tone_stream://%(1000,0,440)") == "tone_stream%3A//%25(1000,0,440)"
    assert url_encode("&park()") == "%26park()"
    assert url_encode("a=b") == "a%3Db"
    assert url_encode("fd00::2") == "fd00%3A%3A2"
    assert url_encode("sip:200") == "sip%3A200"
    assert url_encode("already %3A encoded") == "already%20%3A%20encoded"
    assert url_encode("南宁") == "%E5%8D%97%E5%AE%81"
    assert url_encode(",/().-_~*!$'") == ",/().-_~*!$'"
    assert url_decode("%E5%8D%97%E5%AE%81%20x") == "南宁 x"


@pytest.mark.parametrize("path", TRACE_FILES, ids=lambda p: p.name)
def test_trace_frames_round_trip(path: Path) -> None:
    items = load_trace(path)
    frames = [it for it in items if it.kind == "recv"]
    assert frames
    for it in frames:
        assert it.frame.to_bytes() == it.raw
        event = event_from_frame(it.frame)
        if event is not None:
            fmt = format_json if it.frame.content_type == "text/event-json" else format_plain
            assert fmt(event) == it.frame.body, event.name


def test_incremental_reader_splits_on_any_boundary() -> None:
    path = TRACES / "03-queue-bridge.plain.txt"
    expected = [it.raw for it in load_trace(path) if it.kind == "recv"]
    wire = b"".join(expected)
    reader = FrameReader()
    got = []
    for i in range(0, len(wire), 37):
        got.extend(f.to_bytes() for f in reader.feed(wire[i : i + 37]))
    assert got == expected


def test_duplicate_headers_and_json_arrays() -> None:
    ev = Event([("Event-Name", "COMMAND"), ("Event-Name", "PRIVATE_COMMAND"), ("variable_h", "ARRAY::a|:b")])
    assert ev.name == "PRIVATE_COMMAND" and ev.first("Event-Name") == "COMMAND"
    js = format_json(ev)
    assert js == b'{"Event-Name":"COMMAND","Event-Name":"PRIVATE_COMMAND","variable_h":["a","b"]}'
    assert format_plain(ev).endswith(b"variable_h: ARRAY%3A%3Aa%7C%3Ab\n\n")
    bg = Event([("Event-Name", "BACKGROUND_JOB")], body="+OK x\n")
    assert format_plain(bg) == b"Event-Name: BACKGROUND_JOB\nContent-Length: 6\n\n+OK x\n"
