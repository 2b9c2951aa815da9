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
from datetime import UTC, datetime, tzinfo
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from activities.email_links import PersonalLink
from models.common import Person
from models.notifications import Notification
from records.schema import utcnow
from templates import render as render_template
from web.links import Action
from workflows.text import local_text


def sender_domain(mail_from: str) -> str:
    """The domain of the sender address, also when it carries a display name.

    ``escalations@lscb.example.org`` and ``LSCB <escalations@lscb.example.org>`` both
    give ``lscb.example.org``; an address without one gives ``escalation.invalid``.
    """
    _, at, domain = parseaddr(mail_from)[1].rpartition("@")
    return header_text(domain).replace(" ", "") if at and domain.strip() else "escalation.invalid"


def message_id(key: str, mail_from: str) -> str:
    """A stable Message-ID per notification, so a duplicate delivery is recognisable.

    The left part depends on ``key`` alone; the domain is the sender's, as RFC 5322
    recommends, so the ID is as stable as the configured sender address.
    """
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{sender_domain(mail_from)}>"


def local_zone(zone: str) -> tzinfo:
    """The partnership's time zone, or UTC when its name is unknown."""
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def date_header(sent_at: datetime, zone: str) -> str:
    """The ``Date:`` value (RFC 5322), with the partnership's local offset, e.g.
    'Mon, 17 Jun 2030 16:05:00 +0100'."""
    moment = sent_at if sent_at.tzinfo is not None else sent_at.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(local_zone(zone)).replace(microsecond=0))


def recipient_key(key: str, email: str) -> str:
    """The key of ``email``'s own copy of notification ``key`` (its Message-ID seed)."""
    return f"{key}/to/{email.lower()}"


def deadline_text(due: datetime, zone: str) -> str:
    """E.g. 'Monday 17 June 2030, 17:00 (UTC+01:00)': local time and offset, as in subjects."""
    return local_text(due.astimezone(local_zone(zone)))


LINK_LABEL: dict[Action, str] = {
    "decide": "Record your decision here",
    "confirm": "Record the written confirmation here",
    "respond": "Record your response here",
    "chair": "Record your decision here",
}
"""The first action line of a message carrying a personal link: the label, then the link."""

REPLY_PREFIX = "Reply with "
"""How the workflow's line asking for a decision begins ("Reply with 'resolved' ...")."""


def _instructions(lines: list[str], link: PersonalLink | None) -> tuple[list[str], str | None]:
    """The body lines and, with a link, the fallback sentence shown under it.

    The workflow asks for a decision with "Reply with 'resolved' ...". With a personal
    link the link is the instruction: that line moves under the link as the fallback
    (the sender address reads no replies), so the body gives one instruction.
    """
    if link is None:
        return lines, None
    kept = [line for line in lines if not line.startswith(REPLY_PREFIX)]
    asked = [line[len(REPLY_PREFIX) :] for line in lines if line.startswith(REPLY_PREFIX)]
    if not asked:
        return kept, None
    return kept, f"If you cannot use the link, tell the people named in this email {asked[0]}"


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


MAX_LINE_OCTETS = 998
"""RFC 5322's limit on a line of a message, without its CRLF."""


def body_encoding(text: str) -> str | None:
    """``8bit`` when every line fits a mail line, else None (the library's choice).

    The library's default for a long or non-ASCII line is quoted-printable, which
    breaks a decision link across soft line breaks for anyone reading the message
    raw (the dev mailbox, a helpdesk forwarding the source). 8bit keeps the link
    whole; a relay without 8BITMIME gets it re-encoded by aiosmtplib's 7-bit
    flattening, so nothing is lost there. A line too long for 8bit keeps the
    library's quoted-printable.
    """
    fits = all(len(line.encode("utf-8")) <= MAX_LINE_OCTETS for line in text.splitlines())
    return "8bit" if fits else None


def set_body(msg: EmailMessage, text: str, html: str) -> None:
    """The text part and its HTML alternative, each in the encoding that keeps links whole."""
    msg.set_content(text, cte=body_encoding(text))
    msg.add_alternative(html, subtype="html", cte=body_encoding(html))


def _addresses(people: list[Person]) -> tuple[Address, ...]:
    return tuple(Address(display_name=header_text(p.name), addr_spec=p.email) for p in people)


def _headers(
    msg: EmailMessage,
    n: Notification,
    to: list[Person],
    cc: list[Person],
    mail_from: str,
    link: PersonalLink | None,
    sent_at: datetime,
) -> None:
    msg["Subject"] = subject(n.case_reference, n.headline)
    msg["From"] = mail_from
    msg["Date"] = date_header(sent_at, n.timezone)
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
    sent_at: datetime | None = None,
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
        sent_at: The send time for the ``Date:`` header (default now), shown with the
            partnership's local offset.
    """
    to = n.to if to is None else to
    cc = n.cc if cc is None else cc
    msg = EmailMessage()
    _headers(msg, n, to, cc, mail_from, link, utcnow() if sent_at is None else sent_at)
    lines, fallback = _instructions(n.lines, link)
    values = {
        "title": subject(n.case_reference, n.headline),
        "headline": " ".join(n.headline.split()),
        "case_reference": n.case_reference,
        "procedure_title": n.procedure_title,
        "key": n.key,
        "footer": f"{n.procedure_title} — {n.partnership}. Case reference {n.case_reference}.",
        "lines": lines,
        "deadline": deadline_text(n.due_at, n.timezone) if n.due_at is not None else None,
        "link": link,
        "link_label": LINK_LABEL[link.action] if link is not None else None,
        "fallback": fallback,
    }
    set_body(msg, render_template("email.txt", **values), render_template("email.html", **values))
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
