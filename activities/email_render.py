"""Render a notification as an email: plain text and HTML from templates.

The bodies are ``templates/email.txt`` and ``templates/email.html`` (the pages' base
layout and stylesheet; every value escaped by the engine). Pure (no I/O beyond
reading the packaged templates once) so it is tested on its own. The subject
carries the case reference and a headline only, never anything that could name
a child; the Message-ID is derived from the notification's key, so a duplicate
delivery is recognisable as the same message.

Every header value passes through ``header_text``: a name or headline carrying a
line break or another control character (``\r\n Bcc: ...``, ``\x0b``, ``\x1c``)
must neither add a header nor make the email library refuse the message, so
those characters become spaces. Addresses are built as ``Address`` objects, never
by formatting strings, so a display name cannot smuggle in another address.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from activities.email_links import PersonalLink
from models.common import Person
from models.notifications import Notification
from templates import render as render_template


def message_id(key: str, mail_from: str) -> str:
    """A stable Message-ID per notification, so a duplicate delivery is recognisable."""
    domain = mail_from.rsplit("@", 1)[-1] or "escalation.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def recipient_key(key: str, email: str) -> str:
    """The key of ``email``'s own copy of notification ``key`` (its Message-ID seed)."""
    return f"{key}/to/{email.lower()}"


def deadline_text(due: datetime, zone: str) -> str:
    """E.g. 'Wednesday 30 December 2026, 17:00 GMT (Europe/London)': local time and zone."""
    local = due.astimezone(ZoneInfo(zone))
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} {local.tzname()} ({zone})"


UNSAFE_IN_HEADERS = frozenset({"Cc", "Cs", "Zl", "Zp"})
"""Unicode categories a header value must not carry: control characters (the email
library counts ``\x0b``, ``\x0c``, ``\x1c``-``\x1e``, ``\x85`` as line breaks and
refuses them), lone surrogates (unencodable) and the line and paragraph separators."""


def header_text(text: str) -> str:
    """``text`` safe in a header: unsafe characters become spaces, then one line.

    The people's names come from start payloads and the contact directory, which
    were once only length-checked; a name must never stop an email or add a header.
    """
    cleaned = "".join(" " if unicodedata.category(c) in UNSAFE_IN_HEADERS else c for c in text)
    return " ".join(cleaned.split())


def subject(case_reference: str, headline: str) -> str:
    """``[CASE-REF] headline`` on one line (a header cannot carry a line break)."""
    return header_text(f"[{case_reference}] {headline}")


def _addresses(people: list[Person]) -> tuple[Address, ...]:
    return tuple(Address(display_name=header_text(p.name), addr_spec=p.email) for p in people)


def _headers(
    msg: EmailMessage,
    n: Notification,
    to: list[Person],
    cc: list[Person],
    mail_from: str,
    link: PersonalLink | None,
) -> None:
    msg["Subject"] = subject(n.case_reference, n.headline)
    msg["From"] = mail_from
    if to:
        msg["To"] = _addresses(to)
    if cc:
        msg["Cc"] = _addresses(cc)
    seed = n.key if link is None else recipient_key(n.key, link.person.email)
    msg["Message-ID"] = message_id(seed, mail_from)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Escalation-Case"] = header_text(n.case_reference)
    msg["X-Escalation-Key"] = header_text(n.key)
    msg["X-Escalation-Kind"] = header_text(n.kind)


def render(
    n: Notification,
    mail_from: str,
    to: list[Person] | None = None,
    cc: list[Person] | None = None,
    link: PersonalLink | None = None,
) -> EmailMessage:
    """Build the message for one notification.

    Args:
        n: The notification.
        mail_from: The sender address (also the Message-ID's domain).
        to: The recipients, when the directory filled roles ``n`` left open (default ``n.to``).
        cc: Likewise for the copy list (default ``n.cc``).
        link: The one acting person's own decision link: the message is that person's
            copy (sent to them alone) and its Message-ID is derived from the key and
            their address, so each copy is stable and distinct.
    """
    to = n.to if to is None else to
    cc = n.cc if cc is None else cc
    msg = EmailMessage()
    _headers(msg, n, to, cc, mail_from, link)
    values = {
        "title": subject(n.case_reference, n.headline),
        "headline": " ".join(n.headline.split()),
        "case_reference": n.case_reference,
        "procedure_title": n.procedure_title,
        "key": n.key,
        "footer": f"{n.procedure_title} — {n.partnership}. Case reference {n.case_reference}.",
        "lines": n.lines,
        "deadline": deadline_text(n.due_at, n.timezone) if n.due_at is not None else None,
        "link": link,
    }
    msg.set_content(render_template("email.txt", **values))
    msg.add_alternative(render_template("email.html", **values), subtype="html")
    return msg


def failure_report(
    n: Notification,
    subject_line: str,
    failed: dict[str, str],
    delivered: list[str],
    business_manager: Person,
) -> Notification:
    """The notification telling the Business Manager an email was permanently refused.

    Its key is the failed notification's key plus ``/delivery-failed``, so a
    retried activity reports once, and its Message-ID is stable like any other.
    """
    text = render_template(
        "delivery_failed.txt",
        case_reference=n.case_reference,
        kind=n.kind,
        subject=subject_line,
        key=n.key,
        failed=", ".join(failed) or "(none)",
        delivered=", ".join(delivered) or "nobody",
        error="; ".join(sorted(set(failed.values()))) or "(no reason given)",
    )
    return Notification(
        key=f"{n.key}/delivery-failed",
        workflow_id=n.workflow_id,
        case_reference=n.case_reference,
        kind="delivery_failed",
        procedure_title=n.procedure_title,
        partnership=n.partnership,
        stage_title=n.stage_title,
        headline=f"Email not delivered: {n.kind}",
        lines=[p.strip().replace("\n", " ") for p in text.split("\n\n") if p.strip()],
        timezone=n.timezone,
        to=[business_manager],
    )
