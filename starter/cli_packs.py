"""``escalation packs``: list, show and check policy packs and their local settings.

A partnership adding its procedure writes a TOML pack and runs ``escalation packs
check FILE --local DIR`` until it says ``ok``; every error is listed at once, naming
the file, the field path and the reason. ``show`` prints a pack for people (the
business manager checking a deadline, a developer writing a test) or as JSON, every
stage's timescale with where it comes from: the procedure document (its sentence
quoted), the partnership's local setting (who set it, when, why), or nowhere yet (a
case cannot enter that stage until the partnership sets it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from models.pack import Figure, LadderSpec, PolicyPack, PracticeAlertSpec, StageSpec
from packs import PACK_DIR, PackError, UnknownProcedure, load_pack, load_pack_file, pack_ids
from packs.local import (
    ENV,
    LocalSettings,
    LocalSettingsError,
    apply,
    default_dir,
    read_settings,
)

EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2

TIMESCALE_FIELDS = (
    "timescale_working_days",
    "timescale_calendar_days",
    "timescale_weeks",
    "timescale_note",
    "timescale_source",
    "timescale_set_by",
    "timescale_set_on",
)
"""A stage's raw timescale fields; ``show --format json`` gives them as one ``timescale``."""

SHOW_EPILOG = f"""examples:
  escalation packs show redbridge-2017
  escalation packs show sutton-2015 --local /etc/escalation/local --format json
  escalation packs show rutland --document-only

Each stage's timescale says where it comes from: the procedure document (quoted),
a local setting (who set it, when, why) from {ENV}/<id>.toml, or none: a case
cannot enter that stage until the partnership sets it."""

CHECK_EPILOG = """examples:
  escalation packs check packs/my-partnership.toml
  escalation packs check packs/*.toml --local /etc/escalation/local

Exit 0 when every file is valid (unset stages are warnings), 2 when any is not."""


def add_commands(sub: Any) -> None:
    """Declare ``packs list``, ``packs show ID`` and ``packs check FILE...``."""
    p = sub.add_parser("packs", help="List, show and check policy packs")
    actions = p.add_subparsers(dest="packs_command", required=True)
    listing = actions.add_parser("list", help="The shipped packs: id, title, partnership, ladders")
    _pack_dir_arg(listing)
    show = actions.add_parser(
        "show",
        help="A pack in full: every stage's timescale and its source",
        epilog=SHOW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    show.add_argument("pack_id", metavar="ID", help="The pack id, e.g. redbridge-2017")
    _pack_dir_arg(show)
    which = show.add_mutually_exclusive_group()
    which.add_argument(
        "--local",
        type=Path,
        metavar="DIR",
        help=f"The local settings directory (default: ${ENV}; none if unset)",
    )
    which.add_argument(
        "--document-only",
        action="store_true",
        help="The pack exactly as shipped: the document's figures only, no local settings",
    )
    show.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text for people (default); json with ladders[].stages[].timescale",
    )
    check = actions.add_parser(
        "check",
        help="Validate pack files (and their local settings) and explain every error",
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("files", type=Path, nargs="+", metavar="FILE", help="A pack file (.toml)")
    check.add_argument(
        "--local",
        type=Path,
        metavar="DIR",
        help=(
            "Also check DIR/<pack-id>.toml for each pack, and the pack with it applied; "
            "stages still without a timescale are listed as warnings"
        ),
    )


def _pack_dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pack-dir",
        type=Path,
        default=PACK_DIR,
        metavar="DIR",
        help="Where the pack files are (default: the shipped packs)",
    )


def run(args: argparse.Namespace) -> int | None:
    """Run a ``packs`` command; None for commands that are not this module's."""
    if args.command != "packs":
        return None
    if args.packs_command == "list":
        return cmd_list(args.pack_dir)
    if args.packs_command == "show":
        return cmd_show(
            args.pack_id,
            args.pack_dir,
            args.local,
            args.document_only,
            json_out=args.format == "json",
        )
    return cmd_check(args.files, args.local)


