"""Stopped cases in the record (migration 0005), on SQLite and PostgreSQL.

A case is marked stopped once, only from an open state, with its step in the
same transaction; the email is "untold" until its outbox row is out; the CHECK
constraint still refuses a state nobody defined.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from records.schema import (
    AlertStep,
    Disagreement,
    OutboxNotification,
    PracticeAlertRow,
    Step,
)
from records.stopped import CaseRef, StoppedCases, stopped_key

AT = datetime(2026, 12, 1, 19, 50, tzinfo=UTC)
REASON = "TERMINATED: GrpcMessageTooLarge (by history-service)"


def _disagreement(wid: str, case: str, state: str = "open") -> Disagreement:
    return Disagreement(
        workflow_id=wid,
        case_reference=case,
        procedure="redbridge-2017",
        ladder="individual",
        partnership="Redbridge Local Safeguarding Children Board",
        raising_agency="School",
        receiving_agency="Children's social care",
        nature="threshold",
        risk_to_child="-",
        aim="-",
        raised_at=AT,
        state=state,
        current_stage="line_managers",
    )


def _alert(wid: str, case: str) -> PracticeAlertRow:
    return PracticeAlertRow(
        workflow_id=wid,
        case_reference=case,
        procedure="rutland",
        reason_code="statutory_visit_late",
        reason_title="Statutory visit",
        description="-",
        agreed_action="-",
        raised_by="IRO",
        raised_by_email="iro@rutland.example.org",
        raised_at=AT,
        start_stage="team_manager",
        state="awaiting_finalisation",
        current_stage="team_manager",
    )


async def test_a_case_is_marked_stopped_once_with_its_step(
    any_db: async_sessionmaker[AsyncSession],
) -> None:
    run = uuid.uuid4().hex[:8]
    case = f"CR-{run}"
    ids = {n: f"disagreement-{case}-{n}" for n in ("open", "closed")}
    alert_id = f"alert-{case}-a1"
    async with any_db() as session, session.begin():
        session.add_all(
            [
                _disagreement(ids["open"], case),
                _disagreement(ids["closed"], case, "closed"),
                _alert(alert_id, case),
            ]
        )
    store = StoppedCases(any_db)
    mine = {c.workflow_id: c for c in await store.open_cases() if c.case_reference == case}
    assert set(mine) == {ids["open"], alert_id}
    assert mine[ids["open"]].partnership == "Redbridge Local Safeguarding Children Board"
    assert mine[alert_id] == CaseRef(
        "PracticeAlert", alert_id, case, "rutland", "team_manager", None
    )

    data = {"status": "TERMINATED", "run_id": "r1"}
    assert await store.mark_stopped(mine[ids["open"]], AT, REASON, data) is True
    assert await store.mark_stopped(mine[ids["open"]], AT, "again", data) is False
    assert await store.mark_stopped(mine[alert_id], AT, REASON, data) is True
    closed = CaseRef("Disagreement", ids["closed"], case, "redbridge-2017", None, None)
    assert await store.mark_stopped(closed, AT, REASON, data) is False

    async with any_db() as session:
        row = await session.scalar(
            select(Disagreement).where(Disagreement.workflow_id == ids["open"])
        )
        assert row is not None
        assert (row.state, row.stop_reason, row.stopped_at) == ("stopped", REASON, AT)
        steps = list(await session.scalars(select(Step).where(Step.workflow_id == ids["open"])))
        assert [(s.key, s.kind, s.text, s.stage_id, s.data) for s in steps] == [
            (stopped_key(ids["open"]), "stopped", REASON, "line_managers", data)
        ]
        alert_steps = list(
            await session.scalars(select(AlertStep).where(AlertStep.workflow_id == alert_id))
        )
        assert [(s.kind, s.text) for s in alert_steps] == [("stopped", REASON)]
        still = await session.scalar(
            select(Disagreement.state).where(Disagreement.workflow_id == ids["closed"])
        )
        assert still == "closed"
    assert ids["open"] not in {c.workflow_id for c in await store.open_cases()}

    untold = {r.case.workflow_id for r in await store.stopped(untold_only=True)}
    assert {ids["open"], alert_id} <= untold
    listed = [r for r in await store.stopped("redbridge-2017", "line_managers")]
    assert [(r.reason, r.stopped_at) for r in listed if r.case.case_reference == case] == [
        (REASON, AT)
    ]
    async with any_db() as session, session.begin():
        for wid, status in ((ids["open"], "sent"), (alert_id, "pending")):
            session.add(
                OutboxNotification(
                    key=stopped_key(wid),
                    workflow_id=wid,
                    case_reference=case,
                    kind="case_stopped",
                    subject="-",
                    status=status,
                )
            )
    untold = {r.case.workflow_id for r in await store.stopped(untold_only=True)}
    assert ids["open"] not in untold and alert_id in untold


async def test_the_state_check_still_refuses_unknown_states(
    any_db: async_sessionmaker[AsyncSession],
) -> None:
    wid = f"disagreement-CR-{uuid.uuid4().hex[:8]}-d1"
    async with any_db() as session, session.begin():
        session.add(_disagreement(wid, wid.split("-", 1)[1]))
    with pytest.raises(IntegrityError):
        async with any_db() as session, session.begin():
            await session.execute(
                update(Disagreement).where(Disagreement.workflow_id == wid).values(state="bogus")
            )
    async with any_db() as session:
        assert (
            await session.execute(
                text("SELECT state FROM disagreements WHERE workflow_id = :w"), {"w": wid}
            )
        ).scalar_one() == "open"


async def test_a_write_in_flight_from_a_stopped_case_does_not_reopen_it(
    any_db: async_sessionmaker[AsyncSession],
) -> None:
    """Reconcile marked the case while its last run's record write was still retrying."""
    from activities.records import RecordActivities
    from models.records import StepRecord

    wid = f"disagreement-CR-{uuid.uuid4().hex[:8]}9-d1"
    async with any_db() as session, session.begin():
        session.add(_disagreement(wid, f"CR-{uuid.uuid4().hex[:8]}9", state="stopped"))
    late = StepRecord(
        key=f"{wid}/step-0009",
        workflow_id=wid,
        case_reference="CR-19",
        kind="stage_entered",
        at=AT,
        stage_id="senior_managers",
        state="open",
        current_stage="senior_managers",
    )
    await RecordActivities(any_db).record_step(late)
    async with any_db() as session:
        state, stage = (
            await session.execute(
                select(Disagreement.state, Disagreement.current_stage).where(
                    Disagreement.workflow_id == wid
                )
            )
        ).one()
        steps = (await session.execute(select(Step.key).where(Step.workflow_id == wid))).all()
    assert (state, stage) == ("stopped", "line_managers")
    assert [s[0] for s in steps] == [late.key]  # the step itself is still recorded
