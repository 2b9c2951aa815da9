"""Read an exported page as a reader sees it: its headings, tables and pictures, in order.

The record and the report are checked through what they show (a table's cells, an
SVG label's words), not through their markup, so a layout change that keeps what
a reader sees passes and one that cuts a label short fails.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Table:
    """A table's caption and its rows of cell texts (the header row first)."""

    caption: str = ""
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Picture:
    """An SVG picture: its title, each label's full text, and each shape's tooltip."""

    title: str
    labels: list[str]
    tooltips: list[str]


Block = tuple[str, object]
"""('h2' | 'h3', text), ('table', Table) or ('svg', Picture), in page order."""


def picture(svg: str) -> Picture:
    """The SVG's words: a ``<text>`` of several ``<tspan>`` lines reads as one label."""
    root = ET.fromstring(svg)
    title = root.findtext(f"{SVG}title") or ""
    labels = [" ".join(" ".join(t.itertext()).split()) for t in root.iter(f"{SVG}text")]
    tooltips = [
        (shape.findtext(f"{SVG}title") or "")
        for shape in root
        if shape.tag in (f"{SVG}rect", f"{SVG}line") and shape.find(f"{SVG}title") is not None
    ]
    return Picture(title, labels, tooltips)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._text: list[str] | None = None
        self._table: Table | None = None
        self._row: list[str] | None = None
        self._heading: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h2", "h3"):
            self._heading, self._text = tag, []
        elif tag == "table":
            self._table = Table()
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th", "caption"):
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        text = " ".join("".join(self._text or []).split())
        if tag in ("h2", "h3") and self._heading == tag:
            self.blocks.append((tag, text))
            self._heading, self._text = None, None
        elif tag == "caption" and self._table is not None:
            self._table.caption, self._text = text, None
        elif tag in ("td", "th") and self._row is not None:
            self._row.append(text)
            self._text = None
        elif tag == "tr" and self._table is not None and self._row is not None:
            self._table.rows.append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.blocks.append(("table", self._table))
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def blocks(html: str) -> list[Block]:
    """The page's headings, tables and pictures in the order a reader meets them."""
    found: list[Block] = []
    for i, part in enumerate(re.split(r"(<svg\b.*?</svg>)", html, flags=re.S)):
        if i % 2:
            found.append(("svg", picture(part)))
            continue
        reader = _Reader()
        reader.feed(part)
        found += reader.blocks
    return found


def tables(html: str) -> list[Table]:
    """Every table of the page, in order."""
    return [b for kind, b in blocks(html) if kind == "table" and isinstance(b, Table)]


def pictures(html: str) -> list[Picture]:
    """Every SVG picture of the page, in order."""
    return [b for kind, b in blocks(html) if kind == "svg" and isinstance(b, Picture)]
