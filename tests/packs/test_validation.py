"""Pack validation: every error kind, each named by file, field path and reason, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from models.pack import PolicyPack
from packs import PackError, load_pack_file

HEAD = """
id = "test-pack"
title = "Test pack"
partnership = "Test LSCB"
source = "tests"
default_ladder = "main"
{default}

[[roles]]
id = "raising.practitioner"
title = "Raiser"

[[roles]]
id = "receiving.practitioner"
title = "Receiver"

[[roles]]
id = "partnership.chair"
title = "Chair"
"""

MAIN = """
[[ladders]]
id = "main"
title = "Main"

[[ladders.stages]]
id = "one"
title = "One"
holders = ["raising.practitioner", "receiving.practitioner"]
{one}

[[ladders.stages]]
id = "two"
title = "Two"
holders = ["partnership.chair"]
timescale_working_days = 5
timescale_note = "test pack: 5 working days"
"""


def adjourned(
    ladder: str,
    dissent: str,
    days: str = 'timescale_working_days = 15\ntimescale_note = "test: not exceeding 15"',
) -> str:
    return f"""
[[ladders]]
id = "{ladder}"
title = "{ladder}"

[[ladders.stages]]
id = "adjourned"
title = "Adjourned"
kind = "conference_adjournment"
holders = ["partnership.chair"]
{days}
interim_position = "On a plan"
on_majority_dissent = "{dissent}"

[[ladders.stages]]
id = "chair"
title = "Chair"
holders = ["partnership.chair"]
timescale_working_days = 5
timescale_note = "test pack: 5 working days"
"""


ALERTS = """
[practice_alerts]
title = "Alerts"
raised_by = ["raising.practitioner", "raising.iro"]
serious_start_stages = ["two", "nine"]

[[practice_alerts.reason_codes]]
code = "late"
title = "Late"

[[practice_alerts.reason_codes]]
code = "late"
title = "Late again"

[[practice_alerts.stages]]
id = "one"
title = "One"
holders = ["receiving.practitioner"]
copied = ["receiving.ghost"]
timescale_working_days = 5

