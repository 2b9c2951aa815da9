"""The pure ladder rules, without Temporal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from models.start import StartDisagreement
from packs import load_pack
from workflows.ladder import (
    Position,
    check_decision,
    immediate_risk_target,
    next_stage,
    raised_at_error,
    stage_figure,
    unset_stage_errors,
    validate_start,
)

PACK = load_pack("redbridge-2017")
LADDER = PACK.ladder()
EXAMPLE = json.loads((Path(__file__).parents[2] / "examples" / "redbridge-2017.json").read_text())


def test_next_stage_climbs_and_stops_at_the_chair() -> None:
    assert next_stage(LADDER, "practitioners").id == "line_managers"  # type: ignore[union-attr]
    assert next_stage(LADDER, "senior_managers").id == "lscb_chair"  # type: ignore[union-attr]
    assert next_stage(LADDER, "lscb_chair") is None


def test_immediate_risk_only_moves_up() -> None:
    assert immediate_risk_target(LADDER, None).id == "line_managers"  # type: ignore[union-attr]
    assert immediate_risk_target(LADDER, "practitioners").id == "line_managers"  # type: ignore[union-attr]
    assert immediate_risk_target(LADDER, "line_managers") is None
    assert immediate_risk_target(LADDER, "lscb_chair") is None


def test_every_redbridge_stage_has_the_documents_figure() -> None:
    figures = [stage_figure(PACK, s) for s in LADDER.stages]
    assert [(f.value, f.unit, f.source) for f in figures] == [
        (5, "working_days", "document"),
        (5, "working_days", "document"),
        (2, "working_days", "document"),
        (5, "working_days", "document"),
    ]
    assert all(f.quote for f in figures)
    assert unset_stage_errors(PACK, LADDER) == []


def test_decision_refusals_say_why() -> None:
    open1 = Position("open", "practitioners")
    assert check_decision("resolved", open1, LADDER, None) is None
    assert check_decision("resolved", open1, LADDER, "line_managers") == (
        "stage: the case is at stage 'practitioners', not 'line_managers'"
    )
    assert "nothing to confirm" in (check_decision("confirmed", open1, LADDER, None) or "")
    top = Position("open", "lscb_chair")
    assert "last stage" in (check_decision("unresolved", top, LADDER, None) or "")
    assert check_decision("resolved", top, LADDER, None) is None
    resolved = Position("resolved", None)
    assert check_decision("confirmed", resolved, LADDER, None) is None
    assert "awaits written confirmation" in (
        check_decision("unresolved", resolved, LADDER, None) or ""
    )
    closed = Position("closed", None)
    assert "closed" in (check_decision("confirmed", closed, LADDER, None) or "")


def test_validate_start_accepts_the_example_and_names_missing_people() -> None:
    req = StartDisagreement.model_validate(EXAMPLE)
    assert validate_start(req, PACK) == []
    only_raiser = {**EXAMPLE, "people": EXAMPLE["people"][:1]}
    errors = validate_start(StartDisagreement.model_validate(only_raiser), PACK)
    assert errors == [
        "people: nobody holds 'receiving.practitioner' (Practitioner / decision maker "
        "receiving the concern), who must act at Stage 1: practitioner and decision maker"
    ]


def test_validate_start_immediate_risk_needs_line_managers() -> None:
    people = EXAMPLE["people"][:2]
    req = StartDisagreement.model_validate({**EXAMPLE, "people": people, "immediate_risk": True})
    errors = validate_start(req, PACK)
    assert len(errors) == 2 and all("Stage 2: line managers" in e for e in errors)


def test_validate_start_unknown_role_and_ladder() -> None:
    people = [*EXAMPLE["people"], {"role": "raising.headteacher", "name": "X", "email": "x@y.org"}]
    errors = validate_start(StartDisagreement.model_validate({**EXAMPLE, "people": people}), PACK)
    assert errors and errors[0].startswith("people: role 'raising.headteacher' is not a role")
    bad_ladder = StartDisagreement.model_validate({**EXAMPLE, "ladder": "conference"})
    assert validate_start(bad_ladder, PACK)[0].startswith("ladder: 'conference' is not a ladder")


def test_raised_at_in_the_future_is_refused() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert raised_at_error(datetime(2026, 11, 22, 12, 4, tzinfo=UTC), now) is None
    assert "in the future" in (raised_at_error(datetime(2026, 11, 23, tzinfo=UTC), now) or "")
