"""Speech-to-text for recorded calls: faster-whisper (Whisper base, int8, CPU) per stereo channel."""
