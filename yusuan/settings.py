"""All configuration in one place (environment variables, ``.env``), read once per entry point."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YUSUAN_", env_file=".env", extra="ignore", populate_by_name=True)

    # DATABASE_URL picks the Postgres; unset means an embedded server under data_dir/pgdata.
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Path(".yusuan")

    user_agent: str = "yusuan/0.1 (budget-disclosure crawler; +https://example.org/yusuan)"
    http_timeout_seconds: float = 30.0
    http_attempts: int = 4
    http_backoff_seconds: float = 0.5
    http_backoff_max_seconds: float = 20.0
    max_pages_per_portal: int = 200
    max_documents_per_run: int | None = None
    workers: int = 4
    per_host_concurrency: int = 2
    per_host_min_interval_seconds: float = 0.1

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def pgdata_dir(self) -> Path:
        return self.data_dir / "pgdata"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
