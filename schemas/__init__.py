"""The published JSON Schemas of the workflow's interface, generated from the models.

Case systems written in other languages integrate against these files (start
payload, every signal and update payload, the update receipt and the status
query's answer). They are committed, and a test regenerates them so that a model
change that is not republished fails CI: run ``escalation schemas --write``.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from models.calendar import CalendarChange, CalendarReceipt
from models.decisions import (
    AgreeTimescale,
    ConferenceReconvened,
    Confirmed,
    DecisionReceipt,
    ImmediateRisk,
    MilestoneMet,
    ReferDirectly,
    Resolved,
    ShortenTimescale,
    Unresolved,
)
from models.start import StartDisagreement
from models.status import DisagreementStatus

SCHEMA_DIR = Path(__file__).parent
DIALECT = "https://json-schema.org/draft/2020-12/schema"

Direction = Literal["input", "output"]


@dataclass(frozen=True)
class Published:
    """One model published as ``schemas/<name>.json``.

    ``direction`` picks pydantic's validation (what we accept) or serialization
    (what we answer) schema; ``used_by`` says where it crosses the boundary.
    """

    name: str
    model: type[BaseModel]
    direction: Direction
    used_by: tuple[str, ...]


INTERFACE: tuple[Published, ...] = (
    Published("StartDisagreement", StartDisagreement, "input", ("start Disagreement",)),
    Published("Resolved", Resolved, "input", ("signal resolved", "update resolve")),
    Published("Unresolved", Unresolved, "input", ("signal unresolved", "update unresolve")),
    Published("Confirmed", Confirmed, "input", ("signal confirmed", "update confirm")),
    Published(
        "ImmediateRisk",
        ImmediateRisk,
        "input",
        ("signal immediate_risk", "update raise_immediate_risk"),
    ),
    Published(
        "ShortenTimescale",
        ShortenTimescale,
        "input",
        ("signal timescale_shortened", "update shorten_timescale"),
    ),
    Published(
        "ConferenceReconvened",
        ConferenceReconvened,
        "input",
        ("signal conference_reconvened", "update reconvene_conference"),
    ),
    Published(
        "AgreeTimescale",
        AgreeTimescale,
        "input",
        ("signal agree_timescale", "update agree_timescale"),
    ),
    Published(
        "MilestoneMet", MilestoneMet, "input", ("signal milestone_met", "update milestone_met")
    ),
    Published(
        "ReferDirectly", ReferDirectly, "input", ("signal refer_directly", "update refer_directly")
    ),
    Published(
        "CalendarChange",
        CalendarChange,
        "input",
        ("update change_calendar (Disagreement and PracticeAlert)",),
    ),
    Published("DecisionReceipt", DecisionReceipt, "output", ("result of every update",)),
    Published("CalendarReceipt", CalendarReceipt, "output", ("result of change_calendar",)),
    Published("DisagreementStatus", DisagreementStatus, "output", ("query status",)),
)


ALERT_INTERFACE: dict[str, tuple[Direction, tuple[str, ...]]] = {
    "StartPracticeAlert": ("input", ("start PracticeAlert",)),
    "AlertResponse": ("input", ("signal alert_response", "update respond")),
    "Finalise": ("input", ("signal finalised", "update finalise")),
    "NotSatisfied": ("input", ("signal not_satisfied", "update escalate")),
    "AlertReceipt": ("output", ("result of every PracticeAlert update but change_calendar",)),
    "PracticeAlertStatus": ("output", ("query status (PracticeAlert)",)),
}
"""The practice alert workflow's payloads (``models/alerts.py``), by model name."""


def _alert_models() -> tuple[Published, ...]:
    """The practice alert payloads; the record rows stay internal (they never cross a client)."""
    try:
        alerts = importlib.import_module("models.alerts")
    except ModuleNotFoundError:
        return ()
    return tuple(
        Published(name, getattr(alerts, name), direction, used_by)
        for name, (direction, used_by) in ALERT_INTERFACE.items()
        if hasattr(alerts, name)
    )


def published() -> tuple[Published, ...]:
    """Everything published, in file order."""
    return INTERFACE + _alert_models()


def schema_of(item: Published) -> dict[str, Any]:
    """The JSON Schema document of one published model."""
    mode: Literal["validation", "serialization"] = (
        "validation" if item.direction == "input" else "serialization"
    )
    body = item.model.model_json_schema(mode=mode)
    if item.direction == "output":
        # The workflow always serialises every field, defaults included: say so, so a
        # client in another language can rely on each key being present.
        for obj in [body, *body.get("$defs", {}).values()]:
            if "properties" in obj:
                obj["required"] = list(obj["properties"])
    doc: dict[str, Any] = {"$schema": DIALECT, "$id": f"{item.name}.json"}
    doc.update(body)
    doc["x-escalation-used-by"] = list(item.used_by)
    return doc


def render(doc: dict[str, Any]) -> str:
    """Stable text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate() -> dict[str, str]:
    """File name → content for every schema, plus ``index.json`` listing them."""
    files = {f"{p.name}.json": render(schema_of(p)) for p in published()}
    index = {
        "workflow_type": "Disagreement",
        "encoding": "json/plain (pydantic JSON); see docs/operations.md for the payload codec",
        "schemas": {
            p.name: {"file": f"{p.name}.json", "direction": p.direction, "used_by": list(p.used_by)}
            for p in published()
        },
    }
    files["index.json"] = render(index)
    return files


def differences(directory: Path = SCHEMA_DIR) -> list[str]:
    """Files that are missing, stale or no longer generated (empty when up to date)."""
    wanted = generate()
    problems = []
    for name, text in wanted.items():
        path = directory / name
        if not path.exists():
            problems.append(f"{name}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{name}: differs from the models")
    for path in sorted(directory.glob("*.json")):
        if path.name not in wanted:
            problems.append(f"{path.name}: no longer generated")
    return problems


def write(directory: Path = SCHEMA_DIR) -> list[str]:
    """Regenerate every file; returns the names written or removed."""
    wanted = generate()
    changed = []
    for name, text in wanted.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    for path in sorted(directory.glob("*.json")):
        if path.name not in wanted:
            path.unlink()
            changed.append(path.name)
    return changed
