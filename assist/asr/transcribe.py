"""Transcribe a recorded call: each stereo channel separately, segments labelled by speaker."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assist.asr.config import AsrSettings
from assist.asr.text import to_simplified

log = logging.getLogger("hotline.asr")

MIXED = "mixed"  # a mono recording: both parties on one channel
SPLIT_PAUSE = 1.0  # seconds of silence between two words that start a new segment


class UndecodableAudio(Exception):
    """The file is missing, not audio, or has no audio stream."""


@dataclass
class Word:
    start: float
    end: float
    text: str


@dataclass
class Segment:
    speaker: str
    channel: int
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "speaker": self.speaker,
            "channel": self.channel,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "words": [[w.start, w.end, w.text] for w in self.words],
        }


@dataclass
class Transcription:
    duration: float  # seconds of call audio
    segments: list[Segment]
    elapsed: float  # wall seconds spent decoding and transcribing
    channels: int

    @property
    def rtf(self) -> float:
        return self.elapsed / self.duration if self.duration else 0.0

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


def load_channels(path: Path, roles: list[str]) -> tuple[list[tuple[int, str, object]], float]:
    """Decode to 16 kHz float arrays: [(channel, speaker, samples)], duration in seconds."""
    import av
    from faster_whisper.audio import decode_audio

    path = Path(path)
    if not path.is_file():
        raise UndecodableAudio(f"录音文件不存在：{path}")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise UndecodableAudio("文件中没有音频流")
            channels = container.streams.audio[0].channels
        if channels >= 2:
            left, right = decode_audio(str(path), split_stereo=True)
            arrays = [(0, roles[0], left), (1, roles[1 % len(roles)], right)]
        else:
            arrays = [(0, MIXED, decode_audio(str(path)))]
    except UndecodableAudio:
        raise
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise UndecodableAudio(f"无法解码音频：{type(exc).__name__}: {exc}") from exc
    duration = len(arrays[0][2]) / 16000
    if duration <= 0:
        raise UndecodableAudio("音频长度为 0")
    return arrays, duration


def transcribe_samples(model, samples, *, settings: AsrSettings, speaker: str, channel: int) -> list[Segment]:
    pieces, _info = model.transcribe(
        samples,
        language=settings.language,
        beam_size=settings.beam_size,
        vad_filter=settings.vad,
        word_timestamps=settings.word_timestamps,
        condition_on_previous_text=False,  # avoids repetition loops on long calls
    )
    out: list[Segment] = []
    for piece in pieces:
        text = to_simplified(piece.text).strip()
        if not text:
            continue
        words = [Word(round(w.start, 2), round(w.end, 2), to_simplified(w.word)) for w in (piece.words or [])]
        if not words:
            out.append(Segment(speaker, channel, round(piece.start, 2), round(piece.end, 2), text))
            continue
        for group in split_at_pauses(words):
            words_text = "".join(w.text for w in group).strip()
            if words_text:
                out.append(Segment(speaker, channel, group[0].start, group[-1].end, words_text, group))
    return out


def split_at_pauses(words: list[Word], pause: float = SPLIT_PAUSE) -> list[list[Word]]:
    """Whisper joins utterances across long pauses (VAD strips them); split them back for real times."""
    groups: list[list[Word]] = [[words[0]]]
    for prev, word in zip(words, words[1:], strict=False):
        if word.start - prev.end >= pause:
            groups.append([])
        groups[-1].append(word)
    return groups


def transcribe_call(
    path: Path,
    model,
    *,
    settings: AsrSettings,
    progress: Callable[[float], None] | None = None,
) -> Transcription:
    """Both channels, merged in time order. `progress` gets the call seconds done after each channel pass."""
    started = time.perf_counter()
    arrays, duration = load_channels(path, settings.roles())
    segments: list[Segment] = []
    for channel, speaker, samples in arrays:
        segments.extend(
            transcribe_samples(model, samples, settings=settings, speaker=speaker, channel=channel)
        )
        if progress:
            progress(duration / len(arrays))
    segments.sort(key=lambda s: (s.start, s.channel))
    elapsed = time.perf_counter() - started
    log.info(
        "call transcribed",
        extra={"path": str(path), "duration": duration, "elapsed": elapsed, "segments": len(segments)},
    )
    return Transcription(duration=duration, segments=segments, elapsed=elapsed, channels=len(arrays))
