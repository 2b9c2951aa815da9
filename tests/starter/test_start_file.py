"""`escalation start` and `escalation alert start` refuse a hostile payload file in one line.

The file is read before any connection, so none of these needs Temporal: a JSON
document nested too deeply for the reader, a file far larger than any start
request, and unsafe names and oversized texts each give a message and exit 2,
never a traceback. Decisions typed as options are held to the same limits.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from starter.cli import main
from starter.cli_common import START_FILE_MAX

ROOT = Path(__file__).parents[2]
EXAMPLES = {
    "start": ROOT / "examples" / "redbridge-2017.json",
    "alert start": ROOT / "examples" / "rutland--practice-alert.json",
}
NOWHERE = ["--address", "127.0.0.1:9"]
"""Nothing listens there: a command that got as far as connecting would exit 1, not 2."""


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_deeply_nested_json_is_refused_without_a_traceback(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 100_000 + "]" * 100_000)
    assert main([*command.split(), *NOWHERE, str(nested)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"escalation: {nested}: not a start payload: its JSON is nested too deeply to read\n"
    )


def test_deeply_nested_json_on_stdin_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"people": ' + "[" * 50_000))
    assert main(["start", *NOWHERE, "-"]) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_a_file_larger_than_any_start_request_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"nature": "x" * START_FILE_MAX}))
    assert main(["start", *NOWHERE, str(big)]) == 2
    assert capsys.readouterr().err == (
        f"escalation: {big}: a start payload is at most {START_FILE_MAX:,} characters\n"
    )


@pytest.mark.parametrize(
    ("command", "change", "error"),
    [
        (
            "start",
            {"raising_agency": "Redbridge\r\nBcc: all@example.org"},
            "raising_agency: a name may not contain control characters or line breaks"
            " (found U+000D)",
        ),
        ("start", {"nature": "x" * 12_345}, "nature: at most 10,000 characters (got 12,345)"),
        (
            "start",
            {"case_reference": "Jane.Doe"},
            "case_reference: letters, digits and . _ - only (3 to 64 of them), with at least one"
            " digit — never a name",
        ),
        (
            "alert start",
            {"description": "late\x1bvisit"},
            "description: a text may not contain control characters other than newline and tab"
            " (found U+001B)",
        ),
    ],
)
def test_unsafe_fields_in_a_start_file_are_refused_naming_them(
    command: str,
    change: dict[str, str],
    error: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    payload = {**json.loads(EXAMPLES[command].read_text()), **change}
    path = tmp_path / "start.json"
    path.write_text(json.dumps(payload))
    assert main([*command.split(), *NOWHERE, str(path)]) == 2
    assert f"escalation: {error}\n" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (
            ["resolve", "wid", "--by", "x", "--outcome", "a\x01b"],
            "outcome: a text may not contain control characters other than newline and tab"
            " (found U+0001)",
        ),
        (
            ["unresolve", "wid", "--by", "Ops\r\nBcc: all", "--reason", "No"],
            "by: a name may not contain control characters or line breaks (found U+000D)",
        ),
        (
            ["alert", "respond", "wid", "--by", "x", "--text", "t" * 10_001],
            "text: at most 10,000 characters (got 10,001)",
        ),
    ],
    ids=["resolve", "unresolve", "alert-respond"],
)
def test_a_decision_with_an_unsafe_text_is_refused_in_one_line(
    argv: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Decisions typed on the command line obey the same limits, refused before connecting.
    assert main([*argv, *NOWHERE]) == 2
    assert capsys.readouterr().err == f"escalation: {error}\n"
