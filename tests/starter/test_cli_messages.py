"""What a person reads from ``escalation``: unknown ids, unreachable Temporal, missing cases.

Each test runs the command as a user would and reads stdout, stderr and the exit code.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode

from starter import cli
from starter.cli import main
from starter.sdk_base import EscalationError

NOBODY = "127.0.0.1:9"  # the discard port: nothing listens on it here
TYPO = "redbrige-2017"
KNOWN = (
    "(known: north-lincolnshire-mars-2019, north-lincolnshire-safe-2018, redbridge-2017, "
    "rutland, sutton-2015)"
)


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--quarter", "2026Q4", "--procedure", TYPO],
        ["report", "schedule", "--procedure", TYPO, "--to", "bm@example.org"],
        ["overdue", "--procedure", TYPO, "--address", NOBODY],
        ["deadline", "--procedure", TYPO, "--from", "2026-12-21", "--working-days", "1"],
        ["alert", "tracker", "--procedure", TYPO, "--format", "csv", "--out", "tracker.csv"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_an_unknown_procedure_is_bad_input_everywhere(
    argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err == f"escalation: --procedure: unknown procedure '{TYPO}' {KNOWN}\n"


def test_a_known_procedure_still_passes_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    """The check refuses typos, not real ids: the command goes on (here, to no Temporal)."""
    code = main(["overdue", "--procedure", "redbridge-2017", "--address", NOBODY])
    assert code == 1
    assert "unknown procedure" not in capsys.readouterr().err


def test_the_calendar_commands_refuse_an_unknown_procedure_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["calendar", "list", "--procedure", TYPO])
    assert code == 2
    assert f"unknown procedure '{TYPO}' (known: " in capsys.readouterr().err


async def test_unreachable_temporal_says_what_to_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await asyncio.to_thread(main, ["status", "disagreement-CR-1", "--address", NOBODY])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == (
        f"escalation: cannot connect to Temporal at {NOBODY}: Connection refused. "
        "Is `escalation dev` running, or is TEMPORAL_ADDRESS (or --address) right "
        f"(now {NOBODY})?\n"
    )
    assert "tonic" not in err


def test_an_unexplained_connect_error_keeps_its_first_clause() -> None:
    from starter.cli_common import cannot_connect

    message = cannot_connect("h:1", RuntimeError("Failed client connect: tonic::x(...)"))
    assert message.startswith("cannot connect to Temporal at h:1: Failed client connect. Is ")


class _Missing:
    """A client whose workflows are never there, as Temporal answers for an unknown id."""

    def __getattr__(self, name: str) -> Any:
        async def missing(workflow_id: str, *args: Any, **kwargs: Any) -> None:
            rpc = RPCError(
                "workflow not found for ID: " + workflow_id, RPCStatusCode.NOT_FOUND, b""
            )
            if name == "status":  # a query: Temporal's own error
                raise rpc
            # a decision: the SDK's explanation, raised from Temporal's error
            raise EscalationError(f"case '{workflow_id}' not found: {rpc.message}") from rpc

        return missing


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "CR-404"],
        ["resolve", "CR-404", "--by", "A. Manager", "--outcome", "agreed"],
        ["unresolve", "CR-404", "--by", "A. Manager", "--reason", "still divided"],
        ["confirm", "CR-404", "--by", "A. Manager"],
    ],
    ids=lambda a: a[0],
)
def test_a_missing_case_is_worded_once_for_every_command(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def connect(*_: Any, **__: Any) -> _Missing:
        return _Missing()

    from starter.sdk import EscalationClient

    monkeypatch.setattr(EscalationClient, "connect", connect)
    code = main(argv)
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == (
        "escalation: no case or alert with workflow id 'CR-404' "
        "(escalation list shows the open ones)\n"
    )


def test_deadline_prints_its_answer_alone_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["deadline", "--from", "2026-12-21T10:00", "--working-days", "5"])
    out, err = capsys.readouterr()
    assert code == 0
    assert out == "2026-12-30T17:00:00+00:00\n"
    assert "working day(s) from 2026-12-21T10:00:00" in err


def _all_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _all_parsers(sub)
    return found


def test_every_help_is_plain_and_explains_every_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parsers = _all_parsers(cli.build_parser())
    assert len(parsers) > 30
    assert {"escalation mail", "escalation mail show", "escalation mail link"} <= {
        p.prog for p in parsers
    }
    for parser in parsers:
        text = parser.format_help()
        assert "`" not in text, f"{parser.prog}: a backtick is markup, not plain help"
        for action in parser._actions:  # every subcommand listed says what it does
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert choice.help, f"{parser.prog} {choice.dest}: no help"
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help, f"{parser.prog}: {action.option_strings or action.dest} has no help"
        if parser.prog != "escalation" and not any(
            isinstance(a, argparse._SubParsersAction) for a in parser._actions
        ):
            assert parser.epilog and "escalation " in parser.epilog, f"{parser.prog}: no example"
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "`" not in out and "examples:" in out


def _row(workflow_id: str) -> Any:
    from datetime import UTC, datetime

    from starter.visibility import CaseRow

    return CaseRow(
        workflow_id=workflow_id,
        status="RUNNING",
        case_reference="CR-1",
        procedure="redbridge-2017",
        stage="senior_managers",
        state="open",
        next_deadline=datetime(2026, 1, 5, 17, tzinfo=UTC),
        overdue=True,
        immediate_risk=False,
    )


@pytest.fixture
def two_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Visibility answers two cases; the record has no stopped ones."""
    from starter import cli_reconcile, connect, visibility

    async def fake_connect(*_: Any, **__: Any) -> object:
        return object()

    async def fake_list(*_: Any, **__: Any) -> list[Any]:
        return [_row("disagreement-CR-1"), _row("disagreement-CR-2")]

    async def no_stopped(*_: Any, **__: Any) -> list[Any]:
        return []

    monkeypatch.setattr(connect, "connect", fake_connect)
    monkeypatch.setattr(visibility, "list_cases", fake_list)
    monkeypatch.setattr(cli_reconcile, "stopped_cases", no_stopped)


@pytest.mark.parametrize("command", ["list", "overdue"])
@pytest.mark.usefixtures("two_cases")
def test_list_and_overdue_name_their_columns_first(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "WORKFLOW ID  PROCEDURE  STAGE  STATE  DEADLINE  FLAGS"
    assert [line.split("  ")[0] for line in lines[1:]] == [
        "disagreement-CR-1",
        "disagreement-CR-2",
    ]
    assert lines[1].endswith("due Monday 5 January 2026, 17:00 GMT  OVERDUE")


@pytest.mark.parametrize("command", ["list", "overdue"])
@pytest.mark.usefixtures("two_cases")
def test_list_and_overdue_json_has_no_header(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    assert main([command, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["workflow_id"] for r in rows] == ["disagreement-CR-1", "disagreement-CR-2"]


def test_every_example_in_the_help_parses() -> None:
    """An example a person copies from --help is a command the parser accepts."""
    import shlex

    examples: list[str] = []
    for parser in _all_parsers(cli.build_parser()):
        lines = (parser.epilog or "").replace("\\\n", " ").splitlines()
        examples += [line.strip() for line in lines if line.startswith("  escalation ")]
    assert len(examples) > 40
    for example in examples:
        command = example.split(" < ")[0]  # the shell's redirection is not the command's
        words = shlex.split(command.replace('"$(date +%Y-%m)"', "2026-11"))
        cli.build_parser().parse_args(words[1:])
