"""`escalation contacts import FILE`: upsert, every bad row by line, nothing half-imported."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from records.db import make_sessionmaker
from starter.cli import main


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def _contacts(url: str, partnership: str) -> list[tuple[str, str, str, str]]:
    async def read() -> list[tuple[str, str, str, str]]:
        sm = make_sessionmaker(url)
        try:
            async with sm() as s:
                result = await s.execute(
                    text(
                        "SELECT agency, role, name, email FROM contacts WHERE partnership = :p ORDER BY agency, role"
                    ),
                    {"p": partnership},
                )
                return [tuple(r) for r in result.all()]  # type: ignore[misc]
        finally:
            await sm.kw["bind"].dispose()

    return asyncio.run(read())


def test_import_then_update(url, tmp_path, capsys) -> None:
    p = f"Partnership {uuid.uuid4().hex[:8]}"
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(
        "partnership,agency,role,name,email\n"
        f"{p},,business_manager,G. Business Manager,lscb@council.example.org\n"
        f'{p},"Redbridge Primary School",line_manager,C. Headteacher,head@school.example.org\n'
        f"{p},,partnership.chair,H. Independent Chair,chair@council.example.org\n"
    )
    assert main(["contacts", "import", str(csv_file), "--database-url", url]) == 0
    assert capsys.readouterr().out.strip() == f"{csv_file}: 3 contact(s) added, 0 updated"
    assert _contacts(url, p) == [
        ("", "business_manager", "G. Business Manager", "lscb@council.example.org"),
        ("", "chair", "H. Independent Chair", "chair@council.example.org"),
        ("Redbridge Primary School", "line_manager", "C. Headteacher", "head@school.example.org"),
    ]
    csv_file.write_text(
        "email,name,role,agency,partnership\n"
        f"new.bm@council.example.org,J. New Manager,business_manager,,{p.upper()}\n"
    )
    assert main(["contacts", "import", str(csv_file), "--database-url", url]) == 0
    assert capsys.readouterr().out.strip() == f"{csv_file}: 0 contact(s) added, 1 updated"
    assert _contacts(url, p.upper())[0] == (
        "",
        "business_manager",
        "J. New Manager",
        "new.bm@council.example.org",
    )


def test_bad_rows_reported_by_line_and_nothing_imported(url, tmp_path, capsys) -> None:
    p = f"Partnership {uuid.uuid4().hex[:8]}"
    csv_file = tmp_path / "bad.csv"
    csv_file.write_text(
        "partnership,agency,role,name,email\n"
        f"{p},,business_manager,G. Business Manager,lscb@council.example.org\n"  # 2: good
        f"{p},School,line manager,C. Head,head@school.example.org\n"  # 3: role has a space
        f'{p},"Health\nTrust",named_nurse,N. Nurse,not-an-email\n'  # 4-5: line break, bad email
        f"{p},,business_manager,Another,other@council.example.org\n"  # 6: duplicate of 2
        f",School,chair,X,x@example.org\n"  # 7: no partnership
        f"{p},School,chair,X\n"  # 8: too few values
    )
    assert main(["contacts", "import", str(csv_file), "--database-url", url]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"escalation: {csv_file}: line 3: role: 'line manager' must be a role id such as line_manager (lower-case letters, digits, '_', '-')",
        f"escalation: {csv_file}: line 4: agency: a name may not contain control characters or line breaks (found U+000A)",
        f"escalation: {csv_file}: line 4: email: 'not-an-email' is not an email address",
        f"escalation: {csv_file}: line 6: role: business_manager for agency '' already given on line 2",
        f"escalation: {csv_file}: line 7: partnership: is empty",
        f"escalation: {csv_file}: line 8: row: 4 value(s) where the header has 5",
        f"escalation: {csv_file}: nothing imported (6 error(s))",
    ]
    assert _contacts(url, p) == []


def test_bad_header_is_refused(sqlite_url, tmp_path, capsys) -> None:
    csv_file = tmp_path / "header.csv"
    csv_file.write_text("partnership,agency,role,person,email\nP,,chair,X,x@example.org\n")
    assert main(["contacts", "import", str(csv_file), "--database-url", sqlite_url]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        f"escalation: {csv_file}: line 1: header: missing column(s) name; unknown column(s) person "
        "(expected partnership, agency, role, name, email)"
    )
