"""The PracticeAlert workflow on the time-skipping server, with real SMTP, SQLite and PostgreSQL.

Every path of a Rutland practice alert: a response in time then finalised; silence
up all six stages with every deadline to the minute; the chair starting at stage 3
or 4 when serious; refused starts (nothing started, no row, no email); finalisation
refused to others and before a response; malformed signals recorded while the alert
carries on.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.alerts import AlertActivities
from models.alerts import (
    AlertRecord,
    AlertRecordBatch,
    AlertResponse,
    AlertStepRecord,
    Finalise,
    NotSatisfied,
)
from packs import PACK_DIR as SHIPPED_PACKS
from records.schema import AlertStep, PracticeAlertRow
from starter.cli import main as cli_main
from starter.sdk import DecisionRefused, InvalidRequest
from tests.workflows.alert_support import (
    EXAMPLE,
    PACK_DIR,
    PROCEDURE,
    RAISER,
    TEAM_MANAGER,
    addresses,
    alert_payload,
    alerts_running,
    email_of,
)
from tests.workflows.stand_ins import send_notification as cut_off_every_attempt
from tests.workflows.support import at, jump_to, minute

RAISED = "2030-06-10T10:00:00+01:00"  # Monday, British Summer Time


async def test_response_in_time_then_finalised_by_the_raiser_only(env, any_db, mail) -> None:
    await jump_to(env, at(RAISED))
    async with alerts_running(env, any_db, mail) as h:
        payload = alert_payload(RAISED)
        wid = await h.client.raise_alert(payload)
        assert wid == f"alert-{payload['case_reference']}-a1"
        await jump_to(env, at("2030-06-10T10:05:00+01:00"))  # opened: validators now judge

        # Nothing to finalise before a response: refused (update) and recorded (signal).
        with pytest.raises(DecisionRefused, match="nothing to finalise yet: no response"):
            await h.client.finalise(wid, Finalise(by=RAISER, text="Closing"))
        await h.client.handle(wid).signal("finalised", {"by": RAISER, "text": "Closing"})
        # Malformed signals: recorded, the alert carries on.
        await h.client.handle(wid).signal("alert_response", {"by": "K. Team Manager"})
        await h.client.handle(wid).signal("alert_response", ["not", "an", "object"])

        await jump_to(env, at("2030-06-12T11:30:00+01:00"))
        receipt = await h.client.respond(
            wid,
            AlertResponse(
                by="K. Team Manager", text="Visit booked for Friday", stage="team_manager"
            ),
        )
        assert receipt is not None and receipt.state == "awaiting_finalisation"

        with pytest.raises(DecisionRefused, match="only the raising chair may finalise"):
            await h.client.finalise(wid, Finalise(by=TEAM_MANAGER, text="Done"))
        await h.client.handle(wid).signal("finalised", {"by": "K. Team Manager", "text": "x"})

        await jump_to(env, at("2030-06-13T09:00:00+01:00"))
        done = await h.client.finalise(wid, Finalise(by=RAISER.upper(), text="Visit seen; closed"))
        assert done is not None and done.state == "finalised"
        final = await h.client.handle(wid).result()

        with pytest.raises(DecisionRefused, match="is finalised; no further decisions"):
            await h.client.respond(wid, AlertResponse(by="K. Team Manager", text="More"))

    assert final.state == "finalised"
    assert final.alert_id == "a1"
    assert (final.reason_code, final.reason_title) == (
        "statutory_visit_late",
        "Statutory visit not undertaken within required timescale",
    )
    assert [(s.stage_id, s.entered_at, s.due_at, s.outcome) for s in final.stages] == [
        ("team_manager", at(RAISED), at("2030-06-17T17:00:00+01:00"), "finalised")
    ]
    assert minute(final.stages[0].responded_at) == at("2030-06-12T11:30:00+01:00")
    assert final.stages[0].response_in_time is True
    assert [(e.kind, e.stage, e.by, e.in_time) for e in final.case_note] == [
        ("alert", "team_manager", "J. Independent Reviewing Officer", None),
        ("response", "team_manager", "K. Team Manager", True),
        ("finalised", "team_manager", "J. Independent Reviewing Officer", None),
    ]
    assert final.case_note[0].text.startswith(
        "Reason: Statutory visit not undertaken within required timescale (statutory_visit_late)."
    )
    assert final.finalised_by == "J. Independent Reviewing Officer"
    assert [(r.name, r.error.split(":")[0]) for r in final.rejected_inputs] == [
        ("finalise", "nothing to finalise yet"),
        ("respond", "text"),
        ("respond", "payload"),
        ("finalise", "by"),
    ]
    assert "only the raising chair" in final.rejected_inputs[-1].error

    alert = await h.rows(
        "SELECT case_reference, procedure, reason_code, state, current_stage, start_stage, "
        "serious_or_urgent, finalised_by, raised_by_email FROM practice_alerts "
        "WHERE workflow_id = :w",
        w=wid,
    )
    assert alert == [
        (
            payload["case_reference"],
            PROCEDURE,
            "statutory_visit_late",
            "finalised",
            "team_manager",
            "team_manager",
            False,
            "J. Independent Reviewing Officer",
            RAISER,
        )
    ]
    assert await h.steps(wid) == [
        ("raised", "team_manager", None),
        ("stage_entered", "team_manager", None),
        ("rejected_input", "team_manager", None),
        ("rejected_input", "team_manager", None),
        ("rejected_input", "team_manager", None),
        ("response", "team_manager", True),
        ("rejected_input", "team_manager", None),
        ("finalised", "team_manager", None),
    ]
    async with h.db() as session:
        response = [
            tuple(r)
            for r in await session.execute(
                select(AlertStep.actor, AlertStep.text, AlertStep.due_at).where(
                    AlertStep.workflow_id == wid, AlertStep.kind == "response"
                )
            )
        ]
    assert response == [
        ("K. Team Manager", "Visit booked for Friday", at("2030-06-17T16:00:00+00:00"))
    ]

    subjects = [m["Subject"] for m in mail.messages]
    case = payload["case_reference"]
    assert subjects == [
        f"[{case}] Practice alert at Stage 1: Team Manager: respond by "
        "Monday 17 June 2030, 17:00 (UTC+01:00)",
        f"[{case}] Practice alert response from Stage 1: Team Manager: finalise or escalate",
        f"[{case}] Practice alert finalised",
    ]
    first = mail.messages[0]
    assert addresses(first, "To") == [TEAM_MANAGER]
    assert addresses(first, "Cc") == [RAISER]
    body = first.get_body(("plain",)).get_content()
    assert f"Case reference: {case}." in body
    assert (
        "Reason: Statutory visit not undertaken within required timescale (code statutory_visit_late)."
        in body
    )
    assert f"Description: {payload['description']}" in body
    assert f"Agreed action: {payload['agreed_action']}" in body
    assert "Deadline: Monday 17 June 2030, 17:00 (UTC+01:00)." in body
    assert addresses(mail.messages[1], "To") == [RAISER]
    assert addresses(mail.messages[1], "Cc") == [TEAM_MANAGER]
    assert addresses(mail.messages[2], "To") == [RAISER]
    assert addresses(mail.messages[2], "Cc") == [TEAM_MANAGER]
    sent = await h.rows(
        "SELECT kind, status FROM notifications WHERE workflow_id = :w ORDER BY key", w=wid
    )
    assert sent == [("stage_entered", "sent"), ("resolved", "sent"), ("closed", "sent")]


SILENCE_RAISED = "2027-12-13T10:00:00+00:00"  # Monday, far enough ahead of the real clock
# 27 and 28 Dec 2027 (substitutes for Christmas and Boxing Day) and 3 Jan 2028 are bank holidays.
SILENCE = [
    ("team_manager", "2027-12-13T10:00:00+00:00", "2027-12-20T17:00:00+00:00"),
    ("service_manager", "2027-12-20T17:00:00+00:00", "2027-12-29T17:00:00+00:00"),
    ("head_of_service", "2027-12-29T17:00:00+00:00", "2028-01-06T17:00:00+00:00"),
    ("director_for_people", "2028-01-06T17:00:00+00:00", "2028-01-13T17:00:00+00:00"),
    ("lscb_independent_chair", "2028-01-13T17:00:00+00:00", "2028-01-20T17:00:00+00:00"),
    ("cafcass", "2028-01-20T17:00:00+00:00", "2028-01-27T17:00:00+00:00"),
]


async def test_an_unanswered_alert_stays_and_the_raising_chair_decides(env, db, mail) -> None:
    """Rutland: "A response is required within 5 working days" and the chair decides; the
    document never makes an unanswered alert climb. Stage 1 misses its deadline: recorded,
    the chair told what they can do, and the alert stays there for weeks. The chair
    escalates without a response, and so on up; stages 5 and 6 (the Independent Chair of
    the LSCB, CAFCASS) are reached only by the chair's decision."""
    await jump_to(env, at(SILENCE_RAISED) + timedelta(minutes=1))
    async with alerts_running(env, db, mail) as h:
        payload = alert_payload(SILENCE_RAISED)
        case = payload["case_reference"]
        wid = await h.client.raise_alert(payload)
        await jump_to(env, at("2028-01-28T09:00:00+00:00"))  # six weeks of silence
        status = await h.status(wid)
        assert (status.state, status.current_stage) == ("open", "team_manager")
        [first] = status.stages
        assert (first.entered_at.isoformat(), first.due_at.isoformat()) == SILENCE[0][1:]
        assert first.response_in_time is False and first.outcome is None
        assert minute(first.overdue_notified_at) == at("2027-12-20T17:00:00+00:00")
        [overdue] = [m for m in mail.messages if "] Overdue: " in m["Subject"]]
        assert addresses(overdue, "To") == [RAISER]
        assert addresses(overdue, "Cc") == [email_of("receiving.team_manager")]
        body = overdue.get_body(("plain",)).get_content()
        assert "You may send it up to Stage 2: Service Manager now" in body
        assert "The alert stays at this stage and waits for its response." in body

        with pytest.raises(DecisionRefused, match="only the raising chair may escalate"):
            await h.client.not_satisfied(wid, NotSatisfied(by=TEAM_MANAGER, reason="Up"))
        # The chair escalates without a response, stage by stage, each once its deadline
        # has passed; the Independent Chair and CAFCASS only by the chair's decision.
        for above in (
            "service_manager",
            "head_of_service",
            "director_for_people",
            "lscb_independent_chair",
            "cafcass",
        ):
            receipt = await h.client.not_satisfied(
                wid, NotSatisfied(by=RAISER, reason="No response by the deadline")
            )
            assert receipt is not None and receipt.stage == above
            if above != "cafcass":
                with pytest.raises(DecisionRefused, match="its deadline has not passed"):
                    await h.client.not_satisfied(wid, NotSatisfied(by=RAISER, reason="Too soon"))
                status = await h.status(wid)
                await jump_to(env, status.stages[-1].due_at + timedelta(hours=16))
        status = await h.status(wid)
        assert [s.stage_id for s in status.stages] == [s[0] for s in SILENCE]
        assert [s.outcome for s in status.stages] == ["not_satisfied"] * 5 + [None]
        # Each stage runs from when the chair sent it up: its full five working days.
        service = status.stages[1]
        assert minute(service.entered_at) == at("2028-01-28T09:00:00+00:00")
        assert service.due_at == at("2028-02-04T17:00:00+00:00")

        # CAFCASS answers: on the case note, and the chair finalises.
        await h.client.respond(wid, AlertResponse(by="P. CAFCASS", text="Dispute process begun"))
        await h.client.finalise(wid, Finalise(by=RAISER, text="Escalation complete"))
        final = await h.client.handle(wid).result()

    assert [(e.kind, e.in_time) for e in final.case_note][:2] == [
        ("alert", None),
        ("not_satisfied", None),
    ]
    assert final.case_note[-1].kind == "finalised"
    steps = await h.steps(wid)
    assert [s for s in steps if s[0] in ("deadline_missed", "overdue")] == [
        ("overdue", stage, False)
        for stage in (
            "team_manager",
            "service_manager",
            "head_of_service",
            "director_for_people",
            "lscb_independent_chair",
        )
    ]
    assert [s[1] for s in steps if s[0] == "stage_entered"] == [s[0] for s in SILENCE]
    assert not [m for m in mail.messages if f"[{case}] Practice alert at Stage 2" in m["Subject"]][
        1:
    ]


