"""The four seed packs say what their seeds say (and record where they had to decide)."""

from __future__ import annotations

from pathlib import Path

import pytest

from packs import load_pack

NEW = ["north-lincolnshire-safe-2018", "sutton-2015", "rutland", "north-lincolnshire-mars-2019"]
NORTH_LINCOLNSHIRE = ["north-lincolnshire-safe-2018", "north-lincolnshire-mars-2019"]
DEMO_SETTINGS = Path(__file__).parents[2] / "examples" / "local-settings"
# Both North Lincolnshire procedures, word for word: their only stage figure.
ADJOURNED = (
    "If there is an equally divided view, the conference will be adjourned for a brief period "
    "– not exceeding 15 working days in order for the matter to be reassessed."
)


def ladders(pack_id: str) -> dict[str, list[str]]:
    return {lad.id: [s.id for s in lad.stages] for lad in load_pack(pack_id).ladders}


@pytest.mark.parametrize("pack_id", NORTH_LINCOLNSHIRE)
def test_north_lincolnshire_ships_the_document_figure_only(pack_id: str) -> None:
    shipped = load_pack(pack_id, local=False)
    figures = {(lad.id, s.id): shipped.figure(s) for lad in shipped.ladders for s in lad.stages}
    documented = {key: f for key, f in figures.items() if f is not None}
    assert list(documented) == [("conference_equally_divided", "adjourned")]
    adjourned = documented[("conference_equally_divided", "adjourned")]
    assert (adjourned.value, adjourned.unit, adjourned.source) == (15, "working_days", "document")
    assert adjourned.quote is not None and ADJOURNED in adjourned.quote
    stages = [s for lad in shipped.ladders for s in lad.stages]
    assert all(s.timescale_note is None for s in stages if shipped.figure(s) is None)
    assert not any("default" in d.pack_uses for d in shipped.decisions)
    # The demo settings (`escalation dev`, the tests) give every other stage a local figure.
    demo = load_pack(pack_id, local_dir=DEMO_SETTINGS)
    for ladder in demo.ladders:
        assert demo.unset_stages(ladder) == [], ladder.id
        for stage in ladder.stages:
            figure = demo.figure(stage)
            assert figure is not None
            if (ladder.id, stage.id) not in documented:
                assert figure.source == "local" and figure.set_by is not None
                assert figure.set_by.startswith("Demo figures"), (ladder.id, stage.id)
        last = ladder.stages[-1]
        assert last.on_deadline == "notify_and_wait" and last.overdue_notify, ladder.id


@pytest.mark.parametrize("pack_id", [p for p in NEW if p not in NORTH_LINCOLNSHIRE])
def test_no_stage_figure_where_the_document_gives_none(pack_id: str) -> None:
    """Sutton and Rutland give no stage figure: every stage is the partnership's to set."""
    shipped = load_pack(pack_id, local=False)
    for ladder in shipped.ladders:
        agreed_per_case = [s for s in ladder.stages if s.per_case]
        assert shipped.unset_stages(ladder) == [
            s for s in ladder.stages if s not in agreed_per_case
        ], ladder.id
        assert all(s.timescale_note is None for s in ladder.stages), ladder.id
    assert any("local setting" in d.pack_uses for d in shipped.decisions), (
        "a [[decisions]] entry must say the partnership's local setting gives the stages theirs"
    )
    assert not any("default_timescale" in d.pack_uses for d in shipped.decisions)
    pack = load_pack(pack_id, local_dir=DEMO_SETTINGS)
    for ladder in pack.ladders:
        assert pack.unset_stages(ladder) == [], ladder.id
        assert {pack.figure(s).source for s in ladder.stages} == {"local"}  # type: ignore[union-attr]
        last = ladder.stages[-1]
        assert last.on_deadline == "notify_and_wait" and last.overdue_notify, ladder.id


def test_safe_2018() -> None:
    pack = load_pack("north-lincolnshire-safe-2018")
    assert ladders(pack.id) == {
        "individual": ["practitioners", "line_managers", "principal_officer_review", "lscb_chair"],
        "conference_majority": ["line_manager_irs", "principal_officer_review", "lscb_chair"],
        "conference_equally_divided": ["adjourned", "principal_officer_review", "lscb_chair"],
        "convene_conference": ["irs_consultation", "principal_officer_review", "lscb_chair"],
    }
    assert pack.conference_reports is not None
    assert pack.conference_reports.initial_working_days_before == 2
    assert pack.conference_reports.review_working_days_before == 5
    for ladder in pack.ladders:
        for stage in ladder.stages:
            at_po_level = stage.id in ("principal_officer_review", "lscb_chair")
            assert ("partnership.pathway_lead_group" in stage.learning_notify) == at_po_level
    adjourned = pack.ladder("conference_equally_divided").stages[0]
    assert adjourned.kind == "conference_adjournment"
    assert adjourned.timescale_working_days == 15
    assert adjourned.on_majority_dissent == "conference_majority"
    assert adjourned.interim_position and "child protection plan" in adjourned.interim_position
    # The pit stop's "aiming for 2 weeks from the referral point" is a milestone inside the
    # Principal Officer review, not its deadline: the stage has no document figure.
    shipped = load_pack(pack.id, local=False)
    for ladder in shipped.ladders:
        assert shipped.figure(ladder.stage("principal_officer_review")) is None
    assert any(d.topic.startswith("Pit stop") for d in pack.decisions)


