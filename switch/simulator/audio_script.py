"""Scripted call audio: a placed call may carry a WAV (`CallerScript.audio`) that the simulator streams into
the call's recording in (simulated) real time, as FreeSWITCH's record_session writes the file while the
call goes on. Without a script the recording is written at RECORD_STOP as before (silence + tone).

The script's channels are copied as they are (the test fixtures put the agent left, the citizen right, as
`HOTLINE_ASR_CHANNEL_ROLES` expects); after the script ends the recording continues with silence.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from switch.simulator.wav import RATE, GrowingWav, read_pcm16, to_channels

if TYPE_CHECKING:
    from switch.simulator.channel import Channel
    from switch.simulator.core import FreeSwitch

log = logging.getLogger("hotline.switch.simulator")

STEP = 0.5  # simulated seconds between two writes


class ScriptedRecording:
    def __init__(self, fs: FreeSwitch, ch: Channel, path: Path, script: Path) -> None:
        self.fs = fs
        self.started_us = fs.clock.now_us()
        self.channels = 2 if ch.variables.get("RECORD_STEREO") == "true" else 1
        have, frames = read_pcm16(script)
        self.audio = to_channels(frames, have, self.channels)
        self.wav = GrowingWav(path, self.channels)
        self.task = fs.spawn(self._run())

    def _write_until_now(self) -> None:
        block = 2 * self.channels
        elapsed = (self.fs.clock.now_us() - self.started_us) / 1e6
        if self.fs.wav_seconds_cap is not None:
            elapsed = min(elapsed, self.fs.wav_seconds_cap)
        target = int(elapsed * RATE) * block
        done = self.wav.data_bytes
        if target <= done:
            return
        chunk = self.audio[done:target]
        self.wav.append(chunk + bytes(target - done - len(chunk)))

    async def _run(self) -> None:
        while True:
            await self.fs.clock.sleep(STEP)
            self._write_until_now()

    def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(OSError):
            self._write_until_now()
        self.wav.close()


def start_scripted_recording(fs: FreeSwitch, ch: Channel, path: str) -> None:
    """RECORD_START hook: stream the caller's audio script into `path`, if the call has one."""
    script = getattr(ch.script, "audio", None)
    if not script:
        return
    try:
        ch.scripted_recording = ScriptedRecording(fs, ch, Path(path), Path(script))  # type: ignore[attr-defined]
    except (OSError, ValueError) as exc:
        log.warning("audio script not used", extra={"path": path, "script": str(script), "error": str(exc)})


def stop_scripted_recording(ch: Channel) -> bool:
    """RECORD_STOP hook: finish the streamed file; False when there was none (write the usual one)."""
    recording = getattr(ch, "scripted_recording", None)
    if recording is None:
        return False
    ch.scripted_recording = None  # type: ignore[attr-defined]
    try:
        recording.stop()
    except OSError:
        log.warning("recording not finished", extra={"path": str(recording.wav.path)})
    return True
