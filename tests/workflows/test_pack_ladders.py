"""Every ladder of the four seed packs, walked by silence on the time-skipping server.

Each case is started from its shipped example (examples/<pack>--<ladder>.json), raised on
Monday 24 May 2027 at 10:00 BST, a week before the Spring bank holiday (31 May 2027).
Deadlines are asserted to the minute: hand-computed literals for one ladder per pack and
for every final deadline, the calendar's own arithmetic for the stages in between.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest

from models.calendar import DeadlineRequest
from models.decisions import ConferenceReconvened, Confirmed, ImmediateRisk, Resolved
from models.pack import LadderSpec, PolicyPack
from packs import load_pack
from starter.smtp_sink import SmtpSink
from tests.workflows.support import at, jump_to, minute, running
from workdays.calendar import plan_deadline

EXAMPLES = Path(__file__).parents[2] / "examples"
PACKS = [
    "north-lincolnshire-safe-2018",
    "sutton-2015",
    "rutland",
    "north-lincolnshire-mars-2019",
]
RAISED = at("2027-05-24T10:00:00+01:00")  # Monday; Monday 31 May 2027 is a bank holiday
AFTER_ALL = at("2027-07-07T09:00:00+01:00")  # after every ladder's last deadline

# Hand-computed (working days counted on a calendar, 31 May skipped): one ladder per pack.
WALKS: dict[tuple[str, str], list[tuple[str, str, str]]] = {
    ("north-lincolnshire-safe-2018", "individual"): [
        ("practitioners", "2027-05-24T10:00:00+01:00", "2027-06-01T17:00:00+01:00"),
        ("line_managers", "2027-06-01T17:00:00+01:00", "2027-06-08T17:00:00+01:00"),
        # 10 working days: the pit stop's "2 weeks from the referral point"
        ("principal_officer_review", "2027-06-08T17:00:00+01:00", "2027-06-22T17:00:00+01:00"),
        ("lscb_chair", "2027-06-22T17:00:00+01:00", "2027-06-29T17:00:00+01:00"),
    ],
    ("sutton-2015", "assessment_care_planning"): [
        ("first_line_managers", "2027-05-24T10:00:00+01:00", "2027-06-01T17:00:00+01:00"),
        ("senior_managers", "2027-06-01T17:00:00+01:00", "2027-06-08T17:00:00+01:00"),
        ("heads_of_service", "2027-06-08T17:00:00+01:00", "2027-06-15T17:00:00+01:00"),
        ("lscb_member", "2027-06-15T17:00:00+01:00", "2027-06-22T17:00:00+01:00"),
        ("independent_chair", "2027-06-22T17:00:00+01:00", "2027-06-29T17:00:00+01:00"),
    ],
    ("rutland", "disagreement"): [
        ("practitioners", "2027-05-24T10:00:00+01:00", "2027-06-01T17:00:00+01:00"),
        ("line_managers", "2027-06-01T17:00:00+01:00", "2027-06-08T17:00:00+01:00"),
        ("resolution_meeting", "2027-06-08T17:00:00+01:00", "2027-06-15T17:00:00+01:00"),
        ("lscb", "2027-06-15T17:00:00+01:00", "2027-06-22T17:00:00+01:00"),
    ],
    ("north-lincolnshire-mars-2019", "conference_equally_divided"): [
        # adjourned "not exceeding 15 working days", then up the ladder
        ("adjourned", "2027-05-24T10:00:00+01:00", "2027-06-15T17:00:00+01:00"),
        ("head_of_independent_review", "2027-06-15T17:00:00+01:00", "2027-06-22T17:00:00+01:00"),
        ("multi_agency_review", "2027-06-22T17:00:00+01:00", "2027-06-29T17:00:00+01:00"),
        ("independent_scrutiny_officer", "2027-06-29T17:00:00+01:00", "2027-07-06T17:00:00+01:00"),
    ],
}

# Hand-computed: the last stage's deadline of every ladder, reached by silence.
FINAL_DUE: dict[tuple[str, str], str] = {
    ("north-lincolnshire-safe-2018", "individual"): "2027-06-29T17:00:00+01:00",
    ("north-lincolnshire-safe-2018", "conference_majority"): "2027-06-22T17:00:00+01:00",
    ("north-lincolnshire-safe-2018", "conference_equally_divided"): "2027-07-06T17:00:00+01:00",
    ("north-lincolnshire-safe-2018", "convene_conference"): "2027-06-22T17:00:00+01:00",
    ("sutton-2015", "strategic"): "2027-06-08T17:00:00+01:00",
    ("sutton-2015", "referral"): "2027-06-29T17:00:00+01:00",
    ("sutton-2015", "assessment_care_planning"): "2027-06-29T17:00:00+01:00",
    ("sutton-2015", "conference"): "2027-06-22T17:00:00+01:00",
    ("sutton-2015", "plan_implementation"): "2027-06-22T17:00:00+01:00",
    ("rutland", "disagreement"): "2027-06-22T17:00:00+01:00",
    ("north-lincolnshire-mars-2019", "individual"): "2027-06-29T17:00:00+01:00",
    ("north-lincolnshire-mars-2019", "convene_conference"): "2027-06-22T17:00:00+01:00",
    ("north-lincolnshire-mars-2019", "conference_majority"): "2027-06-22T17:00:00+01:00",
    ("north-lincolnshire-mars-2019", "conference_equally_divided"): "2027-07-06T17:00:00+01:00",
    ("north-lincolnshire-mars-2019", "serious_cases"): "2027-06-15T17:00:00+01:00",
}


def example(pack_id: str, ladder_id: str, **overrides: Any) -> dict[str, Any]:
    """The shipped example, raised at RAISED, with a fresh case reference."""
    data: dict[str, Any] = json.loads(
        (EXAMPLES / f"{pack_id}--{ladder_id}.json").read_text(encoding="utf-8")
    )
    payload = copy.deepcopy(data)
    payload["case_reference"] = f"{data['case_reference']}-{uuid.uuid4().hex[:6]}"
    payload["raised_at"] = RAISED.isoformat()
    # Counted from the same moment as the raising: an adjourned conference counts from it.
    payload["disagreement_arose_at"] = RAISED.isoformat()
    if "conference" in payload:
        # The reconvened conference, inside the adjournment.
        payload["conference"]["at"] = "2027-06-09T10:00:00+01:00"
    payload.update(overrides)
    return payload


def expected_walk(pack: PolicyPack, ladder: LadderSpec) -> list[tuple[str, str, str]]:
    """Each stage entered at the last one's deadline and given its full timescale."""
    rows, start = [], RAISED
    for stage in ladder.stages:
        due = plan_deadline(
            DeadlineRequest(calendar=pack.calendar, start=start, working_days=pack.timescale(stage))
        ).due_at
        rows.append((stage.id, start.isoformat(), due.isoformat()))
        start = due
    return rows