def cmd_list(directory: Path) -> int:
    """One block per pack: id, title, partnership and its ladders."""
    for pack_id in pack_ids(directory):
        try:
            pack = load_pack(pack_id, directory)
        except PackError as exc:
            print(f"{pack_id}\n  BROKEN: {str(exc).splitlines()[0]}\n")
            continue
        print(pack.id)
        print(f"  title:       {pack.title}")
        print(f"  partnership: {pack.partnership}")
        ladders = ", ".join(
            f"{lad.id}{' (default)' if lad.id == pack.default_ladder else ''}"
            for lad in pack.ladders
        )
        print(f"  ladders:     {ladders}")
        if pack.practice_alerts is not None:
            stages = _plural(len(pack.practice_alerts.stages), "stage")
            print(f"  also:        practice alerts ({stages})")
        print()
    return 0


def cmd_check(paths: list[Path], local_dir: Path | None = None) -> int:
    """For each file ``ok`` and a summary (and, with ``local_dir``, its settings and unset
    stages as warnings), or every error on stderr. Exit 0 if all are valid, else 2."""
    if local_dir is not None and not local_dir.is_dir():
        print(f"escalation: --local {local_dir}: not a directory", file=sys.stderr)
        return EXIT_BAD_INPUT
    bad = False
    for path in paths:
        try:
            pack = load_pack_file(path)
        except PackError as exc:
            print(f"escalation: {exc}", file=sys.stderr)
            bad = True
            continue
        if local_dir is None:
            print(f"ok: {path.name}: {summary(pack)}")
            continue
        settings_path = local_dir / f"{pack.id}.toml"
        try:
            settings = read_settings(local_dir, pack.id)
            applied = pack if settings is None else apply(pack, settings, settings_path)
        except LocalSettingsError as exc:
            lines = str(exc).splitlines()
            lines[0] = lines[0].replace(f"{settings_path.name}:", f"{settings_path}:", 1)
            print(f"escalation: {path.name}: ok, but its local settings are not:", file=sys.stderr)
            print("escalation: " + "\n".join(lines), file=sys.stderr)
            bad = True
            continue
        print(f"ok: {path.name}: {summary(applied)}")
        print(f"  {_settings_line(settings, settings_path)}")
        for warning in _unset_warnings(applied, settings_path):
            print(warning)
    if local_dir is not None:
        checked = {p.stem for p in paths} | set(pack_ids())
        for orphan in sorted(p for p in local_dir.glob("*.toml") if p.stem not in checked):
            print(
                f"warning: {orphan}: no pack '{orphan.stem}' among the files checked or "
                "shipped; these settings apply to nothing"
            )
    return EXIT_BAD_INPUT if bad else 0


def _settings_line(settings: LocalSettings | None, path: Path) -> str:
    if settings is None:
        return f"local settings: none ({path} does not exist)"
    return (
        f"local settings: {path}: {_plural(len(settings.stages), 'entry', 'entries')}, "
        f"set by {settings.set_by} on {settings.set_on.isoformat()}"
    )


def _unset_warnings(pack: PolicyPack, settings_path: Path) -> list[str]:
    """One line per stage with no timescale: a case could not enter it."""
    return [
        f"  warning: ladders[{lad.id}].stages[{stage.id}]: no timescale (the document gives "
        f"none and no local setting does): a case on '{lad.id}' cannot enter this stage; "
        f"set it in {settings_path}"
        for lad in pack.ladders
        for stage in lad.stages
        if pack.figure(stage) is None
    ]


