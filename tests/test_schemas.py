"""The published JSON Schemas match the models, and other-language clients can rely on them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import schemas
from schemas import SCHEMA_DIR, differences, write

EXAMPLE = Path(__file__).parents[1] / "examples" / "redbridge-2017.json"


def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.json").read_text())
    return loaded


def test_committed_schemas_match_the_models() -> None:
    problems = differences()
    assert not problems, (
        "schemas/ is out of date with the models ("
        + "; ".join(problems)
        + "): run `escalation schemas --write` and commit schemas/"
    )


def test_every_interface_payload_is_published() -> None:
    index = json.loads((SCHEMA_DIR / "index.json").read_text())
    assert index["workflow_type"] == "Disagreement"
    for name in (
        "StartDisagreement",
        "Resolved",
        "Unresolved",
        "Confirmed",
        "ImmediateRisk",
        "ShortenTimescale",
        "ConferenceReconvened",
        "DecisionReceipt",
        "DisagreementStatus",
    ):
        assert index["schemas"][name]["file"] == f"{name}.json"
    assert index["schemas"]["Resolved"]["used_by"] == ["signal resolved", "update resolve"]
    assert index["schemas"]["DisagreementStatus"]["direction"] == "output"
    assert index["schemas"]["Finalise"]["used_by"] == ["signal finalised", "update finalise"]
    assert index["schemas"]["PracticeAlertStatus"]["direction"] == "output"


def test_a_stale_or_stray_file_is_detected(tmp_path: Path) -> None:
    assert write(tmp_path)
    assert differences(tmp_path) == []
    resolved = tmp_path / "Resolved.json"
    resolved.write_text(resolved.read_text().replace('"outcome"', '"result"'))
    (tmp_path / "Old.json").write_text("{}")
    (tmp_path / "Confirmed.json").unlink()
    assert differences(tmp_path) == [
        "Resolved.json: differs from the models",
        "Confirmed.json: missing",
        "Old.json: no longer generated",
    ]
    assert sorted(write(tmp_path)) == ["Confirmed.json", "Old.json", "Resolved.json"]
    assert differences(tmp_path) == []


def test_the_example_start_payload_is_valid_json_schema_input() -> None:
    schema = _schema("StartDisagreement")
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(EXAMPLE.read_text()), schema)


@pytest.mark.parametrize(
    ("name", "payload", "complaint"),
    [
        ("StartDisagreement", {"case_reference": "Jane Doe"}, "does not match"),
        ("StartDisagreement", {"case_reference": "Jane.Doe"}, "does not match"),
        ("StartDisagreement", {"raising_agency": "School\r\nBcc: x"}, "does not match"),
        ("StartDisagreement", {"nature": "n" * 10_001}, "is too long"),
        ("Resolved", {"by": "x", "outcome": "a\x01b"}, "does not match"),
        ("Resolved", {"by": "x" * 301, "outcome": "y"}, "is too long"),
        ("Resolved", {"by": "x", "outcome": "y", "case_ids": [1]}, "is not valid under any"),
        ("StartDisagreement", {"immediate_risk_typo": True}, "Additional properties"),
        ("Resolved", {"by": "B. Social Worker"}, "'outcome' is a required property"),
        (
            "ShortenTimescale",
            {"by": "x", "reason": "y", "working_days": 99},
            "not valid under any of the given schemas",
        ),
        ("ConferenceReconvened", {"by": "x", "text": "y", "outcome": "split"}, "is not one of"),
    ],
)
def test_the_schemas_refuse_what_the_models_refuse(
    name: str, payload: dict[str, Any], complaint: str
) -> None:
    schema = _schema(name)
    if name == "StartDisagreement":
        payload = {**json.loads(EXAMPLE.read_text()), **payload}
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(payload)]
    assert any(complaint in e for e in errors), errors


def test_the_schemas_accept_texts_with_newlines_and_small_extra_fields() -> None:
    schema = _schema("Resolved")
    payload = {"by": "B. Social Worker", "outcome": "Agreed:\n\tvisit", "case_id": "CS-1", "n": 2}
    jsonschema.validate(payload, schema)
    assert schema["properties"]["outcome"]["maxLength"] == 10_000
    assert schema["properties"]["by"]["maxLength"] == 300
    person = _schema("StartDisagreement")["$defs"]["Person"]["properties"]
    assert person["name"]["maxLength"] == 200


def test_outputs_are_published_as_serialised() -> None:
    receipt = _schema("DecisionReceipt")
    assert receipt["required"] == ["accepted", "state", "stage", "message", "due_at"]
    status = _schema("DisagreementStatus")
    assert "rejected_inputs" in status["required"]
    assert "overdue_notified_at" in status["$defs"]["StageStatus"]["required"]
    assert schemas.schema_of(schemas.INTERFACE[-1])["$id"] == "DisagreementStatus.json"
