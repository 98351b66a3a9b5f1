"""Scoring extraction against hand-made labels (``../shared/real/TRUTH.tsv``)."""
