"""``escalation console`` names every missing setting, and a broken access file, and starts nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _console(env_extra: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCALATION_")}
    env |= {"ESCALATION_HOME": str(cwd / "home")} | env_extra
    return subprocess.run(
        [sys.executable, "-m", "starter.cli", "console", "--port", "0"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_every_missing_setting_is_named(tmp_path: Path) -> None:
    done = _console({"ESCALATION_CONSOLE_OIDC_CLIENT_ID": "console"}, tmp_path)
    assert done.returncode == 2
    named = [line.split(":")[1].strip() for line in done.stderr.splitlines()]
    assert named == [
        "ESCALATION_CONSOLE_OIDC_ISSUER",
        "ESCALATION_CONSOLE_OIDC_CLIENT_SECRET",
        "ESCALATION_CONSOLE_SESSION_SECRET",
        "ESCALATION_CONSOLE_ACCESS_FILE",
    ]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "home").exists()  # nothing started, nothing written


def test_a_short_session_secret_and_a_broken_access_file_are_refused(tmp_path: Path) -> None:
    access = tmp_path / "access.toml"
    access.write_text('[[person]]\nemail = "a@b.org"\npartnership = "P"\nroles = ["admin"]\n')
    settings = {
        "ESCALATION_CONSOLE_OIDC_ISSUER": "http://localhost:9",
        "ESCALATION_CONSOLE_OIDC_CLIENT_ID": "console",
        "ESCALATION_CONSOLE_OIDC_CLIENT_SECRET": "s",
        "ESCALATION_CONSOLE_ACCESS_FILE": str(access),
    }
    short = _console(settings | {"ESCALATION_CONSOLE_SESSION_SECRET": "short"}, tmp_path)
    assert short.returncode == 2
    assert "ESCALATION_CONSOLE_SESSION_SECRET must be at least 32 characters" in short.stderr
    broken = _console(settings | {"ESCALATION_CONSOLE_SESSION_SECRET": "x" * 40}, tmp_path)
    assert broken.returncode == 2
    assert broken.stderr.strip() == (
        f"escalation: ESCALATION_CONSOLE_ACCESS_FILE: {access}: person.0.roles.0: "
        "'admin' is not one of 'business_manager', 'chair', 'qa' or 'viewer'"
    )
