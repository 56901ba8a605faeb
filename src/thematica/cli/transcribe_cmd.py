"""``thematica transcribe``: audio in, timestamped transcripts out (stub; see the service)."""