def cmd_show(
    pack_id: str,
    directory: Path = PACK_DIR,
    local_dir: Path | None = None,
    document_only: bool = False,
    *,
    json_out: bool = False,
) -> int:
    """The pack as people read it (or as JSON), with ``local_dir``'s settings applied
    (default ``ESCALATION_LOCAL_SETTINGS``; none with ``document_only``)."""
    local_dir = None if document_only else (local_dir or default_dir())
    try:
        pack = load_pack(pack_id, directory, local_dir, local=not document_only)
    except UnknownProcedure as exc:
        print(f"escalation: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except PackError as exc:
        print(f"escalation: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings_file = _settings_file(pack.id, local_dir)
    if json_out:
        print(json.dumps(as_json(pack, settings_file), indent=2, ensure_ascii=False))
    else:
        print("\n".join(describe(pack, _settings_words(pack.id, local_dir, document_only))))
    return 0


def _settings_file(pack_id: str, local_dir: Path | None) -> Path | None:
    path = local_dir / f"{pack_id}.toml" if local_dir is not None else None
    return path if path is not None and path.is_file() else None


def _settings_words(pack_id: str, local_dir: Path | None, document_only: bool) -> str:
    if document_only:
        return "not applied (--document-only: the pack as shipped)"
    if local_dir is None:
        return f"none (${ENV} is not set and no --local DIR given)"
    file = _settings_file(pack_id, local_dir)
    return str(file) if file is not None else f"none ({local_dir / f'{pack_id}.toml'} not found)"


def timescale_json(figure: Figure | None) -> dict[str, Any]:
    """``{"value", "unit", "source", "quote"?, "note"?, "set_by"?, "set_on"?}``."""
    if figure is None:
        return {"value": None, "unit": None, "source": "unset"}
    out: dict[str, Any] = {"value": figure.value, "unit": figure.unit, "source": figure.source}
    if figure.source == "document":
        out["quote"] = figure.quote
    elif figure.source == "local":
        if figure.quote:
            out["note"] = figure.quote
        out["set_by"] = figure.set_by
        out["set_on"] = figure.set_on.isoformat() if figure.set_on else None
    return out


def as_json(pack: PolicyPack, settings_file: Path | None = None) -> dict[str, Any]:
    """The pack as JSON, each stage's raw timescale fields given as one ``timescale``."""
    data = pack.model_dump(mode="json")
    data["local_settings"] = str(settings_file) if settings_file is not None else None
    for lad_data, ladder in zip(data["ladders"], pack.ladders, strict=True):
        stages = []
        for stage_data, stage in zip(lad_data["stages"], ladder.stages, strict=True):
            kept = {k: v for k, v in stage_data.items() if k not in TIMESCALE_FIELDS}
            at = next((i for i, k in enumerate(stage_data) if k in TIMESCALE_FIELDS), len(kept))
            items = list(kept.items())
            items.insert(at, ("timescale", timescale_json(pack.figure(stage))))
            stages.append(dict(items))
        lad_data["stages"] = stages
    return data


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def summary(pack: PolicyPack) -> str:
    """One line: what the pack holds."""
    stages = sum(len(lad.stages) for lad in pack.ladders)
    parts = [
        _plural(len(pack.ladders), "ladder"),
        _plural(stages, "stage"),
        _plural(len(pack.roles), "role"),
    ]
    if pack.practice_alerts is not None:
        alerts = pack.practice_alerts
        parts.append(
            f"practice alerts ({_plural(len(alerts.stages), 'stage')}, "
            f"{_plural(len(alerts.reason_codes), 'reason code')})"
        )
    parts.append(_plural(len(pack.decisions), "decision"))
    return f"{pack.id} ({pack.title}): " + ", ".join(parts)


def _days(n: int) -> str:
    return "the same working day" if n == 0 else _plural(n, "working day")


def _roles(pack: PolicyPack, roles: list[str]) -> str:
    return "; ".join(f"{pack.role_title(r)} [{r}]" for r in roles)


def timescale_words(pack: PolicyPack, stage: StageSpec) -> str:
    """The stage's figure and its source in words, or how to set it."""
    figure = pack.figure(stage)
    if figure is None:
        return f"no timescale: set it in {ENV}/{pack.id}.toml"
    if figure.source == "document":
        return f"timescale: {figure.amount()}, from the document: {figure.quote}"
    return f"timescale: {figure.words(pack.id)}"


def describe(pack: PolicyPack, settings: str | None = None) -> list[str]:
    """The pack as lines of text: header, ladders and stages, practice alerts, decisions."""
    cal = pack.calendar
    stages = [s for lad in pack.ladders for s in lad.stages]
    sources = [f.source if (f := pack.figure(s)) else "unset" for s in stages]
    lines = [
        f"{pack.id}: {pack.title}",
        f"Partnership: {pack.partnership}",
        f"Source: {pack.source}",
        f"Calendar: {cal.calendar}, {cal.timezone}, close of business "
        f"{cal.close_of_business:%H:%M}",
    ]
    if settings is not None:
        lines.append(f"Local settings: {settings}")
    lines.append(
        f"Timescales: {sources.count('document')} from the document, "
        f"{sources.count('local')} local, {sources.count('unset')} unset"
    )
    if pack.confirmation_working_days is None:
        lines.append("Written confirmation: no deadline (the document gives none; set it locally)")
    else:
        lines.append(
            f"Written confirmation: within {_days(pack.confirmation_working_days)} "
            f"({pack.confirmation_source})"
        )
    if pack.raise_within_working_days is not None:
        lines.append(f"Raise within: {_days(pack.raise_within_working_days)} of the disagreement")
    if pack.conference_reports is not None:
        rep = pack.conference_reports
        lines.append(
            f"Conference reports due: {_days(rep.initial_working_days_before)} before an initial, "
            f"{_days(rep.review_working_days_before)} before a review conference"
        )
    for ladder in pack.ladders:
        lines += ["", *_ladder_lines(pack, ladder)]
    if pack.practice_alerts is not None:
        lines += ["", *_alert_lines(pack, pack.practice_alerts)]
    if pack.decisions:
        lines += ["", "Decisions (where the procedure is ambiguous):"]
        for d in pack.decisions:
            lines += [
                f"  - {d.topic}",
                f"      procedure says: {d.seed_says}",
                f"      pack uses:      {d.pack_uses}",
                f"      because:        {d.reason}",
            ]
    return lines


def _ladder_lines(pack: PolicyPack, ladder: LadderSpec) -> list[str]:
    default = " (default ladder)" if ladder.id == pack.default_ladder else ""
    lines = [f"Ladder {ladder.id}{default}: {ladder.title}"]
    if ladder.immediate_risk_stage is not None:
        lines.append(
            f"  Immediate risk: referred at once to {ladder.immediate_risk_stage} "
            "(that stage's own timescale applies)"
        )
    for n, stage in enumerate(ladder.stages, start=1):
        lines += _stage_lines(pack, n, stage)
    return lines


def _stage_lines(pack: PolicyPack, n: int, stage: StageSpec) -> list[str]:
    kind = " [adjourned conference]" if stage.kind == "conference_adjournment" else ""
    lines = [
        f"  {n}. {stage.id}{kind}: {stage.title}",
        f"       {timescale_words(pack, stage)}",
        f"       holders:   {_roles(pack, stage.holders)}",
    ]
    if stage.copied:
        lines.append(f"       copied:    {_roles(pack, stage.copied)}")
    for m in stage.milestones:
        lines.append(f"       milestone: {m.title}: {m.figure().words(pack.title)}")
    if stage.kind == "conference_adjournment":
        lines.append(f"       meanwhile: {stage.interim_position}")
        if stage.on_majority_dissent:
            lines.append(f"       a dissenting minority climbs: {stage.on_majority_dissent}")
    if stage.requires_confirmation:
        who = stage.confirmer or stage.holders[-1]
        days = pack.confirmation_days(stage)
        within = f"within {_days(days)}" if days is not None else "(no deadline set)"
        lines.append(f"       resolution confirmed in writing by {pack.role_title(who)} {within}")
    else:
        lines.append("       a resolution here closes the case")
    if stage.on_deadline == "notify_and_wait":
        told = _roles(pack, stage.overdue_notify or stage.holders)
        lines.append(f"       overdue: tells {told}; keeps waiting")
    if stage.learning_notify:
        lines.append(f"       learning to: {_roles(pack, stage.learning_notify)}")
    return lines


def _alert_lines(pack: PolicyPack, alerts: PracticeAlertSpec) -> list[str]:
    lines = [
        f"Practice alerts: {alerts.title}",
        f"  raised by: {_roles(pack, alerts.raised_by)}",
        f"  serious or urgent alerts may start at: {', '.join(alerts.serious_start_stages)}",
    ]
    for n, stage in enumerate(alerts.stages, start=1):
        lines.append(
            f"  {n}. {stage.id}: {stage.title}, {_days(stage.timescale_working_days)} "
            f"- {_roles(pack, stage.holders)}"
        )
    lines.append("  reason codes:")
    lines += [f"    {i}. {c.code}: {c.title}" for i, c in enumerate(alerts.reason_codes, 1)]
    return lines
