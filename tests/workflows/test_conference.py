"""The adjourned-conference loop on the time-skipping server, with the test-only pack.

An equally divided child protection conference is adjourned for at most 15 working
days (tests/fixtures/packs/conference-test.toml, ladder ``equally_divided``). Raised
Monday 19 April 2027 10:00 BST, the conference must reconvene by Tuesday 11 May 2027
17:00 BST: the Early May bank holiday (3 May) is not a working day.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from models.decisions import (
    ConferenceReconvened,
    Confirmed,
    Resolved,
    ShortenTimescale,
    Unresolved,
)
from packs import PACK_DIR
from starter.sdk import DecisionRefused
from starter.sdk_base import InvalidRequest
from tests.fixtures.harness import email_of, mails, payload, running_packs, steps
from tests.workflows.support import at, jump_to, minute
from workflows.ladder import check_reconvened
from workflows.text import interim_position

RAISED = at("2027-04-19T10:00:00+01:00")
RECONVENE_BY = at("2027-05-11T17:00:00+01:00")
RECONVENED = at("2027-04-26T11:00:00+01:00")
INITIAL = {"kind": "initial", "at": "2027-04-16T10:00:00+01:00"}
TEXT = "Child to remain subject of a child protection plan under neglect"


async def test_adjournment_records_interim_position_and_tells_agencies(env, db, mail) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running_packs(env, db, mail) as h:
        wid = await h.client.open(payload(RAISED, ladder="equally_divided", conference=INITIAL))
        await h.sleep_until(RAISED + timedelta(minutes=5))
        status = await h.status(wid)
        assert status.current_stage == "adjourned"
        assert status.interim_position == interim_position("initial", None)
        assert "made subject of a child protection plan" in (status.interim_position or "")
        assert status.reconvene_due_at == RECONVENE_BY
        stage = status.stages[0]
        assert (stage.kind, stage.ladder_id, stage.due_at, stage.timescale_working_days) == (
            "conference_adjournment",
            "equally_divided",
            RECONVENE_BY,
            15,
        )
        first = (await mails(mail, "conference adjourned"))[0]
        assert "conference adjourned, reconvene by Tuesday 11 May 2027, 17:00" in first["Subject"]
        assert email_of("raising.practitioner") in first["To"]
        assert email_of("receiving.practitioner") in first["To"]
        assert email_of("raising.line_manager") in first["Cc"]
        assert email_of("receiving.line_manager") in first["Cc"]
        body = first.get_body(("plain",)).get_content()
        assert "Interim position: Initial conference equally divided" in body
        assert "re-evaluate your evidence" in body

        # The halfway and last-day reminders run to the reconvene deadline.
        await h.sleep_until(at("2027-05-11T09:01:00+01:00"))
        reminders = await steps(h, wid, "reminder")
        assert [(minute(r.at), r.text) for r in reminders] == [
            (at("2027-04-29T09:30:00+01:00"), "halfway"),
            (at("2027-05-11T09:00:00+01:00"), "last_day"),
        ]
        reminded = await mails(mail, "Reminder: Stage 1: conference adjourned", 2)
        assert len(reminded) == 2
        assert all(email_of("receiving.line_manager") in m["Cc"] for m in reminded)
        assert "must reconvene by Tuesday 11 May 2027, 17:00" in reminded[0].get_body(
            ("plain",)
        ).get_content().replace("\n", " ")
        interim = await steps(h, wid, "interim_position")
        assert [(r.text, r.due_at) for r in interim] == [(status.interim_position, RECONVENE_BY)]


@pytest.mark.parametrize("acknowledged", [True, False], ids=["update", "signal"])
@pytest.mark.parametrize(
    ("outcome", "dissents"),
    [("unanimous", False), ("majority", False)],
    ids=["unanimous", "majority-no-dissent"],
)
async def test_agreement_closes_with_the_conference_decision(
    env, db, mail, outcome: str, dissents: bool, acknowledged: bool
) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running_packs(env, db, mail) as h:
        wid = await h.client.open(payload(RAISED, ladder="equally_divided"))
        await h.sleep_until(RECONVENED)
        decision = ConferenceReconvened(
            by="Conference chair", outcome=outcome, text=TEXT, minority_dissents=dissents
        )
        receipt = await h.client.reconvene(wid, decision, acknowledged=acknowledged)
        if acknowledged:
            assert receipt is not None and receipt.state == "closed"
        result = await h.client.handle(wid).result()
        assert result.state == "closed"
        assert result.outcome == TEXT
        assert result.conference_outcome == outcome
        assert result.confirmation_due_at is None  # the minuted decision is the written record
        assert minute(result.resolved_at) == RECONVENED
        assert [(s.stage_id, s.outcome) for s in result.stages] == [("adjourned", "resolved")]
        assert result.interim_position is not None and not result.adjournment_breached
        assert len(await mails(mail, "Disagreement closed")) == 1
        kinds = await h.step_kinds(wid)
        assert kinds[-1] == "closed"
        reconvened = await steps(h, wid, "conference_reconvened")
        assert [(r.actor, r.text, r.data["outcome"]) for r in reconvened] == [
            ("Conference chair", TEXT, outcome)
        ]


async def test_majority_with_dissent_walks_the_minority_ladder(env, db, mail) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running_packs(env, db, mail) as h:
        wid = await h.client.open(payload(RAISED, ladder="equally_divided"))
        await h.sleep_until(RECONVENED)
        receipt = await h.client.reconvene(
            wid,
            ConferenceReconvened(
                by="Conference chair",
                outcome="majority",
                text="Plan discontinued by majority",
                minority_dissents=True,
                minority="Community health",
            ),
        )
        assert receipt is not None
        assert (receipt.state, receipt.stage) == ("open", "line_managers")
        assert receipt.due_at == at("2027-05-04T17:00:00+01:00")
        status = await h.status(wid)
        assert status.ladder == "majority_view"
        assert status.conference_outcome == "majority"
        assert status.outcome is None
        entered = await mails(mail, "Stage 1: line manager to IRS manager: action needed")
        assert len(entered) == 1
        assert email_of("partnership.irs_manager") in entered[0]["To"]

        # Silence up the minority's ladder: each stage counted from the last deadline.
        await h.sleep_until(at("2027-05-12T09:00:00+01:00"))
        status = await h.status(wid)
        assert [
            (s.ladder_id, s.stage_id, minute(s.entered_at), s.due_at, s.outcome)
            for s in status.stages
        ] == [
            (
                "equally_divided",
                "adjourned",
                at("2027-04-19T10:00:00+01:00"),
                RECONVENE_BY,
                "minority_dissent",
            ),
            (
                "majority_view",
                "line_managers",
                RECONVENED,
                at("2027-05-04T17:00:00+01:00"),
                "timeout",
            ),
            (
                "majority_view",
                "principal_officer",
                at("2027-05-04T17:00:00+01:00"),
                at("2027-05-11T17:00:00+01:00"),
                None,
            ),
        ]
        assert status.stages[0].text == "Plan discontinued by majority"
        assert status.stages[-1].overdue_notified_at is not None
        assert len(await mails(mail, "Overdue: Stage 2: Principal Officer review")) == 1

        # The minority ladder's last stage resolves it, with written confirmation.
        await h.client.resolve(wid, Resolved(by="F. Principal Officer", outcome="Plan reinstated"))
        await h.client.confirm(wid, Confirmed(by="F. Principal Officer", text="Letter"))
        result = await h.client.handle(wid).result()
        assert (result.state, result.outcome) == ("closed", "Plan reinstated")
        entered_rows = await steps(h, wid, "stage_entered")
        assert [r.data["ladder"] for r in entered_rows] == [
            "equally_divided",
            "majority_view",
            "majority_view",
        ]


async def test_still_divided_goes_up_the_same_ladder_now(env, db, mail) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running_packs(env, db, mail) as h:
        wid = await h.client.open(payload(RAISED, ladder="equally_divided"))
        await h.sleep_until(RECONVENED)
        await h.client.reconvene(
            wid,
            ConferenceReconvened(by="Chair", outcome="still_divided", text="No consensus"),
            acknowledged=False,
        )
        await h.sleep_until(RECONVENED + timedelta(minutes=1))
        status = await h.status(wid)
        assert status.ladder == "equally_divided"
        assert status.current_stage == "principal_officer"
        assert [(s.stage_id, s.outcome) for s in status.stages] == [
            ("adjourned", "still_divided"),
            ("principal_officer", None),
        ]
        po = status.stages[-1]
        assert (minute(po.entered_at), po.due_at) == (RECONVENED, at("2027-05-04T17:00:00+01:00"))
        assert status.conference_outcome == "still_divided"
        assert not status.adjournment_breached
        # A reconvened conference is no longer expected: no breach at the old deadline.
        await h.sleep_until(RECONVENE_BY + timedelta(hours=1))
        status = await h.status(wid)
        assert not status.adjournment_breached


async def test_silence_past_the_15th_working_day_is_a_breach(env, db, mail) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running_packs(env, db, mail) as h:
        wid = await h.client.open(
            payload(RAISED, ladder="equally_divided", conference={**INITIAL, "kind": "review"})
        )
        await h.sleep_until(RECONVENE_BY - timedelta(minutes=1))
        status = await h.status(wid)
        assert (status.current_stage, status.adjournment_breached) == ("adjourned", False)
        await h.sleep_until(RECONVENE_BY + timedelta(minutes=1))
        status = await h.status(wid)
        assert status.adjournment_breached
        assert "continues to have a child protection plan" in (status.interim_position or "")
        assert [(s.stage_id, s.outcome, s.left_at) for s in status.stages] == [
            ("adjourned", "adjournment_breached", RECONVENE_BY),
            ("principal_officer", None, None),
        ]
        po = status.stages[-1]
        assert (po.entered_at, po.due_at) == (RECONVENE_BY, at("2027-05-18T17:00:00+01:00"))
        breach = await mails(mail, "Breach:")
        assert len(breach) == 1
        assert "did not reconvene by Tuesday 11 May 2027, 17:00" in breach[0]["Subject"]
        assert email_of("receiving.practitioner") in breach[0]["To"]
        assert email_of("receiving.line_manager") in breach[0]["Cc"]
        rows = await steps(h, wid, "adjournment_breached")
        assert [(minute(r.at), r.due_at) for r in rows] == [(RECONVENE_BY, RECONVENE_BY)]
        kinds = await h.step_kinds(wid)
        assert kinds.count("stage_entered") == 2


async def test_decisions_that_do_not_fit_the_stage_are_refused(env, db, mail) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running_packs(env, db, mail) as h:
        talk = await h.client.open(payload(RAISED))
        adjourned = await h.client.open(
            payload(RAISED, ladder="equally_divided", disagreement_id="c2")
        )
        await h.sleep_until(RAISED + timedelta(minutes=2))
        reconvened = ConferenceReconvened(by="Chair", outcome="unanimous", text=TEXT)

        with pytest.raises(DecisionRefused) as caught:
            await h.client.reconvene(talk, reconvened)
        assert str(caught.value) == (
            "stage: the case is at stage 'practitioners', which is not an adjourned conference; "
            "'conference_reconvened' applies only while a child protection conference is "
            "adjourned (send 'resolved' or 'unresolved')"
        )
        await h.client.reconvene(talk, reconvened, acknowledged=False)

        with pytest.raises(DecisionRefused) as caught:
            await h.client.resolve(adjourned, Resolved(by="Chair", outcome="Agreed"))
        assert str(caught.value) == (
            "stage: the case is at stage 'adjourned', an adjourned child protection conference; "
            "send 'conference_reconvened' with the reconvened conference's outcome "
            "(unanimous, majority or still_divided)"
        )
        await h.client.unresolve(adjourned, Unresolved(by="Chair", reason="x"), acknowledged=False)
        with pytest.raises(DecisionRefused, match="minority_dissents: only a majority"):
            await h.client.reconvene(
                adjourned, reconvened.model_copy(update={"minority_dissents": True})
            )
        await h.client.handle(adjourned).signal(
            "conference_reconvened", {"by": "Chair", "outcome": "adjourned again", "text": "x"}
        )

        await h.sleep_until(RAISED + timedelta(minutes=5))
        s1, s2 = await h.status(talk), await h.status(adjourned)
        assert [(r.name, r.error.split(";")[0]) for r in s1.rejected_inputs] == [
            (
                "conference_reconvened",
                "stage: the case is at stage 'practitioners', which is not an adjourned conference",
            )
        ]
        assert [r.name for r in s2.rejected_inputs] == ["unresolved", "conference_reconvened"]
        assert "send 'conference_reconvened'" in s2.rejected_inputs[0].error
        assert s2.rejected_inputs[1].error.startswith(
            "outcome: 'adjourned again' is not one of 'unanimous'"
        )
        assert (s1.current_stage, s2.current_stage) == ("practitioners", "adjourned")
        assert len(s2.stages) == 1


def test_still_divided_at_the_top_has_nowhere_to_go() -> None:
    from models.pack import LadderSpec, StageSpec

    top = StageSpec(
        id="adjourned",
        title="Adjourned",
        holders=["raising.practitioner"],
        kind="conference_adjournment",
    )
    ladder = LadderSpec(id="only", title="Only", stages=[top])
    divided = ConferenceReconvened(by="Chair", outcome="still_divided", text="No consensus")
    assert check_reconvened(divided, ladder, "adjourned") == (
        "outcome: stage 'adjourned' is the last stage of ladder 'only': there is no higher "
        "level to take a still divided conference to"
    )
    agreed = divided.model_copy(update={"outcome": "unanimous"})
    assert check_reconvened(agreed, ladder, "adjourned") is None


@pytest.mark.parametrize(
    ("conference", "due", "morning", "resolve_first"),
    [
        # Initial: 2 working days before Tuesday 4 May; Monday 3 May is a bank holiday.
        (
            {"kind": "initial", "at": "2027-05-04T10:00:00+01:00"},
            "2027-04-29T17:00:00+01:00",
            "2027-04-29T09:00:00+01:00",
            False,
        ),
        # Review: 5 working days before Thursday 6 May, across the same bank holiday.
        (
            {"kind": "review", "at": "2027-05-06T14:00:00+01:00"},
            "2027-04-28T17:00:00+01:00",
            "2027-04-28T09:00:00+01:00",
            False,
        ),
        # No reminder once the case is no longer open (resolved, awaiting confirmation).
        (
            {"kind": "review", "at": "2027-05-06T14:00:00+01:00"},
            "2027-04-28T17:00:00+01:00",
            None,
            True,
        ),
    ],
    ids=["initial", "review", "review-resolved-first"],
)
async def test_conference_reports_deadline(
    env, db, mail, conference: dict[str, str], due: str, morning: str | None, resolve_first: bool
) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running_packs(env, db, mail) as h:
        wid = await h.client.open(payload(RAISED, conference=conference))
        await h.sleep_until(RAISED + timedelta(minutes=5))
        status = await h.status(wid)
        assert status.conference_reports_due_at == at(due)
        assert status.conference is not None and status.conference.kind == conference["kind"]
        told = await mails(mail, "Conference reports due by")
        assert len(told) == 1
        assert email_of("raising.practitioner") in told[0]["To"]
        assert email_of("receiving.practitioner") in told[0]["To"]
        body = told[0].get_body(("plain",)).get_content()
        assert f"{conference['kind']} child protection conference" in body
        recorded = await steps(h, wid, "conference_reports_due")
        assert [(r.due_at, r.data["working_days_before"]) for r in recorded] == [
            (at(due), "2" if conference["kind"] == "initial" else "5")
        ]
        if resolve_first:
            await h.client.resolve(wid, Resolved(by="B. Social Worker", outcome="Agreed"))
        await h.sleep_until(at(due) + timedelta(hours=1))
        reminders = [r for r in await steps(h, wid, "reminder") if r.text == "conference_reports"]
        if morning is None:
            assert reminders == []
            assert await mails(mail, "conference reports due today", 0) == []
            return
        # The case climbed to the Principal Officer at 26 April 17:00: they are reminded.
        assert [(minute(r.at), r.due_at) for r in reminders] == [(at(morning), at(due))]
        reminded = await mails(mail, "Reminder: conference reports due today")
        assert len(reminded) == 1
        assert [a.addr_spec for a in reminded[0]["To"].addresses] == [
            email_of("partnership.principal_officer")
        ]


def test_cli_reconvene_builds_the_decision() -> None:
    from starter.cli import _decision, build_parser, main

    args = build_parser().parse_args(
        [
            "reconvene",
            "disagreement-CR-1-c1",
            "--by",
            "Conference chair",
            "--outcome",
            "majority",
            "--text",
            TEXT,
            "--minority-dissents",
            "--minority",
            "Community health",
        ]
    )
    assert callable(_decision(args))
    assert (args.outcome, args.minority_dissents, args.minority) == (
        "majority",
        True,
        "Community health",
    )
    with pytest.raises(SystemExit) as bad:
        main(["reconvene", "wid", "--by", "x", "--text", "t", "--outcome", "adjourned"])
    assert bad.value.code == 2


@pytest.mark.parametrize(
    ("kind", "adjourned", "refused"),
    [
        ("conference_reconvened", True, False),
        ("conference_reconvened", False, True),
        ("resolved", True, True),
        ("unresolved", True, True),
        ("resolved", False, False),
        ("shorten_timescale", True, False),
        ("immediate_risk", True, False),
    ],
)
def test_which_decisions_an_adjourned_stage_takes(
    kind: str, adjourned: bool, refused: bool
) -> None:
    from models.pack import LadderSpec, StageSpec
    from workflows.ladder import Position, check_decision

    stages = [
        StageSpec(id="adjourned", title="A", holders=["raising.practitioner"]),
        StageSpec(id="above", title="B", holders=["raising.practitioner"]),
    ]
    ladder = LadderSpec(id="l", title="L", stages=stages)
    error = check_decision(kind, Position("open", "adjourned", adjourned), ladder, None)  # type: ignore[arg-type]
    assert (error is not None) == refused


SAFE_EXAMPLE = (
    Path(__file__).parents[2]
    / "examples"
    / "north-lincolnshire-safe-2018--conference_equally_divided.json"
)


async def test_safe_2018_equally_divided_ladder_across_christmas(env, db, mail) -> None:
    """The shipped SAfE pack: adjourned at Christmas 2027, breached, then resolved higher.

    Raised Monday 13 Dec 2027 10:00: 27-28 Dec 2027 and 3 Jan 2028 are bank holidays,
    so the 15th working day is Thursday 6 January 2028. Reports for the review conference
    on Tuesday 4 January are due 5 working days before it: Thursday 23 December.
    """
    raised = at("2027-12-13T10:00:00+00:00")
    data = json.loads(SAFE_EXAMPLE.read_text())
    data.update(
        raised_at=raised.isoformat(),
        case_reference=f"NL-9{uuid.uuid4().hex[:7]}",
        conference={"kind": "review", "at": "2028-01-04T10:00:00+00:00"},
    )
    data["disagreement_arose_at"] = raised.isoformat()  # the conference adjourned then
    await jump_to(env, raised + timedelta(minutes=1))
    async with running_packs(env, db, mail, pack_dir=PACK_DIR) as h:
        wid = await h.client.open(data)
        await h.sleep_until(raised + timedelta(minutes=5))
        status = await h.status(wid)
        assert status.reconvene_due_at == at("2028-01-06T17:00:00+00:00")
        assert status.conference_reports_due_at == at("2027-12-23T17:00:00+00:00")
        assert status.interim_position == interim_position("review", None)

        await h.sleep_until(at("2028-01-07T09:00:00+00:00"))
        status = await h.status(wid)
        assert status.adjournment_breached
        assert [(s.stage_id, s.entered_at, s.due_at, s.outcome) for s in status.stages] == [
            ("adjourned", raised, at("2028-01-06T17:00:00+00:00"), "adjournment_breached"),
            (
                "principal_officer_review",
                at("2028-01-06T17:00:00+00:00"),
                at("2028-01-20T17:00:00+00:00"),
                None,
            ),
        ]
        reminders = [(minute(r.at), r.text) for r in await steps(h, wid, "reminder")]
        assert reminders == [
            (at("2027-12-23T09:00:00+00:00"), "conference_reports"),
            (at("2027-12-23T09:30:00+00:00"), "halfway"),
            (at("2028-01-06T09:00:00+00:00"), "last_day"),
        ]
        breach = await mails(mail, "Breach: Stage 1: conference adjourned for re-evaluation")
        assert len(breach) == 1
        assert "irs.service.manager@partnership.example.org" in breach[0]["Cc"]

        await h.sleep_until(at("2028-01-12T11:00:00+00:00"))
        receipt = await h.client.resolve(
            wid, Resolved(by="G. Shaw", outcome="Multi-agency audit: plan continues")
        )
        assert receipt is not None
        assert (receipt.state, receipt.due_at) == ("resolved", at("2028-01-14T17:00:00+00:00"))
        await h.client.confirm(wid, Confirmed(by="G. Shaw", text="Minutes circulated"))
        result = await h.client.handle(wid).result()
        assert result.state == "closed"
        assert [(i.stage_id, i.notified) for i in result.learning_items] == [
            (
                "principal_officer_review",
                [
                    "Safeguarding Pathway Lead Officer Group (SPLOG)",
                    "NLC Principal Officer (Safeguarding)",
                ],
            )
        ]
        learning = await mails(mail, "Learning item: resolved at Stage 2: Principal Officer review")
        assert [a.addr_spec for a in learning[0]["To"].addresses] == [
            "principal.officer@partnership.example.org"
        ]


async def test_adjournment_at_the_top_without_a_dissent_ladder(env, db, mail) -> None:
    """Nothing above and no dissent ladder: a breach keeps waiting; a disputed majority closes."""
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running_packs(env, db, mail) as h:
        waits = await h.client.open(payload(RAISED, ladder="adjourned_only"))
        closes = await h.client.open(payload(RAISED, ladder="adjourned_only", disagreement_id="c2"))
        await h.sleep_until(RAISED + timedelta(minutes=5))
        with pytest.raises(DecisionRefused, match="there is no higher level"):
            await h.client.reconvene(
                waits, ConferenceReconvened(by="Chair", outcome="still_divided", text="x")
            )
        receipt = await h.client.reconvene(
            closes,
            ConferenceReconvened(
                by="Chair", outcome="majority", text="Plan ends", minority_dissents=True
            ),
        )
        assert receipt is not None and receipt.state == "closed"
        closed = await h.client.handle(closes).result()
        assert closed.outcome == (
            "Plan ends (the minority dissents; this procedure has no dissent ladder)"
        )

        # Pack default 10 working days: Monday 3 May 2027 is a bank holiday.
        due = at("2027-05-04T17:00:00+01:00")
        await h.sleep_until(due + timedelta(days=2))
        status = await h.status(waits)
        assert status.adjournment_breached
        assert [(s.stage_id, s.due_at, s.outcome) for s in status.stages] == [
            ("adjourned", due, None)
        ]
        assert status.stages[0].overdue_notified_at is not None
        assert minute(status.stages[0].overdue_notified_at) == due
        breach = await mails(mail, "Breach: Stage 1: conference adjourned")
        assert len(breach) == 1
        assert "keeps waiting for the conference" in breach[0].get_body(("plain",)).get_content()
        receipt = await h.client.reconvene(
            waits, ConferenceReconvened(by="Chair", outcome="unanimous", text="Plan continues")
        )
        assert receipt is not None and receipt.state == "closed"


async def test_a_shorter_timescale_for_the_child_brings_the_reconvene_deadline_forward(
    env, db, mail
) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running_packs(env, db, mail) as h:
        wid = await h.client.open(
            payload(RAISED, ladder="equally_divided", child_timescale_working_days=5)
        )
        await h.sleep_until(RAISED + timedelta(minutes=5))
        status = await h.status(wid)
        assert status.reconvene_due_at == at("2027-04-26T17:00:00+01:00")
        assert (status.stages[0].timescale_working_days, status.stages[0].capped) == (5, True)
        receipt = await h.client.shorten(
            wid,
            ShortenTimescale(by="Chair", reason="Baby due", due_at=at("2027-04-23T12:00:00+01:00")),
        )
        assert receipt is not None and receipt.due_at == at("2027-04-23T12:00:00+01:00")
        assert (await h.status(wid)).reconvene_due_at == at("2027-04-23T12:00:00+01:00")
        await h.sleep_until(at("2027-04-23T12:01:00+01:00"))
        status = await h.status(wid)
        assert status.adjournment_breached
        assert status.stages[0].left_at == at("2027-04-23T12:00:00+01:00")
        assert status.current_stage == "principal_officer"


async def test_an_adjournment_counts_from_the_conference_not_from_entry(env, db, mail) -> None:
    """Issue 13: "adjourned ... not exceeding 15 working days" counts from the conference.

    Raised Friday 14 June 2030 after a conference on Friday 31 May: the adjournment's 15
    working days run from the conference, to Friday 21 June, not 15 working days after
    the raising. After a conference on Thursday 2 May (6 May a bank holiday) they ran out
    on Friday 24 May: entered on 14 June, the case records the breach at once and goes
    up. Without the conference's time the start is refused.
    """
    raised = at("2030-06-14T10:00:00+01:00")
    await jump_to(env, raised)
    async with running_packs(env, db, mail) as h:
        in_time = await h.client.open(
            payload(
                raised, ladder="equally_divided", disagreement_arose_at="2030-05-31T15:00:00+01:00"
            )
        )
        late = await h.client.open(
            payload(
                raised,
                ladder="equally_divided",
                disagreement_id="c2",
                disagreement_arose_at="2030-05-02T15:00:00+01:00",
            )
        )
        with pytest.raises(InvalidRequest, match="disagreement_arose_at: required for ladder"):
            await h.client.open(
                payload(raised, ladder="equally_divided", disagreement_id="c3")
                | {"disagreement_arose_at": None}
            )
        await h.sleep_until(raised + timedelta(minutes=5))
        status = await h.status(in_time)
        stage = status.stages[0]
        assert (len(status.stages), stage.stage_id, stage.entered_at, stage.due_at) == (
            1,
            "adjourned",
            at("2030-05-31T15:00:00+01:00"),
            at("2030-06-21T17:00:00+01:00"),
        )
        assert status.reconvene_due_at == at("2030-06-21T17:00:00+01:00")
        status = await h.status(late)
        assert status.adjournment_breached is True
        assert status.stages[0].outcome == "adjournment_breached"
        assert status.stages[0].due_at == at("2030-05-24T17:00:00+01:00")
        assert status.stages[1].entered_at == at("2030-05-24T17:00:00+01:00")
