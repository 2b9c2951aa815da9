"""A retried activity writes once and sends once, on SQLite and PostgreSQL.

Each activity runs in Temporal's ActivityEnvironment against the real database
and the real SMTP sink; a second run with the same input is what Temporal does
when the first attempt's completion was lost.
"""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from activities.records import RecordActivities
from models.records import RecordBatch
from tests.activities.support import disagreement, new_case, notification, rows, smtp_for, step


async def test_open_record_and_record_step_twice_write_one_row_each(any_db) -> None:
    wid, case = new_case()
    acts, env = RecordActivities(any_db), ActivityEnvironment()
    for _ in range(2):
        await env.run(acts.open_record, disagreement(wid, case))
        await env.run(acts.record_step, step(wid, case, 1, state="open", current_stage="s1"))
        await env.run(
            acts.record_step,
            step(wid, case, 2, "decision", actor="B", text="done", data={"decision": "resolved"}),
        )
    assert await rows(
        any_db, "SELECT case_reference FROM disagreements WHERE workflow_id = :w", w=wid
    ) == [(case,)]
    assert await rows(
        any_db, "SELECT key, kind FROM steps WHERE workflow_id = :w ORDER BY key", w=wid
    ) == [
        (f"{wid}/step-0001", "stage_entered"),
        (f"{wid}/step-0002", "decision"),
    ]


async def test_a_batch_retried_writes_each_row_once_in_order(any_db) -> None:
    """The batch the workflow writes at opening (disagreement first, then its steps),
    retried after a partial earlier write, ends with one row each and the latest state."""
    wid, case = new_case()
    acts, env = RecordActivities(any_db), ActivityEnvironment()
    opened = disagreement(wid, case)
    first = step(wid, case, 1, "opened")
    later = [
        step(wid, case, 2, state="open", current_stage="s1"),
        step(wid, case, 3, "decision", actor="B", text="no", data={"decision": "unresolved"}),
        step(wid, case, 4, state="open", current_stage="s2"),
    ]
    await env.run(acts.record_steps, RecordBatch(disagreement=opened, steps=[first]))
    for _ in range(2):
        await env.run(acts.record_steps, RecordBatch(disagreement=opened, steps=[first, *later]))
    assert await rows(
        any_db, "SELECT key, kind FROM steps WHERE workflow_id = :w ORDER BY key", w=wid
    ) == [
        (f"{wid}/step-0001", "opened"),
        (f"{wid}/step-0002", "stage_entered"),
        (f"{wid}/step-0003", "decision"),
        (f"{wid}/step-0004", "stage_entered"),
    ]
    assert await rows(
        any_db, "SELECT state, current_stage FROM disagreements WHERE workflow_id = :w", w=wid
    ) == [("open", "s2")]
    assert await rows(
        any_db, "SELECT kind, actor FROM decisions WHERE workflow_id = :w", w=wid
    ) == [("unresolved", "B")]


async def test_send_notification_retried_sends_one_email(any_db, mail) -> None:
    wid, case = new_case()
    acts, env = EmailActivities(any_db, smtp_for(mail)), ActivityEnvironment()
    n = notification(wid, case)
    first = await env.run(acts.send_notification, n)
    second = await env.run(acts.send_notification, n)
    assert (first.status, second.status) == ("sent", "already_sent")
    assert first.message_id == second.message_id
    assert len(mail.messages) == 1
    assert await rows(
        any_db, "SELECT status, attempts FROM notifications WHERE workflow_id = :w", w=wid
    ) == [("sent", 1)]


async def test_transient_451_then_accept_sends_exactly_one_email(any_db, mail) -> None:
    wid, case = new_case()
    acts, env = EmailActivities(any_db, smtp_for(mail)), ActivityEnvironment()
    mail.faults.transient_failures = 1
    n = notification(wid, case)
    with pytest.raises(Exception) as raised:
        await env.run(acts.send_notification, n)
    assert not isinstance(raised.value, ApplicationError)  # retryable: Temporal tries again
    assert "451" in str(raised.value)
    assert await rows(
        any_db, "SELECT status, attempts FROM notifications WHERE workflow_id = :w", w=wid
    ) == [("pending", 1)]
    result = await env.run(acts.send_notification, n)
    assert result.status == "sent"
    assert (await env.run(acts.send_notification, n)).status == "already_sent"
    assert mail.transient_refusals == 1
    assert len(mail.messages) == 1
    assert await rows(
        any_db, "SELECT status, attempts FROM notifications WHERE workflow_id = :w", w=wid
    ) == [("sent", 2)]
    assert await rows(
        any_db, "SELECT last_error FROM notifications WHERE workflow_id = :w", w=wid
    ) == [(None,)]


@pytest.mark.parametrize("fault", ["permanent_554", "refused_recipient"])
async def test_permanent_refusal_is_recorded_and_not_retried(any_db, mail, fault) -> None:
    wid, case = new_case()
    acts, env = EmailActivities(any_db, smtp_for(mail)), ActivityEnvironment()
    n = notification(wid, case)
    if fault == "permanent_554":
        mail.faults.permanent_failure = True
    else:
        mail.faults.refused_recipients = {"sw@csc.example"}
    with pytest.raises(ApplicationError) as raised:
        await env.run(acts.send_notification, n)
    assert raised.value.type == "PermanentSmtpError"
    assert raised.value.non_retryable is True
    [(status, error)] = await rows(
        any_db, "SELECT status, last_error FROM notifications WHERE key = :k", k=n.key
    )
    assert status == "failed"
    assert ("554" if fault == "permanent_554" else "550") in error
    assert [m for m in mail.messages if m["X-Escalation-Key"] == n.key] == []
