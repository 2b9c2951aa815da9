"""Every ``escalation alert`` command the docs show runs, as written, on the real parser.

The commands are read from docs/procedures.md's "Practice alerts (Rutland)" section and
run in order through ``starter.cli.main`` against the time-skipping server, with a worker
on the shipped packs. Only the connection options are added, and the example start
payload gets the server's clock as ``raised_at`` (the documented file is otherwise used
as it is), so the docs cannot drift from the CLI without this failing.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
from datetime import timedelta
from pathlib import Path

from packs import PACK_DIR as SHIPPED_PACKS
from starter.cli import main as cli_main
from tests.workflows.alert_support import EXAMPLE, alerts_running

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "procedures.md"
EXAMPLE_PATH = "examples/rutland--practice-alert.json"


def documented_alert_commands() -> list[list[str]]:
    """The ``escalation alert ...`` lines of the section's first shell block, as argv."""
    doc = DOC.read_text(encoding="utf-8")
    section = doc.split("\n## Practice alerts (Rutland)\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the section has no shell block"
    lines = block.group(1).replace("\\\n", " ").splitlines()
    return [shlex.split(line, comments=True) for line in lines if line.strip()]


def test_the_docs_show_every_alert_command() -> None:
    commands = documented_alert_commands()
    assert all(c[:2] == ["escalation", "alert"] for c in commands)
    assert [c[2] for c in commands] == [
        "start",
        "status",
        "respond",
        "not-satisfied",
        "respond",
        "finalise",
    ]
    assert commands[0][3] == EXAMPLE_PATH and (ROOT / EXAMPLE_PATH).is_file()


async def test_the_documented_alert_commands_run_as_written(
    env, db, mail, tmp_path, capsys
) -> None:
    now = await env.get_current_time()
    example = tmp_path / "rutland--practice-alert.json"
    example.write_text(json.dumps(dict(EXAMPLE, raised_at=(now - timedelta(hours=1)).isoformat())))
    async with alerts_running(env, db, mail, pack_dir=SHIPPED_PACKS) as h:
        target = env.client.service_client.config.target_host
        where = ["--address", target, "--task-queue", h.client.task_queue]
        answers = []
        for command in documented_alert_commands():
            # The example is already dated by the test server's clock, which may be far
            # ahead of the wall clock that --from-now reads (tests/starter covers that flag).
            argv = [str(example) if a == EXAMPLE_PATH else a for a in command[1:]]
            argv = [a for a in argv if a != "--from-now"]
            capsys.readouterr()
            code = await asyncio.to_thread(cli_main, [*argv, *where])
            # capsys, not capfd: what the command itself prints, never the in-process
            # worker's Rust core writing its own warnings onto the same file descriptors.
            out, err = capsys.readouterr()
            assert (code, err) == (0, ""), command
            answers.append(out.strip())
            if command[2] == "start":
                await mail.wait_for(1)  # opened: stage 1 entered and its holder told

        wid = "alert-CR-2026-00731-visits-01"
        assert answers[0] == wid
        # The status as the docs' reader sees it: labelled lines, not JSON.
        status = dict(line.split("  ", 1) for line in answers[1].splitlines())
        assert status["Workflow id"].strip() == wid
        assert status["State"].strip() == "open: the stage must respond"
        assert status["Stage"].strip() == "Stage 1: Team Manager"
        assert "K. Team Manager" in status["Who must respond"]
        receipts = [json.loads(a) for a in answers[2:]]
        assert [(r["state"], r["stage"]) for r in receipts] == [
            ("awaiting_finalisation", "team_manager"),
            ("open", "service_manager"),
            ("awaiting_finalisation", "service_manager"),
            ("finalised", "service_manager"),
        ]
        final = await h.client.handle(wid).result()
    assert [(e.kind, e.by) for e in final.case_note] == [
        ("alert", "J. Independent Reviewing Officer"),
        ("response", "K. Team Manager"),
        ("not_satisfied", "J. Independent Reviewing Officer"),
        ("response", "L. Service Manager"),
        ("finalised", "J. Independent Reviewing Officer"),
    ]
