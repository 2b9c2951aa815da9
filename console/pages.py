"""Rendering a console page: the layout, the signed-in person, the navigation, the CSRF token."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from console.guard import csrf_token, identity
from console.message import message
from templates import render

__all__ = ["NAV", "message", "page", "refused"]

NAV: tuple[tuple[str, str], ...] = (
    ("/", "Today"),
    ("/alerts", "Practice alerts"),
    ("/reports", "Reports"),
    ("/admin", "Administration"),
)
"""The console's sections, in the order the header lists them."""


async def page(
    request: web.Request, template: str, *, title: str, status: int = 200, **context: Any
) -> web.Response:
    """``templates/console/<template>`` for the signed-in person, as an HTML response."""
    html = render(
        f"console/{template}",
        title=title,
        who=identity(request),
        csrf=await csrf_token(request),
        nav=NAV,
        here=request.path,
        **context,
    )
    return web.Response(text=html, status=status, content_type="text/html")


async def refused(request: web.Request, reason: str, *, status: int = 403) -> web.Response:
    """The page that says an action or a page is not this person's, and why."""
    return await page(request, "refused.html", title="Not allowed", reason=reason, status=status)
