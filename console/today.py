"""Today: what the signed-in person's partnerships have open, due and overdue."""

from __future__ import annotations

from aiohttp import web

from console.guard import identity
from console.pages import page

routes = web.RouteTableDef()


@routes.get("/")
async def today(request: web.Request) -> web.StreamResponse:
    """The page the console opens on."""
    who = identity(request)
    return await page(request, "today.html", title="Today", partnerships=who.partnerships())
