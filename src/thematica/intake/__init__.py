"""Intake: turning recordings into transcripts and transcripts into de-identified text.

No database access here (the services store what these functions return). The engines are
optional extras — ``thematica[speech]`` (faster-whisper and Whisper models shipped on PyPI) and
``thematica[deid]`` (Presidio with spaCy's small English model) — imported only when used.
"""
