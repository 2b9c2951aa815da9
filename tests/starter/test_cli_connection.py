"""The CLI's stdout carries the answer alone; an unreachable Temporal is a message, not a trace.

A case system scripts ``escalation ... | jq``: a Rust core warning printed on stdout
(the SDK's default runtime does that) or a Python traceback would break it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from starter import connect as connect_module
from starter.cli import main
from starter.cli_common import shifted_to_now
from starter.connect import core_logs_to_python_logging, forwarding_runtime

ROOT = Path(__file__).parents[2]
NOBODY = "127.0.0.1:9"  # the discard port: nothing listens on it here

CLIENT_COMMANDS = [
    ["start", str(ROOT / "examples" / "redbridge-2017--individual.json")],
    ["status", "disagreement-CR-1"],
    ["unresolve", "disagreement-CR-1", "--by", "A. Manager", "--reason", "still disputed"],
    ["alert", "start", str(ROOT / "examples" / "rutland--practice-alert.json")],
    ["alert", "status", "alert-CR-1"],
]


@pytest.mark.parametrize("argv", CLIENT_COMMANDS, ids=lambda a: " ".join(a[:2]))
async def test_unreachable_temporal_is_one_clear_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(main, [*argv, "--address", NOBODY])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err.startswith(f"escalation: cannot connect to Temporal at {NOBODY}: ")
    assert "Traceback" not in err and len(err.splitlines()) == 1


async def test_the_cli_runtime_is_scoped_to_its_own_context() -> None:
    """The CLI's runtime applies to the clients it connects, not to the rest of the process."""
    assert connect_module._runtime.get() is None
    with core_logs_to_python_logging():
        assert connect_module._runtime.get() is forwarding_runtime()
        seen_in_thread = await asyncio.to_thread(connect_module._runtime.get)
        assert seen_in_thread is forwarding_runtime()
    assert connect_module._runtime.get() is None
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(connect_module._runtime.get()))
    thread.start()
    thread.join()
    assert other == [None]


async def test_core_log_records_reach_the_python_logger() -> None:
    """Forwarded core records are Python log records of ``temporalio.core``, not stdout text."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("temporalio.core")
    handler = Keep(level=logging.INFO)
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        runtime = forwarding_runtime("INFO")
        runtime._core_runtime.write_test_info_log("core says hello", "extra")
        for _ in range(200):  # the runtime buffers forwarded records for a few milliseconds
            if records:
                break
            await asyncio.sleep(0.01)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert [r.levelno for r in records] == [logging.INFO]
    assert records[0].name.startswith("temporalio.core")
    assert "core says hello" in records[0].getMessage()


NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_from_now_moves_every_moment_by_the_same_amount() -> None:
    example = json.loads(
        (
            ROOT / "examples" / "north-lincolnshire-safe-2018--conference_equally_divided.json"
        ).read_text()
    )
    moved = shifted_to_now(example, NOW)
    delta = NOW - datetime.fromisoformat(example["raised_at"])
    assert datetime.fromisoformat(moved["raised_at"]) == NOW
    assert datetime.fromisoformat(moved["disagreement_arose_at"]) == (
        datetime.fromisoformat(example["disagreement_arose_at"]) + delta
    )
    assert datetime.fromisoformat(moved["conference"]["at"]) == (
        datetime.fromisoformat(example["conference"]["at"]) + delta
    )
    # Nothing else changes, and the file's own payload is left as it was.
    untouched = {
        k: v
        for k, v in moved.items()
        if k not in {"raised_at", "disagreement_arose_at", "conference"}
    }
    assert untouched == {
        k: v
        for k, v in example.items()
        if k not in {"raised_at", "disagreement_arose_at", "conference"}
    }
    assert {k: v for k, v in moved["conference"].items() if k != "at"} == {
        k: v for k, v in example["conference"].items() if k != "at"
    }
    assert example["raised_at"] == "2026-11-20T10:00:00+00:00"


def test_from_now_keeps_a_naive_moment_naive() -> None:
    moved = shifted_to_now(
        {"raised_at": "2026-11-30T10:00", "disagreement_arose_at": "2026-11-27T16:00"}, NOW
    )
    assert moved == {
        "raised_at": "2026-12-01T09:30:00",
        "disagreement_arose_at": "2026-11-28T15:30:00",
    }


@pytest.mark.parametrize(
    "payload",
    [
        ["not", "an", "object"],
        {"procedure": "redbridge-2017"},
        {"raised_at": "yesterday"},
        {"raised_at": 5},
    ],
)
def test_from_now_leaves_what_it_cannot_read_for_validation_to_refuse(payload: object) -> None:
    assert shifted_to_now(payload, NOW) == payload


@pytest.mark.parametrize("command", [["start"], ["alert", "start"]], ids=" ".join)
async def test_a_bad_payload_is_refused_naming_the_field_before_connecting(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Shape errors need no server: Temporal being away must not hide them."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"procedure": "rutland", "raised_at": "yesterday"}))
    argv = [*command, str(bad), "--from-now", "--address", NOBODY]
    code = await asyncio.to_thread(main, argv)
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert any(line.startswith("escalation: raised_at: ") for line in err.splitlines())
    assert "case_reference" in err and "cannot connect" not in err
