"""Speech-to-text and automatic QA."""
