"""Settings from the environment, read once at start-up into one typed object.

Never imported by workflow code: a workflow must not depend on anything that can
differ between workers.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class TemporalSettings(BaseSettings):
    """Where the Temporal service is and which task queue to use."""

    model_config = SettingsConfigDict(extra="ignore")

    temporal_address: str = Field(default="localhost:7233", alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field(default="default", alias="TEMPORAL_NAMESPACE")
    task_queue: str = Field(default="escalation", alias="ESCALATION_TASK_QUEUE")


class Settings(TemporalSettings):
    """Everything the worker needs: Temporal, the database and the mail relay."""

    model_config = SettingsConfigDict(env_prefix="ESCALATION_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///.escalation/escalation.db",
        description="SQLAlchemy async URL; postgresql+asyncpg://... in production.",
    )
    smtp_host: str = "localhost"
    smtp_port: int = 8025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "escalations@localhost"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
