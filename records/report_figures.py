"""The quarterly report's figures: the quarter, and per procedure what was counted in it.

Per procedure (a stage title means something only inside its own procedure, so
two procedures' "Stage 1" are never added up or set side by side): disagreements
and practice alerts opened and closed in the quarter, open and overdue at its
end, the stage at which disagreements were resolved, alert themes by reason code,
how each stage stood against its deadlines (resolved in time, escalated before
its deadline, deadline passed: ``records.derive.stage_verdict``, as the record
says it), written confirmations in time and late, and the median number of
working days to resolution (counted on the procedure's own calendar, as its
deadlines were). The counting, from the database, is ``records.report``.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
REPORT_ZONE = "Europe/London"


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter, bounded at local midnight in England."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``'2026Q4'`` → Quarter(2026, 4); anything else is refused with the reason."""
        match = QUARTER.match(text.strip())
        if match is None:
            raise ValueError(
                f"--quarter: {text!r} is not a quarter; write the year and Q1-Q4, e.g. 2026Q4"
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def next_first_day(self) -> date:
        return (
            date(self.year + 1, 1, 1)
            if self.number == 4
            else date(self.year, 3 * self.number + 1, 1)
        )

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes."""
        tz = ZoneInfo(REPORT_ZONE)
        start = datetime.combine(self.first_day, datetime.min.time(), tz)
        end = datetime.combine(self.next_first_day, datetime.min.time(), tz)
        return start, end


@dataclass(frozen=True, order=True)
class StageRow:
    """A stage as the report counts it: where it sits in its pack, its ladder, its title.

    Ordered by position, so rows print in ladder order; unknown stages sort last.
    """

    position: tuple[int, int]
    ladder: str
    title: str


@dataclass
class ProcedureFigures:
    """One procedure's figures for the quarter."""

    procedure: str
    title: str
    alerts_apply: bool = False
    """The procedure has practice alerts (its report shows their section even when empty)."""
    opened: int = 0
    closed: int = 0
    open_at_end: int = 0
    overdue_at_end: int = 0
    resolved_at: Counter[StageRow] = field(default_factory=Counter)
    deadlines: dict[StageRow, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    """Per stage, how many deadlines due in the quarter ended each way (``DEADLINE_VERDICTS``)."""
    confirmations: Counter[str] = field(default_factory=Counter)
    """Written confirmations due in the quarter: ``in time`` and ``late``."""
    working_days_to_resolution: list[int] = field(default_factory=list)
    alerts_opened: int = 0
    alerts_closed: int = 0
    alerts_open_at_end: int = 0
    alerts_overdue_at_end: int = 0
    alert_themes: Counter[str] = field(default_factory=Counter)
    alert_deadlines: dict[StageRow, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    """Per alert stage, responses ``met`` and ``missed``."""

    def label(self, row: StageRow) -> str:
        """The stage's title, with its ladder's where this procedure's rows span ladders."""
        ladders = {r.ladder for r in (*self.resolved_at, *self.deadlines)}
        return row.title if len(ladders) <= 1 or not row.ladder else f"{row.ladder}: {row.title}"

    @property
    def heading(self) -> str:
        """E.g. 'Redbridge LSCB ... (redbridge-2017)'."""
        return f"{self.title} ({self.procedure})" if self.title != self.procedure else self.title

    @property
    def median_working_days(self) -> float | None:
        """Median working days from raising to resolution, or None if nothing was resolved."""
        if not self.working_days_to_resolution:
            return None
        return float(statistics.median(self.working_days_to_resolution))


@dataclass
class Figures:
    """The quarter's figures, one section per procedure, ready to print."""

    quarter: Quarter
    procedure: str | None
    procedures: dict[str, ProcedureFigures] = field(default_factory=dict)

    def section(self, procedure: str, title: str, alerts_apply: bool) -> ProcedureFigures:
        """The procedure's figures, started empty the first time it is met."""
        if procedure not in self.procedures:
            self.procedures[procedure] = ProcedureFigures(procedure, title, alerts_apply)
        return self.procedures[procedure]

    def sections(self) -> list[ProcedureFigures]:
        """Every procedure's figures, by title."""
        return sorted(self.procedures.values(), key=lambda p: (p.title, p.procedure))