def emails(pack_payload: dict[str, Any], roles: list[str]) -> set[str]:
    by_role = {p["role"]: p["email"] for p in pack_payload["people"]}
    return {by_role[r] for r in roles if r in by_role}


def addresses(msg: EmailMessage, header: str) -> set[str]:
    return {addr for _, addr in getaddresses(msg.get_all(header, []))}


async def mails_of(
    sink: SmtpSink, case: str, kind: str, count: int, timeout: float = 10.0
) -> list[EmailMessage]:
    """This case's messages of one kind, once ``count`` have arrived (loopback delivery)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = [
            m
            for m in sink.messages
            if m["X-Escalation-Case"] == case and m["X-Escalation-Kind"] == kind
        ]
        if len(found) >= count or loop.time() > deadline:
            return found
        await asyncio.sleep(0.02)


def test_the_tables_cover_every_ladder() -> None:
    ladders = {(p, lad.id) for p in PACKS for lad in load_pack(p).ladders}
    assert set(FINAL_DUE) == ladders
    assert {p for p, _ in WALKS} == set(PACKS)
    for (pack_id, ladder_id), walk in WALKS.items():
        pack = load_pack(pack_id)
        assert expected_walk(pack, pack.ladder(ladder_id)) == walk
        assert walk[-1][2] == FINAL_DUE[(pack_id, ladder_id)]


@pytest.mark.parametrize("pack_id", PACKS)
async def test_silence_climbs_every_ladder_to_its_last_stage(env, db, mail, pack_id: str) -> None:
    pack = load_pack(pack_id)
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        payloads = {lad.id: example(pack_id, lad.id) for lad in pack.ladders}
        ids = {lid: await h.client.open(p) for lid, p in payloads.items()}
        await h.sleep_until(AFTER_ALL)

        for ladder in pack.ladders:
            status = await h.status(ids[ladder.id])
            walk = [
                (s.stage_id, s.entered_at.isoformat(), s.due_at.isoformat()) for s in status.stages
            ]
            assert walk == WALKS.get((pack_id, ladder.id), expected_walk(pack, ladder)), ladder.id
            assert walk[-1][2] == FINAL_DUE[(pack_id, ladder.id)], ladder.id
            # Every last stage waits for its holder and tells the pack's people it is overdue.
            assert status.state == "open", ladder.id
            assert status.current_stage == ladder.stages[-1].id, ladder.id
            last = status.stages[-1]
            assert last.outcome is None
            assert last.overdue_notified_at is not None
            assert minute(last.overdue_notified_at) == at(FINAL_DUE[(pack_id, ladder.id)])
            for stage, spec in zip(status.stages[:-1], ladder.stages, strict=False):
                expected = (
                    {"timeout", "adjournment_breached"}
                    if spec.kind == "conference_adjournment"
                    else {"timeout"}
                )
                assert stage.outcome in expected, (ladder.id, stage.stage_id, stage.outcome)
                assert stage.left_at == stage.due_at

        # What the people of the default ladder saw: who was asked to act at each stage,
        # and who was told the last stage is overdue.
        ladder = pack.ladder()
        payload = payloads[ladder.id]
        case = payload["case_reference"]
        entered = await mails_of(mail, case, "stage_entered", len(ladder.stages))
        assert [addresses(m, "To") for m in entered] == [
            emails(payload, s.holders) for s in ladder.stages
        ]
        assert [addresses(m, "Cc") for m in entered] == [
            emails(payload, [r for r in s.copied if r not in s.holders]) for s in ladder.stages
        ]
        overdue = [
            m
            for m in await mails_of(mail, case, "overdue", 1)
            if "] Overdue: " in str(m["Subject"])  # not a missed milestone's notice
        ]
        assert len(overdue) == 1
        last = ladder.stages[-1]
        assert addresses(overdue[0], "To") == emails(payload, last.overdue_notify)
        assert str(overdue[0]["Subject"]).startswith(f"[{case}] Overdue: {last.title}")


# Resolved during stage 2 on Thursday 3 June 2027 at 11:00: written confirmation is due
# 2 working days later, Monday 7 June 17:00.
RESOLVED_AT = at("2027-06-03T11:00:00+01:00")
CONFIRM_DUE = at("2027-06-07T17:00:00+01:00")


@pytest.mark.parametrize("pack_id", PACKS)
async def test_resolved_at_stage_two_is_confirmed_and_closed(env, db, mail, pack_id: str) -> None:
    pack = load_pack(pack_id)
    ladder = pack.ladder()
    second = ladder.stages[1]
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        payload = example(pack_id, ladder.id)
        wid = await h.client.open(payload)
        await h.sleep_until(RESOLVED_AT)
        receipt = await h.client.resolve(
            wid, Resolved(by="Line manager", outcome="Assessment agreed", stage=second.id)
        )
        assert receipt is not None
        assert receipt.state == "resolved"
        assert receipt.due_at == CONFIRM_DUE
        status = await h.status(wid)
        assert [s.stage_id for s in status.stages] == [s.id for s in ladder.stages[:2]]
        assert [s.outcome for s in status.stages] == ["timeout", "resolved"]
        assert status.stages[1].due_at == at("2027-06-08T17:00:00+01:00")
        assert minute(status.stages[1].left_at) == RESOLVED_AT
        assert status.confirmation_due_at == CONFIRM_DUE

        done = await h.client.confirm(wid, Confirmed(by="Line manager", text="Letter sent"))
        assert done is not None and done.state == "closed"
        result = await h.client.handle(wid).result()
        assert result.state == "closed"
        assert result.outcome == "Assessment agreed"
        assert result.confirmation_late is False
        confirmer = second.confirmer or second.holders[-1]
        asked = await mails_of(mail, payload["case_reference"], "resolved", 1)
        assert [addresses(m, "To") for m in asked] == [emails(payload, [confirmer])]


async def test_sutton_independent_chairs_written_response_is_final(env, db, mail) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        wid = await h.client.open(example("sutton-2015", "strategic"))
        await h.sleep_until(RESOLVED_AT)  # stage 2, the Independent LSCB Chair
        receipt = await h.client.resolve(
            wid,
            Resolved(
                by="Independent LSCB Chair",
                outcome="Health to be invited to every strategy discussion",
                stage="independent_chair",
            ),
        )
        assert receipt is not None and receipt.state == "closed"
        result = await h.client.handle(wid).result()
        assert [s.stage_id for s in result.stages] == ["subgroup_chair", "independent_chair"]
        assert result.state == "closed"
        assert result.confirmation_due_at is None


async def test_rutland_significant_harm_goes_to_stage_4_at_once_with_its_own_timescale(
    env, db, mail
) -> None:
    """'Escalated to stage 4 on the same working day' is the referral: the case moves at
    once; stage 4 then has its own timescale (the partnership's: the document gives none),
    5 working days in the demo settings, past the 31 May 2027 bank holiday."""
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        payload = example("rutland", "disagreement", immediate_risk=True)
        wid = await h.client.open(payload)
        await h.sleep_until(at("2027-05-24T12:00:00+01:00"))
        status = await h.status(wid)
        assert [s.stage_id for s in status.stages] == ["lscb"]
        assert status.stages[0].entered_at == RAISED
        assert status.stages[0].due_at == at("2027-06-01T17:00:00+01:00")
        assert status.stages[0].timescale_working_days == 5
        assert status.stages[0].timescale_source == "local"
        entered = await mails_of(mail, payload["case_reference"], "stage_entered", 1)
        assert [addresses(m, "To") for m in entered] == [
            emails(payload, ["partnership.lscb_manager"])
        ]
        # The last stage waits past its deadline and tells the Independent Chair.
        await h.sleep_until(at("2027-06-01T17:01:00+01:00"))
        status = await h.status(wid)
        assert status.current_stage == "lscb" and status.stages[0].overdue_notified_at


async def test_rutland_significant_harm_declared_later_counts_from_that_working_day(
    env, db, mail
) -> None:
    """Declared on Tuesday 25 May 2027: stage 4's 5 working days run to Wednesday 2 June
    (31 May a bank holiday). Declared on the evening of Friday 28 May (after close of
    business): they count from the next working day, Tuesday 1 June, to Tuesday 8 June."""
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        payload = example("rutland", "disagreement")
        wid = await h.client.open(payload)
        await h.sleep_until(at("2027-05-25T11:00:00+01:00"))
        receipt = await h.client.raise_immediate_risk(
            wid, ImmediateRisk(by="A. Teacher", reason="Bruising seen today")
        )
        assert receipt is not None and receipt.stage == "lscb"
        assert receipt.due_at == at("2027-06-02T17:00:00+01:00")
        other = await h.client.open(example("rutland", "disagreement"))
        await h.sleep_until(at("2027-05-28T18:30:00+01:00"))
        receipt = await h.client.raise_immediate_risk(
            other, ImmediateRisk(by="A. Teacher", reason="Disclosure this evening")
        )
        assert receipt is not None and receipt.stage == "lscb"
        assert receipt.due_at == at("2027-06-08T17:00:00+01:00")
        status = await h.status(wid)
        assert [(s.stage_id, s.outcome) for s in status.stages] == [
            ("practitioners", "immediate_risk"),
            ("lscb", None),
        ]


# The adjourned conference reconvenes on Wednesday 2 June 2027 at 11:00.
RECONVENED_AT = at("2027-06-02T11:00:00+01:00")
# (pack, where a still divided conference goes, its deadline, the dissent ladder's first deadline)
DIVIDED = [
    (
        "north-lincolnshire-safe-2018",
        "principal_officer_review",
        "2027-06-16T17:00:00+01:00",  # 10 working days
        "2027-06-09T17:00:00+01:00",
    ),
    (
        "north-lincolnshire-mars-2019",
        "head_of_independent_review",
        "2027-06-09T17:00:00+01:00",
        "2027-06-09T17:00:00+01:00",
    ),
]


@pytest.mark.parametrize(
    ("pack_id", "up", "up_due", "dissent_due"), DIVIDED, ids=[d[0] for d in DIVIDED]
)
async def test_reconvened_conference_follows_the_pack(
    env, db, mail, pack_id: str, up: str, up_due: str, dissent_due: str
) -> None:
    await jump_to(env, RAISED)
    async with running(env, db, mail) as h:
        divided = await h.client.open(example(pack_id, "conference_equally_divided"))
        dissent = await h.client.open(example(pack_id, "conference_equally_divided"))
        agreed = await h.client.open(example(pack_id, "conference_equally_divided"))
        await h.sleep_until(RECONVENED_AT)

        still = ConferenceReconvened(by="Conference chair", outcome="still_divided", text="2-2")
        receipt = await h.client.reconvene(divided, still)
        assert receipt is not None and (receipt.stage, receipt.due_at) == (up, at(up_due))

        majority = ConferenceReconvened(
            by="Conference chair",
            outcome="majority",
            text="Plan continues, 3-1",
            minority_dissents=True,
            minority="Police",
        )
        receipt = await h.client.reconvene(dissent, majority)
        assert receipt is not None
        assert (receipt.stage, receipt.due_at) == ("line_manager_irs", at(dissent_due))
        status = await h.status(dissent)
        assert status.ladder == "conference_majority"
        assert [(s.ladder_id, s.stage_id) for s in status.stages] == [
            ("conference_equally_divided", "adjourned"),
            ("conference_majority", "line_manager_irs"),
        ]
        assert minute(status.stages[1].entered_at) == RECONVENED_AT

        unanimous = ConferenceReconvened(by="Conference chair", outcome="unanimous", text="Agreed")
        receipt = await h.client.reconvene(agreed, unanimous)
        assert receipt is not None and receipt.state == "closed"  # the minuted decision stands
        result = await h.client.handle(agreed).result()
        assert result.outcome == "Agreed"
        assert [s.outcome for s in result.stages] == ["resolved"]
