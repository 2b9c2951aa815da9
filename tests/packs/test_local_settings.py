"""Local settings: the figures a procedure document does not give, with who set them and when.

A pack of our own in a temporary directory: stage ``first`` has the document's figure,
stage ``second`` has none until the partnership's settings file gives it one.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from models.pack import Figure
from packs import PackError, load_pack
from starter import devstack
from starter.cli import main

PACK = """
id = "tiny-pack"
title = "Tiny procedure"
partnership = "Tiny LSCB"
source = "tiny.txt"
default_ladder = "main"

[[roles]]
id = "raising.practitioner"
title = "Raiser"

[[roles]]
id = "partnership.chair"
title = "Chair"

[[ladders]]
id = "main"
title = "Main"

[[ladders.stages]]
id = "first"
title = "First"
holders = ["raising.practitioner"]
timescale_working_days = 5
timescale_note = '4.5: "within 5 working days"'

[[ladders.stages]]
id = "second"
title = "Second"
holders = ["partnership.chair"]
"""

SETTINGS = """
pack = "tiny-pack"
set_by = "LSCB Business Manager"
set_on = 2026-11-30

[[stages]]
ladder = "*"
stage = "second"
{figure}
note = "Agreed by the LSCB executive"
"""


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(pack directory, local settings directory); the environment names neither."""
    monkeypatch.delenv("ESCALATION_LOCAL_SETTINGS", raising=False)
    packs, local = tmp_path / "packs", tmp_path / "local"
    packs.mkdir()
    local.mkdir()
    (packs / "tiny-pack.toml").write_text(PACK, encoding="utf-8")
    return packs, local


def write_settings(local: Path, text: str) -> Path:
    path = local / "tiny-pack.toml"
    path.write_text(text, encoding="utf-8")
    return path


