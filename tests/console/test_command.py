"""``escalation console`` names every missing setting, and a broken access file, and starts nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from settings import get_settings
from starter import cli


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """No ESCALATION_ variable but a home of this test's; settings read afresh."""
    import os

    for name in [n for n in os.environ if n.startswith("ESCALATION_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ESCALATION_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()  # read once per process: this test's environment, not another's
    yield monkeypatch
    get_settings.cache_clear()


def test_every_missing_setting_is_named(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("ESCALATION_CONSOLE_OIDC_CLIENT_ID", "console")
    assert cli.main(["console", "--port", "0"]) == 2
    err = capsys.readouterr().err
    named = [line.split(":")[1].strip() for line in err.splitlines()]
    assert named == [
        "ESCALATION_CONSOLE_OIDC_ISSUER",
        "ESCALATION_CONSOLE_OIDC_CLIENT_SECRET",
        "ESCALATION_CONSOLE_SESSION_SECRET",
        "ESCALATION_CONSOLE_ACCESS_FILE",
    ]
    assert not (tmp_path / "home").exists()  # nothing started, nothing written


def test_a_short_session_secret_and_a_broken_access_file_are_refused(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    access = tmp_path / "access.toml"
    access.write_text('[[person]]\nemail = "a@b.org"\npartnership = "P"\nroles = ["admin"]\n')
    for name, value in {
        "ESCALATION_CONSOLE_OIDC_ISSUER": "http://localhost:9",
        "ESCALATION_CONSOLE_OIDC_CLIENT_ID": "console",
        "ESCALATION_CONSOLE_OIDC_CLIENT_SECRET": "s",
        "ESCALATION_CONSOLE_ACCESS_FILE": str(access),
        "ESCALATION_CONSOLE_SESSION_SECRET": "short",
    }.items():
        clean_env.setenv(name, value)
    get_settings.cache_clear()
    assert cli.main(["console", "--port", "0"]) == 2
    assert "ESCALATION_CONSOLE_SESSION_SECRET must be at least 32 characters" in (
        capsys.readouterr().err
    )
    clean_env.setenv("ESCALATION_CONSOLE_SESSION_SECRET", "x" * 40)
    get_settings.cache_clear()
    assert cli.main(["console", "--port", "0"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"escalation: ESCALATION_CONSOLE_ACCESS_FILE: {access}: person.0.roles.0: "
        "'admin' is not one of 'business_manager', 'chair', 'qa' or 'viewer'"
    )
