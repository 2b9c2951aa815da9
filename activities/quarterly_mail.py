"""The quarterly report as an email: the report's HTML as the body, the tracker attached.

Pure (no I/O): the send activity reads the figures and writes the practice alert
tracker (``records/tracker.py``, the quarter's alerts as an XLSX workbook, every
formula-like text neutralised) and hands both here. The body is the page
``escalation report --format html`` writes (``templates/report.html``, the one base
layout and stylesheet), with the plain-text report (``templates/report.txt``) as its
alternative.

Headers follow ``activities/email_render.py``: the subject is ``[Quarterly report
2026Q4] ...``, the Message-ID is derived from the outbox key (a retried send is
recognisably the same message), and the recipients are plain addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage

from activities.email_render import header_text, message_id, set_body, subject
from models.common import Person
from models.notifications import Notification
from records.report import Figures, Quarter
from records.report_render import render_html, render_text


@dataclass(frozen=True)
class Attachment:
    """One attached file."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ReportMail:
    """The rendered report: text and HTML alternatives, and the attachment."""

    text: str
    html: str
    attachment: Attachment


def period(quarter: Quarter) -> str:
    """E.g. '1 October to 31 December 2026'."""
    last = quarter.next_first_day - timedelta(days=1)
    return f"{quarter.first_day:%-d %B} to {last:%-d %B %Y}"


def report_mail(f: Figures, attached: Attachment) -> ReportMail:
    """The report's text and HTML page, and the attachment."""
    return ReportMail(render_text(f), render_html(f), attached)


def report_message(
    n: Notification, mail_from: str, to: list[Person], cc: list[Person], mail: ReportMail
) -> EmailMessage:
    """One message for everyone: text and HTML alternatives, then the attachment."""
    msg = EmailMessage()
    msg["Subject"] = subject(n.case_reference, n.headline)
    msg["From"] = mail_from
    msg["To"] = tuple(Address(addr_spec=p.email) for p in to)
    if cc:
        msg["Cc"] = tuple(Address(addr_spec=p.email) for p in cc)
    msg["Message-ID"] = message_id(n.key, mail_from)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Escalation-Case"] = header_text(n.case_reference)
    msg["X-Escalation-Key"] = header_text(n.key)
    msg["X-Escalation-Kind"] = header_text(n.kind)
    set_body(msg, mail.text, mail.html)
    maintype, _, subtype = mail.attachment.content_type.partition("/")
    msg.add_attachment(
        mail.attachment.data,
        maintype=maintype,
        subtype=subtype,
        filename=mail.attachment.filename,
    )
    return msg
