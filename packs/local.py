"""The partnership's local settings: the figures a procedure document does not give.

A document is silent on most stage timescales. The product never invents one: the
partnership decides, in a directory named by ``ESCALATION_LOCAL_SETTINGS`` holding one
TOML file per pack, ``<pack-id>.toml``::

    pack = "north-lincolnshire-safe-2018"
    set_by = "LSCB Business Manager"
    set_on = 2026-11-30
    [[stages]]
    ladder = "*"                 # a ladder id, or "*" for every ladder with this stage id
    stage = "lscb_chair"
    working_days = 5             # or calendar_days = N, or weeks = N
    note = "Agreed by the LSCB executive"

Merged into the pack when it is loaded (so the workflow records it in history with the
pack), each figure marked ``local`` with who set it and when. A setting may not replace
a figure the document gives, and every error names the file and the entry.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from models.common import Identifier, Name, OptionalText
from models.pack import PolicyPack, StageSpec

ENV = "ESCALATION_LOCAL_SETTINGS"
"""The environment variable naming the local settings directory."""


class LocalStage(BaseModel):
    """One stage's figure, set by the partnership."""

    model_config = ConfigDict(extra="forbid")

    ladder: str = Field(default="*", description="A ladder id, or '*' for every ladder.")
    stage: Identifier
    working_days: StrictInt | None = Field(default=None, ge=0, le=60)
    calendar_days: StrictInt | None = Field(default=None, ge=1, le=366)
    weeks: StrictInt | None = Field(default=None, ge=1, le=52)
    note: OptionalText = None

    @model_validator(mode="after")
    def _one_unit(self) -> LocalStage:
        given = [
            u for u in ("working_days", "calendar_days", "weeks") if getattr(self, u) is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of working_days, calendar_days or weeks")
        return self


class LocalAlertStage(BaseModel):
    """A practice alert stage switched to climb by itself when its deadline passes."""

    model_config = ConfigDict(extra="forbid")

    stage: Identifier
    on_deadline: Literal["escalate", "notify_and_wait"]
    note: OptionalText = None


class LocalSettings(BaseModel):
    """A partnership's settings for one pack: who set them, when, and the figures."""

    model_config = ConfigDict(extra="forbid")

    pack: Identifier
    set_by: Name
    set_on: date
    confirmation_working_days: StrictInt | None = Field(
        default=None,
        ge=0,
        le=60,
        description="Working days to confirm a resolution in writing (the document is silent).",
    )
    stages: list[LocalStage] = Field(default_factory=list)
    alert_stages: list[LocalAlertStage] = Field(default_factory=list)


class LocalSettingsError(ValueError):
    """Local settings that cannot be used; ``problems`` has one ``path: reason`` each."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


def default_dir() -> Path | None:
    """The directory ``ESCALATION_LOCAL_SETTINGS`` names (None when unset)."""
    value = os.environ.get(ENV, "").strip()
    return Path(value) if value else None


def read_settings(directory: Path, pack_id: str) -> LocalSettings | None:
    """The settings file for ``pack_id`` in ``directory``, validated; None if there is none.

    Raises:
        LocalSettingsError: not TOML, or not of the schema (every problem, with its path).
    """
    path = directory / f"{pack_id}.toml"
    if not path.is_file():
        return None
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LocalSettingsError(f"{path.name}: cannot read: {exc}", [f"file: {exc}"]) from exc
    try:
        settings = LocalSettings.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        ]
        raise _error(path, problems) from None
    if settings.pack != pack_id:
        raise _error(path, [f"pack: '{settings.pack}' must match the file name '{pack_id}'"])
    return settings


def _error(path: Path, problems: list[str]) -> LocalSettingsError:
    head = f"{path.name}: invalid local settings ({len(problems)} error(s))"
    return LocalSettingsError("\n".join([head, *(f"  {p}" for p in problems)]), problems)


def apply(pack: PolicyPack, settings: LocalSettings, path: Path | None = None) -> PolicyPack:
    """``pack`` with the partnership's figures filled in where the document gives none.

    Raises:
        LocalSettingsError: an entry names no stage of the pack, or would replace a figure
            the document gives.
    """
    problems: list[str] = []
    figures: dict[tuple[str, str], LocalStage] = {}
    for n, entry in enumerate(settings.stages):
        where = f"stages[{n}]"
        ladders = [lad for lad in pack.ladders if entry.ladder in ("*", lad.id)]
        if not ladders:
            known = ", ".join(lad.id for lad in pack.ladders)
            problems.append(
                f"{where}.ladder: '{entry.ladder}' is not a ladder of {pack.id} ({known})"
            )
            continue
        matched = [(lad, s) for lad in ladders for s in lad.stages if s.id == entry.stage]
        if not matched:
            problems.append(
                f"{where}.stage: no stage '{entry.stage}' in {entry.ladder} of {pack.id}"
            )
        for lad, stage in matched:
            figure = pack.figure(stage)
            if figure is not None and figure.source == "document":
                problems.append(
                    f"{where}: {lad.id}.{stage.id} has the document's figure "
                    f'({figure.amount()}: "{figure.quote}"); a local setting cannot replace it'
                )
            elif stage.kind == "conference_adjournment" and entry.working_days is None:
                problems.append(f"{where}: an adjourned conference counts in working_days")
            else:
                figures[(lad.id, stage.id)] = entry
    if (
        settings.confirmation_working_days is not None
        and pack.confirmation_working_days is not None
    ):
        problems.append(
            f"confirmation_working_days: the document gives {pack.confirmation_working_days} "
            "working days; a local setting cannot replace it"
        )
    problems += _alert_problems(pack, settings)
    if problems:
        raise _error(path or Path(f"{pack.id}.toml"), problems)
    if settings.alert_stages and pack.practice_alerts is not None:
        switched = {a.stage: a.on_deadline for a in settings.alert_stages}
        alert_stages = [
            s.model_copy(update={"on_deadline": switched[s.id]}) if s.id in switched else s
            for s in pack.practice_alerts.stages
        ]
        alerts = pack.practice_alerts.model_copy(update={"stages": alert_stages})
        pack = pack.model_copy(update={"practice_alerts": alerts})
    if settings.confirmation_working_days is not None:
        pack = pack.model_copy(
            update={
                "confirmation_working_days": settings.confirmation_working_days,
                "confirmation_source": "local",
            }
        )
    ladders = []
    for lad in pack.ladders:
        stages = [_with_local(s, figures.get((lad.id, s.id)), settings) for s in lad.stages]
        ladders.append(lad.model_copy(update={"stages": stages}))
    return pack.model_copy(update={"ladders": ladders})


def _alert_problems(pack: PolicyPack, settings: LocalSettings) -> list[str]:
    """An alert stage may climb by itself only where the chair's decision is not required."""
    problems = []
    spec = pack.practice_alerts
    stages = spec.stages if spec is not None else []
    ids = [s.id for s in stages]
    for n, entry in enumerate(settings.alert_stages):
        where = f"alert_stages[{n}]"
        if entry.stage not in ids:
            problems.append(f"{where}.stage: no practice alert stage '{entry.stage}' in {pack.id}")
            continue
        i = ids.index(entry.stage)
        above = stages[i + 1] if i + 1 < len(stages) else None
        if stages[i].chair_only or (
            entry.on_deadline == "escalate" and (above is None or above.chair_only)
        ):
            target = above.title if above else "nothing above it"
            problems.append(
                f"{where}: '{entry.stage}' cannot climb by itself: the stage above it ({target}) "
                "is entered only by the raising chair's decision"
            )
    return problems


def _with_local(stage: StageSpec, entry: LocalStage | None, settings: LocalSettings) -> StageSpec:
    if entry is None:
        return stage
    return stage.model_copy(
        update={
            "timescale_working_days": entry.working_days,
            "timescale_calendar_days": entry.calendar_days,
            "timescale_weeks": entry.weeks,
            "timescale_note": entry.note,
            "timescale_source": "local",
            "timescale_set_by": settings.set_by,
            "timescale_set_on": settings.set_on,
        }
    )


def with_local_settings(pack: PolicyPack, directory: Path | None) -> PolicyPack:
    """``pack`` with the settings in ``directory`` applied (unchanged if there are none)."""
    if directory is None:
        return pack
    settings = read_settings(directory, pack.id)
    if settings is None:
        return pack
    return apply(pack, settings, directory / f"{pack.id}.toml")
