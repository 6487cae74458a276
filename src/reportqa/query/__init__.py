"""Stage 4, query analysis: normalisation, language profiles, years and figures asked, typo fixes."""
