"""The shipped packs load, and a broken pack is explained field by field."""

from __future__ import annotations

from pathlib import Path

import pytest

from packs import PACK_DIR, PackError, UnknownProcedure, load_pack, load_pack_file, pack_ids


def test_redbridge_pack_encodes_the_seed() -> None:
    pack = load_pack("redbridge-2017")
    ladder = pack.ladder()
    assert [s.id for s in ladder.stages] == [
        "practitioners",
        "line_managers",
        "senior_managers",
        "lscb_chair",
    ]
    assert [pack.timescale(s) for s in ladder.stages] == [5, 5, 2, 5]
    [first_contact] = ladder.stages[0].milestones
    assert (first_contact.id, first_contact.working_days) == ("first_contact", 3)
    assert pack.raise_within_working_days == 2
    assert pack.confirmation_working_days == 2
    assert "partnership.business_manager" in ladder.stages[2].copied
    chair = ladder.stages[3]
    assert chair.on_deadline == "notify_and_wait"
    assert chair.overdue_notify == ["partnership.business_manager", "partnership.vice_chair"]
    assert ladder.immediate_risk_stage == "line_managers"
    stage3 = [d for d in pack.decisions if "Stage 3" in d.topic]
    assert stage3 and stage3[0].pack_uses == "2 working days" and "flowchart" in stage3[0].seed_says


def test_every_shipped_pack_is_valid() -> None:
    assert "redbridge-2017" in pack_ids()
    for pack_id in pack_ids():
        assert load_pack(pack_id).id == pack_id


def test_unknown_procedure_lists_the_known_ones() -> None:
    with pytest.raises(
        UnknownProcedure, match=r"procedure: unknown procedure 'nowhere'.*redbridge-2017"
    ):
        load_pack("nowhere")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


BROKEN = """
id = "broken"
title = "Broken"
partnership = "Nowhere LSCB"
source = "none"
default_ladder = "main"
confirmation_working_days = 2.5

[[roles]]
id = "raising.practitioner"
title = "Raiser"

[[ladders]]
id = "main"
title = "Main"

[[ladders.stages]]
id = "one"
title = "One"
holders = ["raising.practitioner", "receiving.ghost"]
"""


def test_broken_pack_names_file_field_and_reason(tmp_path: Path) -> None:
    with pytest.raises(PackError) as info:
        load_pack_file(_write(tmp_path, "broken", BROKEN))
    message = str(info.value)
    assert message.startswith("broken.toml: invalid policy pack")
    assert (
        "  confirmation_working_days: must be a whole number of working days, got 2.5"
        in message.splitlines()
    )
    assert (
        "  ladders[main].stages[one].holders: unknown role 'receiving.ghost'; declare it under "
        "[[roles]] (known: raising.practitioner)" in message.splitlines()
    )
    assert message.startswith("broken.toml: invalid policy pack (2 error(s))")


def test_unknown_role_is_named(tmp_path: Path) -> None:
    text = BROKEN.replace("2.5", "2")
    with pytest.raises(
        PackError,
        match=r"(?s)broken.toml.*ladders\[main\]\.stages\[one\]\.holders: unknown role 'receiving.ghost'",
    ):
        load_pack_file(_write(tmp_path, "broken", text))


def test_pack_id_must_match_file_name(tmp_path: Path) -> None:
    text = BROKEN.replace("2.5", "2").replace(', "receiving.ghost"', "")
    with pytest.raises(
        PackError,
        match=r"other.toml: invalid policy pack.*\n  id: 'broken' must match the file name 'other'",
    ):
        load_pack_file(_write(tmp_path, "other", text))


def test_not_toml(tmp_path: Path) -> None:
    with pytest.raises(PackError, match=r"bad.toml: not valid TOML"):
        load_pack_file(_write(tmp_path, "bad", "id = "))


def test_an_edited_pack_is_read_afresh_and_a_broken_one_every_time(tmp_path: Path) -> None:
    """Validated packs are kept by their text: an edit of the same length is still seen."""
    text = (PACK_DIR / "redbridge-2017.toml").read_text(encoding="utf-8")
    path = _write(tmp_path, "redbridge-2017", text)
    first = load_pack_file(path)
    assert load_pack_file(path) is first  # unchanged text: not validated again
    assert first.raise_within_working_days == 2
    # Same size, same second: only the text tells the two apart.
    path.write_text(
        text.replace("raise_within_working_days = 2", "raise_within_working_days = 3"),
        encoding="utf-8",
    )
    assert load_pack_file(path).raise_within_working_days == 3
    path.write_text(BROKEN, encoding="utf-8")
    for _ in range(2):
        with pytest.raises(PackError):
            load_pack_file(path)
