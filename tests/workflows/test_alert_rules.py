"""The practice alert's pure rules, without Temporal: start checks and who may decide what."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from models.alerts import StartPracticeAlert
from models.pack import PolicyPack
from packs import load_pack
from workflows.alert_rules import (
    check_decision,
    first_stage,
    is_raiser,
    next_stage,
    reason_title,
    validate_start,
)

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "packs"
PACK = load_pack("rutland-alerts-test", FIXTURES)
SPEC = PACK.practice_alerts
assert SPEC is not None
EXAMPLE: dict[str, Any] = json.loads(
    (ROOT / "examples" / "rutland--practice-alert.json").read_text()
)
RAISER = EXAMPLE["raised_by"]["email"]


def request(**overrides: Any) -> StartPracticeAlert:
    data = copy.deepcopy(EXAMPLE)
    data["procedure"] = PACK.id
    data.update(overrides)
    return StartPracticeAlert.model_validate(data)


def test_the_example_is_valid_and_starts_at_the_team_manager() -> None:
    req = request()
    assert validate_start(req, PACK) == []
    assert first_stage(SPEC, req).id == "team_manager"


def test_stages_go_up_one_at_a_time_to_cafcass() -> None:
    ids = [s.id for s in SPEC.stages]
    assert ids == [
        "team_manager",
        "service_manager",
        "head_of_service",
        "director_for_people",
        "lscb_independent_chair",
        "cafcass",
    ]
    assert [getattr(next_stage(SPEC, i), "id", None) for i in ids] == [*ids[1:], None]


def test_unknown_reason_code_is_refused_naming_the_field_and_listing_the_codes() -> None:
    (error,) = validate_start(request(reason_code="4"), PACK)
    assert error.startswith(
        "reason_code: '4' is not one of rutland-alerts-test's reason codes (valid: "
        "report_not_completed (Report not completed for CPC/CLA review), "
    )
    assert error.endswith(", other (Other))")
    assert all(f"{r.code} ({r.title})" in error for r in SPEC.reason_codes)
    assert len(SPEC.reason_codes) == 13
    assert (
        reason_title(SPEC, "statutory_visit_late")
        == "Statutory visit not undertaken within required timescale"
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"start_stage": "head_of_service"},
            "start_stage: an alert starts at team_manager unless it is serious or urgent; set "
            "serious_or_urgent to start at 'head_of_service' "
            "(serious start stages: head_of_service, director_for_people)",
        ),
        (
            {"start_stage": "service_manager", "serious_or_urgent": True},
            "start_stage: 'service_manager' is not a stage a serious or urgent alert may start "
            "at (allowed: head_of_service, director_for_people)",
        ),
        (
            {"start_stage": "cafcass", "serious_or_urgent": True},
            "start_stage: 'cafcass' is not a stage a serious or urgent alert may start "
            "at (allowed: head_of_service, director_for_people)",
        ),
    ],
)
def test_start_stage_only_when_serious_and_allowed(
    overrides: dict[str, Any], expected: str
) -> None:
    assert validate_start(request(**overrides), PACK) == [expected]


@pytest.mark.parametrize("stage", ["head_of_service", "director_for_people"])
def test_serious_alert_may_start_at_stage_3_or_4(stage: str) -> None:
    req = request(start_stage=stage, serious_or_urgent=True)
    assert validate_start(req, PACK) == []
    assert first_stage(SPEC, req).id == stage


def test_a_serious_alert_starting_higher_needs_only_the_people_from_there_up() -> None:
    people = [p for p in EXAMPLE["people"] if p["role"] != "receiving.team_manager"]
    req = request(start_stage="head_of_service", serious_or_urgent=True, people=people)
    assert validate_start(req, PACK) == []
    assert validate_start(request(people=people), PACK) == [
        "people: nobody holds 'receiving.team_manager' (Team Manager), who must respond at "
        "Stage 1: Team Manager"
    ]


def test_raiser_must_hold_a_raising_role_and_roles_must_be_known() -> None:
    raiser = {**EXAMPLE["raised_by"], "role": "receiving.team_manager"}
    people = [*EXAMPLE["people"], {"role": "raising.social_worker", "name": "X", "email": "x@a.bc"}]
    errors = validate_start(request(raised_by=raiser, people=people), PACK)
    assert errors[0] == (
        "raised_by.role: 'receiving.team_manager' may not raise a practice alert (allowed: "
        "raising.iro (Independent Reviewing Officer), raising.cp_chair (Child Protection "
        "Conference Chair))"
    )
    assert errors[1].startswith("people: role 'raising.social_worker' is not a role of")


def test_a_pack_without_practice_alerts_is_refused() -> None:
    pack = load_pack("redbridge-2017")
    assert validate_start(request(), pack) == [
        "procedure: redbridge-2017 has no practice alert procedure"
    ]


def test_the_raiser_is_identified_by_email_case_insensitively() -> None:
    assert is_raiser(" IRO@Rutland.Example.ORG ", RAISER)
    assert not is_raiser("J. Independent Reviewing Officer", RAISER)


def decide(kind: Any, state: Any = "awaiting_finalisation", **kw: Any) -> str | None:
    spec_pack: PolicyPack = PACK
    assert spec_pack.practice_alerts is not None
    args: dict[str, Any] = {
        "spec": spec_pack.practice_alerts,
        "by": RAISER,
        "raiser_email": RAISER,
        "has_response": True,
    }
    args.update(kw)
    stage = args.pop("stage_id", "team_manager")
    return check_decision(kind, state, stage, **args)


def test_only_the_raiser_finalises_and_only_after_a_response() -> None:
    assert decide("finalise") is None
    assert decide("finalise", by="team.manager@rutland.example.org") == (
        "by: only the raising chair may finalise this alert; give the raiser's email address "
        "as 'by' ('team.manager@rutland.example.org' is not the raiser)"
    )
    assert decide("finalise", "open", has_response=False) == (
        "nothing to finalise yet: no response is on the case note; stage 'team_manager' must "
        "respond first"
    )
    # A response at a lower stage is enough: the chair may be satisfied after all.
    assert decide("finalise", "open", stage_id="service_manager") is None
    assert decide("finalise", "finalised") == (
        "the alert is finalised; no further decisions are accepted"
    )


def test_not_satisfied_needs_a_response_here_and_a_stage_above() -> None:
    assert decide("not_satisfied") is None
    assert decide("not_satisfied", "open", stage_id="service_manager") == (
        "stage 'service_manager' has not responded yet and its deadline has not passed: the "
        "raising chair escalates after a response, or once the deadline has passed without one "
        "(or, in a serious or urgent alert, straight to a serious stage at any point)"
    )
    # Once the deadline has passed without a response, the chair may escalate.
    assert decide("not_satisfied", "open", stage_id="service_manager", overdue=True) is None
    assert decide("not_satisfied", stage_id="cafcass") == (
        "stage 'cafcass' is the last stage: there is no higher level; ask it for a further "
        "response or finalise the alert"
    )
    assert decide("not_satisfied", by="someone@else.org").startswith(  # type: ignore[union-attr]
        "by: only the raising chair may escalate this alert"
    )


def test_anyone_may_respond_but_a_named_stage_must_be_the_current_one() -> None:
    assert decide("respond", "open", by="K. Team Manager", has_response=False) is None
    assert decide("respond", "awaiting_finalisation", by="K. Team Manager") is None
    assert decide("respond", "open", by="K", stage_named="director") == (
        "stage: the alert is at stage 'team_manager', not 'director'"
    )
    assert decide("respond", "finalised", by="K") == (
        "the alert is finalised; no further decisions are accepted"
    )


def test_the_shipped_rutland_pack_takes_the_example_and_matches_the_test_pack() -> None:
    """The test pack is a faithful copy of packs/rutland.toml's practice alert section."""
    shipped = load_pack("rutland")
    assert validate_start(StartPracticeAlert.model_validate(EXAMPLE), shipped) == []
    real = shipped.practice_alerts
    assert real is not None

    # The same stages and rules; only the figures' notes differ (quotes against "test pack").
    def rules(spec: object) -> object:
        dumped = spec.model_dump(exclude={"title"})  # type: ignore[attr-defined]
        for stage in dumped["stages"]:
            stage.pop("timescale_note")
        return dumped

    assert rules(real) == rules(SPEC)


def test_the_example_decodes_as_the_temporal_cli_sends_it() -> None:
    """``temporal workflow start --type PracticeAlert --input-file`` sends the bytes as json/plain."""
    path = ROOT / "examples" / "rutland--practice-alert.json"
    payload = Payload(metadata={"encoding": b"json/plain"}, data=path.read_bytes())
    req = pydantic_data_converter.payload_converter.from_payload(payload, StartPracticeAlert)
    assert isinstance(req, StartPracticeAlert)
    assert (req.procedure, req.case_reference, req.alert_id) == (
        "rutland",
        "CR-2026-00731",
        "visits-01",
    )
    assert " " not in req.case_reference
    assert all(p.email.endswith(".example.org") for p in [req.raised_by, *req.people])
