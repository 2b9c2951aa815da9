"""The shipped policy packs and the loader that validates them.

A pack file is TOML, one file per procedure, validated by
:class:`models.pack.PolicyPack`. Loading reads files, so workflows never call
this directly: the ``load_pack`` activity does, and its answer is recorded in
the workflow history (a pack edited after a case started does not change it).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from models.pack import PolicyPack

PACK_DIR = Path(__file__).parent


class PackError(ValueError):
    """A pack that cannot be used, with every reason, naming the file and field."""


class UnknownProcedure(LookupError):
    """No shipped pack has that id."""


def _format_errors(path: Path, exc: ValidationError) -> str:
    lines = [f"{path.name}: invalid policy pack ({exc.error_count()} error(s))"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "pack"
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)


def load_pack_file(path: Path) -> PolicyPack:
    """Read and validate one pack file.

    Raises:
        PackError: the file is not TOML or does not fit the schema; the message
            names the file, each field and the reason.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"{path.name}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise PackError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        pack = PolicyPack.model_validate(data)
    except ValidationError as exc:
        raise PackError(_format_errors(path, exc)) from exc
    if pack.id != path.stem:
        raise PackError(f"{path.name}: id: '{pack.id}' must match the file name '{path.stem}'")
    return pack


def pack_ids(directory: Path = PACK_DIR) -> list[str]:
    """Ids of the packs shipped in ``directory``."""
    return sorted(p.stem for p in directory.glob("*.toml"))


def load_pack(procedure: str, directory: Path = PACK_DIR) -> PolicyPack:
    """Load a shipped pack by id.

    Raises:
        UnknownProcedure: no such pack; the message lists the known ones.
        PackError: the pack file is broken.
    """
    path = directory / f"{procedure}.toml"
    if not path.is_file():
        known = ", ".join(pack_ids(directory)) or "none"
        raise UnknownProcedure(f"procedure: unknown procedure '{procedure}' (known: {known})")
    return load_pack_file(path)
