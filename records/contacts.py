"""The contact directory: reading a CSV of contacts and upserting it in one transaction.

Every bad row is reported by its line number, field and reason, and nothing is
imported unless every row is good: a half-imported directory would leave some
roles pointing at people who have since left.
"""

from __future__ import annotations

import csv
import io
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
    if err["type"] == "string_pattern_mismatch" and field_name in PATTERN_REASONS:
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


def parse_contacts(text: str) -> ParsedContacts:
    """Parse CSV text with a header naming the five columns (in any order).

    Line numbers are the file's physical lines (the header is line 1), so a
    quoted value spanning lines still points at the right place.
    """
    parsed = ParsedContacts()
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        parsed.errors.append("line 1: header: the file is empty")
        return parsed
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [h for h in names if h not in COLUMNS]
    if missing or unknown:
        why = []
        if missing:
            why.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            why.append(f"unknown column(s) {', '.join(unknown)}")
        parsed.errors.append(f"line 1: header: {'; '.join(why)} (expected {', '.join(COLUMNS)})")
        return parsed
    seen: dict[tuple[str, str, str], int] = {}
    line = reader.line_num
    for values in reader:
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
