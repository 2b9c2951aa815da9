"""Installing the project is quiet, and the package carries its data files.

``make dev`` starts with ``pip install -e .``: a packaging mistake there (a deprecated
license table, a data folder setuptools does not know as a package) printed some 230
lines of warnings before the banner, and a data file missing from the wheel only shows
when a deployed worker cannot find its bank holidays. Both are built here from a copy
of the project, so the working tree gets no ``build/`` or ``*.egg-info``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

DATA_FILES = {
    "workdays/data/england-and-wales.json",
    "packs/redbridge-2017.toml",
    "records/alembic.ini",
    "records/migrations/script.py.mako",
    "templates/base.html",
    "templates/style.css",
    "templates/email.txt",
    "schemas/index.json",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's sources, without the virtualenv, caches and state."""
    copy = tmp_path_factory.mktemp("project") / "src"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", ".escalation", "__pycache__", ".*_cache"
        ),
    )
    return copy


def _pip(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if "warn" in line.lower()]


def test_the_wheel_builds_without_warnings_and_carries_the_data_files(
    project: Path, tmp_path: Path
) -> None:
    output = _pip("wheel", "--no-deps", str(project), "-w", str(tmp_path))
    assert _warnings(output) == []
    [wheel] = tmp_path.glob("safeguarding_escalation-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert DATA_FILES <= names, sorted(DATA_FILES - names)
    assert {"settings.py", "worker.py", "starter/cli.py"} <= names


def test_an_editable_install_prints_no_warning(project: Path, tmp_path: Path) -> None:
    """What ``make install`` runs, into a throwaway virtualenv (no dependencies fetched)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    output = _pip(
        "--python", str(venv / "bin" / "python"), "install", "--no-deps", "-e", str(project)
    )
    assert _warnings(output) == []
    assert "Successfully installed safeguarding-escalation" in output
