"""Looking up who holds a role in the contact directory, for the email activity.

A role reference has a side: ``partnership.*`` roles are partnership-wide
(directory agency ''); ``raising.*`` and ``receiving.*`` roles belong to that
side's agency, falling back to a partnership-wide entry for the role. Names are
matched without regard to case, so 'Redbridge Primary School' in the start
payload finds 'redbridge primary school' in the CSV.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.common import Person
from models.contacts import split_role
from records.schema import Contact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Agencies:
    """The two agencies of a disagreement, when known."""

    raising: str | None = None
    receiving: str | None = None

    def of(self, side: str) -> str | None:
        """The agency of ``side`` ('raising'/'receiving'); '' for the partnership."""
        if side == "partnership":
            return ""
        return (
            self.raising if side == "raising" else self.receiving if side == "receiving" else None
        )


async def lookup(
    session: AsyncSession, partnership: str, role_ref: str, agencies: Agencies
) -> Person | None:
    """The person the directory names for ``role_ref``, or None."""
    side, role = split_role(role_ref)
    agency = agencies.of(side)
    candidates = [a for a in dict.fromkeys([agency, ""]) if a is not None]
    for candidate in candidates:
        row = (
            await session.execute(
                select(Contact.name, Contact.email, Contact.agency).where(
                    func.lower(Contact.partnership) == partnership.lower(),
                    func.lower(Contact.agency) == candidate.lower(),
                    Contact.role == role,
                )
            )
        ).first()
        if row is not None:
            return Person(role=role_ref, name=row.name, email=row.email, agency=row.agency or None)
    return None


async def resolve_roles(
    session: AsyncSession, partnership: str, role_refs: list[str], agencies: Agencies
) -> tuple[list[Person], list[str]]:
    """The people for ``role_refs`` (in order, once each) and the roles nobody holds."""
    found: list[Person] = []
    missing: list[str] = []
    for ref in dict.fromkeys(role_refs):
        person = await lookup(session, partnership, ref, agencies)
        if person is None:
            missing.append(ref)
        else:
            found.append(person)
    if missing:
        log.warning("no contact in the directory of %s for %s", partnership, ", ".join(missing))
    return found, missing
