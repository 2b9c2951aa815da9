"""The ``escalation`` command as a user runs it: output, errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from starter.cli import main

ROOT = Path(__file__).parents[2]


def test_deadline_prints_the_deadline_first(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "deadline",
            "--procedure",
            "redbridge-2017",
            "--from",
            "2026-12-21T10:00",
            "--working-days",
            "5",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0
    assert out == "2026-12-30T17:00:00+00:00\n"  # the answer alone on stdout, for a script
    assert "counted from 2026-12-21" in err


def test_deadline_in_summer_time_and_same_day(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deadline", "--from", "2027-07-02T17:30", "--working-days", "0"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "2027-07-05T17:00:00+01:00"


def test_deadline_bad_input_names_the_problem(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["deadline", "--procedure", "nowhere", "--from", "2026-12-21", "--working-days", "1"])
        == 2
    )
    assert "procedure: unknown procedure 'nowhere'" in capsys.readouterr().err
    assert main(["deadline", "--from", "21/12/2026", "--working-days", "1"]) == 2
    assert "--from" in capsys.readouterr().err


def test_start_with_unreadable_file_is_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["start", str(bad)]) == 2
    assert "bad.json" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "starter.cli",
            "deadline",
            "--from",
            "2026-12-24T16:00",
            "--working-days",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "2026-12-29T17:00:00+00:00"


def test_example_payload_is_valid() -> None:
    from models.start import StartDisagreement

    payload = json.loads((ROOT / "examples" / "redbridge-2017.json").read_text())
    assert StartDisagreement.model_validate(payload).procedure == "redbridge-2017"
