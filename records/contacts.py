"""The contact directory: reading a CSV of contacts and upserting it in one transaction.

Every bad row is reported by its line number, field and reason, and nothing is
imported unless every row is good: a half-imported directory would leave some
roles pointing at people who have since left. Names, agencies and partnerships
obey the same rules as in a start request (``models.common.Name``: one line, at
most 200 characters, no control character), because they end up in email headers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.contacts import ContactEntry
from records.schema import Contact, utcnow

COLUMNS = ("partnership", "agency", "role", "name", "email")

PATTERN_REASONS = {
    "role": "must be a role id such as line_manager (lower-case letters, digits, '_', '-')",
    "email": "is not an email address",
}
"""Plain-language reasons for the fields whose rule is a pattern."""


def _reason(field_name: str, err: Any) -> str:
    if err["type"] in ("string_pattern_mismatch", "email") and field_name in PATTERN_REASONS:
        return f"{err['input']!r} {PATTERN_REASONS[field_name]}"
    if err["type"] == "string_too_short":
        return "is empty"
    return str(err["msg"])


@dataclass
class ParsedContacts:
    """The good rows of a CSV and the errors of the bad ones (line: field: reason)."""

    entries: list[ContactEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _key(entry: ContactEntry) -> tuple[str, str, str]:
    return (entry.partnership.casefold(), entry.agency.casefold(), entry.role)


def _too_large(line: int, where: str = "row") -> str:
    return (
        f"line {line}: {where}: a value is longer than {csv.field_size_limit():,} characters"
        " (is a quote left open?); nothing after it was read"
    )


def _header_error(names: list[str]) -> str | None:
    """What is wrong with the header's column names, or None."""
    missing = [c for c in COLUMNS if c not in names]
    unknown = [h for h in names if h not in COLUMNS]
    repeated = sorted({h for h in names if names.count(h) > 1 and h in COLUMNS})
    why = []
    if missing:
        why.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        why.append(f"unknown column(s) {', '.join(unknown)}")
    if repeated:
        why.append(f"column(s) given twice: {', '.join(repeated)}")
    if not why:
        return None
    return f"line 1: header: {'; '.join(why)} (expected {', '.join(COLUMNS)})"


def parse_contacts(text: str) -> ParsedContacts:
    """Parse CSV text with a header naming the five columns (in any order, once each).

    Line numbers are the file's physical lines (the header is line 1), so a
    quoted value spanning lines still points at the right place. A value over the
    csv module's field size limit (an unclosed quote swallowing the rest of the
    file, usually) is reported at the line its row starts, and reading stops.
    """
    parsed = ParsedContacts()
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        too_large = "field limit" in str(exc)
        parsed.errors.append(_too_large(1, "header") if too_large else f"line 1: header: {exc}")
        return parsed
    if header is None:
        parsed.errors.append("line 1: header: the file is empty")
        return parsed
    names = [h.strip().lower() for h in header]
    if (wrong := _header_error(names)) is not None:
        parsed.errors.append(wrong)
        return parsed
    seen: dict[tuple[str, str, str], int] = {}
    line = reader.line_num
    for values in _rows(reader, parsed):
        start, line = line + 1, reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(names):
            parsed.errors.append(
                f"line {start}: row: {len(values)} value(s) where the header has {len(names)}"
            )
            continue
        try:
            entry = ContactEntry(**dict(zip(names, values, strict=True)))
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "row"
                parsed.errors.append(f"line {start}: {where}: {_reason(where, err)}")
            continue
        key = _key(entry)
        if key in seen:
            parsed.errors.append(
                f"line {start}: role: {entry.role} for agency '{entry.agency}' "
                f"already given on line {seen[key]}"
            )
            continue
        seen[key] = start
        parsed.entries.append(entry)
    return parsed


def _rows(reader: Any, parsed: ParsedContacts) -> Iterator[list[str]]:
    """The reader's rows until one cannot be read, which is reported (by its first line)."""
    while True:
        first = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            too_large = "field limit" in str(exc)
            parsed.errors.append(_too_large(first) if too_large else f"line {first}: row: {exc}")
            return
        yield values


async def upsert_contacts(
    sessionmaker: async_sessionmaker[AsyncSession], entries: list[ContactEntry]
) -> tuple[int, int]:
    """Insert or update every entry in one transaction; returns (added, updated)."""
    added = updated = 0
    async with sessionmaker() as session, session.begin():
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for entry in entries:
            existing = await session.scalar(
                select(Contact.id).where(
                    func.lower(Contact.partnership) == entry.partnership.lower(),
                    func.lower(Contact.agency) == entry.agency.lower(),
                    Contact.role == entry.role,
                )
            )
            values = {**entry.model_dump(), "updated_at": utcnow()}
            if existing is None:
                stmt = insert(Contact).values(**values)
                await session.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["partnership", "agency", "role"],
                        set_={k: stmt.excluded[k] for k in ("name", "email", "updated_at")},
                    )
                )
                added += 1
            else:
                await session.execute(
                    update(Contact).where(Contact.id == existing).values(**values)
                )
                updated += 1
    return added, updated
