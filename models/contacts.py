"""One entry of the contact directory: who holds a role for an agency in a partnership.

The start payload names the people of one case; the directory names the people
who hold standing roles (the Business Manager, the Chair, an agency's line
managers) so the email activity can tell a role the payload left unfilled.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from models.common import Email, Name, NameOrEmpty

SIDES = ("raising.", "receiving.", "partnership.")

RoleName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
"""A role without its side, e.g. ``line_manager`` or ``business_manager``."""


class ContactEntry(BaseModel):
    """One directory row: partnership, agency ('' for partnership-wide), role → name, email."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    partnership: Name
    agency: NameOrEmpty = Field(
        default="",
        description="The agency the role belongs to; empty for partnership roles (Chair, ...).",
    )
    role: RoleName = Field(
        description="The pack's role id without its side ('line_manager'); a side is stripped."
    )
    name: Name
    email: Email

    @field_validator("role", mode="before")
    @classmethod
    def _strip_side(cls, value: object) -> object:
        """Accept 'partnership.business_manager' as well as 'business_manager'."""
        if isinstance(value, str):
            value = value.strip()
            for side in SIDES:
                if value.startswith(side):
                    return value[len(side) :]
        return value


def split_role(ref: str) -> tuple[str, str]:
    """``'receiving.line_manager'`` → ``('receiving', 'line_manager')``."""
    side, _, name = ref.partition(".")
    return side, name
