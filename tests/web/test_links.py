"""Decision links: signed for one person, case, stage and action; they expire; forgeries fail."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from web.links import (
    LinkClaims,
    LinkError,
    decision_link,
    default_expiry,
    link_from_settings,
    sign,
    verify,
)

SECRET = "link-secret-for-tests-0123456789abcdef"
NOW = datetime(2026, 12, 21, 10, 0, tzinfo=UTC)
CLAIMS = LinkClaims(
    workflow_id="disagreement-CR-2026-00417-d1",
    stage="practitioners",
    email="cpat.duty@council.example.org",
    action="decide",
    expires_at=datetime(2027, 1, 13, 17, 0, tzinfo=UTC),
)


def test_a_genuine_link_verifies_to_its_claims() -> None:
    assert verify(sign(CLAIMS, SECRET), SECRET, NOW) == CLAIMS


def test_the_link_url_carries_the_token() -> None:
    url = decision_link(
        "https://escalation.example.org/",
        SECRET,
        workflow_id=CLAIMS.workflow_id,
        stage=CLAIMS.stage,
        email="CPAT.Duty@council.example.org",
        action="decide",
        expires_at=CLAIMS.expires_at,
    )
    assert url.startswith("https://escalation.example.org/d/")
    token = url.rsplit("/", 1)[1]
    assert verify(token, SECRET, NOW) == CLAIMS  # email compared lower-cased


@pytest.mark.parametrize(
    "change",
    [
        {"workflow_id": "disagreement-CR-2026-00418-d1"},
        {"stage": "line_managers"},
        {"email": "someone.else@council.example.org"},
        {"action": "confirm"},
        {"expires_at": datetime(2030, 1, 1, tzinfo=UTC)},
    ],
)
def test_changing_any_claim_breaks_the_signature(change: dict[str, object]) -> None:
    genuine = sign(CLAIMS, SECRET)
    altered_body = sign(replace(CLAIMS, **change), SECRET).split(".")[0]  # type: ignore[arg-type]
    forged = altered_body + "." + genuine.split(".")[1]
    with pytest.raises(LinkError) as caught:
        verify(forged, SECRET, NOW)
    assert caught.value.kind == "forged"


@pytest.mark.parametrize(
    "token",
    ["", "abc", "abc.def", ".", "a.b.c", "abc.dé", "é.abc", "abc.\udcff", "abc.秘密"],
)
def test_malformed_tokens_are_forged(token: str) -> None:
    with pytest.raises(LinkError, match="not one the escalation service issued"):
        verify(token, SECRET, NOW)


def test_another_secret_does_not_verify() -> None:
    with pytest.raises(LinkError) as caught:
        verify(sign(CLAIMS, "another-secret"), SECRET, NOW)
    assert caught.value.kind == "forged"


def test_expiry_is_to_the_second() -> None:
    token = sign(CLAIMS, SECRET)
    assert verify(token, SECRET, CLAIMS.expires_at - timedelta(seconds=1)) == CLAIMS
    with pytest.raises(LinkError, match="expired on 13 January 2027 at 17:00 UTC") as caught:
        verify(token, SECRET, CLAIMS.expires_at)
    assert caught.value.kind == "expired"


def test_default_expiry_and_missing_secret() -> None:
    assert default_expiry(CLAIMS.expires_at, 14) == datetime(2027, 1, 27, 17, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="ESCALATION_LINK_SECRET"):
        sign(CLAIMS, "")


def test_the_renderer_gets_a_link_only_when_a_secret_is_configured() -> None:
    from settings import Settings

    args = {
        "workflow_id": CLAIMS.workflow_id,
        "stage": "practitioners",
        "email": CLAIMS.email,
        "action": "decide",
        "due_at": datetime(2026, 12, 30, 17, 0, tzinfo=UTC),
    }
    assert link_from_settings(Settings(link_secret=None), **args) is None  # type: ignore[arg-type]
    settings = Settings(
        link_secret=SECRET, web_base_url="https://decide.example.org", link_valid_days=7
    )
    url = link_from_settings(settings, **args)  # type: ignore[arg-type]
    assert url is not None and url.startswith("https://decide.example.org/d/")
    claims = verify(url.rsplit("/", 1)[1], SECRET, NOW)
    assert claims.expires_at == datetime(2027, 1, 6, 17, 0, tzinfo=UTC)


async def test_non_ascii_links_get_the_forged_page_from_the_real_app(env) -> None:
    """A MAC a mail client mangled into non-ASCII is a forged link (403), never a 500."""
    from aiohttp import ClientSession, web

    from starter.sdk import EscalationClient
    from web.app import create_app

    genuine = sign(CLAIMS, SECRET)
    body, mac = genuine.split(".")
    runner = web.AppRunner(create_app(EscalationClient(env.client, "unused"), SECRET))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with ClientSession() as http:
            for path in (
                f"{body}.{mac[:-1]}é",
                f"{body}.%C3%A9%FF",  # not even UTF-8 once unquoted
                f"{body}é.{mac}",
                f"{body}.秘密",
            ):
                for method in ("GET", "POST"):
                    async with http.request(method, f"http://127.0.0.1:{port}/d/{path}") as r:
                        assert r.status == 403, (method, path)
                        assert "This link is not valid" in await r.text()
    finally:
        await runner.cleanup()
