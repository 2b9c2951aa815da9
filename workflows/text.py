"""Pure wording helpers for notifications and the record.

Deterministic string building only (safe in workflow code). Times are shown in
the local time the deadline was computed in, with its UTC offset, because a
deadline means close of business where the partnership works.
"""

from __future__ import annotations

from datetime import datetime


def local_text(moment: datetime) -> str:
    """E.g. 'Wednesday 30 December 2026, 17:00 (UTC+00:00)'."""
    offset = moment.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else "local time"
    return f"{moment.strftime('%A')} {moment.day} {moment.strftime('%B %Y, %H:%M')} ({zone})"


def stage_number(index: int, total: int) -> str:
    """E.g. 'stage 2 of 4'."""
    return f"stage {index + 1} of {total}"


def truncate(text: str, limit: int = 500) -> str:
    """Keep rejected payloads readable and small in history and the record."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
