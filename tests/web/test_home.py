"""The decision page's own address says what the server is, instead of a bare 404.

The dev banner prints ``http://127.0.0.1:8088``; whoever opens it must learn that this
is where managers record decisions and that their links arrive by email.
"""

from __future__ import annotations

from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from web.app import create_app


class NoCases:
    """Nothing on the home page asks a workflow anything."""

    task_queue = "nowhere"
    client: Any = None


async def test_the_root_is_a_plain_page_saying_links_arrive_by_email() -> None:
    server = TestServer(create_app(NoCases(), "home-page-test-secret"))  # type: ignore[arg-type]
    await server.start_server()
    try:
        async with ClientSession() as session, session.get(server.make_url("/")) as response:
            html = await response.text()
            assert response.status == 200
            assert response.content_type == "text/html"
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    finally:
        await server.close()
    assert "<title>Safeguarding escalation: decision page</title>" in html
    assert "decision page of the safeguarding escalation service" in html
    assert "email" in html and "personal link" in html
    assert "<script" not in html.lower() and "<form" not in html.lower()
