"""record_step also writes decisions, confirmations and learning items: once, with its step."""

from __future__ import annotations

from datetime import datetime

from temporalio.testing import ActivityEnvironment

from activities.records import RecordActivities
from tests.activities.support import disagreement, new_case, rows, step

T = datetime.fromisoformat


async def test_typed_rows_follow_the_step_kind_and_are_written_once(any_db) -> None:
    wid, case = new_case()
    acts, env = RecordActivities(any_db), ActivityEnvironment()
    steps = [
        step(
            wid,
            case,
            1,
            "stage_entered",
            stage_id="practitioners",
            due_at=T("2026-12-30T17:00:00+00:00"),
        ),
        step(
            wid,
            case,
            2,
            "decision",
            stage_id="practitioners",
            actor="B. Social Worker",
            text="No S47",
            data={"decision": "unresolved"},
            at=T("2026-12-22T11:00:00+00:00"),
        ),
        step(
            wid, case, 3, "interim_position", stage_id="line_managers", text="Child stays on a plan"
        ),
        step(
            wid,
            case,
            4,
            "decision",
            stage_id="line_managers",
            text="initial conference",
            data={"step": "conference_reports_due"},
        ),
        step(
            wid, case, 5, "immediate_risk", stage_id="line_managers", text="immediate risk at start"
        ),
        step(
            wid,
            case,
            6,
            "deadline_changed",
            stage_id="line_managers",
            actor="D. Team Manager",
            text="Child moving school",
            due_at=T("2026-12-29T17:00:00+00:00"),
        ),
        step(
            wid,
            case,
            7,
            "decision",
            stage_id="line_managers",
            actor="D. Team Manager",
            text="Strategy discussion",
            data={"decision": "resolved", "outstanding": ""},
            at=T("2026-12-23T10:00:00+00:00"),
        ),
        step(
            wid,
            case,
            8,
            "confirmation_due",
            stage_id="line_managers",
            actor="receiving.line_manager",
            due_at=T("2026-12-29T17:00:00+00:00"),
            state="resolved",
        ),
        step(
            wid,
            case,
            9,
            "learning_item",
            stage_id="line_managers",
            actor="D. Team Manager",
            text="Strategy discussion",
            data={"step": "learning_item", "notify": "partnership.pathway_lead"},
        ),
        step(
            wid,
            case,
            10,
            "confirmed",
            stage_id="line_managers",
            actor="D. Team Manager",
            text="Letter of 24 December",
            data={"late": "false"},
            at=T("2026-12-24T09:30:00+00:00"),
        ),
    ]
    await env.run(acts.open_record, disagreement(wid, case))
    for _ in range(2):  # the second pass is Temporal retrying every activity
        for s in steps:
            await env.run(acts.record_step, s)

    assert await rows(
        any_db,
        "SELECT key, kind, stage_id, actor, text FROM decisions WHERE workflow_id = :w ORDER BY key",
        w=wid,
    ) == [
        (f"{wid}/step-0002", "unresolved", "practitioners", "B. Social Worker", "No S47"),
        (
            f"{wid}/step-0006",
            "shorten_timescale",
            "line_managers",
            "D. Team Manager",
            "Child moving school",
        ),
        (f"{wid}/step-0007", "resolved", "line_managers", "D. Team Manager", "Strategy discussion"),
    ]
    [(actor, text, at, due, late)] = await rows(
        any_db,
        "SELECT actor, text, at, due_at, late FROM confirmations WHERE workflow_id = :w",
        w=wid,
    )
    assert (actor, text, bool(late)) == ("D. Team Manager", "Letter of 24 December", False)
    assert str(due).startswith("2026-12-29 17:00:00")
    assert str(at).startswith("2026-12-24 09:30:00")
    assert await rows(
        any_db,
        "SELECT stage_id, actor, outcome, notify FROM learning_items WHERE workflow_id = :w",
        w=wid,
    ) == [("line_managers", "D. Team Manager", "Strategy discussion", "partnership.pathway_lead")]
    assert await rows(any_db, "SELECT COUNT(*) FROM steps WHERE workflow_id = :w", w=wid) == [(10,)]
    assert await rows(any_db, "SELECT state FROM disagreements WHERE workflow_id = :w", w=wid) == [
        ("resolved",)
    ]
