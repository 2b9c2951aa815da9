"""An example start payload for every ladder of every pack, each one startable as it is.

``temporal workflow start --type Disagreement --task-queue escalation --input-file F``
sends the file's bytes as one ``json/plain`` payload; the worker decodes it with the
product's pydantic data converter into ``StartDisagreement``. These tests decode each
example exactly that way and check it against its procedure, as the workflow does
before it writes or sends anything.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from models.start import StartDisagreement
from packs import load_pack, pack_ids
from workflows.ladder import validate_start

EXAMPLES = Path(__file__).parents[2] / "examples"
LADDERS = [(p, lad.id) for p in pack_ids() for lad in load_pack(p).ladders]


def _as_temporal_cli_sends_it(path: Path) -> StartDisagreement:
    payload = Payload(metadata={"encoding": b"json/plain"}, data=path.read_bytes())
    decoded = pydantic_data_converter.payload_converter.from_payload(payload, StartDisagreement)
    assert isinstance(decoded, StartDisagreement)
    return decoded


def test_every_shipped_pack_has_its_ladders_listed() -> None:
    assert {p for p, _ in LADDERS} == {
        "redbridge-2017",
        "north-lincolnshire-safe-2018",
        "sutton-2015",
        "rutland",
        "north-lincolnshire-mars-2019",
    }
    assert len(LADDERS) == 16


@pytest.mark.parametrize(
    ("pack_id", "ladder_id"), LADDERS, ids=[f"{p}--{lad}" for p, lad in LADDERS]
)
def test_example_exists_and_starts(pack_id: str, ladder_id: str) -> None:
    path = EXAMPLES / f"{pack_id}--{ladder_id}.json"
    assert path.is_file(), f"missing example {path.name}"
    req = _as_temporal_cli_sends_it(path)
    pack = load_pack(pack_id)
    assert req.procedure == pack_id
    assert req.ladder == ladder_id
    assert req.raised_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert validate_start(req, pack) == []
    assert validate_start(req.model_copy(update={"immediate_risk": True}), pack) == []
    # Everyone the ladder asks to act is named, so every stage's email reaches a person.
    ladder = pack.ladder(ladder_id)
    holders = {r for s in ladder.stages for r in s.holders}
    assert holders <= {p.role for p in req.people}
    # A child is a case reference; the people are professionals with work addresses.
    assert " " not in req.case_reference
    assert all(p.email.endswith(".example.org") for p in req.people)


def test_the_legacy_redbridge_example_is_kept() -> None:
    legacy = json.loads((EXAMPLES / "redbridge-2017.json").read_text(encoding="utf-8"))
    assert legacy["procedure"] == "redbridge-2017"
    req = _as_temporal_cli_sends_it(EXAMPLES / "redbridge-2017.json")
    assert validate_start(req, load_pack("redbridge-2017")) == []


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("redbridge-2017--individual--immediate-risk", "immediate_risk", True),
        ("redbridge-2017--individual--child-timescale", "child_timescale_working_days", 3),
    ],
)
def test_the_examples_of_immediate_risk_and_a_childs_timescale_start(
    name: str, field: str, value: object
) -> None:
    req = _as_temporal_cli_sends_it(EXAMPLES / f"{name}.json")
    assert getattr(req, field) == value
    assert validate_start(req, load_pack(req.procedure)) == []


def test_the_sutton_example_agrees_a_timescale() -> None:
    from models.decisions import AgreeTimescale

    payload = Payload(
        metadata={"encoding": b"json/plain"},
        data=(EXAMPLES / "sutton-2015--agree-timescale.json").read_bytes(),
    )
    agreed = pydantic_data_converter.payload_converter.from_payload(payload, AgreeTimescale)
    assert agreed.working_days == 8 and agreed.reason.startswith("Referral form")
    stages = [s for s in load_pack("sutton-2015").ladder("assessment_care_planning").stages]
    assert stages[0].per_case  # where the example applies
