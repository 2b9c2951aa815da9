"""The Web UI's remote codec endpoint over real HTTP: protocol, CORS and authorisation."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web

from codec import session
from codec.aes import EncryptionCodec
from codec.server import create_app

KEYS = "k1:" + base64.b64encode(bytes(range(32))).decode()
TOKEN = "s3cret-admin-token"
UI = "http://localhost:8080"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PLAIN = {
    "payloads": [
        {
            "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
            "data": base64.b64encode(b'{"by":"B. Social Worker","outcome":"agreed"}').decode(),
        }
    ]
}


@pytest.fixture(scope="module")
async def url() -> AsyncIterator[str]:
    runner = web.AppRunner(create_app(EncryptionCodec.from_spec(KEYS), TOKEN, [UI]))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_encode_then_decode_round_trips(url: str) -> None:
    async with aiohttp.ClientSession(headers=AUTH) as http:
        async with http.post(f"{url}/encode", json=PLAIN) as r:
            assert r.status == 200
            sealed = await r.json()
        [p] = sealed["payloads"]
        assert base64.b64decode(p["metadata"]["encoding"]) == b"binary/encrypted"
        assert base64.b64decode(p["metadata"]["encryption-key-id"]) == b"k1"
        assert b"Social Worker" not in base64.b64decode(p["data"])
        async with http.post(f"{url}/decode", json=sealed) as r:
            assert r.status == 200
            assert await r.json() == PLAIN


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
async def test_without_the_token_nothing_is_decoded(url: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/decode", json=PLAIN, headers=headers) as r:
            assert r.status == 401
            assert await r.json() == {
                "error": "Authorization: a valid bearer token or admin session is required"
            }


async def test_cors_preflight_only_for_the_ui_origin(url: str) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    async with aiohttp.ClientSession() as http:
        async with http.options(f"{url}/decode", headers={**preflight, "Origin": UI}) as r:
            assert r.status == 204
            assert r.headers["Access-Control-Allow-Origin"] == UI
            assert "X-Namespace" in r.headers["Access-Control-Allow-Headers"]
            assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
        async with http.options(
            f"{url}/decode", headers={**preflight, "Origin": "http://evil.example"}
        ) as r:
            assert r.status == 403
            assert "Access-Control-Allow-Origin" not in r.headers


async def test_bad_bodies_and_foreign_keys_are_refused_with_the_reason(url: str) -> None:
    foreign = {
        "payloads": [
            {
                "metadata": {
                    "encoding": base64.b64encode(b"binary/encrypted").decode(),
                    "encryption-key-id": base64.b64encode(b"k0").decode(),
                },
                "data": base64.b64encode(b"x" * 40).decode(),
            }
        ]
    }
    async with aiohttp.ClientSession(headers=AUTH) as http:
        async with http.post(f"{url}/decode", data=b"not json") as r:
            assert r.status == 400
            assert (await r.json())["error"].startswith("payloads:")
        async with http.post(f"{url}/decode", json=foreign) as r:
            assert r.status == 422
            assert "key id 'k0'" in (await r.json())["error"]
        async with http.get(f"{url}/health") as r:
            assert r.status == 200


async def test_an_admin_signs_in_once_and_the_ui_calls_carry_the_cookie(url: str) -> None:
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP-address host, as a browser keeps
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.get(f"{url}/login") as r:
            assert r.status == 200 and "Admin token" in await r.text()
        async with browser.post(f"{url}/login", data={"token": "guess"}) as r:
            assert r.status == 401 and "not the admin token" in await r.text()
            assert "escalation_codec_session" not in r.cookies
        async with browser.post(f"{url}/decode", json=PLAIN, headers={"Origin": UI}) as r:
            assert r.status == 401
        async with browser.post(f"{url}/login", data={"token": TOKEN}) as r:
            assert r.status == 200 and "Signed in for 8 hours" in await r.text()
            cookie = r.cookies["escalation_codec_session"]
            assert cookie["httponly"] is True and cookie["samesite"] == "Strict"
        async with browser.post(f"{url}/decode", json=PLAIN, headers={"Origin": UI}) as r:
            assert r.status == 200
            assert r.headers["Access-Control-Allow-Credentials"] == "true"
            assert await r.json() == PLAIN
    forged = {"escalation_codec_session": "9999999999.00"}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        other.cookie_jar.update_cookies(forged)
        async with other.post(f"{url}/decode", json=PLAIN) as r:
            assert r.status == 401


def test_sessions_expire_and_die_with_the_token() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    value = session.issue(TOKEN, now)
    assert session.valid(value, TOKEN, now + timedelta(hours=7, minutes=59))
    assert not session.valid(value, TOKEN, now + timedelta(hours=8))
    assert not session.valid(value, "rotated-token", now)
    expiry, mac = value.split(".")
    assert not session.valid(f"{int(expiry) + 3600}.{mac}", TOKEN, now)


def test_a_codec_endpoint_without_a_token_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="ESCALATION_CODEC_TOKEN"):
        create_app(EncryptionCodec.from_spec(KEYS), "", [UI])


@asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[str]:
    """``app`` on a free loopback port of its own (its sign-in counts its own)."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def _raw(url: str, request: bytes) -> int:
    """The status of a request sent byte for byte (headers no client library would send)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
    finally:
        writer.close()
        await writer.wait_closed()
    return int(status_line.split()[1])


@pytest.mark.parametrize("secret", ["Bearer é-not-the-token", "Bearer ключ", "Bearer 秘密"])
async def test_non_ascii_tokens_and_cookies_are_refused_not_crashed_on(secret: str) -> None:
    """compare_digest raises TypeError on a non-ASCII str: every one answers 401, never 500."""
    async with served(create_app(EncryptionCodec.from_spec(KEYS), TOKEN, [UI])) as base:
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{base}/decode", json=PLAIN, headers={"Authorization": secret}
            ) as r:
                assert r.status == 401
            async with http.post(f"{base}/login", data={"token": secret}) as r:
                assert r.status == 401 and "not the admin token" in await r.text()
            for cookie in (f"9999999999.{secret[-4:]}", "²³.00", "9999999999.ü", "9" * 5000):
                async with http.post(
                    f"{base}/decode",
                    json=PLAIN,
                    headers={"Cookie": f"{session.COOKIE}={cookie}"},
                ) as r:
                    assert r.status == 401, cookie
        body = b'{"payloads": []}'
        for header in (
            b"Authorization: Bearer \xc3\xa9\xff\xfe",  # not even UTF-8
            b"Cookie: " + session.COOKIE.encode() + b"=9999999999.\xc3\xbc\xff",
        ):
            request = (
                b"POST /decode HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + header
                + b"\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + body
            )
            assert await _raw(base, request) == 401, header
    assert not session.valid("9999999999.\udcff", TOKEN, datetime.now(UTC))


async def test_ten_wrong_tokens_a_minute_then_429_with_retry_after() -> None:
    now = [1000.0]
    throttle = session.SignInThrottle(clock=lambda: now[0])
    app = create_app(EncryptionCodec.from_spec(KEYS), TOKEN, [UI], throttle=throttle)
    async with served(app) as base, aiohttp.ClientSession() as http:
        for i in range(session.MAX_FAILED_SIGN_INS):
            now[0] += 1
            async with http.post(f"{base}/login", data={"token": f"guess-{i}"}) as r:
                assert r.status == 401
        async with http.post(f"{base}/login", data={"token": "guess-11"}) as r:
            assert r.status == 429
            assert r.headers["Retry-After"] == "51"  # the first failure leaves the window then
            assert "Too many failed sign-ins" in await r.text()
        # Even the right token waits: a throttled address learns nothing.
        async with http.post(f"{base}/login", data={"token": TOKEN}) as r:
            assert r.status == 429 and "escalation_codec_session" not in r.cookies
        # The bearer header is not throttled: the CLI and the UI's calls go on.
        async with http.post(f"{base}/decode", json=PLAIN, headers=AUTH) as r:
            assert r.status == 200
        now[0] += 51  # the oldest failure has left the minute: one more try is allowed
        async with http.post(f"{base}/login", data={"token": TOKEN}) as r:
            assert r.status == 200 and "escalation_codec_session" in r.cookies


def test_the_throttle_forgets_old_failures_and_bounds_its_memory(monkeypatch) -> None:
    monkeypatch.setattr(session, "TRACKED_ADDRESSES", 3)
    now = [0.0]
    throttle = session.SignInThrottle(limit=2, window=60, clock=lambda: now[0])
    for address in ("a", "b", "c", "d"):
        throttle.failed(address)
        throttle.failed(address)
    assert throttle.retry_after("a") is None  # forgotten: only the 3 latest are kept
    assert throttle.retry_after("d") == 60
    now[0] = 60.0
    assert throttle.retry_after("d") is None
