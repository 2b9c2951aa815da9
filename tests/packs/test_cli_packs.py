"""``escalation packs list | show | check``: what a person sees, and the exit codes.

Every test runs on a small pack of its own in a temporary directory (``--pack-dir``), so
the display is tested apart from the shipped packs' content; ``test_local_settings.py``
covers the local settings themselves.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from packs import pack_ids
from starter.cli import build_parser, main

PACK = """
id = "test-pack"
title = "Test procedure (2026)"
partnership = "Test LSCB"
source = "test.txt: the test procedure"
default_ladder = "main"
raise_within_working_days = 2
confirmation_working_days = 2

[conference_reports]
initial_working_days_before = 2
review_working_days_before = 5

[[roles]]
id = "raising.practitioner"
title = "Raiser"

[[roles]]
id = "receiving.practitioner"
title = "Receiver"

[[roles]]
id = "partnership.chair"
title = "Chair"

[[roles]]
id = "partnership.business_manager"
title = "Business Manager"

[[ladders]]
id = "main"
title = "Disagreements about one child"
immediate_risk_stage = "chair"

[[ladders.stages]]
id = "practitioners"
title = "Stage 1: practitioners"
holders = ["raising.practitioner", "receiving.practitioner"]
timescale_working_days = 5
timescale_note = '4.4: "within 5 working days"'

[[ladders.stages.milestones]]
id = "first_contact"
title = "First contact"
working_days = 3
note = '4.4: "speak within 3 working days"'

[[ladders.stages]]
id = "managers"
title = "Stage 2: managers"
holders = ["raising.practitioner", "receiving.practitioner"]
copied = ["partnership.business_manager"]

[[ladders.stages]]
id = "chair"
title = "Stage 3: the Chair"
holders = ["partnership.chair"]
timescale_weeks = 2
timescale_note = '4.9: "aiming for 2 weeks"'
requires_confirmation = false
on_deadline = "notify_and_wait"
overdue_notify = ["partnership.business_manager"]

[[ladders]]
id = "divided"
title = "An equally divided conference"

[[ladders.stages]]
id = "adjourned"
title = "Stage 1: conference adjourned"
kind = "conference_adjournment"
holders = ["partnership.chair"]
timescale_working_days = 15
timescale_note = "2.3: not exceeding 15 working days"
interim_position = "On a child protection plan"
on_majority_dissent = "main"

[practice_alerts]
title = "Practice alerts"
raised_by = ["partnership.chair"]
serious_start_stages = ["head"]

[[practice_alerts.reason_codes]]
code = "late"
title = "Late"

[[practice_alerts.stages]]
id = "head"
title = "Head of Service"
holders = ["receiving.practitioner"]
timescale_working_days = 5

[[decisions]]
topic = "Stage 2 timescale"
seed_says = "Nothing."
pack_uses = "No figure: the partnership sets it."
reason = "The document gives none."
"""


@pytest.fixture
def pack_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pack directory holding test-pack.toml; no local settings from the environment."""
    monkeypatch.delenv("ESCALATION_LOCAL_SETTINGS", raising=False)
    directory = tmp_path / "packs"
    directory.mkdir()
    (directory / "test-pack.toml").write_text(PACK, encoding="utf-8")
    return directory


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["packs", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_pack_and_marks_a_broken_one(
    capsys: pytest.CaptureFixture[str], pack_dir: Path
) -> None:
    (pack_dir / "broken.toml").write_text('id = "broken"', encoding="utf-8")
    code, out, err = run(capsys, "list", "--pack-dir", str(pack_dir))
    assert (code, err) == (0, "")
    blocks = {b.splitlines()[0]: b for b in out.strip().split("\n\n")}
    assert sorted(blocks) == ["broken", "test-pack"]
    assert (
        blocks["broken"].splitlines()[1].startswith("  BROKEN: broken.toml: invalid policy pack (")
    )
    assert blocks["test-pack"].splitlines()[1:] == [
        "  title:       Test procedure (2026)",
        "  partnership: Test LSCB",
        "  ladders:     main (default), divided",
        "  also:        practice alerts (1 stage)",
    ]


def test_show_gives_every_figure_with_its_source(
    capsys: pytest.CaptureFixture[str], pack_dir: Path
) -> None:
    code, out, err = run(capsys, "show", "test-pack", "--pack-dir", str(pack_dir))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:10] == [
        "test-pack: Test procedure (2026)",
        "Partnership: Test LSCB",
        "Source: test.txt: the test procedure",
        "Calendar: england-and-wales, Europe/London, close of business 17:00",
        "Local settings: none ($ESCALATION_LOCAL_SETTINGS is not set and no --local DIR given)",
        "Timescales: 3 from the document, 0 local, 1 unset",
        "Written confirmation: within 2 working days (document)",
        "Raise within: 2 working days of the disagreement",
        "Conference reports due: 2 working days before an initial, 5 working days before a "
        "review conference",
        "",
    ]
    start = lines.index("Ladder main (default ladder): Disagreements about one child")
    assert lines[start + 1 : start + 19] == [
        "  Immediate risk: referred at once to chair (that stage's own timescale applies)",
        "  1. practitioners: Stage 1: practitioners",
        '       timescale: 5 working days, from the document: 4.4: "within 5 working days"',
        "       holders:   Raiser [raising.practitioner]; Receiver [receiving.practitioner]",
        '       milestone: First contact: 3 working days (Test procedure (2026), 4.4: "speak '
        'within 3 working days")',
        "       resolution confirmed in writing by Receiver within 2 working days",
        "  2. managers: Stage 2: managers",
        "       no timescale: set it in ESCALATION_LOCAL_SETTINGS/test-pack.toml",
        "       holders:   Raiser [raising.practitioner]; Receiver [receiving.practitioner]",
        "       copied:    Business Manager [partnership.business_manager]",
        "       resolution confirmed in writing by Receiver within 2 working days",
        "  3. chair: Stage 3: the Chair",
        '       timescale: 2 weeks, from the document: 4.9: "aiming for 2 weeks"',
        "       holders:   Chair [partnership.chair]",
        "       a resolution here closes the case",
        "       overdue: tells Business Manager [partnership.business_manager]; keeps waiting",
        "",
        "Ladder divided: An equally divided conference",
    ]
    assert lines[start + 19 : start + 24] == [
        "  1. adjourned [adjourned conference]: Stage 1: conference adjourned",
        "       timescale: 15 working days, from the document: 2.3: not exceeding 15 working days",
        "       holders:   Chair [partnership.chair]",
        "       meanwhile: On a child protection plan",
        "       a dissenting minority climbs: main",
    ]
    assert "  1. head: Head of Service, 5 working days - Receiver [receiving.practitioner]" in lines
    assert "    1. late: Late" in lines
    assert "  serious or urgent alerts may start at: head" in lines
    assert lines[-5:] == [
        "Decisions (where the procedure is ambiguous):",
        "  - Stage 2 timescale",
        "      procedure says: Nothing.",
        "      pack uses:      No figure: the partnership sets it.",
        "      because:        The document gives none.",
    ]


