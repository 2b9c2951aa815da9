"""Cross-reference checks of a policy pack, on the raw data, all problems at once.

Pydantic checks each field on its own and stops a model's cross-field validator
as soon as any field is wrong, so a pack author fixing one error would meet the
next only on the following run. These checks read the raw (TOML-decoded) data
defensively, whatever shape it is in, so the loader can report every field error
and every broken reference together. :class:`models.pack.PolicyPack` runs the same
checks on itself, so a pack built in code is held to the same rules.

Each problem names a field path with ids where the data has them, e.g.
``ladders[individual].stages[line_managers].holders``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ADJOURNMENT = "conference_adjournment"
ADJOURNMENT_MAX_WORKING_DAYS = 15
"""Both North Lincolnshire seeds: adjourned "for a brief period – not exceeding 15 working days"."""


@dataclass(frozen=True)
class PackProblem:
    """One thing wrong with a pack: where (a field path) and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _items(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, Mapping)]


def _strs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _label(item: Mapping[str, Any], index: int) -> str:
    ident = item.get("id")
    return str(ident) if isinstance(ident, str) and ident else str(index)


def _dupes(values: list[str]) -> list[str]:
    return sorted({v for v in values if values.count(v) > 1})


def _role_fields(stage: Mapping[str, Any]) -> Iterator[tuple[str, list[str]]]:
    for field in ("holders", "copied", "overdue_notify", "learning_notify", "confirmer"):
        yield field, _strs(stage.get(field))


def _unknown_roles(
    path: str, fields: Iterator[tuple[str, list[str]]], known: set[str]
) -> list[PackProblem]:
    problems = []
    for field, refs in fields:
        for role in dict.fromkeys(refs):
            if role not in known:
                problems.append(
                    PackProblem(
                        f"{path}.{field}",
                        f"unknown role '{role}'; declare it under [[roles]] "
                        f"(known: {', '.join(sorted(known)) or 'none'})",
                    )
                )
    return problems


def reference_problems(data: Mapping[str, Any]) -> list[PackProblem]:
    """Every broken reference in a pack: roles, stages, ladders, timescales, alerts."""
    roles = _items(data, "roles")
    role_ids = [str(r.get("id")) for r in roles]
    problems = [
        PackProblem("roles", f"role ids must be unique; repeated: {', '.join(d)}")
        for d in [_dupes(role_ids)]
        if d
    ]
    known = set(role_ids)
    ladders = _items(data, "ladders")
    ladder_ids = [_label(lad, i) for i, lad in enumerate(ladders)]
    if dupes := _dupes(ladder_ids):
        problems.append(
            PackProblem("ladders", f"ladder ids must be unique; repeated: {', '.join(dupes)}")
        )
    default_ladder = data.get("default_ladder")
    if isinstance(default_ladder, str) and ladders and default_ladder not in ladder_ids:
        problems.append(
            PackProblem(
                "default_ladder",
                f"'{default_ladder}' is not one of the ladders ({', '.join(ladder_ids)})",
            )
        )
    for i, ladder in enumerate(ladders):
        problems += _ladder_problems(ladder, i, known, set(ladder_ids))
    problems += _dissent_loops(ladders)
    alerts = data.get("practice_alerts")
    if isinstance(alerts, Mapping):
        problems += _alert_problems(alerts, known)
    return problems


def _ladder_problems(
    ladder: Mapping[str, Any], index: int, known: set[str], ladder_ids: set[str]
) -> list[PackProblem]:
    lpath = f"ladders[{_label(ladder, index)}]"
    stages = _items(ladder, "stages")
    stage_ids = [_label(s, i) for i, s in enumerate(stages)]
    problems = []
    if dupes := _dupes(stage_ids):
        problems.append(
            PackProblem(
                f"{lpath}.stages",
                f"stage ids must be unique in a ladder; repeated: {', '.join(dupes)}",
            )
        )
    risk = ladder.get("immediate_risk_stage")
    if isinstance(risk, str) and risk not in stage_ids:
        problems.append(
            PackProblem(
                f"{lpath}.immediate_risk_stage",
                f"'{risk}' is not a stage of this ladder ({', '.join(stage_ids)})",
            )
        )
    for i, route in enumerate(_items(ladder, "routes")):
        rpath = f"{lpath}.routes[{_label(route, i)}]"
        problems += _unknown_roles(rpath, iter([("taken_by", _strs(route.get("taken_by")))]), known)
    for i, stage in enumerate(stages):
        spath = f"{lpath}.stages[{_label(stage, i)}]"
        problems += _unknown_roles(spath, _role_fields(stage), known)
        problems += _stage_timing(spath, stage)
        problems += _adjournment_problems(spath, stage, _label(ladder, index), ladder_ids)
    return problems


TIMESCALE_FIELDS = ("timescale_working_days", "timescale_calendar_days", "timescale_weeks")


