"""A setting the product refuses ends any command with one clear line, not a traceback."""

from __future__ import annotations

import pytest

from settings import get_settings
from starter import cli


def test_a_short_link_secret_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ESCALATION_LINK_SECRET", "too-short")
    get_settings.cache_clear()  # read once per process: this test's environment, not another's
    try:
        code = cli.main(["overdue"])
    finally:
        get_settings.cache_clear()
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith("escalation: ") and "ESCALATION_LINK_SECRET" in line
    assert "at least 32 characters" in line and "too-short" not in line
