"""PDF budget disclosures → typed facts.

Bump EXTRACTOR_VERSION whenever a change alters what is extracted: stored documents extracted
by an older version are then re-extracted instead of being skipped as unchanged.
"""

EXTRACTOR_VERSION = "0.7.5"
