"""Every figure a partnership's procedure uses and where it comes from, for people to read.

The same facts as ``escalation packs show`` (``starter.cli_packs``: ``describe`` for the
header, ``timescale_json`` for each stage), laid out as a table: the stage, its figure,
and its source in words: the procedure document (quoted), the partnership's local
setting (who set it, when, why), agreed on each case, or not set (a case cannot enter
the stage until the partnership sets it).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path

from models.pack import PolicyPack
from packs.local import ENV, default_dir
from starter.cli_packs import describe, timescale_json


@dataclass(frozen=True)
class FigureRow:
    """One stage: its ladder, title, figure and where the figure comes from."""

    ladder: str
    stage: str
    figure: str
    source: str
    kind: str
    """'document', 'local', 'per case' or 'unset'."""


@dataclass(frozen=True)
class ProcedureFigures:
    """A procedure's header lines (calendar, counts, local settings file) and its stages."""

    procedure: str
    title: str
    header: list[str]
    rows: list[FigureRow]


def _source(pack: PolicyPack, value: dict[str, object], per_case: bool) -> tuple[str, str]:
    source = value["source"]
    agreed = " It may also be agreed on each case, by the stage's holders." if per_case else ""
    if source == "document":
        return f"The document: {value['quote']}{agreed}", "document"
    if source == "local":
        note = f": {value['note']}" if value.get("note") else ""
        when = f" on {value['set_on']}" if value.get("set_on") else ""
        kind = "per case" if per_case else "local"
        return f"The partnership's local setting, by {value['set_by']}{when}{note}.{agreed}", kind
    if per_case:
        return "Agreed on each case, by the stage's holders (no figure until then).", "per case"
    return f"Not set: a case cannot enter this stage until {ENV}/{pack.id}.toml sets it.", "unset"


def figures_of(pack: PolicyPack, local_dir: Path | None) -> ProcedureFigures:
    """The pack's stages with their figures' sources, and the header ``packs show`` prints."""
    where = local_dir or default_dir()
    settings = "none set" if where is None else str(where / f"{pack.id}.toml")
    header = list(takewhile(bool, describe(pack, settings)[1:]))
    rows = []
    for ladder in pack.ladders:
        for stage in ladder.stages:
            figure = pack.figure(stage)
            value = timescale_json(figure)
            amount = figure.amount() if figure is not None else "—"
            source, kind = _source(pack, value, stage.per_case)
            rows.append(FigureRow(ladder.title, stage.title, amount, source, kind))
    return ProcedureFigures(pack.id, pack.title, header, rows)
