"""Which saved histories every shipped procedure must have, derived from the packs alone.

``scripts/save_histories.py`` writes these files and ``tests/workflows/test_replay.py``
checks that each one exists, so a new pack (or a new ladder in a pack) gets its
histories from ``make histories`` without code, and a pack shipped without them fails
the replay test instead of going unprotected.

Points of a ladder, each a case as a worker would find it after a restart:

- ``started``: just raised, stage 1's timers set;
- ``adjourned`` (a ladder that opens with a conference adjournment): halfway through it,
  the conference's reports deadline and reminder behind it;
- ``mid-ladder`` (3 stages or more): halfway through the middle stage, reached by silence;
- ``last-stage``: the last stage past its deadline, the overdue notice sent;
- ``closed``: resolved at stage 2 (stage 1 if it is the only one) and confirmed, or an
  adjourned conference reconvened and agreed;
- ``immediate-risk`` (default ladder only): an immediate risk declared an hour in.

A procedure with practice alerts has ``started``, ``mid-ladder``, ``last-stage`` and
``finalised`` (a response, then the raiser finalises) for its alert ladder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.pack import LadderSpec, PolicyPack
from packs import PACK_DIR, load_pack, pack_ids

ROOT = Path(__file__).parents[2]
HISTORIES = ROOT / "tests" / "histories"
EXAMPLES = ROOT / "examples"
ALERT = "practice-alert"
"""The "ladder" part of a practice alert history's name."""


@dataclass(frozen=True)
class Walk:
    """One case of a pack's ladder (or its practice alerts) and the points saved from it."""

    pack: str
    ladder: str | None
    """The ladder id; None for the pack's practice alerts."""
    points: tuple[str, ...]

    def name(self, point: str) -> str:
        """The history's file stem: ``<pack>--<ladder>--<point>``."""
        return f"{self.pack}--{self.ladder or ALERT}--{point}"

    def example(self) -> Path:
        """The shipped start payload this case is raised from."""
        return EXAMPLES / f"{self.pack}--{self.ladder or ALERT}.json"


def opens_adjourned(ladder: LadderSpec) -> bool:
    """Whether the ladder starts in an adjourned conference."""
    return ladder.stages[0].kind == "conference_adjournment"


def ladder_points(pack: PolicyPack, ladder: LadderSpec) -> tuple[str, ...]:
    """The points saved for one ladder (see the module docstring)."""
    points = ["started"]
    if opens_adjourned(ladder):
        points.append("adjourned")
    if len(ladder.stages) >= 3:
        points.append("mid-ladder")
    points += ["last-stage", "closed"]
    if ladder.id == pack.ladder().id:
        points.append("immediate-risk")
    return tuple(points)


def walks(directory: Path = PACK_DIR) -> list[Walk]:
    """Every ladder of every pack in ``directory``, and each pack's practice alerts."""
    found = []
    for pack_id in pack_ids(directory):
        pack = load_pack(pack_id, directory)
        for ladder in pack.ladders:
            found.append(Walk(pack_id, ladder.id, ladder_points(pack, ladder)))
        if pack.practice_alerts is not None:
            found.append(Walk(pack_id, None, ("started", "mid-ladder", "last-stage", "finalised")))
    return found


def expected_names(directory: Path = PACK_DIR) -> list[str]:
    """Every history file stem the shipped packs call for."""
    return [w.name(p) for w in walks(directory) for p in w.points]
