"""Cases whose deadlines pass within seconds of real time, and the proof nothing was lost.

The dev server's clock is the real one, so a fault test cannot skip weeks. Each
case is therefore driven to a deadline a few seconds away, through the product's
own doors: opened now, taken up to stage 2 by an ``unresolve`` update, then its
stage 2 deadline brought forward by a ``shorten_timescale`` update with an
absolute ``due_at`` a few seconds ahead (the procedure allows any shorter
timescale that protects the child). When that timer fires the case must climb
to stage 3 by itself, entered at exactly the passed deadline; a fault is
injected around that moment.

"Nothing lost" is then checked from the outside, as a business manager would:
the case is at the right stage with the right deadlines, the record has every
step once (the idempotency keys the workflow hands out are contiguous, so a
missing row shows as a gap and a repeat as a duplicate), every email the outbox
lists arrived exactly once (by its ``X-Escalation-Key``), and the escalation row
was written no later than the fault allows.

The cases follow Redbridge by default; another procedure is one ``Procedure``
(its pack id and a start payload builder) passed to ``open_and_arm``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.decisions import ShortenTimescale, Unresolved
from models.pack import StageSpec
from packs import load_pack
from starter.sdk import EscalationClient
from starter.smtp_sink import SmtpSink
from tests.faults.stack import eventually
from tests.workflows.support import start_payload

OUTCOMES = ["unresolved", "timeout", None]
STEP_KINDS = [
    "opened",
    "stage_entered",
    "decision",
    "stage_left",
    "stage_entered",
    "deadline_changed",
    "stage_left",
    "deadline_passed",
    "stage_entered",
]
"""The record of one case, in key order (reminders, which depend on the hour, aside)."""


@dataclass(frozen=True)
class Procedure:
    """The procedure fault cases follow: a shipped pack and a start payload for it.

    Any pack whose default ladder has at least three stages, the second escalating
    at its deadline, fits; add one by giving its pack id and a payload builder.
    """

    pack_id: str
    payload: Callable[[datetime, str], dict[str, Any]]
    """(raised_at, case_reference) -> a valid start payload naming every role."""

    @property
    def stages(self) -> list[StageSpec]:
        """The first three stages of the pack's default ladder."""
        return load_pack(self.pack_id).ladder().stages[:3]

    @property
    def mail_headlines(self) -> list[str]:
        """What the four emails of a case's subjects start with, in order."""
        first, second, third = (s.title for s in self.stages)
        return [first, second, "Deadline brought forward", third]


REDBRIDGE = Procedure(
    "redbridge-2017", lambda raised, ref: start_payload(raised, case_reference=ref)
)


@dataclass
class Armed:
    """Cases waiting for a deadline ``due`` seconds away."""

    client: EscalationClient
    wids: list[str]
    due: datetime
    procedure: Procedure = REDBRIDGE

    @property
    def stage_ids(self) -> list[str]:
        """The three stages each case must have entered, in order."""
        return [s.id for s in self.procedure.stages]


async def open_and_arm(
    client: EscalationClient, n: int, due_in: float, procedure: Procedure = REDBRIDGE
) -> Armed:
    """Open ``n`` cases, take each to stage 2 and bring its deadline to ``due_in`` s from now."""
    now = datetime.now(UTC).replace(microsecond=0)
    tag = uuid.uuid4().hex[:8]
    wids = await asyncio.gather(
        *(
            client.open(procedure.payload(now - timedelta(minutes=1), f"CR-F{tag}-{i:03d}"))
            for i in range(n)
        )
    )
    await asyncio.gather(
        *(client.unresolve(w, Unresolved(by="A. Teacher", reason="no agreement")) for w in wids)
    )
    # Counted from now, not from the start: opening takes a while on a loaded machine.
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=due_in)
    await asyncio.gather(
        *(
            client.shorten(w, ShortenTimescale(by="D. Team Manager", reason="urgent", due_at=due))
            for w in wids
        )
    )
    return Armed(client, list(wids), due, procedure)


