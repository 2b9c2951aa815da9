"""The mail relay: its settings, one delivery, and which SMTP answers are permanent.

Kept apart from the email activity so the classification (what Temporal may
retry, what is reported instead) reads on its own: connection trouble, 4xx and
rejected relay credentials are transient; a 5xx answer to the message or to
every recipient is permanent; a 5xx for some recipients only is a partial
delivery that must never be repeated for the others. Connections to the relay are kept
between messages (``RelayConnections``): at close of business a worker sends hundreds
of emails at once.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import time
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


async def deliver(
    smtp: SmtpConfig,
    msg: EmailMessage,
    recipients: list[str],
    relay: RelayConnections | None = None,
) -> dict[str, str]:
    """Hand the message to the relay; the permanently refused recipients, if only some.

    Through ``relay``'s kept connections if given, else on a connection of its own.

    Raises:
        Refused: when the message or every recipient is refused for good.
        aiosmtplib.SMTPException, OSError: transient trouble (Temporal retries).
    """
    try:
        if relay is not None:
            errors = await relay.send(msg, recipients)
        else:
            async with _client(smtp) as client:
                errors, _ = await client.send_message(msg, recipients=recipients)
    except (aiosmtplib.SMTPException, OSError) as exc:
        failed = _classify(exc, recipients)
        if failed is not None:
            raise Refused(failed) from exc
        raise
    return {r: _answer(resp.code, resp.message) for r, resp in errors.items()}


@functools.cache
def _local_hostname() -> str:
    """The name this worker gives in EHLO, looked up once.

    aiosmtplib otherwise calls ``socket.getfqdn()`` for every connection: a reverse
    DNS look-up per email, in a thread, seen in a profile of the worker at a burst.
    """
    return socket.getfqdn()


def _client(smtp: SmtpConfig) -> aiosmtplib.SMTP:
    """An unconnected client for the relay ``smtp`` describes."""
    return aiosmtplib.SMTP(
        hostname=smtp.host,
        port=smtp.port,
        username=smtp.username,
        password=smtp.password,
        start_tls=smtp.starttls and not smtp.use_tls,
        use_tls=smtp.use_tls,
        timeout=smtp.timeout,
        cert_bundle=smtp.ca_file,
        local_hostname=_local_hostname(),
    )


class RelayConnections:
    """Connections to the relay kept open between messages, so a burst does not pay for
    a connection per email.

    At close of business every case due that day sends its email at once; opening a
    connection per message (TCP, EHLO, STARTTLS and AUTH when configured, QUIT) cost
    more than the message. A connection is used by one message at a time; after a
    message it goes back to the pool (up to ``keep`` idle ones, each for at most
    ``idle_seconds``, well under a relay's idle timeout). A connection that raised
    anything is closed, never reused, so an error is handled exactly as before: the
    activity's retry opens a fresh one.
    """

    def __init__(self, smtp: SmtpConfig, keep: int = 8, idle_seconds: float = 20.0) -> None:
        self._smtp = smtp
        self._keep = keep
        self._idle_seconds = idle_seconds
        self._idle: list[tuple[float, aiosmtplib.SMTP]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def _take(self) -> aiosmtplib.SMTP | None:
        """The most recently used idle connection still open and fresh, if any.

        Connections belong to the event loop that opened them; in another loop (a
        test's next one) they are dropped, never used.
        """
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._idle, self._loop = [], loop
        now = time.monotonic()
        while self._idle:
            since, client = self._idle.pop()
            if client.is_connected and now - since < self._idle_seconds:
                return client
            client.close()
        return None

    async def send(
        self, msg: EmailMessage, recipients: list[str]
    ) -> dict[str, aiosmtplib.SMTPResponse]:
        """Send ``msg``; the recipients the relay refused (if only some).

        Raises:
            aiosmtplib.SMTPException, OSError: as ``aiosmtplib.send`` would.
        """
        client = self._take()
        try:
            if client is None:
                client = _client(self._smtp)
                await client.connect()
            errors, _ = await client.send_message(msg, recipients=recipients)
        except BaseException:
            if client is not None:
                client.close()
            raise
        self._idle.append((time.monotonic(), client))
        while len(self._idle) > self._keep:
            _, oldest = self._idle.pop(0)
            oldest.close()
        return errors
