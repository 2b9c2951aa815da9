"""Settings refuse secrets too short to keep anyone out, naming the variable, never the value."""

from __future__ import annotations

import pytest

from settings import MIN_SECRET_LENGTH, Settings, SettingsError, get_settings


@pytest.mark.parametrize("variable", ["ESCALATION_LINK_SECRET", "ESCALATION_CODEC_TOKEN"])
def test_a_short_secret_is_refused_at_start_up(monkeypatch, variable: str) -> None:
    short = "correct-horse-battery-staple"  # 28 characters: a phrase, not a key
    monkeypatch.setenv(variable, short)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as refused:
            get_settings()
    finally:
        get_settings.cache_clear()
    message = str(refused.value)
    assert message.startswith(f"{variable} must be at least {MIN_SECRET_LENGTH} characters")
    assert "(it has 28)" in message and short not in message


def test_long_enough_or_unset_secrets_are_taken(monkeypatch) -> None:
    monkeypatch.setenv("ESCALATION_LINK_SECRET", "l" * MIN_SECRET_LENGTH)
    monkeypatch.setenv("ESCALATION_CODEC_TOKEN", "c" * 64)
    s = Settings()
    assert s.link_secret is not None and s.link_secret.get_secret_value() == "l" * 32
    assert s.codec_token is not None and len(s.codec_token.get_secret_value()) == 64
    monkeypatch.delenv("ESCALATION_LINK_SECRET")
    monkeypatch.setenv("ESCALATION_CODEC_TOKEN", "")  # empty: unset (the commands require it)
    s = Settings()
    assert s.link_secret is None and s.codec_token is not None


def test_the_default_sender_is_escalations_at_localhost_as_the_docs_say(monkeypatch) -> None:
    from activities.smtp import SmtpConfig
    from tests.test_readme_commands import ROOT

    monkeypatch.delenv("ESCALATION_MAIL_FROM", raising=False)
    assert Settings().mail_from == "escalations@localhost"
    assert SmtpConfig().mail_from == "escalations@localhost"  # what a test or script builds
    assert SmtpConfig.from_settings(Settings()).mail_from == "escalations@localhost"
    row = "| `ESCALATION_MAIL_FROM` | `escalations@localhost` | sender |"
    for doc in ("README.md", "docs/operations.md"):
        assert row in (ROOT / doc).read_text(encoding="utf-8"), doc
    monkeypatch.setenv("ESCALATION_MAIL_FROM", "escalations@lscb.example.org")
    assert SmtpConfig.from_settings(Settings()).mail_from == "escalations@lscb.example.org"
