"""A page with one message, for people not (yet) signed in: sign-in's errors, signed out."""

from __future__ import annotations

from aiohttp import web

from templates import render


def message(
    title: str, text: str, *, status: int = 200, link: tuple[str, str] | None = None
) -> web.Response:
    """A page with one message, for people not (yet) signed in: sign-in's errors, signed out."""
    html = render("console/message.html", title=title, text=text, link=link)
    return web.Response(text=html, status=status, content_type="text/html")
