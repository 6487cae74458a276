"""Stage 5, ranking and answers: weighted fusion of the legs, then the verbatim answering sentence."""
