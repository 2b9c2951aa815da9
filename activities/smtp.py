"""The mail relay: its settings, one delivery, and which SMTP answers are permanent.

Kept apart from the email activity so the classification (what Temporal may
retry, what is reported instead) reads on its own: connection trouble, 4xx and
rejected relay credentials are transient; a 5xx answer to the message or to
every recipient is permanent; a 5xx for some recipients only is a partial
delivery that must never be repeated for the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from temporalio import activity

from activities.email_links import DecisionLinks
from records.schema import utcnow
from settings import DEFAULT_MAIL_FROM, Settings


@dataclass(frozen=True)
class SmtpConfig:
    """How to reach the mail relay, and what every message is sent from and links to."""

    host: str = "localhost"
    port: int = 8025
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    """Never in ``repr``: a config logged or shown in a traceback must not leak it."""
    starttls: bool = False
    use_tls: bool = False
    timeout: float = 30.0
    mail_from: str = DEFAULT_MAIL_FROM
    ca_file: str | None = None
    """Extra CA bundle to trust for TLS (a relay with a private certificate)."""
    links: DecisionLinks | None = None
    """The decision page emails link to; None (no ``ESCALATION_LINK_SECRET``): no links."""

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        """The relay settings from the environment."""
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
            use_tls=settings.smtp_use_tls,
            timeout=settings.smtp_timeout_seconds,
            mail_from=settings.mail_from,
            ca_file=settings.smtp_ca_file,
            links=DecisionLinks.from_settings(settings),
        )


class Refused(Exception):
    """Every recipient, or the message itself, was refused for good."""

    def __init__(self, failed: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in failed.items()))
        self.failed = failed


def cluster_time(first: bool = False) -> datetime:
    """This attempt's time on the Temporal cluster's clock, the clock deadlines are kept on.

    In production it is the wall clock give or take the queueing delay; on the
    time-skipping test server it is the skipped-to time, so the record shows
    emails at the moments of the steps that sent them. Outside an activity (or
    in a bare ActivityEnvironment, which reports 1970) it is the wall clock.
    """
    try:
        info = activity.info()
    except RuntimeError:
        return utcnow()
    t = info.scheduled_time if first else info.current_attempt_scheduled_time
    return t if t.tzinfo is not None and t.year > 1970 else utcnow()


def _is_permanent(code: Any) -> bool:
    return isinstance(code, int) and 500 <= code < 600


def _answer(code: int, message: str) -> str:
    return f"{code} {message}".strip()


RELAY_CONFIGURATION_CODES = {530, 534, 535, 538}
"""Authentication required / rejected: our relay settings are wrong, not the message.
Retried (with backoff, until the workflow's limit) so that fixing the settings delivers."""


def _classify(exc: Exception, recipients: list[str]) -> dict[str, str] | None:
    """The permanently refused recipients (all of them for a refused message), or None."""
    if getattr(exc, "code", None) in RELAY_CONFIGURATION_CODES:
        return None
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refusals = {r.recipient: _answer(r.code, r.message) for r in exc.recipients}
        if all(_is_permanent(r.code) for r in exc.recipients):
            return refusals
        return None
    if isinstance(exc, aiosmtplib.SMTPResponseException) and _is_permanent(exc.code):
        return {r: _answer(exc.code, exc.message) for r in recipients}
    return None


async def deliver(smtp: SmtpConfig, msg: EmailMessage, recipients: list[str]) -> dict[str, str]:
    """Hand the message to the relay; the permanently refused recipients, if only some.

    Raises:
        Refused: when the message or every recipient is refused for good.
        aiosmtplib.SMTPException, OSError: transient trouble (Temporal retries).
    """
    try:
        errors, _ = await aiosmtplib.send(
            msg,
            recipients=recipients,
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password,
            start_tls=smtp.starttls and not smtp.use_tls,
            use_tls=smtp.use_tls,
            timeout=smtp.timeout,
            cert_bundle=smtp.ca_file,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        failed = _classify(exc, recipients)
        if failed is not None:
            raise Refused(failed) from exc
        raise
    return {r: _answer(resp.code, resp.message) for r, resp in errors.items()}
