"""yusuan: Chinese government budget disclosures as a queryable Postgres database."""

__version__ = "0.1.0"
