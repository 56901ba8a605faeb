"""De-identification: finding identifiers in transcripts and choosing their placeholders."""