async def rows(db: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> list[Any]:
    """Rows of a query on the record database."""
    async with db() as session:
        return list((await session.execute(text(sql), params)).all())


async def recorded_kinds(db: async_sessionmaker[AsyncSession], wid: str) -> list[str]:
    """The step kinds written so far for one case, in key order, reminders aside."""
    found = await rows(db, "SELECT kind FROM steps WHERE workflow_id = :w ORDER BY key", w=wid)
    return [r[0] for r in found if r[0] != "reminder"]


async def wait_recorded(
    db: async_sessionmaker[AsyncSession],
    wids: list[str],
    upto: int,
    timeout: float = 20.0,
) -> None:
    """Wait until the first ``upto`` expected steps of every case are in the database."""

    async def check() -> None:
        for wid in wids:
            assert (await recorded_kinds(db, wid))[:upto] == STEP_KINDS[:upto], wid

    await eventually(check, timeout)


async def wait_mailed(sink: SmtpSink, wids: list[str], each: int, timeout: float = 20.0) -> None:
    """Wait until ``each`` emails of every case have arrived (nothing left in flight)."""

    async def check() -> None:
        for wid in wids:
            keys = [str(m["X-Escalation-Key"]) for m in sink.messages]
            assert len([k for k in keys if k.startswith(f"{wid}/")]) >= each, wid

    await eventually(check, timeout)


async def escalation_lateness(
    db: async_sessionmaker[AsyncSession], armed: Armed, wid: str
) -> float:
    """Seconds between the deadline and the stage 3 row's time (when the workflow acted)."""
    [(at,)] = await rows(
        db,
        "SELECT at FROM steps WHERE workflow_id = :w AND kind = 'stage_entered' AND stage_id = :s",
        w=wid,
        s=armed.stage_ids[2],
    )
    moment: datetime = at if at.tzinfo else at.replace(tzinfo=UTC)
    return (moment - armed.due).total_seconds()


async def assert_on_stage(armed: Armed) -> None:
    """Every case climbed to stage 3 at exactly its passed deadline, and waits there."""
    for wid in armed.wids:
        status = await armed.client.status(wid)
        seen = [(s.stage_id, s.outcome, s.entered_at, s.due_at) for s in status.stages]
        assert status.state == "open", (wid, seen)
        assert [s.stage_id for s in status.stages] == armed.stage_ids, (wid, armed.due, seen)
        assert [s.outcome for s in status.stages] == OUTCOMES, (wid, seen)
        assert status.stages[1].due_at == armed.due, (wid, armed.due, seen)
        assert status.stages[2].entered_at == armed.due, (wid, armed.due, seen)
        assert status.stages[2].due_at > armed.due + timedelta(days=1), (wid, seen)
        assert status.rejected_inputs == [], (wid, status.rejected_inputs)


async def assert_nothing_lost(
    armed: Armed,
    db: async_sessionmaker[AsyncSession],
    sink: SmtpSink,
    *,
    mail_status: str = "sent",
    timeout: float = 30.0,
    duplicates: Counter[str] | None = None,
) -> None:
    """Every case's rows and emails are there, each exactly once, and the case is at stage 3.

    With ``duplicates`` given, an email delivered more than once is counted there
    instead of failing (for a fault known to duplicate emails; see its test).
    """

    extra: Counter[str] = Counter()

    async def check() -> None:
        extra.clear()
        await assert_on_stage(armed)
        for wid in armed.wids:
            steps = await rows(
                db, "SELECT key, kind FROM steps WHERE workflow_id = :w ORDER BY key", w=wid
            )
            mails = await rows(
                db,
                "SELECT key, status, subject FROM notifications WHERE workflow_id = :w"
                " ORDER BY key",
                w=wid,
            )
            assert [k for _, k in steps if k != "reminder"] == STEP_KINDS, wid
            # A refused email's report to the Business Manager has a key of its own.
            reports = [m for m in mails if m[0].endswith("/delivery-failed")]
            mails = [m for m in mails if not m[0].endswith("/delivery-failed")]
            if mail_status == "failed":
                assert sorted(k for k, *_ in reports) == [
                    f"{k}/delivery-failed" for k, *_ in mails
                ], (wid, reports)
            else:
                assert reports == [], (wid, reports)
            # One counter hands out step and mail keys: together they have no gap.
            numbers = sorted(int(key.rsplit("-", 1)[1]) for key, *_ in [*steps, *mails])
            assert numbers == list(range(1, len(numbers) + 1)), (wid, numbers)
            subjects = [s for _, _, s in mails if "Reminder" not in s]
            headlines = armed.procedure.mail_headlines
            assert [any(h in s for s in subjects) for h in headlines] == [True] * 4, subjects
            assert {st for _, st, _ in mails} == {mail_status}, (wid, mails)
            received = Counter(
                str(m["X-Escalation-Key"])
                for m in sink.messages
                if str(m["X-Escalation-Key"]).startswith(f"{wid}/")
            )
            if mail_status == "sent":
                expected = Counter({key: 1 for key, *_ in mails})
                if duplicates is not None:
                    assert set(received) == set(expected), (wid, received, expected)
                    extra.update(received - expected)
                else:
                    assert received == expected, (wid, received - expected, expected - received)
            else:
                assert received == Counter(), wid
            [(state, stage)] = await rows(
                db,
                "SELECT state, current_stage FROM disagreements WHERE workflow_id = :w",
                w=wid,
            )
            assert (state, stage) == ("open", armed.stage_ids[2]), wid

    await eventually(check, timeout)
    if duplicates is not None:
        duplicates.update(extra)
