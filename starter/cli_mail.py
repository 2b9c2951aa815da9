"""``escalation mail``: read the dev stack's mailbox (the SMTP sink's Maildir) in a terminal.

``escalation dev`` keeps every message it sends in a Maildir, one file each. Read
raw, those files are MIME: quoted-printable or base64 bodies, encoded headers, a
decision link a person has to dig out. These commands list the messages, print one
decoded as a mail reader would, and give the decision link of one (and open it),
so the tour's "click the link in the email" works with nothing else installed.

Messages are numbered oldest first, so a number stays the same as new mail arrives.
Exit codes: 0 done, 1 the message has no decision link, 2 bad input (no mailbox at
the path, no such message number).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import itertools
import mailbox
import re
import sys
import webbrowser
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from starter.cli_common import EXIT_BAD_INPUT, EXIT_REFUSED, fail

HEADERS = ("From", "To", "Cc", "Date", "Subject")
"""The headers ``mail show`` prints, in a mail reader's order."""

COLUMNS = ("N", "DATE", "TO", "SUBJECT")

LINK_LINE = re.compile(r":\s+(https?://\S+)\s*$")
"""The line carrying the link: '<what to record> here: URL' (templates/email.txt)."""


def default_maildir() -> Path:
    """Where ``escalation dev`` keeps its mail: ``mail`` in the stack's state directory.

    Taken from the dev stack's own ``--state-dir`` default rather than written here
    a second time, so the mailbox read is the one the stack writes even when that
    default moves (an ``ESCALATION_HOME`` state directory).
    """
    from starter import devstack

    probe = argparse.ArgumentParser(add_help=False)
    devstack.add_arguments(probe)
    state = probe.get_default("state_dir")
    return Path(state if state is not None else ".escalation") / "mail"


def _maildir_arg(p: argparse.ArgumentParser, default: object) -> None:
    p.add_argument(
        "--maildir",
        type=Path,
        default=default,
        metavar="PATH",
        help=f"The SMTP sink's Maildir (default: {default_maildir()}, where escalation dev "
        "keeps it)",
    )


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``escalation mail [list|show N|link N]``."""
    mail = sub.add_parser(
        "mail", help="Read the dev stack's mailbox: list messages, show one, open its link"
    )
    _maildir_arg(mail, None)
    actions = mail.add_subparsers(dest="mail_command", metavar="{list,show,link}")
    # A subcommand's own --maildir wins; left out, it keeps the one given before it.
    p = actions.add_parser("list", help="List the messages: number, date, to, subject")
    _maildir_arg(p, argparse.SUPPRESS)
    p = actions.add_parser("show", help="Print one message decoded: its headers and text")
    p.add_argument("number", type=int, help="The message's number (escalation mail lists them)")
    _maildir_arg(p, argparse.SUPPRESS)
    p = actions.add_parser("link", help="Print the decision link a message carries")
    p.add_argument("number", type=int, help="The message's number (escalation mail lists them)")
    p.add_argument("--open", action="store_true", help="Also open the link in a web browser")
    _maildir_arg(p, argparse.SUPPRESS)


@dataclass(frozen=True)
class Mail:
    """One message of the mailbox, parsed, with its number and when it arrived."""

    number: int
    message: EmailMessage
    received: datetime

    @property
    def date(self) -> datetime:
        """The message's Date header, or when the sink received it if it has none."""
        try:
            return parsedate_to_datetime(str(self.message["Date"])).astimezone()
        except (TypeError, ValueError):
            return self.received


def read_mailbox(path: Path) -> list[Mail]:
    """Every message in the Maildir at ``path``, oldest first, numbered from 1.

    Raises:
        FileNotFoundError: ``path`` is not a Maildir (nothing created there).
    """
    if not (path / "new").is_dir() and not (path / "cur").is_dir():
        raise FileNotFoundError(path)
    box = mailbox.Maildir(path, create=False)
    found: list[tuple[float, str, bytes]] = []
    for key in box.keys():
        found.append((box.get_message(key).get_date(), key, box.get_bytes(key)))
    mails = []
    for number, (when, _, raw) in enumerate(sorted(found), start=1):
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        mails.append(Mail(number, message, datetime.fromtimestamp(when).astimezone()))
    return mails


