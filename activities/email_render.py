"""Render a notification as an email: plain text and HTML, case reference in the subject.

Pure (no I/O) so it is tested on its own. The subject carries the case
reference and a headline only, never anything that could name a child.
"""

from __future__ import annotations

import hashlib
import html
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr
from zoneinfo import ZoneInfo

from models.notifications import Notification


def message_id(key: str, mail_from: str) -> str:
    """A stable Message-ID per notification, so a duplicate delivery is recognisable."""
    domain = mail_from.rsplit("@", 1)[-1] or "escalation.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def deadline_text(due: datetime, zone: str) -> str:
    """E.g. 'Wednesday 30 December 2026, 17:00 GMT' in the partnership's zone."""
    local = due.astimezone(ZoneInfo(zone))
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} {local.tzname()}"


def render(n: Notification, mail_from: str) -> EmailMessage:
    """Build the message for one notification."""
    msg = EmailMessage()
    msg["Subject"] = f"[{n.case_reference}] {n.headline}"
    msg["From"] = mail_from
    msg["To"] = ", ".join(formataddr((p.name, p.email)) for p in n.to)
    if n.cc:
        msg["Cc"] = ", ".join(formataddr((p.name, p.email)) for p in n.cc)
    msg["Message-ID"] = message_id(n.key, mail_from)
    msg["X-Escalation-Case"] = n.case_reference
    msg["X-Escalation-Key"] = n.key
    lines = list(n.lines)
    if n.due_at is not None:
        lines.append(f"Deadline: {deadline_text(n.due_at, n.timezone)}.")
    footer = f"{n.procedure_title} — {n.partnership}. Case reference {n.case_reference}."
    msg.set_content("\n\n".join([*lines, footer]) + "\n")
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    msg.add_alternative(
        f"<!doctype html><html><body>{paragraphs}"
        f"<hr><p><small>{html.escape(footer)}</small></p></body></html>",
        subtype="html",
    )
    return msg
