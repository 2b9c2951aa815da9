"""The procedures (policy packs) of the partnerships a person holds a role in.

A partnership is the pack's ``partnership`` text; contacts, closures and the records
spell it the same way, but people type it in any case, so it is matched casefolded.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from console.state import ConsoleState
from models.pack import PolicyPack
from packs import PackError, UnknownProcedure, load_pack, pack_ids


def loadable_packs(
    pack_dir: Path, local_dir: Path | None = None, *, local: bool = True
) -> dict[str, PolicyPack]:
    """Every pack of ``pack_dir`` that loads, by procedure id: with the partnership's local
    settings, or as its document gives it (``local=False``).

    A broken pack names no partnership: it is left out here, and ``escalation packs
    check`` is where its problems are read.
    """
    found = {}
    for procedure in pack_ids(pack_dir):
        try:
            found[procedure] = load_pack(procedure, pack_dir, local_dir, local=local)
        except (UnknownProcedure, PackError):
            continue
    return found


def usable_packs(state: ConsoleState) -> dict[str, PolicyPack]:
    """Every pack that loads with the partnership's local settings, by procedure id."""
    return loadable_packs(state.pack_dir, state.local_dir)


def same_partnership(a: str, b: str) -> bool:
    """Whether two spellings name the same partnership."""
    return a.strip().casefold() == b.strip().casefold()


def packs_of(state: ConsoleState, partnerships: Iterable[str]) -> dict[str, PolicyPack]:
    """The usable packs whose partnership is one of ``partnerships``, by procedure id."""
    wanted = {p.strip().casefold() for p in partnerships}
    return {
        procedure: pack
        for procedure, pack in usable_packs(state).items()
        if pack.partnership.strip().casefold() in wanted
    }
