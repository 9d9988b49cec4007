"""`say:<text>` prompts rendered to speech: espeak-ng (voice `cmn`) → 8 kHz mono 16-bit WAV, cached by text.

Files live in `<data_dir>/prompts/<sha1 of the text>.wav`; FreeSWITCH plays them by path, so the controller
and FreeSWITCH must share that directory (as for recordings). Rendering happens when the configuration is
loaded or changes (`render_config`) and on first use of a text not seen before (queue positions, self-service
read-backs); until a file exists the prompt plays as a short tone.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import shutil
import subprocess
import time
import wave
from collections.abc import Callable, Iterable
from dataclasses import fields, is_dataclass
from pathlib import Path

import numpy as np

from models.settings import get_settings

log = logging.getLogger("hotline.switch.prompts")

SAMPLE_RATE = 8000
VOICE = "cmn"
TONE = "tone_stream://%(500,0,440)"
FIELDS = re.compile(r"{(\w*)}")  # stands in for a `say:` prompt that has no file (yet)
_warned: set[str] = set()  # one warning per missing tool, not one per call


def prompt_dir() -> Path:
    return (get_settings().data_dir / "prompts").resolve()


def prompt_file(text: str, directory: Path | None = None) -> Path:
    """Where the rendering of `text` (without the `say:` prefix) is kept."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
    return (directory or prompt_dir()) / f"{digest}.wav"


def espeak() -> str | None:
    path = shutil.which("espeak-ng")
    if path is None and "espeak-ng" not in _warned:
        _warned.add("espeak-ng")
        log.warning("espeak-ng not installed: say: prompts play as a tone (apt-get install espeak-ng)")
    return path


def prompt_url(prompt: str) -> str:
    """What FreeSWITCH plays for a configured prompt: the rendered file of a `say:` text when there is one."""
    if not prompt.startswith("say:"):
        return prompt
    path = prompt_file(prompt[4:])
    return str(path) if path.is_file() else TONE


def render(text: str, directory: Path | None = None, *, voice: str = VOICE) -> Path | None:
    """Speak `text` into its cache file (kept if already there); None when espeak-ng is missing."""
    path = prompt_file(text, directory)
    if path.is_file():
        return path
    exe = espeak()
    if exe is None:
        return None
    done = subprocess.run([exe, "-v", voice, "--stdout", text], capture_output=True, timeout=60, check=True)
    with wave.open(io.BytesIO(done.stdout)) as w:
        rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    if width != 2:
        raise ValueError(f"espeak-ng wrote {8 * width}-bit audio")
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(_resample(pcm, rate).tobytes())
    tmp.replace(path)  # whole files only: FreeSWITCH may be reading the directory
    return path


def _resample(pcm: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE:
        return pcm.astype("<i2")
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(SAMPLE_RATE, rate)
    out = resample_poly(pcm.astype(np.float64), SAMPLE_RATE // g, rate // g)
    return np.clip(np.round(out), -32768, 32767).astype("<i2")


def say_texts(*sources: object) -> list[str]:
    """Every `say:` text in the given values (a routing configuration, prompt strings); queue-position
    templates for positions and minutes 1–5, other templates left out."""
    found: dict[str, None] = {}

    def walk(value: object, depth: int = 0) -> None:
        if depth > 12:
            return
        if isinstance(value, str):
            if value.startswith("say:") and "{" not in value:
                found.setdefault(value[4:], None)
            elif value.startswith("say:") and set(FIELDS.findall(value)) <= {"position", "minutes"}:
                # queue announcements: the common small figures ahead of time, the rest play as a tone
                for position in range(1, 6):
                    for minutes in range(1, 6):
                        found.setdefault(value[4:].format(position=position, minutes=minutes), None)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v, depth + 1)
        elif isinstance(value, list | tuple | set | frozenset):
            for v in value:
                walk(v, depth + 1)
        elif is_dataclass(value) and not isinstance(value, type):
            for f in fields(value):
                if not f.name.startswith("_"):
                    walk(getattr(value, f.name), depth + 1)

    for source in sources:
        walk(source)
    return list(found)


def render_all(
    texts: Iterable[str],
    directory: Path | None = None,
    *,
    progress: Callable[[int, int, float, str], None] | None = None,
) -> int:
    """Render what is not cached yet; `progress(done, total, eta_s, text)` after each one. Returns how many
    files were made."""
    directory = directory or prompt_dir()
    todo = [t for t in texts if not prompt_file(t, directory).is_file()]
    if todo and espeak() is None:
        return 0
    started = time.monotonic()
    for i, text in enumerate(todo, 1):
        try:
            render(text, directory)
        except (subprocess.SubprocessError, OSError, ValueError, wave.Error):
            log.warning("prompt rendering failed", extra={"text": text})
        if progress is not None:
            elapsed = time.monotonic() - started
            progress(i, len(todo), elapsed / i * (len(todo) - i), text)
    return len(todo)