[[practice_alerts.stages]]
id = "two"
title = "Two"
holders = ["partnership.chair"]
timescale_working_days = 5
"""


def pack_text(*, default: str = "", one: str = "", extra: str = "") -> str:
    return HEAD.format(default=default) + MAIN.format(one=one) + extra


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "test-pack.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PackError) as info:
        load_pack_file(path)
    message = str(info.value)
    lines = message.splitlines()
    assert lines[0] == f"test-pack.toml: invalid policy pack ({len(lines) - 1} error(s))"
    assert info.value.problems == [line.strip() for line in lines[1:]]
    return info.value.problems


def test_a_valid_pack_loads(tmp_path: Path) -> None:
    path = tmp_path / "test-pack.toml"
    path.write_text(pack_text(extra=adjourned("divided", "main")), encoding="utf-8")
    pack = load_pack_file(path)
    assert [lad.id for lad in pack.ladders] == ["main", "divided"]
    one, two = pack.ladder().stages
    assert pack.figure(one) is None  # the document gives none: nobody has set one yet
    assert [s.id for s in pack.unset_stages(pack.ladder())] == ["one"]
    figure = pack.figure(two)
    assert figure is not None and (figure.value, figure.unit, figure.source) == (
        5,
        "working_days",
        "document",
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [("2.5", "2.5"), ('"5"', "'5'"), ("true", "True"), ("5.0", "5.0")],
)
def test_timescale_must_be_a_whole_number_of_working_days(
    tmp_path: Path, value: str, shown: str
) -> None:
    found = problems(
        tmp_path, pack_text(one=f'timescale_working_days = {value}\ntimescale_note = "q"')
    )
    assert found == [
        f"ladders[main].stages[one].timescale_working_days: must be a whole number of "
        f"working days, got {shown}"
    ]


def test_a_pack_may_not_carry_a_partnership_default(tmp_path: Path) -> None:
    found = problems(tmp_path, pack_text(default="default_timescale_working_days = 5"))
    assert found == ["default_timescale_working_days: Extra inputs are not permitted"]


def test_a_document_figure_quotes_its_sentence(tmp_path: Path) -> None:
    found = problems(tmp_path, pack_text(one="timescale_working_days = 3"))
    assert found == [
        "ladders[main].stages[one].timescale_note: missing: a document figure quotes the "
        "sentence it comes from; a figure the document does not give belongs in the "
        "partnership's local settings"
    ]


def test_one_unit_at_a_time(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        pack_text(one='timescale_working_days = 3\ntimescale_weeks = 2\ntimescale_note = "q"'),
    )
    assert found == [
        "ladders[main].stages[one].timescale_weeks: give one timescale, not "
        "timescale_working_days and timescale_weeks"
    ]


@pytest.mark.parametrize(
    ("one", "unit", "value"),
    [
        ("timescale_calendar_days = 14", "calendar_days", 14),
        ("timescale_weeks = 2", "weeks", 2),
    ],
)
def test_calendar_periods(tmp_path: Path, one: str, unit: str, value: int) -> None:
    path = tmp_path / "test-pack.toml"
    path.write_text(pack_text(one=f'{one}\ntimescale_note = "two weeks"'), encoding="utf-8")
    pack = load_pack_file(path)
    figure = pack.figure(pack.ladder().stages[0])
    assert figure is not None and (figure.unit, figure.value) == (unit, value)


@pytest.mark.parametrize("field", ["copied", "overdue_notify", "learning_notify"])
def test_unknown_role_in_any_role_field(tmp_path: Path, field: str) -> None:
    found = problems(tmp_path, pack_text(one=f'{field} = ["partnership.ghost"]'))
    assert found == [
        f"ladders[main].stages[one].{field}: unknown role 'partnership.ghost'; declare it "
        "under [[roles]] (known: partnership.chair, raising.practitioner, receiving.practitioner)"
    ]


def test_unknown_confirmer(tmp_path: Path) -> None:
    found = problems(tmp_path, pack_text(one='confirmer = "receiving.ghost"'))
    assert [f.split(";")[0] for f in found] == [
        "ladders[main].stages[one].confirmer: unknown role 'receiving.ghost'"
    ]


def test_duplicate_stage_ids(tmp_path: Path) -> None:
    text = pack_text().replace('id = "two"', 'id = "one"')
    assert problems(tmp_path, text) == [
        "ladders[main].stages: stage ids must be unique in a ladder; repeated: one"
    ]


def test_dissent_ladder_naming_its_own_ladder(tmp_path: Path) -> None:
    found = problems(tmp_path, pack_text(extra=adjourned("divided", "divided")))
    assert found == [
        "ladders[divided].stages[adjourned].on_majority_dissent: names its own ladder "
        "'divided': the dissenting minority must climb a different ladder"
    ]


def test_dissent_ladder_unknown(tmp_path: Path) -> None:
    found = problems(tmp_path, pack_text(extra=adjourned("divided", "majority")))
    assert found == [
        "ladders[divided].stages[adjourned].on_majority_dissent: unknown ladder 'majority' "
        "(ladders: divided, main)"
    ]


def test_dissent_ladders_forming_a_loop(tmp_path: Path) -> None:
    text = pack_text(extra=adjourned("divided", "again") + adjourned("again", "divided"))
    assert problems(tmp_path, text) == [
        "ladders[divided].stages[adjourned].on_majority_dissent: ladders form a loop: "
        "divided → again → divided"
    ]


def test_adjournment_needs_its_own_timescale_of_at_most_15(tmp_path: Path) -> None:
    missing = problems(tmp_path, pack_text(extra=adjourned("divided", "main", days="")))
    assert missing == [
        "ladders[divided].stages[adjourned].timescale_working_days: missing: an adjourned "
        "conference needs its own timescale in working days (at most 15)"
    ]
    too_long = adjourned(
        "divided", "main", days='timescale_working_days = 16\ntimescale_note = "q"'
    )
    assert problems(tmp_path, pack_text(extra=too_long)) == [
        "ladders[divided].stages[adjourned].timescale_working_days: 16 is too long: a "
        "conference is adjourned for at most 15 working days"
    ]


def test_dissent_on_a_discussion_stage_is_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, pack_text(one='on_majority_dissent = "main"'))
    assert found == [
        "ladders[main].stages[one].on_majority_dissent: only a kind = "
        '"conference_adjournment" stage (an adjourned conference) has one'
    ]


def test_practice_alerts_unknown_roles_stages_and_duplicate_codes(tmp_path: Path) -> None:
    found = problems(tmp_path, pack_text(extra=ALERTS))
    known = "(known: partnership.chair, raising.practitioner, receiving.practitioner)"
    assert found == [
        f"practice_alerts.raised_by: unknown role 'raising.iro'; declare it under [[roles]] {known}",
        "practice_alerts.reason_codes: reason codes must be unique; repeated: late",
        f"practice_alerts.stages[one].copied: unknown role 'receiving.ghost'; declare it under "
        f"[[roles]] {known}",
        "practice_alerts.serious_start_stages: unknown stage 'nine' (alert stages: one, two)",
    ]


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    text = pack_text(
        default="",
        one='copied = ["receiving.ghost"]\nconfirmation_working_days = 1.5',
        extra=adjourned(
            "divided", "divided", days='timescale_working_days = 20\ntimescale_note = "q"'
        )
        + ALERTS,
    ).replace('title = "Test pack"', 'title = "Test pack"\nsurprise = 1')
    known = "(known: partnership.chair, raising.practitioner, receiving.practitioner)"
    assert problems(tmp_path, text) == [
        "ladders[main].stages[one].confirmation_working_days: must be a whole number of "
        "working days, got 1.5",
        "surprise: Extra inputs are not permitted",
        f"ladders[main].stages[one].copied: unknown role 'receiving.ghost'; declare it under "
        f"[[roles]] {known}",
        "ladders[divided].stages[adjourned].timescale_working_days: 20 is too long: a "
        "conference is adjourned for at most 15 working days",
        "ladders[divided].stages[adjourned].on_majority_dissent: names its own ladder "
        "'divided': the dissenting minority must climb a different ladder",
        f"practice_alerts.raised_by: unknown role 'raising.iro'; declare it under [[roles]] {known}",
        "practice_alerts.reason_codes: reason codes must be unique; repeated: late",
        f"practice_alerts.stages[one].copied: unknown role 'receiving.ghost'; declare it under "
        f"[[roles]] {known}",
        "practice_alerts.serious_start_stages: unknown stage 'nine' (alert stages: one, two)",
    ]


def test_a_pack_built_in_code_is_held_to_the_same_rules() -> None:
    with pytest.raises(
        ValidationError,
        match=r"ladders\[main\]\.stages\[one\]\.holders: unknown role 'raising.nobody'",
    ):
        PolicyPack.model_validate(
            {
                "id": "x",
                "title": "x",
                "partnership": "x",
                "source": "x",
                "default_ladder": "main",
                "roles": [{"id": "partnership.chair", "title": "Chair"}],
                "ladders": [
                    {
                        "id": "main",
                        "title": "Main",
                        "stages": [{"id": "one", "title": "One", "holders": ["raising.nobody"]}],
                    }
                ],
            }
        )