@pytest.mark.parametrize(
    ("stage", "title", "due", "above"),
    [
        (
            "head_of_service",
            "Stage 3: Head of Service",
            "2030-06-17T17:00:00+01:00",
            "director_for_people",
        ),
        (
            "director_for_people",
            "Stage 4: Director for People",
            "2030-06-17T17:00:00+01:00",
            "lscb_independent_chair",
        ),
    ],
)
async def test_a_serious_alert_starts_at_stage_3_or_4_and_the_chair_sends_it_up(
    env, db, mail, stage: str, title: str, due: str, above: str
) -> None:
    await jump_to(env, at(RAISED))
    async with alerts_running(env, db, mail) as h:
        payload = alert_payload(RAISED, serious_or_urgent=True, start_stage=stage)
        wid = await h.client.raise_alert(payload)
        await jump_to(env, at("2030-06-11T14:00:00+01:00"))
        status = await h.status(wid)
        assert [(s.stage_id, s.entered_at, s.due_at) for s in status.stages] == [
            (stage, at(RAISED), at(due))
        ]
        assert status.start_stage == stage and status.serious_or_urgent is True
        first = mail.messages[0]
        assert title in first["Subject"]
        assert addresses(first, "To") == [status_holder(stage)]

        with pytest.raises(DecisionRefused, match="its deadline has not passed"):
            await h.client.not_satisfied(wid, NotSatisfied(by=RAISER, reason="Too early"))
        await h.client.respond(wid, AlertResponse(by="Senior manager", text="Plan reviewed"))
        with pytest.raises(DecisionRefused, match="only the raising chair may escalate"):
            await h.client.not_satisfied(wid, NotSatisfied(by=TEAM_MANAGER, reason="No"))
        receipt = await h.client.not_satisfied(
            wid, NotSatisfied(by=RAISER, reason="Plan still not progressed")
        )
        assert receipt is not None and receipt.state == "open" and receipt.stage == above
        # Entered now (Tuesday 14:00): five working days to the following Tuesday 17:00.
        assert receipt.due_at == at("2030-06-18T17:00:00+01:00")
        status = await h.status(wid)
        assert [(s.stage_id, s.outcome) for s in status.stages] == [
            (stage, "not_satisfied"),
            (above, None),
        ]
        assert [e.kind for e in status.case_note] == ["alert", "response", "not_satisfied"]
        with pytest.raises(DecisionRefused, match=f"stage '{above}' has not responded yet"):
            await h.client.not_satisfied(wid, NotSatisfied(by=RAISER, reason="Still waiting"))
        if stage == "head_of_service":
            # Serious: the chair may not jump to a stage the pack does not allow.
            with pytest.raises(DecisionRefused, match="may go straight to head_of_service"):
                await h.client.not_satisfied(
                    wid, NotSatisfied(by=RAISER, reason="Jump", to_stage="cafcass")
                )
        # The earlier response counts: the chair may now finalise at the higher stage.
        await h.client.finalise(wid, Finalise(by=RAISER, text="Resolved at the meeting"))
        final = await h.client.handle(wid).result()
    assert final.state == "finalised"
    rows = await h.rows(
        "SELECT start_stage, serious_or_urgent, current_stage FROM practice_alerts "
        "WHERE workflow_id = :w",
        w=wid,
    )
    assert rows == [(stage, True, above)]


