"""``escalation packs``: list, show and check policy packs.

A partnership adding its procedure writes a TOML pack and runs ``escalation packs
check FILE`` until it says ``ok``; every error is listed at once, naming the field
path and the reason. ``list`` and ``show`` print the shipped packs for people (the
business manager checking a deadline, a developer writing a test), marking every
timescale that is the partnership default rather than the seed's own figure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from models.pack import LadderSpec, PolicyPack, PracticeAlertSpec, StageSpec
from packs import PACK_DIR, PackError, UnknownProcedure, load_pack, load_pack_file, pack_ids

EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2


def add_commands(sub: Any) -> None:
    """Declare ``packs list``, ``packs show ID`` and ``packs check FILE``."""
    p = sub.add_parser("packs", help="List, show and check policy packs")
    actions = p.add_subparsers(dest="packs_command", required=True)
    actions.add_parser("list", help="The shipped packs: id, title, partnership, ladders")
    show = actions.add_parser("show", help="A shipped pack in full, for people")
    show.add_argument("pack_id", metavar="ID")
    check = actions.add_parser("check", help="Validate a pack file and explain every error")
    check.add_argument("file", type=Path, metavar="FILE")


def run(args: argparse.Namespace) -> int | None:
    """Run a ``packs`` command; None for commands that are not this module's."""
    if args.command != "packs":
        return None
    if args.packs_command == "list":
        return cmd_list(PACK_DIR)
    if args.packs_command == "show":
        return cmd_show(args.pack_id, PACK_DIR)
    return cmd_check(args.file)


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
            print(f"  also:        practice alerts ({len(pack.practice_alerts.stages)} stages)")
        print()
    return 0


def cmd_check(path: Path) -> int:
    """``ok`` and a one-line summary (exit 0), or every error on stderr (exit 2)."""
    try:
        pack = load_pack_file(path)
    except PackError as exc:
        print(f"escalation: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"ok: {path.name}: {summary(pack)}")
    return 0


def cmd_show(pack_id: str, directory: Path) -> int:
    """The pack as people read it."""
    try:
        pack = load_pack(pack_id, directory)
    except UnknownProcedure as exc:
        print(f"escalation: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except PackError as exc:
        print(f"escalation: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print("\n".join(describe(pack)))
    return 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


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


def describe(pack: PolicyPack) -> list[str]:
    """The pack as lines of text: header, ladders and stages, practice alerts, decisions."""
    cal = pack.calendar
    lines = [
        f"{pack.id}: {pack.title}",
        f"Partnership: {pack.partnership}",
        f"Source: {pack.source}",
        f"Calendar: {cal.calendar}, {cal.timezone}, close of business "
        f"{cal.close_of_business:%H:%M}",
    ]
    if pack.default_timescale_working_days is not None:
        lines.append(
            f"Partnership default timescale: {_days(pack.default_timescale_working_days)} "
            "(for stages whose procedure gives no figure)"
        )
    lines.append(f"Written confirmation: within {_days(pack.confirmation_working_days)}")
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
        when = ""
        if ladder.immediate_risk_working_days is not None:
            n = ladder.immediate_risk_working_days
            when = ", due the same working day" if n == 0 else f", due within {_days(n)}"
        lines.append(f"  Immediate risk: straight to {ladder.immediate_risk_stage}{when}")
    for n, stage in enumerate(ladder.stages, start=1):
        lines += _stage_lines(pack, n, stage)
    return lines


def _stage_lines(pack: PolicyPack, n: int, stage: StageSpec) -> list[str]:
    days = _days(pack.timescale(stage))
    if pack.uses_default(stage):
        days += " (partnership default)"
    kind = " [adjourned conference]" if stage.kind == "conference_adjournment" else ""
    lines = [
        f"  {n}. {stage.id}{kind}: {stage.title}",
        f"       timescale: {days}",
        f"       holders:   {_roles(pack, stage.holders)}",
    ]
    if stage.copied:
        lines.append(f"       copied:    {_roles(pack, stage.copied)}")
    if stage.timescale_note:
        lines.append(f"       figure:    {stage.timescale_note}")
    if stage.first_contact_working_days is not None:
        lines.append(f"       first contact within {_days(stage.first_contact_working_days)}")
    if stage.kind == "conference_adjournment":
        lines.append(f"       meanwhile: {stage.interim_position}")
        if stage.on_majority_dissent:
            lines.append(f"       a dissenting minority climbs: {stage.on_majority_dissent}")
    if stage.requires_confirmation:
        who = stage.confirmer or stage.holders[-1]
        lines.append(
            f"       resolution confirmed in writing by {pack.role_title(who)} within "
            f"{_days(pack.confirmation_days(stage))}"
        )
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
