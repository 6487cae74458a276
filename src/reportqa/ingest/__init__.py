"""Stage 1, ingest: report files → text (one loader per format) → section tree → chunks with exact spans."""
