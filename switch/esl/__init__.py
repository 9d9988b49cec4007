"""Event-socket (ESL) protocol: frames, URL encoding, events in plain and json form.

Knows nothing of the contact centre; the simulator and the controller build on it.
"""

from switch.esl.codec import url_decode, url_encode
from switch.esl.events import Event, event_from_frame, format_json, format_plain, parse_json, parse_plain
from switch.esl.frames import Frame, FrameReader, read_frame_from_stream

__all__ = [
    "Event",
    "Frame",
    "FrameReader",
    "event_from_frame",
    "format_json",
    "format_plain",
    "parse_json",
    "parse_plain",
    "read_frame_from_stream",
    "url_decode",
    "url_encode",
]
