"""Settings from the environment, read once at start-up into one typed object.

Never imported by workflow code: a workflow must not depend on anything that can
differ between workers.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MAX_CACHED_WORKFLOWS = 1000
"""Each cached Disagreement costs the worker about 0.2-0.3 MiB (its own sandboxed copy of
the workflow module and its state), so memory follows the cache, not the open cases, and
is bounded by it: 1,000 keeps a worker near 450 MiB however many cases are open, and about
520 MiB at the peak of a 17:00 burst (250: 245 MiB). Every deadline falls at close of
business, so the cases of a day wake together; with fewer cached than wake at once, almost
every task of the burst is a cache miss that replays its case's history, and one worker at
the old default of 250 spent two to three times the CPU on 1,000 simultaneous deadlines
(docs/benchmark.md, "The 17:00 burst"). Set it to at least the deadlines one worker must
absorb at one instant; lower it where memory is short and bursts are small."""

DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS = 20
"""Workflow tasks a worker runs at once. The SDK's 100 lets one worker accept a hundred
tasks of a burst together on one GIL; the last of them do not finish within the task's
10 s and time out, and each is then run again from its history. Twenty keep a busy worker
within the timeout and still overlap the round trips to the server."""

DEFAULT_STICKY_TIMEOUT_SECONDS = 60.0
"""How long a cached case's task waits for its own worker (the SDK's default is 10 s).
In a burst the worker has hundreds queued; after 10 s each went to the normal queue and
was replayed from its history instead of run from the cache. The price: when a worker
dies, a case it had cached may wait up to this long before another worker takes it."""

MIN_SECRET_LENGTH = 32
"""Characters an HMAC secret or bearer token must have at least (``ESCALATION_LINK_SECRET``,
``ESCALATION_CODEC_TOKEN``). Both guard case data against anyone who can reach the page or
the endpoint, offline in the links' case (a forged MAC can be tried without asking us), so a
short or typed-in word would be guessed; ``openssl rand -hex 32`` gives 64."""


PROJECT_ROOT = Path(__file__).resolve().parent
"""The checkout this module was imported from (``pip install -e .`` imports it in place)."""

HOME_ENV = "ESCALATION_HOME"
DEFAULT_MAIL_FROM = "escalations@localhost"
"""The sender when ``ESCALATION_MAIL_FROM`` is unset: a local address that makes no claim to
be any real domain's (the Message-ID's domain follows it); production sets its own."""


def default_home() -> Path:
    """Where the state lives when ``ESCALATION_HOME`` is unset: one place, whatever the cwd.

    In a checkout, its ``.escalation`` folder (an absolute path: ``escalation record`` run
    from another directory reads the database ``escalation dev`` writes, rather than
    creating an empty one beside the caller); installed from a wheel, where the module
    sits in site-packages, the user's state directory (``$XDG_STATE_HOME/escalation``).
    """
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / ".escalation"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "escalation"


def escalation_home() -> Path:
    """``ESCALATION_HOME`` as an absolute path, or ``default_home()``: what the dev stack uses."""
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser().absolute() if value else default_home()


def sqlite_url(home: Path) -> str:
    """The records database inside a state directory."""
    return f"sqlite+aiosqlite:///{home / 'escalation.db'}"


def _long_enough(value: SecretStr | None, variable: str) -> SecretStr | None:
    """``value`` if unset, empty (the commands say it is required) or long enough."""
    if value is not None and 0 < len(value.get_secret_value()) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"{variable} must be at least {MIN_SECRET_LENGTH} characters"
            f" (it has {len(value.get_secret_value())}); generate one with `openssl rand -hex 32`"
        )
    return value


class TemporalSettings(BaseSettings):
    """Where the Temporal service is and which task queue to use."""

    model_config = SettingsConfigDict(extra="ignore")

    temporal_address: str = Field(default="localhost:7233", alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field(default="default", alias="TEMPORAL_NAMESPACE")
    task_queue: str = Field(default="escalation", alias="ESCALATION_TASK_QUEUE")
    # Connecting to a real cluster (the same variable names as the `temporal` CLI).
    temporal_api_key: SecretStr | None = Field(default=None, alias="TEMPORAL_API_KEY")
    temporal_tls: bool | None = Field(
        default=None,
        alias="TEMPORAL_TLS",
        description="Force TLS on/off; unset means on when a certificate or API key is given.",
    )
    temporal_tls_client_cert_path: str | None = Field(
        default=None, alias="TEMPORAL_TLS_CLIENT_CERT_PATH"
    )
    temporal_tls_client_key_path: str | None = Field(
        default=None, alias="TEMPORAL_TLS_CLIENT_KEY_PATH"
    )
    temporal_tls_server_ca_cert_path: str | None = Field(
        default=None, alias="TEMPORAL_TLS_SERVER_CA_CERT_PATH"
    )
    temporal_tls_server_name: str | None = Field(default=None, alias="TEMPORAL_TLS_SERVER_NAME")
    codec_keys: SecretStr | None = Field(
        default=None,
        alias="ESCALATION_CODEC_KEYS",
        description="'kid1:base64key,kid2:...': payload encryption; the first key encrypts.",
    )


class Settings(TemporalSettings):
    """Everything the worker needs: Temporal, the database and the mail relay."""

    # hide_input_in_errors: a refused secret must not be printed back in the error.
    model_config = SettingsConfigDict(
        env_prefix="ESCALATION_", extra="ignore", hide_input_in_errors=True
    )

    home: Path = Field(
        default_factory=escalation_home,
        description="ESCALATION_HOME: the dev stack's state (database, mail, secret).",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy async URL; unset: escalation.db in ESCALATION_HOME;"
        " postgresql+asyncpg://... in production.",
    )
    smtp_host: str = "localhost"
    smtp_port: int = 8025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    smtp_timeout_seconds: float = 30.0
    smtp_ca_file: str | None = Field(
        default=None, description="CA bundle to trust for the relay's TLS certificate."
    )
    mail_from: str = DEFAULT_MAIL_FROM
    # The codec endpoint for the Web UI (`escalation codec-server`).
    codec_token: SecretStr | None = None
    codec_cors_origins: str = "http://localhost:8233,http://localhost:8080"
    # The decision page for managers (`escalation web`) and its signed links.
    link_secret: SecretStr | None = None
    web_base_url: str = "http://localhost:8088"
    link_valid_days: int = Field(default=14, ge=1, le=90)
    # The worker process (docs/benchmark.md: how the cache default was measured).
    max_cached_workflows: int = Field(
        default=DEFAULT_MAX_CACHED_WORKFLOWS,
        ge=0,
        description="Workflows the worker keeps in memory between tasks; evicted ones replay.",
    )
    max_concurrent_workflow_tasks: int = Field(
        default=DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS,
        ge=2,
        description="Workflow tasks the worker runs at once (the SDK's default is 100).",
    )
    sticky_timeout_seconds: float = Field(
        default=DEFAULT_STICKY_TIMEOUT_SECONDS,
        gt=0,
        description="How long a cached workflow's task waits for this worker before any "
        "worker may take it (and replay the history); the SDK's default is 10 s.",
    )
    health_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Serve GET /health on this port (0: any free port); unset: no endpoint.",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Serve GET /metrics (Prometheus) on this port (0: any free port); unset: none.",
    )
    # The partnership console (`escalation console`): its OpenID Connect client, session, access.
    console_oidc_issuer: str = Field(
        default="", description="The sign-in provider's issuer URL (discovery is read from it)."
    )
    console_oidc_client_id: str = ""
    console_oidc_client_secret: SecretStr | None = None
    console_session_secret: SecretStr | None = Field(
        default=None, description="Encrypts and signs the console's session cookie."
    )
    console_base_url: str = Field(
        default="http://localhost:8090",
        description="Where people reach the console (its sign-in callback is under it).",
    )
    console_access_file: Path | None = Field(
        default=None, description="Who holds which role in which partnership (TOML)."
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="ESCALATION_LOG_FORMAT: text lines, or JSON lines to ship."
    )
    otlp_endpoint: str | None = Field(
        default=None,
        alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="OpenTelemetry collector to send traces to (OTLP over HTTP); unset: none.",
    )

    @field_validator("home", mode="before")
    @classmethod
    def _home_absolute(cls, value: Any) -> Any:
        """Empty means unset; a relative one is taken from where the process started."""
        if value is None or str(value).strip() == "":
            return default_home()
        return Path(str(value)).expanduser().absolute()

    @model_validator(mode="after")
    def _database_in_home(self) -> Self:
        """An explicit ``ESCALATION_DATABASE_URL`` wins; otherwise the database in the home."""
        if not self.database_url.strip():
            self.database_url = sqlite_url(self.home)
        return self

    @field_validator("codec_token")
    @classmethod
    def _codec_token_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        return _long_enough(value, "ESCALATION_CODEC_TOKEN")

    @field_validator("console_session_secret")
    @classmethod
    def _console_secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        return _long_enough(value, "ESCALATION_CONSOLE_SESSION_SECRET")

    @field_validator("link_secret")
    @classmethod
    def _link_secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        return _long_enough(value, "ESCALATION_LINK_SECRET")


class SettingsError(ValueError):
    """The environment's settings are unusable; the message names each variable and why."""


def problems(exc: ValidationError) -> str:
    """One line per refused setting, e.g. 'ESCALATION_LINK_SECRET must be at least ...'.

    Pydantic's own text names the field, not the variable, and ends in a link.
    """
    lines = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        field = ".".join(str(part) for part in error["loc"])
        lines.append(message if message.startswith("ESCALATION_") else f"{field}: {message}")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once.

    Raises:
        SettingsError: a variable's value is refused (a short secret, say); at start-up,
            before anything runs with it.
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(problems(exc)) from None
