"""Rows shaped like the ones the record-writing activities write, for ``python -m bench.records``.

A benchmark of the records at scale is worth something only if the rows look like
real ones: the same keys (``{workflow id}/step-NNNN``, ``/mail-NNNN``), step kinds in
the order a Disagreement workflow records them, the typed rows ``records.derive``
derives from each step (decisions, confirmations, learning items), an outbox row for
each email, and the case row's state kept current as ``record_step`` keeps it. The
stories below follow a real run of ``tests/reporting/scenario.py`` (about 15 steps
and 12 emails a disagreement, 6 to 10 steps an alert), spread over the shipped
procedures and several quarters. Steps go through ``StepRecord`` / ``AlertStepRecord``
and ``derived_rows``, the write path's own models, so a row that the activities
would refuse cannot be generated here.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from models.alerts import AlertRecord, AlertStepRecord
from models.records import DisagreementRecord, StepRecord
from packs import load_pack
from records.derive import derived_rows

LONDON = ZoneInfo("Europe/London")
FIRST_DAY = datetime(2025, 1, 6, 9, 0, tzinfo=LONDON)
"""The oldest case is raised here; the newest some 23 months later (eight quarters)."""
SPAN = timedelta(days=690)
PROCEDURES = ("redbridge-2017", "sutton-2015", "north-lincolnshire-safe-2018", "rutland")
ALERT_PROCEDURE = "rutland"
PEOPLE = ("B. Social Worker", "D. Team Manager", "F. Service Manager", "H. Independent Chair")
NATURE = (
    "Referral refused: the school considers the threshold for a section 47 enquiry is met; the "
    "decision maker judged it a single-agency early help case."
)

STOP_REASON = "TERMINATED: closed by an operator (by admin@example.org)"

Rows = dict[str, list[dict[str, Any]]]
"""Table name → rows to insert, in the order a batch is written."""

TABLES = (
    "disagreements",
    "steps",
    "decisions",
    "confirmations",
    "learning_items",
    "notifications",
    "practice_alerts",
    "alert_steps",
)


def close_of_business(t: datetime, days: int) -> datetime:
    """``days`` days after ``t`` at 17:00 in England, as aware UTC (the product's deadlines)."""
    local = (t.astimezone(LONDON) + timedelta(days=days)).replace(hour=17, minute=0, second=0)
    return local.astimezone(UTC)


def _ladders() -> dict[str, list[tuple[str, list[str]]]]:
    """Each procedure's ladders and their stage ids, from the shipped packs."""
    found = {}
    for procedure in PROCEDURES:
        pack = load_pack(procedure, local=False)
        found[procedure] = [(ladder.id, [s.id for s in ladder.stages]) for ladder in pack.ladders]
    return found


@dataclass
class Story:
    """One workflow's rows being written in order, numbered as the workflow numbers them."""

    wid: str
    case: str
    rows: Rows
    seq: int = 0
    confirmation_due: datetime | None = None

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def step(self, kind: str, at: datetime, stage: str | None, **fields: Any) -> None:
        """A disagreement step, its typed rows (``derived_rows``) beside it."""
        record = StepRecord(
            key=f"{self.wid}/step-{self._next():04d}",
            workflow_id=self.wid,
            case_reference=self.case,
            kind=kind,
            at=at,
            stage_id=stage,
            **fields,
        )
        row = record.model_dump(exclude={"state", "current_stage"})
        self.rows["steps"].append({**row, "recorded_at": at})
        if kind == "confirmation_due":
            self.confirmation_due = record.due_at
        for table, typed in derived_rows(record, self.confirmation_due):
            self.rows[str(table.__tablename__)].append({**typed, "recorded_at": at})

    def stopped(self, at: datetime, stage: str) -> None:
        """The step ``records.stopped.StoppedCases.mark_stopped`` writes (no ``StepRecord``)."""
        self.rows["steps"].append(
            {
                "key": f"{self.wid}/stopped",
                "workflow_id": self.wid,
                "case_reference": self.case,
                "kind": "stopped",
                "at": at,
                "stage_id": stage,
                "actor": "Temporal",
                "text": STOP_REASON,
                "due_at": None,
                "data": {"status": "TERMINATED", "run_id": ""},
                "recorded_at": at,
            }
        )

    def mail(self, kind: str, at: datetime, subject: str, failed: bool = False) -> None:
        """An outbox row as ``send_notification`` leaves it once the relay answered."""
        key = f"{self.wid}/mail-{self._next():04d}"
        self.rows["notifications"].append(
            {
                "key": key,
                "workflow_id": self.wid,
                "case_reference": self.case,
                "kind": kind,
                "subject": f"[{self.case}] {subject}",
                "recipients": ["dsl@school.example.org", "cpat.duty@council.example.org"],
                "cc": ["head@school.example.org"] if kind != "reminder" else [],
                "message_id": f"<{hashlib.md5(key.encode()).hexdigest()}@lscb.example.org>",
                "status": "failed" if failed else "sent",
                "attempts": 1,
                "last_error": "550 5.1.1 mailbox unavailable" if failed else None,
                "created_at": at,
                "sent_at": None if failed else at,
                "unfilled_roles": None,
            }
        )


@dataclass
class Generator:
    """Deterministic cases (a seeded random): the same --cases give the same database."""

    cases: int
    alerts: int
    seed: int = 17
    ladders: dict[str, list[tuple[str, list[str]]]] = field(default_factory=_ladders)

    def case_reference(self, rnd: random.Random) -> str:
        """About one case in four has a second disagreement or an alert on the same case."""
        pool = max(1, int(self.cases * 0.8))
        return f"CR-{rnd.randrange(pool):07d}"

    def batches(self, size: int) -> Iterator[Rows]:
        """Every row, ``size`` workflows at a time (disagreements first, then alerts)."""
        rnd = random.Random(self.seed)
        rows = _empty()
        for n in range(self.cases):
            self.disagreement(n, rnd, rows)
            if (n + 1) % size == 0:
                yield rows
                rows = _empty()
        for n in range(self.alerts):
            self.alert(n, rnd, rows)
            if (n + 1) % size == 0:
                yield rows
                rows = _empty()
        if any(rows.values()):
            yield rows

    def raised(self, n: int, total: int, rnd: random.Random) -> datetime:
        """Spread evenly over the span, on a working-day morning."""
        t = FIRST_DAY + SPAN * (n / max(total, 1))
        t = t.replace(hour=rnd.choice((9, 10, 11, 14, 15)), minute=rnd.randrange(60))
        while t.weekday() >= 5:
            t += timedelta(days=1)
        return t.astimezone(UTC)

    def disagreement(self, n: int, rnd: random.Random, rows: Rows) -> None:
        """One disagreement's life: stages climbed, then resolved, confirmed and closed."""
        procedure = PROCEDURES[n % len(PROCEDURES)]
        ladder, stages = rnd.choice(self.ladders[procedure])
        case = self.case_reference(rnd)
        wid = f"disagreement-{case}-d{n}"
        raised = self.raised(n, self.cases, rnd)
        record = DisagreementRecord(
            workflow_id=wid,
            case_reference=case,
            procedure=procedure,
            ladder=ladder,
            partnership=procedure.replace("-", " ").title(),
            raising_agency="Primary School",
            receiving_agency="Children's Social Care",
            nature=NATURE,
            risk_to_child="Repeated unexplained bruising reported by staff.",
            aim="A strategy discussion and a section 47 enquiry.",
            raised_at=raised,
        )
        s = Story(wid, case, rows)
        rows["disagreements"].append(record.model_dump())
        s.step("opened", raised, None, actor="Primary School", text=NATURE)
        top = min(len(stages), 1 + sum(rnd.random() < 0.35 for _ in stages[1:]))
        now, state, stage = raised, "open", stages[0]
        horizon = FIRST_DAY.astimezone(UTC) + SPAN  # later than this has not happened yet
        for i, stage in enumerate(stages[:top]):
            due = close_of_business(now, 7)
            s.step("stage_entered", now, stage, due_at=due, text=stage, data={"ladder": ladder})
            s.mail("stage_entered", now, f"Stage {i + 1}: action needed")
            s.step("reminder", now + timedelta(days=3), stage, text="halfway", due_at=due)
            s.mail("reminder", now + timedelta(days=3), "Reminder")
            last = i == top - 1
            if now + timedelta(days=6) > horizon:
                break  # still at this stage: the case is open
            if not last and rnd.random() < 0.5:
                s.step("deadline_passed", due, stage, due_at=due)
                s.step(
                    "stage_left",
                    due,
                    stage,
                    text="the stage deadline passed",
                    data={"outcome": "timeout"},
                )
                s.mail("overdue", due, "Missed deadline", failed=rnd.random() < 0.02)
                now = due
                continue
            when = now + timedelta(days=rnd.randrange(1, 6), hours=2)
            who = rnd.choice(PEOPLE)
            outcome = "resolved" if last else "unresolved"
            extra = {"outstanding": ""} if last else {}
            s.step(
                "decision",
                when,
                stage,
                actor=who,
                text="Agreed a plan",
                data={"decision": outcome, **extra},
            )
            s.step(
                "stage_left",
                when,
                stage,
                actor=who,
                text="Agreed a plan",
                data={"outcome": outcome},
            )
            s.mail(outcome, when, f"{outcome.title()} at stage {i + 1}")
            now = when
            if last:
                state = self._confirm(s, stage, when, rnd)
        if state == "open" and rnd.random() < 0.01 and now < horizon:
            state = "stopped"
            s.stopped(now + timedelta(days=1), stage)
        row = rows["disagreements"][-1]
        row.update(state=state, current_stage=stage, created_at=raised, updated_at=now)
        if state == "stopped":
            row.update(stopped_at=now + timedelta(days=1), stop_reason=STOP_REASON)

    def _confirm(self, s: Story, stage: str, when: datetime, rnd: random.Random) -> str:
        due = close_of_business(when, 2)
        s.step("confirmation_due", when, stage, actor="receiving.line_manager", due_at=due)
        if rnd.random() < 0.08:
            return "resolved"  # the written confirmation is still awaited
        late = rnd.random() < 0.12
        if late:
            s.step("confirmation_late", due, stage, actor="receiving.line_manager", due_at=due)
        at = due + timedelta(hours=17) if late else when + timedelta(days=1)
        s.step(
            "confirmed",
            at,
            stage,
            actor="D. Team Manager",
            text="Letter",
            data={"late": "true" if late else "false"},
        )
        if rnd.random() < 0.05:
            s.step(
                "learning_item",
                at,
                stage,
                actor="H. Independent Chair",
                text="Thresholds training",
                data={"notify": "partnership.chair"},
            )
        s.step("closed", at, stage, text="Agreed a plan")
        s.mail("closed", at, "Disagreement closed")
        return "closed"

    def alert(self, n: int, rnd: random.Random, rows: Rows) -> None:
        """One practice alert: raised, answered (in time or late) or escalated, finalised."""
        case = self.case_reference(rnd)
        wid = f"alert-{case}-a{n}"
        raised = self.raised(n, self.alerts, rnd)
        reason = rnd.choice(("statutory_visit_late", "assessment_late", "core_group_not_held"))
        first = "team_manager"
        rows["practice_alerts"].append(
            AlertRecord(
                workflow_id=wid,
                case_reference=case,
                procedure=ALERT_PROCEDURE,
                reason_code=reason,
                reason_title=reason,
                description="Statutory visits have not taken place at least 4-weekly.",
                agreed_action="Visit within 5 working days; recorded on the child's file.",
                raised_by="J. Independent Reviewing Officer",
                raised_by_email="iro@rutland.example.org",
                raised_at=raised,
                start_stage=first,
                serious_or_urgent=False,
                current_stage=first,
            ).model_dump()
        )
        seq = 0

        def step(kind: str, at: datetime, stage: str, **fields: Any) -> None:
            nonlocal seq
            seq += 1
            record = AlertStepRecord(
                key=f"{wid}/step-{seq:04d}",
                workflow_id=wid,
                case_reference=case,
                kind=kind,
                at=at,
                stage_id=stage,
                **fields,
            )
            row = record.model_dump(exclude={"state", "current_stage"})
            rows["alert_steps"].append({**row, "recorded_at": at})

        step(
            "raised",
            raised,
            first,
            actor="J. Independent Reviewing Officer",
            data={"reason_code": reason, "serious_or_urgent": "false"},
        )
        stage, due = first, close_of_business(raised, 7)
        step("stage_entered", raised, stage, due_at=due, text="Stage 1: Team Manager")
        step("reminder", raised + timedelta(days=3), stage, text="halfway", due_at=due)
        state, finalised = "open", None
        if rnd.random() < 0.3:
            step("overdue", due, stage, in_time=False, due_at=due, text="did not respond")
            step(
                "not_satisfied",
                due + timedelta(hours=17),
                stage,
                actor="J. IRO",
                text="No response",
                data={"to_stage": "service_manager"},
            )
            stage, entered = "service_manager", due + timedelta(hours=17)
            due = close_of_business(entered, 7)
            step("stage_entered", entered, stage, due_at=due, text="Stage 2: Service Manager")
        answered = due - timedelta(days=rnd.randrange(0, 5), hours=3)
        if rnd.random() < 0.9:
            step(
                "response",
                answered,
                stage,
                actor="K. Manager",
                text="Visit booked",
                in_time=True,
                due_at=due,
            )
            state = "awaiting_finalisation"
            if rnd.random() < 0.9:
                finalised = answered + timedelta(days=1)
                step("finalised", finalised, stage, actor="J. IRO", text="Closed")
                state = "finalised"
        row = rows["practice_alerts"][-1]
        row.update(state=state, current_stage=stage, created_at=raised, updated_at=raised)
        row.update(finalised_at=finalised, finalised_by="J. IRO" if finalised else None)


def _empty() -> Rows:
    return {table: [] for table in TABLES}
