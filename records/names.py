"""The words a reader sees for the ids the rows carry: stage, role, ladder and step titles.

The rows keep ids (``senior_managers``, ``receiving.practitioner``) because ids are
stable and workflows replay against them; a child's file and a quarterly report
are read by people, who know the procedure's own titles ("Stage 3: senior
managers", "Practitioner / decision maker receiving the concern"). The titles
come from the procedure's pack, loaded as the rest of ``records`` loads it; a
pack no longer shipped still gives readable words (never a raw dotted id), made
from the id itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from models.pack import PolicyPack
from packs import PackError, UnknownProcedure, load_pack

DEFAULT_ZONE = "Europe/London"
ROLE_REF = re.compile(r"^(raising|receiving|partnership)\.([a-z0-9_]+)$")
SIDES = {"raising": "raising agency", "receiving": "receiving agency"}


def readable(identifier: str) -> str:
    """``senior_managers`` → 'Senior managers': an id in words, when no title is known."""
    words = identifier.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def role_words(role: str) -> str:
    """A role reference in words without its pack: 'Senior manager, receiving agency'.

    Anything that is not a role reference (a person's name, as most actors are) is
    returned as it is.
    """
    match = ROLE_REF.match(role)
    if match is None:
        return role
    side, name = match.groups()
    if side == "partnership":
        return f"Partnership {readable(name).lower()}"
    return f"{readable(name)}, {SIDES[side]}"


def load(procedure: str) -> PolicyPack | None:
    """The procedure's pack, or None when it is no longer shipped or does not load."""
    try:
        return load_pack(procedure)
    except (UnknownProcedure, PackError):
        return None


@dataclass
class Names:
    """One procedure's titles, by id, with readable fallbacks for ids the pack lacks."""

    procedure_title: str
    timezone: str = DEFAULT_ZONE
    stages: dict[str, str] = field(default_factory=dict)
    """Stage titles by id (a case's own stages overwrite these: ids recur across ladders)."""
    ladder_stages: dict[tuple[str, str], str] = field(default_factory=dict)
    """Stage titles by (ladder id, stage id): what a ``stage_entered`` step names exactly."""
    positions: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    """Where each (ladder, stage) sits in the pack, for printing in ladder order."""
    roles: dict[str, str] = field(default_factory=dict)
    ladders: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, procedure: str) -> Names:
        """The titles of ``procedure``'s pack (only fallbacks if the pack is gone)."""
        pack = load(procedure)
        if pack is None:
            return cls(procedure_title=procedure)
        return cls.from_pack(pack)

    @classmethod
    def from_pack(cls, pack: PolicyPack) -> Names:
        """The titles of ``pack``: every ladder's stages, its roles and its ladders."""
        stages: dict[str, str] = {}
        exact: dict[tuple[str, str], str] = {}
        positions: dict[tuple[str, str], tuple[int, int]] = {}
        for i, ladder in enumerate(pack.ladders):
            for j, stage in enumerate(ladder.stages):
                stages.setdefault(stage.id, stage.title)
                exact[ladder.id, stage.id] = stage.title
                positions[ladder.id, stage.id] = (i, j)
        return cls(
            procedure_title=pack.title,
            timezone=pack.calendar.timezone,
            stages=stages,
            ladder_stages=exact,
            positions=positions,
            roles={r.id: r.title for r in pack.roles},
            ladders={ladder.id: ladder.title for ladder in pack.ladders},
        )

    def stage(self, stage_id: str | None) -> str:
        """The stage's title ('Stage 3: senior managers'); empty for no stage."""
        if not stage_id:
            return ""
        return self.stages.get(stage_id) or readable(stage_id)

    def who(self, actor: str | None) -> str:
        """A person as recorded, or a role's title where the row names a role."""
        if not actor:
            return ""
        return self.roles.get(actor) or role_words(actor)

    def ladder(self, ladder_id: str) -> str:
        """The ladder's title, e.g. 'Individual disagreements'."""
        return self.ladders.get(ladder_id) or readable(ladder_id)


def step_words(kind: str) -> str:
    """A step or email kind as words: ``deadline_passed`` → 'deadline passed'."""
    return kind.replace("_", " ")
