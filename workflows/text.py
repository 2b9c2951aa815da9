"""Pure wording helpers for notifications and the record.

Deterministic string building only (safe in workflow code). Times are shown in
the local time the deadline was computed in, with its UTC offset, because a
deadline means close of business where the partnership works.
"""

from __future__ import annotations

from datetime import date, datetime


def local_text(moment: datetime) -> str:
    """E.g. 'Wednesday 30 December 2026, 17:00 (UTC+00:00)'."""
    offset = moment.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else "local time"
    return f"{moment.strftime('%A')} {moment.day} {moment.strftime('%B %Y, %H:%M')} ({zone})"


def local_date(day: date) -> str:
    """E.g. 'Monday 4 January 2027'."""
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


def stage_number(index: int, total: int) -> str:
    """E.g. 'stage 2 of 4'."""
    return f"stage {index + 1} of {total}"


def truncate(text: str, limit: int = 500) -> str:
    """Keep rejected payloads readable and small in history and the record."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def interim_position(conference_kind: str | None, pack_text: str | None) -> str:
    """The child's position while an equally divided conference is adjourned.

    Both North Lincolnshire seeds: the child keeps the child protection plan, or after an
    initial conference is made subject of one pending the reconvened meeting. When the
    start payload names the conference, the sentence says which; otherwise the pack's
    wording (or the general rule) is used.
    """
    if conference_kind == "initial":
        return (
            "Initial conference equally divided: the child is made subject of a child "
            "protection plan pending the reconvened conference."
        )
    if conference_kind == "review":
        return (
            "Review conference equally divided: the child continues to have a child "
            "protection plan pending the reconvened conference."
        )
    return pack_text or (
        "The child continues to have (or, after an initial conference, is made subject of) "
        "a child protection plan pending the reconvened conference."
    )


def reports_lines(kind: str, conference_at: datetime, due_at: datetime, days: int) -> list[str]:
    """Body of the 'conference reports due' email and its reminder."""
    return [
        f"Reports for the {kind} child protection conference on {local_text(conference_at)} "
        f"are due {days} working day(s) before it: by {local_text(due_at)}.",
        "Share your agency's report with the conference chair and the family in time.",
    ]