def settings(figure: str = "working_days = 3") -> str:
    return SETTINGS.format(figure=figure)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["packs", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def local_problems(packs: Path, local: Path) -> list[str]:
    with pytest.raises(PackError) as info:
        load_pack("tiny-pack", packs, local)
    lines = str(info.value).splitlines()
    assert lines[0] == f"tiny-pack.toml: invalid local settings ({len(lines) - 1} error(s))"
    return info.value.problems


def test_a_local_setting_fills_the_stage_the_document_leaves_open(
    dirs: tuple[Path, Path],
) -> None:
    packs, local = dirs
    write_settings(local, settings())
    pack = load_pack("tiny-pack", packs, local)
    first, second = pack.ladder().stages
    assert pack.figure(first) == Figure(
        5, "working_days", "document", '4.5: "within 5 working days"'
    )
    assert pack.figure(second) == Figure(
        3,
        "working_days",
        "local",
        quote="Agreed by the LSCB executive",
        set_by="LSCB Business Manager",
        set_on=date(2026, 11, 30),
    )
    assert pack.unset_stages(pack.ladder()) == []
    shipped = load_pack("tiny-pack", packs, local, local=False)
    assert shipped.figure(shipped.ladder().stages[1]) is None
    assert [s.id for s in shipped.unset_stages(shipped.ladder())] == ["second"]


def test_the_environment_names_the_directory(
    dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    packs, local = dirs
    write_settings(local, settings())
    monkeypatch.setenv("ESCALATION_LOCAL_SETTINGS", str(local))
    pack = load_pack("tiny-pack", packs)
    figure = pack.figure(pack.ladder().stages[1])
    assert figure is not None and figure.source == "local"


def test_show_json_gives_each_timescale_with_its_source(
    capsys: pytest.CaptureFixture[str], dirs: tuple[Path, Path]
) -> None:
    packs, local = dirs
    path = write_settings(local, settings())
    code, out, err = run(
        capsys, "show", "tiny-pack", "--pack-dir", str(packs), "--local", str(local), "--format",
        "json",
    )  # fmt: skip
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["local_settings"] == str(path)
    first, second = data["ladders"][0]["stages"]
    assert first["timescale"] == {
        "value": 5,
        "unit": "working_days",
        "source": "document",
        "quote": '4.5: "within 5 working days"',
    }
    assert second["timescale"] == {
        "value": 3,
        "unit": "working_days",
        "source": "local",
        "note": "Agreed by the LSCB executive",
        "set_by": "LSCB Business Manager",
        "set_on": "2026-11-30",
    }
    assert list(second)[:5] == ["id", "title", "holders", "copied", "timescale"]
    assert not [k for k in second if k.startswith("timescale_")]


def test_show_document_only_is_the_pack_as_shipped(
    capsys: pytest.CaptureFixture[str], dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    packs, local = dirs
    write_settings(local, settings())
    monkeypatch.setenv("ESCALATION_LOCAL_SETTINGS", str(local))
    code, out, _ = run(capsys, "show", "tiny-pack", "--pack-dir", str(packs), "--format", "json")
    assert code == 0
    assert json.loads(out)["ladders"][0]["stages"][1]["timescale"]["source"] == "local"
    code, out, _ = run(
        capsys, "show", "tiny-pack", "--pack-dir", str(packs), "--document-only", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["local_settings"] is None
    assert data["ladders"][0]["stages"][1]["timescale"] == {
        "value": None,
        "unit": None,
        "source": "unset",
    }
    code, out, _ = run(capsys, "show", "tiny-pack", "--pack-dir", str(packs), "--document-only")
    lines = out.splitlines()
    assert "Local settings: not applied (--document-only: the pack as shipped)" in lines
    assert "Timescales: 1 from the document, 0 local, 1 unset" in lines
    assert "       no timescale: set it in ESCALATION_LOCAL_SETTINGS/tiny-pack.toml" in lines


def test_show_text_says_who_set_a_local_figure_and_when(
    capsys: pytest.CaptureFixture[str], dirs: tuple[Path, Path]
) -> None:
    packs, local = dirs
    path = write_settings(local, settings())
    code, out, _ = run(capsys, "show", "tiny-pack", "--pack-dir", str(packs), "--local", str(local))
    assert code == 0
    lines = out.splitlines()
    assert f"Local settings: {path}" in lines
    assert "Timescales: 1 from the document, 1 local, 0 unset" in lines
    assert (
        '       timescale: 5 working days, from the document: 4.5: "within 5 working days"' in lines
    )
    assert (
        "       timescale: 3 working days (local setting, LSCB Business Manager, 2026-11-30: "
        "Agreed by the LSCB executive)" in lines
    )


@pytest.mark.parametrize(
    ("figure", "words", "unit", "value"),
    [
        ("calendar_days = 14", "14 calendar days", "calendar_days", 14),
        ("weeks = 2", "2 weeks", "weeks", 2),
        ("weeks = 1", "1 week", "weeks", 1),
    ],
)
def test_calendar_units_in_words(
    capsys: pytest.CaptureFixture[str],
    dirs: tuple[Path, Path],
    figure: str,
    words: str,
    unit: str,
    value: int,
) -> None:
    packs, local = dirs
    write_settings(local, settings(figure))
    code, out, _ = run(capsys, "show", "tiny-pack", "--pack-dir", str(packs), "--local", str(local))
    assert code == 0
    assert f"       timescale: {words} (local setting, LSCB Business Manager" in out
    code, out, _ = run(
        capsys, "show", "tiny-pack", "--pack-dir", str(packs), "--local", str(local), "--format",
        "json",
    )  # fmt: skip
    timescale = json.loads(out)["ladders"][0]["stages"][1]["timescale"]
    assert (timescale["value"], timescale["unit"]) == (value, unit)


def test_a_setting_cannot_replace_the_document_figure(dirs: tuple[Path, Path]) -> None:
    packs, local = dirs
    write_settings(local, settings().replace('stage = "second"', 'stage = "first"'))
    assert local_problems(packs, local) == [
        "stages[0]: main.first has the document's figure (5 working days: "
        '"4.5: "within 5 working days""); a local setting cannot replace it'
    ]


def test_an_unknown_stage_or_ladder_is_named_with_its_path(dirs: tuple[Path, Path]) -> None:
    packs, local = dirs
    text = settings() + '\n[[stages]]\nladder = "side"\nstage = "second"\nworking_days = 2\n'
    write_settings(local, text.replace('stage = "second"', 'stage = "nowhere"', 1))
    assert local_problems(packs, local) == [
        "stages[0].stage: no stage 'nowhere' in * of tiny-pack",
        "stages[1].ladder: 'side' is not a ladder of tiny-pack (main)",
    ]


def test_schema_errors_are_all_named(dirs: tuple[Path, Path]) -> None:
    packs, local = dirs
    text = settings("working_days = 3\nweeks = 1").replace('set_by = "LSCB Business Manager"\n', "")
    write_settings(local, text)
    problems = local_problems(packs, local)
    assert [p.split(":")[0] for p in problems] == ["set_by", "stages.0"]
    assert "give exactly one of working_days, calendar_days or weeks" in problems[1]


def test_the_pack_named_must_be_the_file_name(dirs: tuple[Path, Path]) -> None:
    packs, local = dirs
    write_settings(local, settings().replace('pack = "tiny-pack"', 'pack = "other-pack"'))
    assert local_problems(packs, local) == [
        "pack: 'other-pack' must match the file name 'tiny-pack'"
    ]


def test_check_local_lists_unset_stages_as_warnings(
    capsys: pytest.CaptureFixture[str], dirs: tuple[Path, Path]
) -> None:
    packs, local = dirs
    pack_file, path = packs / "tiny-pack.toml", local / "tiny-pack.toml"
    code, out, err = run(capsys, "check", str(pack_file), "--local", str(local))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "ok: tiny-pack.toml: tiny-pack (Tiny procedure): 1 ladder, 2 stages, 2 roles, 0 decisions",
        f"  local settings: none ({path} does not exist)",
        "  warning: ladders[main].stages[second]: no timescale (the document gives none and no "
        "local setting does): a case on 'main' cannot enter this stage; "
        f"set it in {path}",
    ]
    write_settings(local, settings())
    code, out, err = run(capsys, "check", str(pack_file), "--local", str(local))
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == [
        f"  local settings: {path}: 1 entry, set by LSCB Business Manager on 2026-11-30"
    ]


def test_check_local_exit_codes_for_bad_settings(
    capsys: pytest.CaptureFixture[str], dirs: tuple[Path, Path]
) -> None:
    packs, local = dirs
    pack_file = packs / "tiny-pack.toml"
    path = write_settings(local, settings().replace('stage = "second"', 'stage = "first"'))
    code, out, err = run(capsys, "check", str(pack_file), "--local", str(local))
    assert (code, out) == (2, "")
    assert err.splitlines()[:3] == [
        "escalation: tiny-pack.toml: ok, but its local settings are not:",
        f"escalation: {path}: invalid local settings (1 error(s))",
        "  stages[0]: main.first has the document's figure (5 working days: "
        '"4.5: "within 5 working days""); a local setting cannot replace it',
    ]
    write_settings(local, "pack = ")
    code, _, err = run(capsys, "check", str(pack_file), "--local", str(local))
    assert code == 2
    assert "cannot read" in err
    code, _, err = run(capsys, "check", str(pack_file), "--local", str(local / "missing"))
    assert code == 2
    assert err == f"escalation: --local {local / 'missing'}: not a directory\n"
    code, _, err = run(capsys, "show", "tiny-pack", "--pack-dir", str(packs), "--local", str(local))
    assert code == 2
    assert err.startswith("escalation: tiny-pack.toml: cannot read")


def test_check_local_warns_of_settings_that_apply_to_nothing(
    capsys: pytest.CaptureFixture[str], dirs: tuple[Path, Path]
) -> None:
    packs, local = dirs
    write_settings(local, settings())
    (local / "tiny-pak.toml").write_text(settings(), encoding="utf-8")
    code, out, _ = run(capsys, "check", str(packs / "tiny-pack.toml"), "--local", str(local))
    assert code == 0
    assert out.splitlines()[-1] == (
        f"warning: {local / 'tiny-pak.toml'}: no pack 'tiny-pak' among the files checked or "
        "shipped; these settings apply to nothing"
    )


def test_escalation_dev_uses_the_demo_settings_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    demo = Path(devstack.__file__).parents[1] / "examples" / "local-settings"
    monkeypatch.delenv("ESCALATION_LOCAL_SETTINGS", raising=False)
    banner = devstack.use_local_settings()
    assert os.environ["ESCALATION_LOCAL_SETTINGS"] == str(demo)
    assert banner.startswith(f"DEMO figures, not any partnership's: {demo}")
    monkeypatch.setenv("ESCALATION_LOCAL_SETTINGS", str(tmp_path))
    assert devstack.use_local_settings() == f"{tmp_path} (ESCALATION_LOCAL_SETTINGS)"
    assert os.environ["ESCALATION_LOCAL_SETTINGS"] == str(tmp_path)


def test_alert_stages_climb_by_themselves_only_below_the_chairs_own_stages(tmp_path: Path) -> None:
    """Rutland: stages 5 and 6 are entered only by the raising chair's decision, so a
    partnership may switch stages 1 to 3 to escalate, not stage 4 (or 5, or 6)."""

    def settings(stage: str) -> Path:
        (tmp_path / "rutland.toml").write_text(
            'pack = "rutland"\nset_by = "LLR LSCB Business Manager"\nset_on = 2026-11-30\n'
            f'[[alert_stages]]\nstage = "{stage}"\non_deadline = "escalate"\n',
            encoding="utf-8",
        )
        return tmp_path

    pack = load_pack("rutland", local_dir=settings("head_of_service"))
    assert pack.practice_alerts is not None
    assert [s.on_deadline for s in pack.practice_alerts.stages] == [
        "notify_and_wait",
        "notify_and_wait",
        "escalate",
        "notify_and_wait",
        "notify_and_wait",
        "notify_and_wait",
    ]
    for stage in ("director_for_people", "lscb_independent_chair", "cafcass"):
        with pytest.raises(
            PackError, match=rf"alert_stages\[0\]: '{stage}' cannot climb by itself"
        ):
            load_pack("rutland", local_dir=settings(stage))
