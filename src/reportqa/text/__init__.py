"""Text rules shared by every stage: Chinese years, figures, sentence ends, CJK ranges, normalisation."""