def test_sutton_2015_chair_is_final() -> None:
    pack = load_pack("sutton-2015")
    assert set(ladders(pack.id)) == {
        "strategic",
        "referral",
        "assessment_care_planning",
        "conference",
        "plan_implementation",
    }
    assert pack.conference_reports is None
    for ladder in pack.ladders:
        chair = ladder.stages[-1]
        assert chair.holders == ["partnership.independent_chair"]
        assert chair.requires_confirmation is False
        assert all(s.requires_confirmation for s in ladder.stages[:-1])
    assert ladders(pack.id)["conference"] == [
        "designated_lead",
        "safeguarding_manager",
        "lscb_member",
        "independent_chair",
    ]
    # Section 6: going to the Chief Executive is the Independent Chair's judgement, so the
    # Chief Executive is copied on no referral (the Chair's action for it comes later).
    for ladder in pack.ladders:
        for stage in ladder.stages:
            assert "partnership.chief_executive" not in stage.copied + stage.holders, stage.id
    assert any("Chief Executive" in d.topic for d in pack.decisions)


def test_rutland_significant_harm_and_practice_alerts() -> None:
    pack = load_pack("rutland")
    ladder = pack.ladder()
    assert [s.id for s in ladder.stages] == [
        "practitioners",
        "line_managers",
        "resolution_meeting",
        "lscb",
    ]
    assert ladder.immediate_risk_stage == "lscb"
    # "proceed to stage 4 immediately and on the same working day" is the referral: stage 4
    # keeps its own timescale, which the guidance does not give (the partnership sets it).
    assert not hasattr(ladder, "immediate_risk_working_days")
    figure = pack.figure(ladder.stage("lscb"))
    assert figure is not None and figure.source == "local"
    risk = [d for d in pack.decisions if d.topic == "Significant harm"]
    assert risk and "stage 4's own timescale" in risk[0].pack_uses
    assert pack.conference_reports is not None
    assert pack.conference_reports.initial_working_days_before == 2
    assert pack.conference_reports.review_working_days_before == 3
    alerts = pack.practice_alerts
    assert alerts is not None
    assert [r.title for r in alerts.reason_codes] == [
        "Report not completed for CPC/CLA review",
        "Core Group not help/ recorded within required timescales",
        "Care/CPC plan not updated/progressed",
        "Statutory visit not undertaken within required timescale",
        "Agreed action not completed – CPA/CLA",
        "Childs views not ascertained",
        "Child/family not included/invited to meeting",
        "Life story work /direct work not completed",
        "Assessment not completed within required timescale "
        "(parenting/pre-birth/CSE/domestic abuse)",
        "Missing protocol not followed",
        "IRO/CP Chair not informed of significant event",
        "Pathway Planning not completed within required timescales",
        "Other",
    ]
    assert [(s.title, s.timescale_working_days) for s in alerts.stages] == [
        ("Stage 1: Team Manager", 5),
        ("Stage 2: Service Manager", 5),
        ("Stage 3: Head of Service", 5),
        ("Stage 4: Director for People", 5),
        ("Stage 5: Independent Chair of the LSCB", 5),
        ("Stage 6: CAFCASS (Dispute Resolution Process, IRO Handbook)", 5),
    ]
    assert alerts.serious_start_stages == [alerts.stages[2].id, alerts.stages[3].id]
    assert [pack.role_title(r) for r in alerts.raised_by] == [
        "Independent Reviewing Officer (IRO)",
        "Child protection conference chair",
    ]


def test_mars_2019() -> None:
    pack = load_pack("north-lincolnshire-mars-2019")
    assert ladders(pack.id) == {
        "individual": [
            "practitioners",
            "line_managers",
            "head_of_service",
            "multi_agency_review",
            "independent_scrutiny_officer",
        ],
        "convene_conference": [
            "service_managers",
            "head_of_independent_review",
            "multi_agency_review",
            "independent_scrutiny_officer",
        ],
        "conference_majority": [
            "line_manager_irs",
            "head_of_independent_review",
            "multi_agency_review",
            "independent_scrutiny_officer",
        ],
        "conference_equally_divided": [
            "adjourned",
            "head_of_independent_review",
            "multi_agency_review",
            "independent_scrutiny_officer",
        ],
        "serious_cases": [
            "partner_representatives",
            "safeguarding_partners",
            "independent_scrutiny_officer",
        ],
    }
    assert pack.conference_reports is None
    adjourned = pack.ladder("conference_equally_divided").stages[0]
    assert (adjourned.timescale_working_days, adjourned.on_majority_dissent) == (
        15,
        "conference_majority",
    )
    # 2.1 C: "escalated to senior managers within each organisation": both agencies'.
    assert pack.ladder().stage("head_of_service").holders == [
        "partnership.head_of_safeguarding",
        "raising.senior_manager",
        "receiving.senior_manager",
    ]
    assert set(pack.ladder("serious_cases").stages[0].holders) >= {
        "partnership.designated_nurse",
        "partnership.head_of_safeguarding",
        "partnership.police_representative",
    }
