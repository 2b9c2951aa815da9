"""A real SMTP server that keeps every message it receives.

Used by ``escalation dev`` as the local mail catcher (messages are written to a
Maildir so they survive restarts and can be opened with any mail reader) and by
the tests, which read ``SmtpSink.messages``. It can be told to answer with SMTP
errors, so tests can prove how the product behaves against a flaky relay.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import mailbox
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

log = logging.getLogger(__name__)


@dataclass
class Faults:
    """SMTP errors to answer with, for tests."""

    transient_failures: int = 0
    """How many DATA commands to answer with 451 before accepting."""
    refused_recipients: set[str] = field(default_factory=set)
    """Recipients answered with 550 at RCPT TO."""
    permanent_failure: bool = False
    """Answer every DATA command with 554."""
    transient_recipients: set[str] = field(default_factory=set)
    """Recipients answered with 450 (mailbox busy) at RCPT TO: a transient refusal."""


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in {r.lower() for r in self._sink.faults.refused_recipients}:
            return "550 5.1.1 Recipient address rejected: user unknown"
        if address.lower() in {r.lower() for r in self._sink.faults.transient_recipients}:
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        faults = self._sink.faults
        if faults.permanent_failure:
            return "554 5.7.1 Message refused"
        if faults.transient_failures > 0:
            faults.transient_failures -= 1
            self._sink.transient_refusals += 1
            return "451 4.3.0 Try again later"
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        login = session.auth_data.login.decode() if session.auth_data is not None else None
        self._sink.accept(
            raw,
            list(envelope.rcpt_tos),
            str(envelope.mail_from),
            tls=session.ssl is not None,
            login=login,
        )
        return "250 Message accepted for delivery"


class _Authenticator:
    """Checks AUTH PLAIN/LOGIN against the sink's credentials (a real relay's behaviour)."""

    def __init__(self, credentials: dict[str, str]) -> None:
        self._credentials = credentials

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        ok = self._credentials.get(login) == password
        # handled=False: aiosmtpd answers a failure with 535 itself.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def _free_port(host: str) -> int:
    """A currently free TCP port (aiosmtpd's controller cannot listen on port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class ReceivedMail:
    """A message as the sink received it."""

    message: EmailMessage
    rcpt_tos: list[str]
    mail_from: str
    tls: bool = False
    """Whether the session had been upgraded with STARTTLS."""
    login: str | None = None
    """Who authenticated, if anybody."""


class SmtpSink:
    """An aiosmtpd server on loopback that stores what it receives.

    Args:
        host: Interface to listen on (loopback by default).
        port: TCP port; 0 picks a free one.
        maildir: If given, every accepted message is also written there.
        tls_context: Offer STARTTLS with this server context (and require it).
        credentials: Require AUTH with one of these login → password pairs (after STARTTLS).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        maildir: Path | None = None,
        *,
        tls_context: ssl.SSLContext | None = None,
        credentials: dict[str, str] | None = None,
    ) -> None:
        self.host = host
        self._tls_context = tls_context
        self._credentials = credentials
        self._requested_port = port
        self.maildir = maildir
        self.faults = Faults()
        self.received: list[ReceivedMail] = []
        self.transient_refusals = 0
        self._controller: Controller | None = None
        self._box: mailbox.Maildir | None = None

    @property
    def port(self) -> int:
        """The port actually listened on."""
        if self._controller is None:
            raise RuntimeError("sink not started")
        return int(self._controller.port)

    @property
    def messages(self) -> list[EmailMessage]:
        """The accepted messages, oldest first."""
        return [r.message for r in self.received]

    def accept(
        self,
        raw: bytes,
        rcpt_tos: list[str],
        mail_from: str,
        *,
        tls: bool = False,
        login: str | None = None,
    ) -> None:
        """Store one accepted message (called by the SMTP handler)."""
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.received.append(ReceivedMail(msg, rcpt_tos, mail_from, tls, login))
        if self._box is not None:
            # As a mail server does when it delivers into a mailbox: the envelope recipient,
            # which the headers do not give (each decider's own copy has the same To and Cc).
            delivered = b"".join(f"Delivered-To: {r}\r\n".encode() for r in rcpt_tos)
            self._box.add(delivered + raw)
        log.info("smtp sink accepted message %s for %s", msg.get("Message-ID"), rcpt_tos)

    def start(self) -> None:
        """Start listening (aiosmtpd runs its own loop in a thread)."""
        if self.maildir is not None:
            self.maildir.parent.mkdir(parents=True, exist_ok=True)
            self._box = mailbox.Maildir(self.maildir, create=True)
        port = self._requested_port or _free_port(self.host)
        options: dict[str, Any] = {}
        if self._tls_context is not None:
            options.update(tls_context=self._tls_context, require_starttls=True)
        if self._credentials is not None:
            options.update(
                authenticator=_Authenticator(self._credentials),
                auth_required=True,
                auth_require_tls=self._tls_context is not None,
            )
        self._controller = Controller(
            _Handler(self), hostname=self.host, port=port, ready_timeout=10, **options
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        """Forget received messages and faults (between tests)."""
        self.received.clear()
        self.faults = Faults()
        self.transient_refusals = 0

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:  # noqa: ASYNC109
        """Wait until at least ``count`` messages arrived (loopback delivery, not a timer)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.received) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"expected {count} messages, got {len(self.received)}")
            await asyncio.sleep(0.02)
        return self.messages

    async def wait_for_subject(self, text: str, timeout: float = 10.0) -> EmailMessage:  # noqa: ASYNC109
        """Wait for the first message whose subject contains ``text``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for msg in self.messages:
                if text in str(msg["Subject"]):
                    return msg
            if asyncio.get_running_loop().time() > deadline:
                subjects = [str(m["Subject"]) for m in self.messages]
                raise TimeoutError(f"no message with {text!r} in its subject; got {subjects}")
            await asyncio.sleep(0.02)


def serve_forever(host: str, port: int, maildir: Path) -> None:
    """Run the sink until interrupted (``escalation smtp-sink``)."""
    sink = SmtpSink(host, port, maildir)
    sink.start()
    log.info("SMTP sink listening on %s:%s, storing to %s", host, sink.port, maildir)
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()
