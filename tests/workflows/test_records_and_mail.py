"""The written record and the emails of one disagreement, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from models.decisions import Confirmed, Resolved
from tests.workflows.support import at, email_of, jump_to, patch_ids, running, start_payload
from workflows.patches import RECORD_BETWEEN_STEPS

RAISED = at("2030-06-10T10:00:00+01:00")  # Monday


async def test_rows_written_once_for_a_resolved_case(env, any_db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, any_db, mail) as h:
        payload = start_payload(RAISED, disagreement_arose_at="2030-06-05T09:00:00+01:00")
        wid = await h.client.open(payload)
        await h.sleep_until(at("2030-06-11T10:00:00+01:00"))
        await h.client.resolve(
            wid,
            Resolved(by="B. Social Worker", outcome="S47 opened", outstanding="Review in 4 weeks"),
        )
        await h.client.confirm(wid, Confirmed(by="B. Social Worker", text="Letter of 11 June"))
        final = await h.client.handle(wid).result()
        assert final.raised_late is True  # 3 working days after the disagreement arose
        assert final.raise_due_at == at("2030-06-07T17:00:00+01:00")

        rows = await h.rows(
            "SELECT case_reference, procedure, state, raised_late FROM disagreements "
            "WHERE workflow_id = :w",
            w=wid,
        )
        assert [tuple(r) for r in rows] == [
            (payload["case_reference"], "redbridge-2017", "closed", True)
        ]
        steps = await h.rows(
            "SELECT kind, stage_id, actor, text FROM steps WHERE workflow_id = :w ORDER BY key",
            w=wid,
        )
        assert [tuple(s) for s in steps] == [
            ("opened", None, payload["raising_agency"], payload["nature"]),
            (
                "stage_entered",
                "practitioners",
                None,
                "Stage 1: practitioner and decision maker: 5 working days (Redbridge LSCB Resolution "
                'and Escalation Policy (3rd edition, May 2017), Flowchart, stage 1: "Mutually '
                "agreeable way forward sought between practitioners to resolve the issues within "
                '5 working days")',
            ),
            ("decision", "practitioners", "B. Social Worker", "S47 opened"),
            ("stage_left", "practitioners", "B. Social Worker", "S47 opened"),
            ("confirmation_due", "practitioners", "receiving.practitioner", None),
            ("confirmed", "practitioners", "B. Social Worker", "Letter of 11 June"),
            ("closed", "practitioners", None, "S47 opened"),
        ]
        sent = await h.rows(
            "SELECT kind, status FROM notifications WHERE workflow_id = :w ORDER BY key", w=wid
        )
        assert [tuple(s) for s in sent] == [
            ("stage_entered", "sent"),
            ("resolved", "sent"),
            ("closed", "sent"),
        ]
        assert len(mail.messages) == 3


async def test_stage_email_reminders_and_subjects(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        payload = start_payload(RAISED)
        case = payload["case_reference"]
        wid = await h.client.open(payload)
        await h.sleep_until(at("2030-06-17T12:00:00+01:00"))
        messages = await mail.wait_for(5)
        subjects = [m["Subject"] for m in messages]
        assert subjects[0] == (
            f"[{case}] Stage 1: practitioner and decision maker: action needed by "
            "Monday 17 June 2030, 17:00 (UTC+01:00)"
        )
        first = messages[0]
        assert email_of("raising.practitioner") in first["To"]
        assert email_of("receiving.practitioner") in first["To"]
        assert first["Cc"] is None
        body = first.get_body(preferencelist=("plain",)).get_content()
        assert "First contact with the raising professional by Thursday 13 June 2030, 17:00" in body
        assert payload["nature"] in body
        reminders = [m for m in messages if "Reminder: Stage 1" in m["Subject"]]
        assert len(reminders) == 2
        # The first contact milestone: reminded on its last day, then missed and told.
        [milestone] = [m for m in messages if "Reminder: First contact" in m["Subject"]]
        [missed] = [m for m in messages if "] Missed: First contact" in m["Subject"]]
        assert milestone["To"] == first["To"] and "Thursday 13 June" in missed["Subject"]
        status = await h.status(wid)
        assert status.current_stage == "practitioners"
        kinds = await h.step_kinds(wid)
        assert kinds.count("reminder") == 2 and kinds.count("milestone_missed") == 1
        # No email names a child: only the case reference identifies the case.
        assert all(m["Subject"].startswith(f"[{case}] ") for m in messages)


async def test_a_new_case_opens_in_one_record_write(env, db, mail) -> None:
    """The row, 'opened' and 'stage_entered' go in one activity: a case opens in one write."""
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await h.sleep_until(at("2030-06-10T11:00:00+01:00"))
        history = await h.client.handle(wid).fetch_history()
        steps = await h.rows(
            "SELECT kind, stage_id FROM steps WHERE workflow_id = :w ORDER BY key", w=wid
        )
        opened = await h.rows("SELECT state FROM disagreements WHERE workflow_id = :w", w=wid)

    scheduled = [
        e.activity_task_scheduled_event_attributes
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert [a.activity_type.name for a in scheduled] == [
        "load_pack",
        "send_notification",
        "record_steps",
    ]
    batch = json.loads(scheduled[-1].input.payloads[0].data)
    assert batch["disagreement"]["workflow_id"] == wid
    assert [s["kind"] for s in batch["steps"]] == ["opened", "stage_entered"]
    assert [tuple(s) for s in steps] == [("opened", None), ("stage_entered", "practitioners")]
    assert [tuple(r) for r in opened] == [("open",)]


async def test_an_escalation_by_deadline_is_one_record_write(env, db, mail) -> None:
    """Leaving stage 1, its passed deadline and entering stage 2 go in one activity (the
    recorder waits for the step, not only for the next stage's deadline plan)."""
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(start_payload(RAISED))
        await h.sleep_until(at("2030-06-17T18:00:00+01:00"))  # stage 1 was due at 17:00
        assert (await h.status(wid)).current_stage == "line_managers"
        history = await h.client.handle(wid).fetch_history()

    batches = [
        [s["kind"] for s in json.loads(a.input.payloads[0].data)["steps"]]
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
        and (a := e.activity_task_scheduled_event_attributes).activity_type.name == "record_steps"
    ]
    assert ["stage_left", "deadline_passed", "stage_entered"] in batches
    assert ["stage_entered"] not in batches[1:]  # only the case's opening write has it alone
    assert patch_ids(history) == [RECORD_BETWEEN_STEPS]
