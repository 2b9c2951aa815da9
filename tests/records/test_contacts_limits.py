"""`escalation contacts import`: names as safe as in a start request, and broken files explained.

A name or agency with a control character would stop every email addressed with
it, so the import refuses it the way a start request does; a value larger than
the csv module will read (an unclosed quote, usually) and a column given twice
each get one clear line instead of a traceback or a silently dropped column.
Nothing is imported while any row is bad.
"""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

import pytest

from records.contacts import parse_contacts
from starter.cli import main
from tests.records.test_contacts_import import _contacts

HEADER = "partnership,agency,role,name,email\n"


def _import(url: str, tmp_path: Path, text: str) -> int:
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(text, encoding="utf-8")
    return main(["contacts", "import", str(csv_file), "--database-url", url])


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (  # a header injection; reading the file turns its \r\n into \n
            '{p},,chair,"H. Chair\r\nBcc: everyone",chair@council.example.org',
            "line 2: name: a name may not contain control characters or line breaks (found U+000A)",
        ),
        (
            "{p},Sch\x0bool,line_manager,C. Head,head@school.example.org",
            "line 2: agency: a name may not contain control characters or line breaks"
            " (found U+000B)",
        ),
        (
            "{p},,chair,H. Chair\x1c,chair@council.example.org",
            "line 2: name: a name may not contain control characters or line breaks (found U+001C)",
        ),
        (
            "{p},,chair,H.\u2028Chair,chair@council.example.org",
            "line 2: name: a name may not contain control characters or line breaks (found U+2028)",
        ),
        (
            "{p},,chair,H.\x85Chair,chair@council.example.org",
            "line 2: name: a name may not contain control characters or line breaks (found U+0085)",
        ),
        (
            "{p},,chair," + "N" * 201 + ",chair@council.example.org",
            "line 2: name: at most 200 characters (got 201)",
        ),
        (
            "{p}\x7f,,chair,H. Chair,chair@council.example.org",
            "line 2: partnership: a name may not contain control characters or line breaks"
            " (found U+007F)",
        ),
        (
            "{p},,chair,H. Chair,chair\x01@council.example.org",
            "line 2: email: 'chair\\x01@council.example.org' is not an email address",
        ),
    ],
    ids=["crlf", "vt", "fs", "u2028", "nel", "long", "del", "email"],
)
def test_unsafe_names_are_refused_and_nothing_is_imported(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], row: str, error: str
) -> None:
    p = f"Partnership {uuid.uuid4().hex[:8]}"
    good = f"{p},,business_manager,G. Business Manager,lscb@council.example.org\n"
    assert _import(sqlite_url, tmp_path, HEADER + row.replace("{p}", p) + "\n" + good) == 2
    err = capsys.readouterr().err
    assert error in err, err
    assert "nothing imported" in err
    assert _contacts(sqlite_url, p) == []


def test_a_value_over_the_csv_field_limit_names_its_row(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = f"Partnership {uuid.uuid4().hex[:8]}"
    unclosed = f'{p},"Health Trust,named_nurse,N. Nurse,nurse@nhs.example.org\n'
    filler = "".join(f"{p},,role_{i},Someone,someone@example.org\n" for i in range(3000))
    text = HEADER + f"{p},,chair,H. Chair,chair@council.example.org\n" + unclosed + filler
    assert len(text) > csv.field_size_limit()
    assert _import(url, tmp_path, text) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith(
        f"line 3: row: a value is longer than {csv.field_size_limit():,} characters"
        " (is a quote left open?); nothing after it was read"
    ), err
    assert err[-1].endswith("nothing imported (1 error(s))")
    assert "Traceback" not in "\n".join(err)
    assert _contacts(url, p) == []


def test_a_header_over_the_csv_field_limit_is_refused() -> None:
    parsed = parse_contacts('"' + "x" * (csv.field_size_limit() + 1))
    assert parsed.entries == []
    assert parsed.errors == [
        f"line 1: header: a value is longer than {csv.field_size_limit():,} characters"
        " (is a quote left open?); nothing after it was read"
    ]


def test_a_column_given_twice_is_refused_naming_it(
    sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Without the check, the second 'name' silently won: the directory would say the
    # email address of one person belongs to another.
    p = f"Partnership {uuid.uuid4().hex[:8]}"
    text = (
        "partnership,agency,role,name,email,Name\n"
        f"{p},,chair,H. Chair,chair@council.example.org,Someone Else\n"
    )
    assert _import(sqlite_url, tmp_path, text) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith(
        "line 1: header: column(s) given twice: name"
        " (expected partnership, agency, role, name, email)"
    ), err
    assert _contacts(sqlite_url, p) == []


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))
