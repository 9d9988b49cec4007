"""The live transcript's bus contract (published by `hotline asr live`, relayed by /api/ws).

Channel `asr:transcripts`, one JSON object per utterance (or interim result of one)::

    {"type": "transcript", "at": ISO time, "call_uuid", "caller", "agent_number", "tenant_id",
     "speaker": "agent" | "citizen" | "mixed", "channel": 0 | 1, "utterance": n (per call, rising),
     "text", "start", "end" (seconds from the recording's start), "final": bool}

An interim result (final=false) is replaced by the next event with the same call and utterance number.
"""

TRANSCRIPTS = "asr:transcripts"
