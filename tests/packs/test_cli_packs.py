"""``escalation packs list | show | check``: what a person sees, and the exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from packs import PACK_DIR
from starter.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["packs", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_pack_with_its_ladders(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "list")
    assert (code, err) == (0, "")
    blocks = {b.splitlines()[0]: b for b in out.strip().split("\n\n")}
    assert sorted(blocks) == [
        "north-lincolnshire-mars-2019",
        "north-lincolnshire-safe-2018",
        "redbridge-2017",
        "rutland",
        "sutton-2015",
    ]
    assert blocks["sutton-2015"].splitlines()[1:] == [
        "  title:       Sutton LSCB Multi-agency Escalation Policy and Procedure (September 2015)",
        "  partnership: Sutton Local Safeguarding Children Board",
        "  ladders:     strategic, referral, assessment_care_planning (default), conference, "
        "plan_implementation",
    ]
    assert "  also:        practice alerts (6 stages)" in blocks["rutland"].splitlines()


def test_show_marks_partnership_defaults_and_lists_decisions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "show", "north-lincolnshire-safe-2018")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "north-lincolnshire-safe-2018: North Lincolnshire LSCB SAfE Challenge & Resolution "
        "procedure (April 2018)"
    )
    assert (
        "Conference reports due: 2 working days before an initial, 5 working days before a "
        "review conference" in lines
    )
    start = lines.index(
        "Ladder individual (default ladder): Differences of opinion about early identification, help and referral"
    )
    assert lines[start + 1 : start + 4] == [
        "  Immediate risk: straight to line_managers",
        "  1. practitioners: Stage 1: practitioner / case worker level",
        "       timescale: 5 working days (partnership default)",
    ]
    assert "       timescale: 10 working days" in lines  # the Principal Officer review's own figure
    assert (
        "  1. adjourned [adjourned conference]: Stage 1: conference adjourned for re-evaluation"
        in lines
    )
    assert "       a dissenting minority climbs: conference_majority" in lines
    assert any(
        line.startswith("       learning to: Safeguarding Pathway Lead Officer Group (SPLOG)")
        for line in lines
    )
    assert "Decisions (where the procedure is ambiguous):" in lines
    assert "  - Principal Officer review timescale" in lines


def test_show_rutland_same_working_day_and_alerts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "rutland")
    assert code == 0
    assert "  Immediate risk: straight to lscb, due the same working day" in out.splitlines()
    assert "    13. other: Other" in out.splitlines()
    assert "  serious or urgent alerts may start at: head_of_service, director_for_people" in out


def test_show_unknown_pack(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", "nowhere")
    assert (code, out) == (1, "")
    assert err.startswith("escalation: procedure: unknown procedure 'nowhere' (known: ")


def test_check_ok_prints_a_one_line_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(PACK_DIR / "rutland.toml"))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "ok: rutland.toml: rutland (Rutland Professional Disagreements Resolution, CP and CLA "
        "Escalation and Practice Alerts Guidance): 1 ladder, 4 stages, 15 roles, practice "
        "alerts (6 stages, 13 reason codes), 8 decisions"
    ]


def test_check_reports_every_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (PACK_DIR / "sutton-2015.toml").read_text(encoding="utf-8")
    broken = (
        text.replace("default_timescale_working_days = 5", "default_timescale_working_days = 2.5")
        .replace('holders = ["raising.lscb_member"]', 'holders = ["raising.lscb_membr"]', 1)
        .replace('default_ladder = "assessment_care_planning"', 'default_ladder = "care"')
    )
    path = tmp_path / "sutton-2015.toml"
    path.write_text(broken, encoding="utf-8")
    code, out, err = run(capsys, "check", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == "escalation: sutton-2015.toml: invalid policy pack (3 error(s))"
    assert err.splitlines()[1:] == [
        "  default_timescale_working_days: must be a whole number of working days, got 2.5",
        "  default_ladder: 'care' is not one of the ladders (strategic, referral, "
        "assessment_care_planning, conference, plan_implementation)",
        "  ladders[referral].stages[lscb_member].holders: unknown role 'raising.lscb_membr'; "
        "declare it under [[roles]] (known: partnership.chief_executive, "
        "partnership.independent_chair, partnership.learning_subgroup, "
        "partnership.subgroup_chair, raising.head_of_service, raising.line_manager, "
        "raising.lscb_member, raising.practitioner, raising.safeguarding_lead, "
        "raising.senior_manager, receiving.head_of_service, receiving.practitioner, "
        "receiving.safeguarding_manager, receiving.senior_manager, receiving.team_manager)",
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
