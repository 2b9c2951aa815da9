"""One state directory, whatever the current directory: ``ESCALATION_HOME``.

Before, ``escalation record`` run outside the project created an empty
``.escalation/escalation.db`` where it stood and advised ``escalation db upgrade`` on
that wrong database. Now every command reads the database in ``ESCALATION_HOME`` (by
default the project's ``.escalation``, the one ``escalation dev`` writes), a command
that reads the records never creates one, and a missing one is named with its path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

READERS = [
    ["record", "CR-2026-00417"],
    ["report", "--quarter", "2026Q4"],
    ["calendar", "list"],
    ["alert", "tracker", "--format", "csv", "--out", "tracker.csv"],
    ["contacts", "import", "contacts.csv"],
]
"""Commands that read (or add rows to) the records: none may create the database."""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCALATION_")}
    env["ESCALATION_LOCAL_SETTINGS"] = str(ROOT / "examples" / "local-settings")
    env.update(extra)
    return env


def _run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "starter.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A directory outside the project, holding only the input files a user would have."""
    where = tmp_path / "elsewhere"
    where.mkdir()
    (where / "contacts.csv").write_text(
        "partnership,agency,role,name,email\nRutland,Police,duty,A. Officer,a@police.example\n"
    )
    return where


def test_reading_commands_name_the_missing_database_and_create_nothing(
    elsewhere: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = _env(ESCALATION_HOME=str(home))
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "starter.cli", *argv],
            cwd=elsewhere,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in READERS
    ]
    for argv, run in zip(READERS, runs, strict=True):
        out, err = run.communicate(timeout=120)
        assert run.returncode == 1, (argv, err)
        assert out == "", argv
        [line] = err.splitlines()
        assert line.startswith(f"escalation: no records database at {home / 'escalation.db'}: ")
        assert "`escalation db upgrade`" in line and "ESCALATION_HOME" in line
    assert not home.exists()
    assert sorted(p.name for p in elsewhere.iterdir()) == ["contacts.csv"]


def test_db_upgrade_creates_the_database_in_the_home_and_record_then_reads_it(
    elsewhere: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = _env(ESCALATION_HOME=str(home))
    upgraded = _run(elsewhere, env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert (home / "escalation.db").is_file()
    record = _run(elsewhere, env, "record", "CR-2026-00417")
    assert record.returncode == 1
    assert (
        record.stderr.strip()
        == "escalation: case_reference: no disagreement recorded for CR-2026-00417"
    )
    assert sorted(p.name for p in elsewhere.iterdir()) == ["contacts.csv"]


def test_the_default_home_is_the_projects_whatever_the_current_directory(
    elsewhere: Path,
) -> None:
    program = "from settings import get_settings; print(get_settings().database_url)"
    urls = {
        subprocess.run(
            [sys.executable, "-c", program],
            cwd=cwd,
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for cwd in (ROOT, elsewhere)
    }
    assert urls == {f"sqlite+aiosqlite:///{ROOT / '.escalation' / 'escalation.db'}"}


def test_an_explicit_database_url_wins_over_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from settings import Settings

    explicit = "postgresql+asyncpg://user@db.example/escalation"
    monkeypatch.setenv("ESCALATION_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ESCALATION_DATABASE_URL", raising=False)
    in_home = f"sqlite+aiosqlite:///{tmp_path / 'home' / 'escalation.db'}"
    assert Settings().database_url == in_home
    monkeypatch.setenv("ESCALATION_DATABASE_URL", explicit)
    assert Settings().database_url == explicit
    assert Settings().home == tmp_path / "home"