def status_holder(stage: str) -> str:
    return email_of(
        {"head_of_service": "receiving.head_of_service"}.get(stage, "receiving.director_for_people")
    )


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        (
            {"reason_code": "99"},
            "reason_code: '99' is not one of rutland-alerts-test's reason codes (valid: "
            "report_not_completed (Report not completed for CPC/CLA review),",
        ),
        (
            {"start_stage": "head_of_service"},
            "start_stage: an alert starts at team_manager unless it is serious or urgent",
        ),
    ],
    ids=["bad-reason-code", "stage-3-not-serious"],
)
async def test_a_refused_start_starts_nothing(env, db, mail, overrides, error) -> None:
    await jump_to(env, at(RAISED))
    async with alerts_running(env, db, mail) as h:
        payload = alert_payload(RAISED, **overrides)
        with pytest.raises(InvalidRequest) as refused:
            await h.client.raise_alert(payload)
        assert refused.value.errors[0].startswith(error)
        wid = f"alert-{payload['case_reference']}-a1"
        with pytest.raises(RPCError):
            await h.client.handle(wid).describe()

        # A client in another language skips the SDK: the workflow refuses before any write.
        bad = dict(payload, procedure=PROCEDURE)
        handle = await env.client.start_workflow(
            "PracticeAlert", bad, id=wid, task_queue=h.client.task_queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
        cause = failed.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "InvalidStartRequest"
        assert error in cause.message
    assert await h.rows("SELECT 1 FROM practice_alerts WHERE workflow_id = :w", w=wid) == []
    assert await h.rows("SELECT 1 FROM alert_steps WHERE workflow_id = :w", w=wid) == []
    assert await h.rows("SELECT 1 FROM notifications WHERE workflow_id = :w", w=wid) == []
    assert mail.messages == []


async def test_the_alert_commands(env, db, mail, tmp_path, capsys) -> None:
    """``escalation alert ...`` against the test server: output, errors and exit codes."""
    now = await env.get_current_time()
    payload = alert_payload((now - timedelta(hours=1)).isoformat())
    good, bad = tmp_path / "alert.json", tmp_path / "bad.json"
    good.write_text(json.dumps(payload))
    bad.write_text(json.dumps(dict(payload, reason_code="0", alert_id="a2")))
    async with alerts_running(env, db, mail) as h:
        target = env.client.service_client.config.target_host
        where = ["--address", target, "--task-queue", h.client.task_queue]

        async def cli(*argv: str) -> tuple[int, str, str]:
            # capsys: the command's own output, not the in-process worker's core warnings.
            capsys.readouterr()
            code = await asyncio.to_thread(cli_main, ["alert", *argv])
            out, err = capsys.readouterr()
            return code, out, err

        code, _, err = await cli("start", str(bad), *where, "--pack-dir", str(PACK_DIR))
        assert code == 2
        assert "escalation: reason_code: '0' is not one of rutland-alerts-test's" in err
        code, out, err = await cli("start", str(good), *where, "--pack-dir", str(PACK_DIR))
        assert (code, err) == (0, "")
        wid = out.strip()
        assert wid == f"alert-{payload['case_reference']}-a1"

        code, _, err = await cli("finalise", wid, *where, "--by", RAISER, "--text", "Done")
        assert code == 1 and "nothing to finalise yet: no response" in err
        code, out, _ = await cli(
            "respond", wid, *where, "--by", "K. Team Manager", "--text", "Visit booked"
        )
        assert code == 0 and json.loads(out)["state"] == "awaiting_finalisation"
        code, _, err = await cli("finalise", wid, *where, "--by", TEAM_MANAGER, "--text", "x")
        assert code == 1 and "by: only the raising chair may finalise" in err
        code, _, err = await cli("respond", wid, *where, "--by", " ", "--text", "x")
        assert code == 2 and "by: must not be empty" in err

        code, out, _ = await cli("status", wid, *where, "--json")
        status = json.loads(out)
        assert code == 0
        assert (status["state"], status["reason_code"], status["current_stage"]) == (
            "awaiting_finalisation",
            "statutory_visit_late",
            "team_manager",
        )
        assert [e["kind"] for e in status["case_note"]] == ["alert", "response"]

        code, out, _ = await cli("finalise", wid, *where, "--by", RAISER, "--text", "Closed")
        assert code == 0 and json.loads(out)["state"] == "finalised"
        await h.client.handle(wid).result()
        code, _, err = await cli("respond", wid, *where, "--by", "K", "--text", "Late")
        assert code == 1 and "is finalised; no further decisions are accepted" in err


def test_saved_practice_alert_histories_exist() -> None:
    """Replayed by tests/workflows/test_replay.py with every other saved history."""
    saved = {p.stem for p in (Path(__file__).parents[1] / "histories").glob("practice-alert-*")}
    assert saved == {
        "practice-alert-started",
        "practice-alert-mid-ladder",
        "practice-alert-finalised",
        "practice-alert-mail-given-up",
        "practice-alert-continued",
    }


async def test_the_example_on_the_shipped_rutland_pack(env, db, mail) -> None:
    """examples/rutland--practice-alert.json as shipped, raised serious at stage 4."""
    await jump_to(env, at(RAISED))
    async with alerts_running(env, db, mail, pack_dir=SHIPPED_PACKS) as h:
        payload = dict(
            EXAMPLE,
            case_reference="CR-RUT-0001",
            raised_at=RAISED,
            serious_or_urgent=True,
            start_stage="director_for_people",
        )
        wid = await h.client.raise_alert(payload)
        assert wid == "alert-CR-RUT-0001-visits-01"
        await jump_to(env, at("2030-06-11T09:00:00+01:00"))
        status = await h.status(wid)
        assert status.procedure == "rutland"
        assert status.reason_title == "Statutory visit not undertaken within required timescale"
        assert [(s.stage_id, s.title, s.due_at) for s in status.stages] == [
            (
                "director_for_people",
                "Stage 4: Director for People",
                at("2030-06-17T17:00:00+01:00"),
            )
        ]
        (first,) = mail.messages
        assert addresses(first, "To") == [email_of("receiving.director_for_people")]
        assert addresses(first, "Cc") == [email_of("receiving.head_of_service"), RAISER]
        await h.client.respond(wid, AlertResponse(by="N. Director", text="Visit arranged"))
        await h.client.finalise(wid, Finalise(by=RAISER, text="Child seen alone"))
        final = await h.client.handle(wid).result()
    assert final.state == "finalised"
    assert await h.rows(
        "SELECT procedure, reason_code, start_stage, state FROM practice_alerts "
        "WHERE workflow_id = :w",
        w=wid,
    ) == [("rutland", "statutory_visit_late", "director_for_people", "finalised")]


@pytest.mark.parametrize("batched", [False, True], ids=["row-by-row", "batched"])
async def test_a_retried_record_activity_writes_each_row_once(any_db, batched: bool) -> None:
    """The alert row by workflow id and each step by key: a retry changes nothing.

    Row by row (the single-row activities) or in one batch (``record_alert_steps``).
    """
    wid = f"alert-CR-{uuid.uuid4().hex[:10]}-a1"
    case = wid.split("-a1")[0].removeprefix("alert-")
    record = AlertRecord(
        workflow_id=wid,
        case_reference=case,
        procedure=PROCEDURE,
        reason_code="other",
        reason_title="Other",
        description="d",
        agreed_action="a",
        raised_by="J. IRO",
        raised_by_email=RAISER,
        raised_at=at(RAISED),
        start_stage="team_manager",
        serious_or_urgent=False,
        current_stage="team_manager",
    )
    finalised = AlertStepRecord(
        key=f"{wid}/step-0002",
        workflow_id=wid,
        case_reference=case,
        kind="finalised",
        at=at("2030-06-12T10:00:00+01:00"),
        stage_id="team_manager",
        actor="J. IRO",
        text="Closed",
        state="finalised",
        current_stage="team_manager",
    )
    activities = AlertActivities(any_db)
    for _ in range(2):
        if batched:
            batch = AlertRecordBatch(alert=record, steps=[finalised])
            await activities.record_alert_steps(batch)
        else:
            await activities.open_practice_alert(record)
            await activities.record_alert_step(finalised)
    async with any_db() as session:
        rows = (
            await session.execute(
                select(PracticeAlertRow.state, PracticeAlertRow.finalised_at).where(
                    PracticeAlertRow.workflow_id == wid
                )
            )
        ).all()
        steps = (
            await session.execute(select(AlertStep.key).where(AlertStep.workflow_id == wid))
        ).all()
    assert [tuple(r) for r in rows] == [("finalised", at("2030-06-12T09:00:00+00:00"))]
    assert [r[0] for r in steps] == [f"{wid}/step-0002"]


async def test_a_new_alert_opens_in_one_record_write(env, db, mail) -> None:
    """The alert row and 'raised' (and 'stage_entered') go in one activity."""
    await jump_to(env, at(RAISED))
    async with alerts_running(env, db, mail) as h:
        wid = await h.client.raise_alert(alert_payload(RAISED))
        await jump_to(env, at("2030-06-10T10:05:00+01:00"))
        history = await h.client.handle(wid).fetch_history()
        kinds = await h.rows(
            "SELECT kind FROM alert_steps WHERE workflow_id = :w ORDER BY key", w=wid
        )
        state = await h.rows("SELECT state FROM practice_alerts WHERE workflow_id = :w", w=wid)
    scheduled = [
        e.activity_task_scheduled_event_attributes
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    names = [a.activity_type.name for a in scheduled]
    assert names[0] == "load_pack"
    assert [n for n in names if n != "send_notification"] == ["load_pack", "record_alert_steps"]
    batch = json.loads(scheduled[names.index("record_alert_steps")].input.payloads[0].data)
    assert batch["alert"]["workflow_id"] == wid
    assert [s["kind"] for s in batch["steps"]] == ["raised", "stage_entered"]
    assert [r[0] for r in kinds] == ["raised", "stage_entered"]
    assert [tuple(r) for r in state] == [("open",)]


async def test_an_alert_email_temporal_gives_up_on_is_recorded_failed(env, db, mail) -> None:
    """The alert, too, marks an email failed whose three days ran out."""
    await jump_to(env, at(RAISED))
    async with alerts_running(env, db, mail, stand_ins=[cut_off_every_attempt]) as h:
        wid = await h.client.raise_alert(alert_payload(RAISED))
        await jump_to(env, at("2030-06-13T12:00:00+01:00"))  # the first email's 3 days are up
        outbox = await h.rows(
            "SELECT kind, status, last_error FROM notifications WHERE workflow_id = :w ORDER BY key",
            w=wid,
        )
        assert [(k, s) for k, s, _ in outbox] == [("stage_entered", "failed")]
        assert f"{TEAM_MANAGER}: Temporal stopped trying (timeout)" in outbox[0][2]
        status = await h.status(wid)
        assert [f.split(" ")[0] for f in status.notification_failures] == ["stage_entered"]
        assert (status.state, status.current_stage) == ("open", "team_manager")
    assert mail.messages == []  # the test pack names no Business Manager to tell


async def test_a_serious_alert_jumps_from_stage_1_to_4_and_a_plain_one_may_not(
    env, db, mail
) -> None:
    """'The Independent Chair has the discretion to proceed directly to stage 3 and 4 in more
    serious or urgent cases': at any point, without waiting for a response or a deadline."""
    await jump_to(env, at(RAISED))
    async with alerts_running(env, db, mail) as h:
        serious = await h.client.raise_alert(alert_payload(RAISED, serious_or_urgent=True))
        plain = await h.client.raise_alert(alert_payload(RAISED, alert_id="a2"))
        await jump_to(env, at("2030-06-10T11:00:00+01:00"))
        with pytest.raises(DecisionRefused, match="only a serious or urgent alert may go straight"):
            await h.client.not_satisfied(
                plain, NotSatisfied(by=RAISER, reason="Urgent", to_stage="director_for_people")
            )
        with pytest.raises(DecisionRefused, match="only the raising chair may escalate"):
            await h.client.not_satisfied(
                serious,
                NotSatisfied(by=TEAM_MANAGER, reason="Urgent", to_stage="director_for_people"),
            )
        receipt = await h.client.not_satisfied(
            serious,
            NotSatisfied(by=RAISER, reason="Child at risk tonight", to_stage="director_for_people"),
        )
        # Entered Monday 10 June 11:00: five working days to Monday 17 June 17:00.
        assert receipt is not None and receipt.stage == "director_for_people"
        assert receipt.due_at == at("2030-06-17T17:00:00+01:00")
        status = await h.status(serious)
        assert [(s.stage_id, s.outcome) for s in status.stages] == [
            ("team_manager", "not_satisfied"),
            ("director_for_people", None),
        ]
        assert [s.stage_id for s in (await h.status(plain)).stages] == ["team_manager"]


async def test_a_stage_switched_to_escalate_locally_climbs_by_itself(
    env, db, mail, tmp_path, monkeypatch
) -> None:
    """A partnership may switch stages 1 to 3 to escalate in its local settings."""
    (tmp_path / "rutland-alerts-test.toml").write_text(
        'pack = "rutland-alerts-test"\nset_by = "LLR LSCB Business Manager"\n'
        'set_on = 2026-11-30\n\n[[alert_stages]]\nstage = "team_manager"\n'
        'on_deadline = "escalate"\nnote = "Agreed by the LSCB executive"\n'
    )
    monkeypatch.setenv("ESCALATION_LOCAL_SETTINGS", str(tmp_path))
    await jump_to(env, at(RAISED))
    async with alerts_running(env, db, mail) as h:
        wid = await h.client.raise_alert(alert_payload(RAISED))
        await jump_to(env, at("2030-06-18T09:00:00+01:00"))
        status = await h.status(wid)
        assert [(s.stage_id, s.outcome, s.due_at) for s in status.stages] == [
            ("team_manager", "timeout", at("2030-06-17T17:00:00+01:00")),
            ("service_manager", None, at("2030-06-24T17:00:00+01:00")),
        ]
        assert status.stages[0].response_in_time is False