def _stage_timing(path: str, stage: Mapping[str, Any]) -> list[PackProblem]:
    """At most one unit; a document figure quotes its sentence. No figure is allowed: the
    partnership sets it in its local settings (or the stage cannot be entered)."""
    given = [f for f in TIMESCALE_FIELDS if stage.get(f) is not None]
    if len(given) > 1:
        return [PackProblem(f"{path}.{given[1]}", f"give one timescale, not {' and '.join(given)}")]
    source = stage.get("timescale_source", "document")
    if given and source == "document" and not str(stage.get("timescale_note") or "").strip():
        return [
            PackProblem(
                f"{path}.timescale_note",
                "missing: a document figure quotes the sentence it comes from; a figure the "
                "document does not give belongs in the partnership's local settings",
            )
        ]
    return []


def _adjournment_problems(
    path: str, stage: Mapping[str, Any], ladder_id: str, ladder_ids: set[str]
) -> list[PackProblem]:
    problems = []
    if stage.get("kind") != ADJOURNMENT:
        for field in ("on_majority_dissent", "interim_position"):
            if stage.get(field) is not None:
                problems.append(
                    PackProblem(
                        f"{path}.{field}",
                        f'only a kind = "{ADJOURNMENT}" stage (an adjourned conference) has one',
                    )
                )
        return problems
    days = stage.get("timescale_working_days")
    if days is None:
        problems.append(
            PackProblem(
                f"{path}.timescale_working_days",
                f"missing: an adjourned conference needs its own timescale in working days "
                f"(at most {ADJOURNMENT_MAX_WORKING_DAYS})",
            )
        )
    elif isinstance(days, int) and not isinstance(days, bool):
        if days > ADJOURNMENT_MAX_WORKING_DAYS:
            problems.append(
                PackProblem(
                    f"{path}.timescale_working_days",
                    f"{days} is too long: a conference is adjourned for at most "
                    f"{ADJOURNMENT_MAX_WORKING_DAYS} working days",
                )
            )
    if not stage.get("interim_position"):
        problems.append(
            PackProblem(
                f"{path}.interim_position",
                "missing: say where the child stands while the conference is adjourned",
            )
        )
    dissent = stage.get("on_majority_dissent")
    if isinstance(dissent, str):
        if dissent == ladder_id:
            problems.append(
                PackProblem(
                    f"{path}.on_majority_dissent",
                    f"names its own ladder '{dissent}': the dissenting minority must climb "
                    "a different ladder",
                )
            )
        elif dissent not in ladder_ids:
            problems.append(
                PackProblem(
                    f"{path}.on_majority_dissent",
                    f"unknown ladder '{dissent}' (ladders: {', '.join(sorted(ladder_ids))})",
                )
            )
    return problems


def _dissent_loops(ladders: list[Mapping[str, Any]]) -> list[PackProblem]:
    """Ladders whose dissent links lead back to themselves through other ladders."""
    edges: dict[str, list[tuple[str, str]]] = {}
    for i, ladder in enumerate(ladders):
        lid = _label(ladder, i)
        for j, stage in enumerate(_items(ladder, "stages")):
            target = stage.get("on_majority_dissent")
            if stage.get("kind") == ADJOURNMENT and isinstance(target, str) and target != lid:
                edges.setdefault(lid, []).append((_label(stage, j), target))
    problems = []
    reported: set[frozenset[str]] = set()
    for start in edges:
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            here, trail = stack.pop()
            for _stage_id, target in edges.get(here, []):
                if target == start:
                    loop = frozenset(trail)
                    if loop not in reported:
                        reported.add(loop)
                        first_stage = edges[start][0][0]
                        problems.append(
                            PackProblem(
                                f"ladders[{start}].stages[{first_stage}].on_majority_dissent",
                                "ladders form a loop: " + " → ".join([*trail, start]),
                            )
                        )
                elif target not in trail:
                    stack.append((target, [*trail, target]))
    return problems


def _alert_problems(alerts: Mapping[str, Any], known: set[str]) -> list[PackProblem]:
    path = "practice_alerts"
    problems = _unknown_roles(path, iter([("raised_by", _strs(alerts.get("raised_by")))]), known)
    codes = [str(c.get("code")) for c in _items(alerts, "reason_codes")]
    if dupes := _dupes(codes):
        problems.append(
            PackProblem(
                f"{path}.reason_codes", f"reason codes must be unique; repeated: {', '.join(dupes)}"
            )
        )
    stages = _items(alerts, "stages")
    stage_ids = [_label(s, i) for i, s in enumerate(stages)]
    if dupes := _dupes(stage_ids):
        problems.append(
            PackProblem(f"{path}.stages", f"stage ids must be unique; repeated: {', '.join(dupes)}")
        )
    for i, stage in enumerate(stages):
        fields = iter([(f, _strs(stage.get(f))) for f in ("holders", "copied")])
        problems += _unknown_roles(f"{path}.stages[{_label(stage, i)}]", fields, known)
    for sid in _strs(alerts.get("serious_start_stages")):
        if sid not in stage_ids:
            problems.append(
                PackProblem(
                    f"{path}.serious_start_stages",
                    f"unknown stage '{sid}' (alert stages: {', '.join(stage_ids)})",
                )
            )
    return problems
