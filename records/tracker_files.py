"""The tracker as a file: CSV (UTF-8) or XLSX (openpyxl), both safe to open in a spreadsheet.

A text typed into the case system (a description, a name) may start with ``=``,
``+``, ``-`` or ``@``; a spreadsheet would run it as a formula (formula or CSV
injection: ``=HYPERLINK(...)`` sending data away, ``@SUM(...)``). Every text cell,
in both formats, that starts with one of those (or a tab or carriage return) is
neutralised with a leading single quote, as OWASP recommends.

Rows are written as they come (openpyxl's write-only mode streams them to
disk), into a temporary file beside the target that replaces it only once
complete: a failure half-way never leaves half a tracker under the real name.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Literal, Protocol

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from records.tracker import COLUMNS, Cell

Format = Literal["csv", "xlsx"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd hh:mm"
WIDTHS = {
    "Raised": 17,
    "Stages reached": 80,
    "Theme": 45,
    "Alert (workflow id)": 32,
    "Finalised": 17,
}
"""Column widths in characters; the others fit their header (at least 12)."""


def neutralised(text: str) -> str:
    """``text`` made inert in a spreadsheet: a quote before a leading formula character."""
    return "'" + text if text.startswith(FORMULA_START) else text


class _Writer(Protocol):
    def add(self, row: Sequence[Cell]) -> None: ...

    def finish(self) -> None: ...

    def abort(self) -> None: ...


class CsvWriter:
    """Comma-separated, UTF-8, a header line; moments as 'YYYY-MM-DD HH:MM' local time."""

    def __init__(self, stream: IO[str]) -> None:
        self._csv = csv.writer(stream)
        self._csv.writerow(COLUMNS)

    @staticmethod
    def _text(value: Cell) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return f"{value:%Y-%m-%d %H:%M}"
        if isinstance(value, int):
            return str(value)
        return neutralised(value)

    def add(self, row: Sequence[Cell]) -> None:
        self._csv.writerow([self._text(v) for v in row])

    def finish(self) -> None:
        return None

    def abort(self) -> None:
        return None


class XlsxWriter:
    """One sheet: a bold header row, panes frozen below it, real dates, a filter."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("Practice alerts")
        self._sheet.freeze_panes = "A2"
        for i, name in enumerate(COLUMNS, 1):
            width = WIDTHS.get(name, max(12, len(name) + 2))
            self._sheet.column_dimensions[get_column_letter(i)].width = width
        bold = Font(bold=True)
        header = []
        for name in COLUMNS:
            cell = WriteOnlyCell(self._sheet, value=name)
            cell.font = bold
            cell.alignment = Alignment(vertical="top")
            header.append(cell)
        self._sheet.append(header)
        self._rows = 1

    def _cell(self, value: Cell) -> SheetCell | int | None:
        if value is None or isinstance(value, int):
            return value
        if isinstance(value, datetime):
            cell = WriteOnlyCell(self._sheet, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        # XML cannot carry most control characters; openpyxl refuses them.
        text = neutralised(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
        cell = WriteOnlyCell(self._sheet, value=text)
        cell.data_type = "s"
        return cell

    def add(self, row: Sequence[Cell]) -> None:
        self._sheet.append([self._cell(v) for v in row])
        self._rows += 1

    def finish(self) -> None:
        last = get_column_letter(len(COLUMNS))
        self._sheet.auto_filter.ref = f"A1:{last}{self._rows}"
        self._book.save(self._path)

    def abort(self) -> None:
        """Close the half-written sheet (its temporary file goes with the part file)."""
        # An unsaved write-only sheet keeps a generator open on its stream, which
        # otherwise fails noisily when it is collected.
        with contextlib.suppress(Exception):
            self._book.save(self._path)


async def write_tracker(rows: AsyncGenerator[list[Cell], None], out: Path, fmt: Format) -> int:
    """Write the header and ``rows`` to ``out`` as ``fmt``; the number of rows written.

    Raises:
        OSError: ``out`` cannot be written.
        sqlalchemy.exc.SQLAlchemyError: the rows cannot be read (``out`` is untouched).
    """
    part = out.with_name(f".{out.name}.part")
    try:
        if fmt == "csv":
            with part.open("w", encoding="utf-8", newline="") as stream:
                count = await _copy(rows, CsvWriter(stream))
        else:
            count = await _copy(rows, XlsxWriter(part))
        part.replace(out)
    finally:
        part.unlink(missing_ok=True)
    return count


async def _copy(rows: AsyncGenerator[list[Cell], None], writer: _Writer) -> int:
    count = 0
    try:
        async with contextlib.aclosing(rows):  # the query's cursor closes even on failure
            async for row in rows:
                writer.add(row)
                count += 1
    except BaseException:
        writer.abort()
        raise
    writer.finish()
    return count
