"""Refusals a person reads: what each field takes, in words; never a regex or pydantic's URL.

The start payloads and decisions are refused before any connection, so each test runs
the command as a user would, with nothing listening, and reads stderr line by line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from starter.cli import main

ROOT = Path(__file__).parents[2]
NOBODY = ["--address", "127.0.0.1:9"]
MACHINE_WORDS = re.compile(
    r"pattern|\^|\{0,|pydantic|https?://|Input should|String should|Field required|Extra inputs"
)
"""Signs of an error written for a developer: a regex, pydantic's own phrasing or its URL."""


def refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], payload: Any
) -> list[str]:
    """Run ``escalation ARGV FILE`` on ``payload``; its stderr lines (exit 2, nothing on stdout)."""
    path = tmp_path / "request.json"
    path.write_text(json.dumps(payload))
    code = main([*argv, str(path), *NOBODY])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    lines = err.splitlines()
    for line in lines:
        assert not MACHINE_WORDS.search(line), line
    return lines


def test_a_start_payload_is_refused_field_by_field_in_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    payload = json.loads((ROOT / "examples" / "redbridge-2017.json").read_text())
    payload.update(
        case_reference="Jane Doe",
        procedure="Redbridge 2017",
        disagreement_id="thr 01",
        raised_at="yesterday",
        immediate_risk="maybe",
    )
    payload["people"][0]["email"] = "x"
    payload["people"][1]["role"] = "Receiving Practitioner"
    lines = refused(capsys, tmp_path, ["start"], payload)
    assert lines == [
        "escalation: procedure: 'Redbridge 2017' is not an id: lower-case letters, digits, _ "
        "and - only, no spaces (e.g. redbridge-2017)",
        "escalation: case_reference: letters, digits and . _ - only (3 to 64 of them), with at "
        "least one digit — never a name",
        "escalation: disagreement_id: 'thr 01' is not an id: letters, digits, _ and - only, 1 "
        "to 32 of them, no spaces (e.g. threshold-01)",
        "escalation: raised_at: 'yesterday' is not a date and time, e.g. 2026-12-21T10:00 (with "
        "+00:00 for an exact moment)",
        "escalation: people.0.email: 'x' is not an email address (name@example.org, with no "
        "spaces, < > or line breaks)",
        "escalation: people.1.role: 'Receiving Practitioner' is not a role: raising., receiving. "
        "or partnership. and then an id (e.g. receiving.line_manager)",
        "escalation: immediate_risk: must be true or false",
    ]
    assert "Jane" not in "\n".join(lines)  # a name typed as the reference is never echoed


def test_a_practice_alert_is_refused_in_the_same_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    payload = json.loads((ROOT / "examples" / "rutland--practice-alert.json").read_text())
    payload["case_reference"] = "Jane.Doe"
    payload["raised_by"]["email"] = "iro at rutland"
    payload["serious_or_urgent"] = 5
    payload["surprise"] = True
    lines = refused(capsys, tmp_path, ["alert", "start"], payload)
    assert lines == [
        "escalation: case_reference: letters, digits and . _ - only (3 to 64 of them), with at "
        "least one digit — never a name",
        "escalation: raised_by.email: 'iro at rutland' is not an email address "
        "(name@example.org, with no spaces, < > or line breaks)",
        "escalation: serious_or_urgent: 5 is not true or false",
        "escalation: surprise: is not a field of this request (a typo?)",
    ]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ["resolve", "wid", "--by", " ", "--outcome", ""],
            "escalation: by: must not be empty; outcome: must not be empty\n",
        ),
        (
            ["shorten", "wid", "--by", "A", "--reason", "r", "--due-at", "tomorrow"],
            "escalation: due_at: 'tomorrow' is not a date and time, e.g. 2026-12-21T10:00 (with "
            "+00:00 for an exact moment)\n",
        ),
        (
            ["refer", "wid", "--by", "A", "--reason", "r", "--route", "Policy Issues"],
            "escalation: route: 'Policy Issues' is not an id: lower-case letters, digits, _ and - "
            "only, no spaces (e.g. redbridge-2017)\n",
        ),
        (
            ["alert", "finalise", "alert-CR-1", "--by", "", "--text", "Closed"],
            "escalation: by: must not be empty\n",
        ),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else "",
)
def test_a_decision_is_refused_in_words_before_connecting(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*argv, *NOBODY])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", said)
