"""Writers that turn service results into files people open: CSV, JSON, Markdown, DOCX."""
