"""README cannot drift from the product: its commands parse, its tour's mail step works.

Every ``escalation ...`` command line in README.md's ``sh`` blocks is parsed with the
real CLI parser (``starter.cli.build_parser``), a command continued with a trailing
backslash joined into one; comments and other programs' lines (``make``, ``temporal``,
a here-document's body) are skipped. The tour's Python snippet that prints the decision
links from the SMTP sink's Maildir is run on a Maildir the real email activity wrote.
README stays under 250 lines, and every relative link in README.md, CONTRIBUTING.md,
CHANGELOG.md and docs/ points at a file (and heading) that exists. The practice alert
commands of docs/procedures.md are run for real in
tests/workflows/test_practice_alert_readme.py.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from activities.email_links import DecisionLinks
from models.common import Person
from starter.cli import build_parser
from starter.smtp_sink import SmtpSink
from tests.activities.support import new_case, notification, smtp_for
from web.links import verify

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
DOCS = [
    README,
    ROOT / "CONTRIBUTING.md",
    ROOT / "CHANGELOG.md",
    *sorted((ROOT / "docs").glob("*.md")),
]
HEREDOC = re.compile(r"<<-?\s*'?\"?(\w+)'?\"?")
SECRET = "readme-link-secret-0123456789-abcdef"


def sh_blocks(text: str) -> list[str]:
    """The bodies of the ```sh fenced blocks, in order."""
    return re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)


def escalation_commands(text: str) -> list[str]:
    """Each ``escalation ...`` command of the sh blocks, continuation lines joined."""
    commands: list[str] = []
    for block in sh_blocks(text):
        lines = block.replace("\\\n", " ").splitlines()
        ending: str | None = None
        for line in lines:
            stripped = line.strip()
            if ending is not None:  # a here-document's body is another program's input
                ending = None if stripped == ending else ending
                continue
            if (heredoc := HEREDOC.search(stripped)) is not None:
                ending = heredoc.group(1)
            if stripped.split(maxsplit=1)[:1] == ["escalation"]:
                commands.append(stripped)
    return commands


def test_every_escalation_command_in_the_readme_parses() -> None:
    commands = escalation_commands(README.read_text(encoding="utf-8"))
    parser = build_parser()
    for command in commands:
        argv = shlex.split(command, comments=True)[1:]
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                parser.parse_args(argv)
        except SystemExit as exc:  # argparse's way of refusing
            pytest.fail(f"README: {command!r} does not parse: {err.getvalue().strip()} ({exc})")
    # The tour: open, decide, escalate, export (the README shows each).
    subcommands = {shlex.split(c, comments=True)[1] for c in commands}
    assert {"start", "status", "deadline", "resolve", "confirm", "unresolve"} <= subcommands
    assert {"list", "overdue", "record", "report"} <= subcommands


def test_continued_lines_and_here_documents_are_read_as_a_shell_would() -> None:
    text = (
        "```sh\n"
        "# escalation start commented-out.json\n"
        'escalation resolve wid --by "A B" \\\n    --outcome "x y"\n'
        "python - <<'EOF'\nescalation = 1\nEOF\n"
        "make dev\n"
        "```\n"
    )
    assert escalation_commands(text) == ['escalation resolve wid --by "A B"      --outcome "x y"']


def test_the_readme_stays_short() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines < 250, f"README.md has {lines} lines; move reference material to docs/"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def test_every_relative_link_in_the_docs_resolves() -> None:
    broken: list[str] = []
    for doc in DOCS:
        text = re.sub(r"^```.*?^```", "", doc.read_text(encoding="utf-8"), flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):  # http(s), mailto: not ours to check
                continue
            path_part, _, anchor = target.partition("#")
            where = (doc.parent / path_part).resolve() if path_part else doc
            if not where.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and where.suffix == ".md" and anchor not in _anchors(where):
                broken.append(f"{doc.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


async def test_the_tours_snippet_prints_each_deciders_link_from_the_maildir(db, tmp_path) -> None:
    """Step 2 of the tour, on a Maildir the real email activity wrote through the SMTP sink."""
    [snippet] = [b for b in sh_blocks(README.read_text(encoding="utf-8")) if "mailbox.Maildir" in b]
    program = snippet.split("<<'EOF'\n", 1)[1].rsplit("EOF", 1)[0]
    home = tmp_path / "home"  # ESCALATION_HOME: the snippet finds the Maildir from anywhere
    sink = SmtpSink(maildir=home / "mail")
    sink.start()
    try:
        links = DecisionLinks(SECRET, "http://localhost:8088", 14)
        social_worker = Person(
            role="receiving.practitioner", name="B. Social Worker", email="sw@csc.example"
        )
        teacher = Person(role="raising.practitioner", name="A. Teacher", email="dsl@school.example")
        wid, case = new_case()
        n = notification(wid, case, stage_id="practitioners", to=[social_worker, teacher])
        acts = EmailActivities(db, smtp_for(sink, links=links))
        assert (await ActivityEnvironment().run(acts.send_notification, n)).status == "sent"
    finally:
        sink.stop()
    out = subprocess.run(
        [sys.executable, "-"],
        input=program,
        cwd=tmp_path,
        env={**os.environ, "ESCALATION_HOME": str(home)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    found = dict(tuple(part.strip() for part in line.split("|")) for line in out.splitlines())
    assert set(found) == {"B. Social Worker", "A. Teacher"}
    for person in (social_worker, teacher):
        assert found[person.name].startswith("http://localhost:8088/d/")
        claims = verify(found[person.name].rsplit("/", 1)[1], SECRET, datetime.now(UTC))
        assert (claims.workflow_id, claims.email, claims.action) == (wid, person.email, "decide")
