"""The dev stack's secret files are private from their first byte, never chmod-ed after."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from settings import MIN_SECRET_LENGTH
from starter import devstack


@pytest.fixture
def open_umask():
    """A umask that would leave a plainly written file world-readable."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_the_link_secret_is_created_0600_without_a_chmod(
    tmp_path: Path, monkeypatch, open_umask
) -> None:
    def no_chmod(*args: object, **kwargs: object) -> None:
        raise AssertionError("a secret file must be created private, not chmod-ed after")

    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    monkeypatch.delenv("ESCALATION_LINK_SECRET", raising=False)
    state = tmp_path / "state"
    secret = devstack.link_secret(state)
    assert len(secret) >= MIN_SECRET_LENGTH
    assert (state / "link-secret").stat().st_mode & 0o777 == 0o600
    assert state.stat().st_mode & 0o777 == 0o700
    assert devstack.link_secret(state) == secret  # kept, not rewritten


def test_an_existing_secret_file_is_never_overwritten(tmp_path: Path, open_umask) -> None:
    path = tmp_path / "secret"
    assert devstack.write_secret_file(path, "first")
    assert not devstack.write_secret_file(path, "second")
    assert path.read_text() == "first" and path.stat().st_mode & 0o777 == 0o600
