"""Practice alerts as the tracker and the briefing read them: titles, local time, stage visits.

Both read the database only, as the record and the report do. The titles come
from the alert's pack (its stage and reason code titles, its calendar's time
zone); an alert whose procedure is no longer shipped keeps the reason title
stored on its row and shows stage ids as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from models.pack import PolicyPack
from packs import PackError, UnknownProcedure, load_pack
from records.schema import AlertStep

DEFAULT_ZONE = "Europe/London"
STAGE_NUMBER = re.compile(r"^Stage \d+:\s*")

Verdict = Literal["in time", "late", "missed", "open", "moved on"]


def short_title(title: str) -> str:
    """'Stage 1: Team Manager' → 'Team Manager': how people name the level that responds."""
    return STAGE_NUMBER.sub("", title)


class AlertPacks:
    """Packs by procedure id, loaded once per export (the shipped documents' titles)."""

    def __init__(self) -> None:
        self._packs: dict[str, PolicyPack | None] = {}

    def pack(self, procedure: str) -> PolicyPack | None:
        """The procedure's pack, or None if it is no longer shipped or does not load."""
        if procedure not in self._packs:
            try:
                self._packs[procedure] = load_pack(procedure, local=False)
            except (UnknownProcedure, PackError):
                self._packs[procedure] = None
        return self._packs[procedure]

    def zone(self, procedure: str) -> ZoneInfo:
        """The time zone of the procedure's calendar (England's when unknown)."""
        pack = self.pack(procedure)
        return ZoneInfo(pack.calendar.timezone if pack else DEFAULT_ZONE)

    def stage_title(self, procedure: str, stage_id: str | None) -> str:
        """The alert stage's title in the pack, e.g. 'Stage 1: Team Manager'."""
        if stage_id is None:
            return ""
        pack = self.pack(procedure)
        spec = pack.practice_alerts if pack else None
        stages = spec.stages if spec else []
        return next((s.title for s in stages if s.id == stage_id), stage_id)

    def reason_title(self, procedure: str, code: str, stored: str) -> str:
        """The reason code's title in the pack (the theme), else the title stored when raised."""
        pack = self.pack(procedure)
        spec = pack.practice_alerts if pack else None
        codes = spec.reason_codes if spec else []
        return next((r.title for r in codes if r.code == code), stored or code)


@dataclass
class StageVisit:
    """One stage the alert entered: its deadline, its first response, when it moved on."""

    stage_id: str
    entered_at: datetime
    due_at: datetime | None
    responded_at: datetime | None = None
    response_in_time: bool | None = None
    deadline_missed: bool = False
    left_at: datetime | None = None

    def verdict(self, now: datetime) -> Verdict:
        """How the stage answered: in time, late, missed, still open, or moved on unanswered.

        A stage that did not respond before its deadline passed (while the alert was
        there) missed it, whether or not a missed-deadline step was recorded yet.
        """
        if self.responded_at is not None:
            return "in time" if self.response_in_time else "late"
        end = self.left_at or now
        if self.deadline_missed or (self.due_at is not None and end > self.due_at):
            return "missed"
        return "open" if self.left_at is None else "moved on"


def stage_visits(steps: list[AlertStep]) -> list[StageVisit]:
    """The stages an alert entered, in order, from its steps (in the order written)."""
    visits: list[StageVisit] = []

    def visit(stage_id: str | None) -> StageVisit | None:
        found = [v for v in visits if v.stage_id == stage_id]
        return found[-1] if found else (visits[-1] if visits else None)

    for step in steps:
        if step.kind == "stage_entered" and step.stage_id is not None:
            if visits and visits[-1].left_at is None:
                visits[-1].left_at = step.at
            visits.append(StageVisit(step.stage_id, step.at, step.due_at))
            continue
        current = visit(step.stage_id)
        if current is None:
            continue
        if step.kind == "response" and current.responded_at is None:
            current.responded_at, current.response_in_time = step.at, bool(step.in_time)
        elif step.kind in ("deadline_missed", "overdue"):
            current.deadline_missed = True
        elif step.kind == "deadline_changed" and step.due_at is not None:
            current.due_at = step.due_at
        elif step.kind == "finalised" and current.left_at is None:
            current.left_at = step.at
    return visits
