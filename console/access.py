"""Who may do what: roles per partnership, from the provider's groups or a mapping file.

A person holds roles in partnerships (the pack's ``partnership`` text, as contacts and
closures spell it). The roles come from the access file (TOML, ``ESCALATION_CONSOLE_ACCESS_FILE``)
in two ways, so a council can use its identity provider's groups (Microsoft Entra ID
sends group ids in the ``groups`` claim) or name people one by one::

    [[group]]
    group = "6f1c...-entra-group-id"       # or a group name, as the provider sends it
    partnership = "Redbridge Local Safeguarding Children Board"
    roles = ["business_manager"]

    [[person]]
    email = "chair@redbridge.example.org"
    partnership = "Redbridge Local Safeguarding Children Board"
    roles = ["chair"]

A signed-in person with no role anywhere is refused with the reason: the console
shows nothing to someone the partnership has not named.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.plain_errors import plain

Role = Literal["business_manager", "chair", "qa", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)
ROLE_TITLES: dict[Role, str] = {
    "business_manager": "Business Manager",
    "chair": "Chair",
    "qa": "Quality Assurance",
    "viewer": "Viewer",
}
EVERYONE: tuple[Role, ...] = ROLES
"""Every role may read what its partnership holds; actions name the roles they need."""


class AccessError(ValueError):
    """The access file is unusable; the message names the file, the entry and the reason."""


class _Grant(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    partnership: str = Field(min_length=1, max_length=255)
    roles: list[Role] = Field(min_length=1)


class _GroupGrant(_Grant):
    group: str = Field(min_length=1, max_length=255)


class _PersonGrant(_Grant):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")


class _AccessFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: list[_GroupGrant] = Field(default_factory=list)
    person: list[_PersonGrant] = Field(default_factory=list)


def _words(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {plain(e)}" for e in exc.errors())


@dataclass(frozen=True)
class Identity:
    """The signed-in person: the provider's subject and email, and their roles."""

    sub: str
    email: str
    name: str
    roles: Mapping[str, frozenset[Role]] = field(default_factory=dict)

    def partnerships(self, *roles: Role) -> list[str]:
        """The partnerships where this person holds any of ``roles`` (any role if none)."""
        wanted = set(roles or ROLES)
        return sorted(p for p, held in self.roles.items() if held & wanted)

    def may(self, partnership: str, *roles: Role) -> bool:
        """Whether this person holds one of ``roles`` (any role if none) in ``partnership``."""
        return bool(self.roles.get(partnership, frozenset()) & set(roles or ROLES))

    def titles(self) -> list[str]:
        """'Chair, Redbridge ...' lines for the page's header."""
        return [
            f"{', '.join(ROLE_TITLES[r] for r in ROLES if r in held)} — {partnership}"
            for partnership, held in sorted(self.roles.items())
        ]


@dataclass(frozen=True)
class AccessMap:
    """The access file read: group → grants, email → grants."""

    by_group: Mapping[str, tuple[tuple[str, frozenset[Role]], ...]] = field(default_factory=dict)
    by_email: Mapping[str, tuple[tuple[str, frozenset[Role]], ...]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, where: str = "access file") -> AccessMap:
        """The map from the access file's TOML text.

        Raises:
            AccessError: not TOML, or an entry names an unknown role or misses a field.
        """
        try:
            data = _AccessFile.model_validate(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise AccessError(f"{where}: not TOML ({exc})") from None
        except ValidationError as exc:
            raise AccessError(f"{where}: {_words(exc)}") from None
        groups: dict[str, list[tuple[str, frozenset[Role]]]] = {}
        emails: dict[str, list[tuple[str, frozenset[Role]]]] = {}
        for g in data.group:
            groups.setdefault(g.group, []).append((g.partnership, frozenset(g.roles)))
        for p in data.person:
            emails.setdefault(p.email.lower(), []).append((p.partnership, frozenset(p.roles)))
        return cls(
            {k: tuple(v) for k, v in groups.items()}, {k: tuple(v) for k, v in emails.items()}
        )

    @classmethod
    def load(cls, path: Path | None) -> AccessMap:
        """The map from ``path``; an empty map (nobody may sign in) if none is set."""
        if path is None:
            return cls()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise AccessError(f"{path}: cannot be read ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise AccessError(f"{path}: not UTF-8 text") from None
        return cls.parse(text, str(path))

    def identity(self, sub: str, email: str, name: str | None, groups: Iterable[str]) -> Identity:
        """The person the provider vouched for, with the roles this map gives them now."""
        return Identity(sub, email, name or email, self.roles_for(email, groups))

    def roles_for(self, email: str, groups: Iterable[str]) -> dict[str, frozenset[Role]]:
        """Every role ``email`` holds, directly or through one of ``groups``, by partnership."""
        roles: dict[str, frozenset[Role]] = {}
        grants = [*self.by_email.get(email.lower(), ())]
        for g in groups:
            grants.extend(self.by_group.get(g, ()))
        for partnership, held in grants:
            roles[partnership] = roles.get(partnership, frozenset()) | held
        return roles