def test_show_unknown_pack(capsys: pytest.CaptureFixture[str], pack_dir: Path) -> None:
    code, out, err = run(capsys, "show", "nowhere", "--pack-dir", str(pack_dir))
    assert (code, out) == (1, "")
    assert err == "escalation: procedure: unknown procedure 'nowhere' (known: test-pack)\n"


def test_show_local_and_document_only_exclude_each_other(
    capsys: pytest.CaptureFixture[str], pack_dir: Path
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["packs", "show", "test-pack", "--local", str(pack_dir), "--document-only"])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_packs_option_has_a_help_text() -> None:
    packs = _subcommands(build_parser())["packs"]
    assert sorted(_subcommands(packs)) == ["check", "list", "show"]
    for name, command in _subcommands(packs).items():
        for action in command._actions:
            if action.dest != "help":
                assert action.help, f"packs {name}: {action.dest} has no help text"


def test_check_ok_prints_a_one_line_summary(
    capsys: pytest.CaptureFixture[str], pack_dir: Path
) -> None:
    code, out, err = run(capsys, "check", str(pack_dir / "test-pack.toml"))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "ok: test-pack.toml: test-pack (Test procedure (2026)): 2 ladders, 4 stages, 4 roles, "
        "practice alerts (1 stage, 1 reason code), 1 decision"
    ]


def test_check_reports_every_error_of_every_file(
    capsys: pytest.CaptureFixture[str], pack_dir: Path, tmp_path: Path
) -> None:
    broken = (
        PACK.replace("timescale_weeks = 2", "timescale_weeks = 2.5")
        .replace('copied = ["partnership.business_manager"]', 'copied = ["partnership.bm"]')
        .replace('default_ladder = "main"', 'default_ladder = "care"')
    )
    path = tmp_path / "test-pack.toml"
    path.write_text(broken, encoding="utf-8")
    code, out, err = run(capsys, "check", str(path), str(pack_dir / "test-pack.toml"))
    assert code == 2
    assert out.startswith("ok: test-pack.toml: test-pack")  # the good file is still checked
    assert err.splitlines()[0] == "escalation: test-pack.toml: invalid policy pack (3 error(s))"
    assert err.splitlines()[1:] == [
        "  ladders[main].stages[chair].timescale_weeks: Input should be a valid integer",
        "  default_ladder: 'care' is not one of the ladders (main, divided)",
        "  ladders[main].stages[managers].copied: unknown role 'partnership.bm'; declare it "
        "under [[roles]] (known: partnership.business_manager, partnership.chair, "
        "raising.practitioner, receiving.practitioner)",
    ]


def test_check_unreadable_or_not_toml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("id = ", encoding="utf-8")
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert err.startswith("escalation: bad.toml: not valid TOML")
    code, _, err = run(capsys, "check", str(tmp_path / "missing.toml"))
    assert code == 2
    assert "missing.toml: cannot read" in err


@pytest.mark.parametrize("pack_id", pack_ids())
def test_packs_show_json_gives_every_shipped_stage_its_figure_and_source(
    pack_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the demo settings: every stage a document figure (quoted), a local one (who,
    when), or agreed per case; as shipped, the stages the document leaves are unset."""
    assert main(["packs", "show", pack_id, "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    timescales = [s["timescale"] for lad in shown["ladders"] for s in lad["stages"]]
    assert timescales
    for t in timescales:
        assert t["source"] in ("document", "local", "unset")
        if t["source"] == "document":
            assert t["quote"] and t["value"] is not None and t["unit"]
        if t["source"] == "local":
            assert t["set_by"] and t["set_on"]
    per_case = [s for lad in shown["ladders"] for s in lad["stages"] if s.get("per_case")]
    unset = [t for t in timescales if t["source"] == "unset"]
    assert len(unset) <= len(per_case)
    assert main(["packs", "show", pack_id, "--format", "json", "--document-only"]) == 0
    shipped = json.loads(capsys.readouterr().out)
    sources = {s["timescale"]["source"] for lad in shipped["ladders"] for s in lad["stages"]}
    assert sources <= {"document", "unset"}
