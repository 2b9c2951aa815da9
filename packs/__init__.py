"""The shipped policy packs and the loader that validates them.

A pack file is TOML, one file per procedure, validated by
:class:`models.pack.PolicyPack`. Loading reads files, so workflows never call
this directly: the ``load_pack`` activity does, and its answer is recorded in
the workflow history (a pack edited after a case started does not change it).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models.pack import PACK_REFERENCE_ERROR, PolicyPack
from models.pack_checks import reference_problems
from packs.local import LocalSettingsError, default_dir, with_local_settings

PACK_DIR = Path(__file__).parent


class PackError(ValueError):
    """A pack that cannot be used, with every reason, naming the file and field.

    ``problems`` holds one line per error (``field.path: reason``); the message is the
    file name, the count and those lines, so a pack author sees everything at once.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class UnknownProcedure(LookupError):
    """No shipped pack has that id."""


def _path(data: Any, loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a pack author reads it: ids instead of list positions."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("id") or item.get("code") if isinstance(item, dict) else None
            out += f"[{label if isinstance(label, str) and label else part}]"
            node = item
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "pack"


def _field_problems(data: Any, exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        if err["type"] == PACK_REFERENCE_ERROR:
            continue  # reported from the raw data, with every other broken reference
        where = _path(data, err["loc"])
        reason = err["msg"]
        last = str(err["loc"][-1]) if err["loc"] else ""
        if err["type"] in ("int_type", "int_from_float", "int_parsing") and (
            last.endswith("working_days") or last.endswith("_before")
        ):
            reason = f"must be a whole number of working days, got {err['input']!r}"
        lines.append(f"{where}: {reason}")
    return lines


def pack_problems(data: Any, file_stem: str | None = None) -> tuple[PolicyPack | None, list[str]]:
    """Validate decoded pack data: the pack, or None and every problem found.

    Field errors (types, ranges, unknown fields) and cross-references (roles,
    stages, ladders, timescales, practice alerts) are reported together.
    """
    if not isinstance(data, dict):
        return None, ["pack: must be a table of fields"]
    problems: list[str] = []
    pack: PolicyPack | None = None
    try:
        pack = PolicyPack.model_validate(data)
    except ValidationError as exc:
        problems += _field_problems(data, exc)
        problems += [str(p) for p in reference_problems(data)]
        if not problems:  # a reference error the raw checks missed: never lose it
            problems = [f"{_path(data, e['loc'])}: {e['msg']}" for e in exc.errors()]
    pack_id = data.get("id")
    if file_stem is not None and isinstance(pack_id, str) and pack_id != file_stem:
        problems.append(f"id: '{pack_id}' must match the file name '{file_stem}'")
    return (pack if not problems else None), problems


_VALIDATED: dict[Path, tuple[str, PolicyPack]] = {}
"""Packs already validated, by file, with the exact text they were validated from."""


def load_pack_file(path: Path) -> PolicyPack:
    """Read and validate one pack file (validated again only if its text changed).

    Every start request is checked against its pack, and every case loads it:
    parsing and validating the TOML costs most of a millisecond, reading the file
    a few microseconds. So the file is read every time and, while its text is the
    one already validated, the same (frozen) pack is handed out again. An edited
    file is validated afresh; a broken one is never kept, so it is reported
    every time.

    Raises:
        PackError: the file is not TOML or does not fit the schema; the message
            names the file, each field and the reason, every problem at once.
    """
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PackError(f"{path}: cannot read: {exc.strerror}", [f"file: {exc.strerror}"]) from exc
    known = _VALIDATED.get(path)
    if known is not None and known[0] == source:
        return known[1]
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"{path.name}: not valid TOML: {exc}", [f"toml: {exc}"]) from exc
    pack, problems = pack_problems(data, path.stem)
    if pack is None:
        head = f"{path.name}: invalid policy pack ({len(problems)} error(s))"
        raise PackError("\n".join([head, *(f"  {p}" for p in problems)]), problems)
    _VALIDATED[path] = (source, pack)
    return pack


def pack_ids(directory: Path = PACK_DIR) -> list[str]:
    """Ids of the packs shipped in ``directory``."""
    return sorted(p.stem for p in directory.glob("*.toml"))


def load_pack(
    procedure: str,
    directory: Path = PACK_DIR,
    local_dir: Path | None = None,
    *,
    local: bool = True,
) -> PolicyPack:
    """Load a shipped pack by id, with the partnership's local settings merged in.

    Args:
        procedure: The pack id.
        directory: Where the pack files are.
        local_dir: The local settings directory; default ``ESCALATION_LOCAL_SETTINGS``.
        local: False for the pack exactly as shipped (its document figures only).

    Raises:
        UnknownProcedure: no such pack; the message lists the known ones.
        PackError: the pack file or its local settings are broken.
    """
    path = directory / f"{procedure}.toml"
    if not path.is_file():
        known = ", ".join(pack_ids(directory)) or "none"
        raise UnknownProcedure(f"procedure: unknown procedure '{procedure}' (known: {known})")
    pack = load_pack_file(path)
    if not local:
        return pack
    try:
        return with_local_settings(pack, local_dir or default_dir())
    except LocalSettingsError as exc:
        raise PackError(str(exc), exc.problems) from exc
