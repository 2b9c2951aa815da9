"""The one templates folder: every HTML page and email body, one base layout, one stylesheet.

Escaping is the engine's default, not each caller's duty: every ``.html``
template is autoescaped, so a value a person typed (a nature, an outcome, a
name) comes out as text however it is spelt. Only what a caller marks as
already-safe markup (``markupsafe.Markup``, e.g. the inline SVG pictures of
``records/svg.py``) is put in as it is. The plain-text ``.txt`` templates (the
text parts of emails) are not escaped: they are never read as HTML.

The pages are script-free and self-contained (the stylesheet ``style.css`` is
included inline in each), so they work offline on locked-down desktops and
within the decision page's Content-Security-Policy (``style-src 'unsafe-inline'``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined


def _autoescape(name: str | None) -> bool:
    """Escape everything but the plain-text templates (the text parts of emails)."""
    return name is None or not name.endswith(".txt")


env = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=_autoescape,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
"""The environment every page and email is rendered with (templates loaded once per process)."""


def render(name: str, **context: Any) -> str:
    """Template ``name`` of this folder rendered with ``context``."""
    return env.get_template(name).render(**context)


__all__ = ["env", "render"]
