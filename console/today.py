"""Today: what the signed-in person's partnerships have open, due and overdue."""

from __future__ import annotations

from aiohttp import web

from console.guard import identity
from console.pages import page
from console.state import STATE
from console.today_data import LIMIT, today_view

routes = web.RouteTableDef()


@routes.get("/")
async def today(request: web.Request) -> web.StreamResponse:
    """The page the console opens on: every role may read its partnerships' cases."""
    who, state = identity(request), request.app[STATE]
    partnerships = who.partnerships()
    view = await today_view(state.sessions, partnerships, state.clock(), state.pack_dir)
    return await page(
        request, "today.html", title="Today", partnerships=partnerships, view=view, limit=LIMIT
    )
