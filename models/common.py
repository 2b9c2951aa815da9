"""Small shared types: identifiers, people and text fields.

A child is only ever identified by a pseudonymous case reference. The
``CaseReference`` pattern refuses spaces so that a typed-in name ("Jane Doe")
cannot become a workflow id, a search attribute or an email subject.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

CaseReference = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"),
    Field(
        description=(
            "Pseudonymous case reference from the case system (3-64 characters: letters, digits,"
            " '.', '_', '-'; no spaces). Never the child's name."
        ),
        examples=["CR-2026-00417"],
    ),
]
"""A case reference: the only way a child is identified anywhere in the product."""

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
"""Lower-case slug used for pack, ladder, stage and role ids."""

RoleRef = Annotated[
    str,
    StringConstraints(pattern=r"^(raising|receiving|partnership)\.[a-z0-9][a-z0-9_-]{0,63}$"),
]
"""A role on one side of a disagreement, e.g. ``receiving.line_manager``."""

NonEmptyText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
]
"""Free text that must say something (an outcome, a reason)."""

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", max_length=254
    ),
]


class Person(BaseModel):
    """Somebody who holds a role in a disagreement and receives its emails."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: RoleRef = Field(description="Side and role, e.g. 'receiving.line_manager'.")
    name: NonEmptyText
    email: Email
    agency: str | None = None
