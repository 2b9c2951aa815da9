"""``escalation contacts import``, ``escalation record`` and ``escalation report``.

The record and the report read the database only: Temporal's history may have
been deleted by the time somebody asks for a case's file or a quarter's figures.
Exit codes follow ``starter.cli``: 0 ok, 1 not found, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from records.briefing import briefing
from records.casefile import load_case
from records.contacts import parse_contacts, upsert_contacts
from records.db import make_sessionmaker
from records.export import render_html, render_markdown
from records.report import Quarter, quarter_figures
from records.report_render import render_html as report_html
from records.report_render import render_text as report_text
from records.schema import utcnow
from settings import get_settings
from starter import cli_report_schedule
from starter.cli_common import unknown_procedure

PROCEDURE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy async URL (default: ESCALATION_DATABASE_URL)",
    )


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare the contacts, record and report subcommands."""
    p = sub.add_parser("contacts", help="The contact directory")
    actions = p.add_subparsers(dest="contacts_action", required=True)
    imp = actions.add_parser(
        "import", help="Load or update contacts from a CSV (partnership,agency,role,name,email)"
    )
    imp.add_argument("file", type=Path, help="The CSV file (a spreadsheet's export will do)")
    _db_arg(imp)

    p = sub.add_parser("record", help="Export the written record of a case's disagreements")
    p.add_argument("case_reference", help="The case reference (never the child's name)")
    p.add_argument(
        "--format", choices=["md", "html"], default="md", help="Markdown (default) or HTML"
    )
    p.add_argument("--out", type=Path, help="Write to this file instead of stdout")
    _db_arg(p)

    p = sub.add_parser("report", help="Quarterly figures: disagreements and practice alerts")
    p.add_argument("--quarter", help="e.g. 2026Q4 (required unless schedule/schedules)")
    p.add_argument("--procedure", help="Only this procedure (pack id)")
    p.add_argument(
        "--format",
        choices=["text", "html"],
        default="text",
        help="Plain text (default) or an HTML page with charts",
    )
    p.add_argument("--out", type=Path, help="Write to this file instead of stdout")
    _db_arg(p)
    cli_report_schedule.add_report_subcommands(p)


def _err(message: str) -> None:
    print(f"escalation: {message}", file=sys.stderr)


def _url(args: argparse.Namespace) -> str:
    return str(args.database_url or get_settings().database_url)


def read_text(path: Path) -> str | None:
    """A file's text (a BOM from a spreadsheet export dropped), or None after saying why."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        _err(f"{path}: {exc}")
        return None


async def import_contacts(url: str, path: Path, text: str) -> int:
    """Import CSV text: every bad row reported on stderr, nothing imported if any is bad."""
    parsed = parse_contacts(text)
    if parsed.errors:
        for error in parsed.errors:
            _err(f"{path}: {error}")
        _err(f"{path}: nothing imported ({len(parsed.errors)} error(s))")
        return EXIT_BAD_INPUT
    sessionmaker = make_sessionmaker(url, create=False)
    try:
        added, updated = await upsert_contacts(sessionmaker, parsed.entries)
    except DBAPIError as exc:
        _err(f"database: {exc.orig} (has `escalation db upgrade` been run?)")
        return EXIT_NOT_FOUND
    finally:
        await sessionmaker.kw["bind"].dispose()
    print(f"{path}: {added} contact(s) added, {updated} updated")
    return 0


async def export_record(url: str, case_reference: str, fmt: str) -> tuple[int, str]:
    """The case's record in ``fmt`` (md or html), or exit code 1 when there is none."""
    sessionmaker = make_sessionmaker(url, create=False)
    try:
        files = await load_case(sessionmaker, case_reference)
        # The practice alerts on the case, in plain words: the record carries them too.
        alerts = await briefing(sessionmaker, case_reference)
    except DBAPIError as exc:
        _err(f"database: {exc.orig} (has `escalation db upgrade` been run?)")
        return EXIT_NOT_FOUND, ""
    finally:
        await sessionmaker.kw["bind"].dispose()
    if not files and not alerts:
        _err(f"case_reference: no disagreement recorded for {case_reference}")
        return EXIT_NOT_FOUND, ""
    now = utcnow()
    if fmt == "html":
        return 0, render_html(case_reference, files, now, now, alerts=alerts)
    return 0, render_markdown(case_reference, files, now, alerts=alerts)


async def quarterly_report(
    url: str, quarter: Quarter, procedure: str | None, fmt: str
) -> tuple[int, str]:
    """The quarter's figures in ``fmt`` (text or html)."""
    sessionmaker = make_sessionmaker(url, create=False)
    try:
        figures = await quarter_figures(sessionmaker, quarter, procedure)
    except DBAPIError as exc:
        _err(f"database: {exc.orig} (has `escalation db upgrade` been run?)")
        return EXIT_NOT_FOUND, ""
    finally:
        await sessionmaker.kw["bind"].dispose()
    return 0, report_html(figures) if fmt == "html" else report_text(figures)


def _emit(text: str, out: Path | None) -> int:
    if out is None:
        sys.stdout.write(text)
        return 0
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        _err(f"--out: {exc}")
        return EXIT_BAD_INPUT
    print(f"wrote {out}")
    return 0


def run(args: argparse.Namespace) -> int | None:
    """Run one of this module's commands; None for anybody else's."""
    if args.command == "contacts":
        text = read_text(args.file)
        if text is None:
            return EXIT_BAD_INPUT
        return asyncio.run(import_contacts(_url(args), args.file, text))
    if args.command == "record":
        code, text = asyncio.run(export_record(_url(args), args.case_reference, args.format))
        return code if code else _emit(text, args.out)
    if args.command == "report" and args.report_action is not None:
        return cli_report_schedule.run(args)
    if args.command == "report":
        if args.quarter is None:
            _err("report: give --quarter (e.g. 2026Q4), or `report schedule` / `report schedules`")
            return EXIT_BAD_INPUT
        try:
            quarter = Quarter.parse(args.quarter)
        except ValueError as exc:
            _err(str(exc))
            return EXIT_BAD_INPUT
        if (err := unknown_procedure(args.procedure)) is not None:
            _err(err)
            return EXIT_BAD_INPUT
        code, text = asyncio.run(quarterly_report(_url(args), quarter, args.procedure, args.format))
        return code if code else _emit(text, args.out)
    return None
