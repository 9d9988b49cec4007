"""Build transcripts in the database without the model (hand-made segments), then score them."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from assist.asr import service as asr_service
from assist.asr.transcribe import Segment, Transcription, Word
from assist.qa import service
from models.org import User

_ids = itertools.count(1)


def segment(speaker: str, start: float, text: str, per_char: float = 0.22) -> Segment:
    words = [
        Word(round(start + i * per_char, 2), round(start + (i + 1) * per_char, 2), c)
        for i, c in enumerate(text)
    ]
    return Segment(speaker, 0 if speaker == "agent" else 1, start, words[-1].end, text, words)


GOOD = [
    segment("agent", 0.5, "您好政务服务便民热线很高兴为您服务"),
    segment("citizen", 5.0, "我家楼下的路灯坏了好几天"),
    segment("agent", 8.5, "跟您核对一下地址是青秀区民族大道一百号联系电话就是您的来电号码对吗"),
    segment("citizen", 16.0, "对的谢谢"),
    segment("agent", 17.5, "我们会尽快处理感谢您的来电再见"),
]
NO_GREETING = [segment("agent", 0.5, "喂请讲"), *GOOD[1:]]
ANGRY = [*GOOD[:1], segment("citizen", 5.0, "你们到底管不管再不解决我就不想活了"), *GOOD[2:]]


def user(db: Session, username: str) -> User:
    return db.scalar(select(User).where(User.username == username))


def scored_call(
    db: Session,
    segments: list[Segment],
    *,
    agent: str = "agent01",
    team: str | None = "一班",
    started: datetime | None = None,
    ticket_text: str | None = None,
    recording_path: str | None = None,
    call_id: int | None = None,
):
    """A transcript (done) with its automatic score, committed; returns (transcript, score)."""
    agent_user = user(db, agent)
    transcript = asr_service.create_transcript(
        db,
        tenant_id=agent_user.tenant_id,
        recording_path=recording_path or f"/recordings/test-{next(_ids)}.wav",
        agent_id=agent_user.id,
        team=team,
        call_started_at=started,
        ticket_text=ticket_text,
        call_id=call_id,
    )
    duration = max(s.end for s in segments) + 1
    asr_service.store_result(
        db, transcript, Transcription(duration, segments, elapsed=duration * 0.1, channels=2)
    )
    score = service.score_transcript(db, transcript)
    db.commit()
    return transcript, score