def text_of(message: EmailMessage) -> str:
    """The message's text as a person reads it: the plain part, decoded."""
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        return "(this message has no text part)"
    return str(body.get_content()).rstrip("\n")


def decision_link(message: EmailMessage) -> str | None:
    """The personal decision link in the message's text, or None if it carries none.

    The link's line is followed by the sentence naming whom it is for ("NAME: use
    this link to ..."); other URLs in the text (none today) are not taken for it.
    """
    lines = text_of(message).splitlines()
    for line, following in itertools.pairwise(lines):
        found = LINK_LINE.search(line)
        if found and ": use this link to " in following:
            return found.group(1)
    return None


def recipient(message: EmailMessage) -> str:
    """Whom this copy was delivered to, by name where the headers give one.

    The sink records the envelope recipient as ``Delivered-To`` (a decider's own
    copy carries the same To and Cc as everybody's); a message without it (written
    by something else) shows its To header.
    """
    delivered = [str(v) for v in message.get_all("Delivered-To") or []]
    if not delivered:
        return str(message["To"] or "-")
    named: dict[str, str] = {}
    for header in ("To", "Cc"):
        for address in getattr(message[header], "addresses", ()):
            name = address.display_name  # unquoted: 'A. Teacher', not '"A. Teacher"'
            spec = address.addr_spec
            named[spec.lower()] = f"{name} <{spec}>" if name else spec
    return ", ".join(named.get(d.lower(), d) for d in delivered)


def _row(mail: Mail) -> str:
    to = recipient(mail.message)
    return "  ".join(
        (str(mail.number), f"{mail.date:%Y-%m-%d %H:%M}", to, str(mail.message["Subject"]))
    )


def _pick(mails: list[Mail], number: int, path: Path) -> Mail | None:
    if 1 <= number <= len(mails):
        return mails[number - 1]
    fail(
        f"no message {number} in {path} (it holds {len(mails)}; escalation mail lists them)",
        EXIT_BAD_INPUT,
    )
    return None


def _list(mails: list[Mail], path: Path) -> int:
    if not mails:
        print(f"no messages in {path}")
        return 0
    print("  ".join(COLUMNS))
    for mail in mails:
        print(_row(mail))
    return 0


def _show(mail: Mail) -> int:
    for name in HEADERS:
        if mail.message[name] is not None:
            print(f"{name}: {mail.message[name]}")
    if mail.message["Delivered-To"] is not None:
        print(f"Delivered to: {recipient(mail.message)}")
    print()
    print(text_of(mail.message))
    return 0


def _link(mail: Mail, open_it: bool) -> int:
    link = decision_link(mail.message)
    if link is None:
        return fail(
            f"message {mail.number} carries no decision link (only the people who must decide "
            "get one, each in a message of their own)",
            EXIT_REFUSED,
        )
    print(link)
    if open_it:
        sys.stdout.flush()
        webbrowser.open(link)
    return 0


def run(args: argparse.Namespace) -> int | None:
    """Run a ``mail`` command; None for anybody else's command."""
    if args.command != "mail":
        return None
    path: Path = args.maildir or default_maildir()
    try:
        mails = read_mailbox(path)
    except FileNotFoundError:
        return fail(
            f"no mailbox at {path.absolute()}: escalation dev creates it when it starts "
            "(or give --maildir PATH)",
            EXIT_BAD_INPUT,
        )
    command = args.mail_command or "list"
    if command == "list":
        return _list(mails, path)
    mail = _pick(mails, args.number, path)
    if mail is None:
        return EXIT_BAD_INPUT
    return _show(mail) if command == "show" else _link(mail, args.open)
