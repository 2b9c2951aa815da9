"""The four seed packs say what their seeds say (and record where they had to decide)."""

from __future__ import annotations

import pytest

from packs import load_pack

NEW = ["north-lincolnshire-safe-2018", "sutton-2015", "rutland", "north-lincolnshire-mars-2019"]


def ladders(pack_id: str) -> dict[str, list[str]]:
    return {lad.id: [s.id for s in lad.stages] for lad in load_pack(pack_id).ladders}


@pytest.mark.parametrize("pack_id", NEW)
def test_every_default_timescale_is_declared_a_default(pack_id: str) -> None:
    pack = load_pack(pack_id)
    stages = [s for lad in pack.ladders for s in lad.stages]
    assert all(s.timescale_note for s in stages)
    defaulted = [s for s in stages if pack.uses_default(s)]
    assert defaulted, "every seed leaves some stage without a figure"
    assert all("partnership default" in (s.timescale_note or "") for s in defaulted)
    assert any("partnership default, not the seed's figure" in d.reason for d in pack.decisions), (
        "a [[decisions]] entry must say the default is the partnership's"
    )
    for ladder in pack.ladders:
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
    assert pack.timescale(pack.ladder().stages[2]) == 10  # pit stop: 2 weeks


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
    assert ladder.immediate_risk_working_days == 0
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
    assert set(pack.ladder("serious_cases").stages[0].holders) >= {
        "partnership.designated_nurse",
        "partnership.head_of_safeguarding",
        "partnership.police_representative",
    }
