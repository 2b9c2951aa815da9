"""A contacts file uploaded to the console: the command's checks, and only your partnerships.

``records.contacts.parse_contacts`` checks the file exactly as ``escalation contacts
import`` does (header, every row's fields, a role given twice); the console adds one
rule of its own: a Business Manager keeps the directory of their own partnership(s),
so a row naming any other partnership is refused, by its line, like any bad row. A
file with any bad row writes nothing; a good one is written in one transaction
(``upsert_contacts``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from models.contacts import ContactEntry
from records.contacts import COLUMNS, parse_contacts

_LINE = re.compile(r"^line (\d+):")


@dataclass
class CheckedFile:
    """The entries of a file good enough to write, or every reason it is refused."""

    entries: list[ContactEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def decode(data: bytes) -> str | None:
    """The file's text (a spreadsheet's byte-order mark dropped), or None if not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _partnership_cells(text: str) -> Iterator[tuple[int, str]]:
    """(line a row starts on, its partnership) for every non-blank row, as parse_contacts
    counts lines; rows it cannot read are its to report, so they are skipped here."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        at = header.index("partnership")
        line = reader.line_num
        for values in reader:
            start, line = line + 1, reader.line_num
            if len(values) == len(header) and any(v.strip() for v in values):
                yield start, values[at]
    except (csv.Error, ValueError):
        return


def _line_of(error: str) -> int:
    match = _LINE.match(error)
    return int(match.group(1)) if match else 0


def check_file(text: str, partnerships: list[str]) -> CheckedFile:
    """The file checked as the command checks it, each row's partnership one of yours."""
    parsed = parse_contacts(text)
    yours = {p.strip().casefold() for p in partnerships}
    errors = list(parsed.errors)
    if not any(e.startswith("line 1: header") for e in errors):
        for line, partnership in _partnership_cells(text):
            if partnership.strip() and partnership.strip().casefold() not in yours:
                errors.append(
                    f"line {line}: partnership: '{partnership.strip()}' is not a partnership "
                    f"whose directory you keep (yours: {'; '.join(partnerships)})"
                )
    if errors:
        return CheckedFile(errors=sorted(errors, key=_line_of))
    # Spelt as the pack spells it, so the workflows' lookups find the row.
    spelt = {p.strip().casefold(): p for p in partnerships}
    entries = [
        e.model_copy(update={"partnership": spelt[e.partnership.strip().casefold()]})
        for e in parsed.entries
    ]
    return CheckedFile(entries=entries)


EXPECTED_COLUMNS = ", ".join(COLUMNS)
"""What the form tells people the file must hold."""
