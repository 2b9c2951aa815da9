"""``escalation mail``: the dev stack's mailbox read as a person reads it.

Real messages reach a real SMTP sink writing a Maildir: the product's own email
activity (one message per decider, each with a personal link, and a copy without
one) and a quoted-printable message sent with aiosmtplib, whose long link a raw
reader would see broken. The commands then list, show and give the links.
"""

from __future__ import annotations

import webbrowser
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from activities.email_links import DecisionLinks
from models.common import Person
from starter.cli import main
from starter.smtp_sink import SmtpSink
from tests.activities.support import new_case, notification, smtp_for
from web.links import verify

SECRET = "mail-command-link-secret-0123456789-abcdef"
SOCIAL_WORKER = Person(
    role="receiving.practitioner", name="B. Social Worker", email="sw@csc.example"
)
TEACHER = Person(role="raising.practitioner", name="A. Teacher", email="dsl@school.example")
MANAGER = Person(role="receiving.line_manager", name="D. Team Manager", email="tm@csc.example")
LONG_LINK = "http://127.0.0.1:8088/d/" + "x" * 150


async def _deliver(maildir: Path, db: Any) -> str:
    """A stage-1 email through the real activity and sink, then a quoted-printable one."""
    sink = SmtpSink(maildir=maildir)
    sink.start()
    try:
        wid, case = new_case()
        n = notification(
            wid,
            case,
            stage_id="practitioners",
            to=[SOCIAL_WORKER, TEACHER],
            cc=[MANAGER],
            decider_roles=["receiving.practitioner", "raising.practitioner"],
        )
        links = DecisionLinks(SECRET, "http://localhost:8088", 14)
        acts = EmailActivities(db, smtp_for(sink, links=links))
        assert (await ActivityEnvironment().run(acts.send_notification, n)).status == "sent"
        qp = EmailMessage()
        qp["From"], qp["To"] = "escalations@lscb.example.org", "chair@lscb.example.org"
        qp["Subject"] = "Réunion: décision attendue"
        qp.set_content(
            f"Record the decision here: {LONG_LINK}\n"
            "H. Chair: use this link to record the decision. It works only for you.\n",
            cte="quoted-printable",
        )
        await aiosmtplib.send(qp, hostname="127.0.0.1", port=sink.port)
        await sink.wait_for(4)
    finally:
        sink.stop()
    return wid


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_the_mailbox_lists_shows_and_gives_each_link(
    db: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    maildir = tmp_path / ".escalation" / "mail"
    wid = await _deliver(maildir, db)
    raw = b"".join(p.read_bytes() for p in (maildir / "new").iterdir())
    assert b"=\r\n" in raw  # the quoted-printable body: a soft break inside the link
    monkeypatch.chdir(tmp_path)  # the default mailbox: where escalation dev keeps it

    code, out, err = run(capsys, "mail")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "N  DATE  TO  SUBJECT"
    rows = [line.split("  ") for line in lines[1:]]
    assert [r[0] for r in rows] == ["1", "2", "3", "4"]
    assert all(re_date(r[1]) for r in rows)
    to = [r[2] for r in rows]
    # Each copy names whom it was delivered to: each decider's own, and the copy.
    assert sorted(to[:3]) == sorted(
        f"{p.name} <{p.email}>" for p in (SOCIAL_WORKER, TEACHER, MANAGER)
    )
    assert to[3] == "chair@lscb.example.org"
    assert rows[3][3] == "Réunion: décision attendue"  # the encoded subject, decoded
    assert run(capsys, "mail", "list")[1] == out

    # Each decider's message gives that person's own link; the copy has none.
    for number, row in enumerate(rows[:3], start=1):
        code, out, err = run(capsys, "mail", "link", str(number), "--maildir", str(maildir))
        if MANAGER.email in row[2]:
            assert (code, out) == (1, "")
            assert err.startswith(f"escalation: message {number} carries no decision link")
            continue
        assert (code, err) == (0, "")
        claims = verify(out.strip().rsplit("/", 1)[1], SECRET, datetime.now(UTC))
        assert claims.workflow_id == wid and claims.email in row[2]

    code, out, _ = run(capsys, "mail", "show", "4")
    assert code == 0
    head, _, body = out.partition("\n\n")
    assert "Subject: Réunion: décision attendue" in head.splitlines()
    assert "To: chair@lscb.example.org" in head.splitlines()
    assert f"Record the decision here: {LONG_LINK}" in body.splitlines()  # whole, decoded
    assert "=\n" not in body and "=3D" not in body

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    assert run(capsys, "mail", "link", "4", "--open")[:2] == (0, LONG_LINK + "\n")
    assert opened == [LONG_LINK]


def re_date(text: str) -> bool:
    """A 'YYYY-MM-DD HH:MM' date, as the list shows it."""
    try:
        datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        return False
    return True


def test_a_missing_mailbox_is_named_with_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "mail")
    assert (code, out) == (2, "")
    assert err == (
        f"escalation: no mailbox at {tmp_path / '.escalation' / 'mail'}: escalation dev creates "
        "it when it starts (or give --maildir PATH)\n"
    )
    assert not (tmp_path / ".escalation").exists()  # reading never creates it
    code, _, err = run(capsys, "mail", "show", "1", "--maildir", str(tmp_path / "nowhere"))
    assert code == 2 and f"no mailbox at {tmp_path / 'nowhere'}" in err


def test_an_empty_mailbox_and_a_wrong_number_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sink = SmtpSink(maildir=tmp_path / "mail")
    sink.start()
    sink.stop()
    where = ["--maildir", str(tmp_path / "mail")]
    assert run(capsys, "mail", "list", *where) == (0, f"no messages in {tmp_path / 'mail'}\n", "")
    code, out, err = run(capsys, "mail", "show", "1", *where)
    assert (code, out) == (2, "")
    assert err == (
        f"escalation: no message 1 in {tmp_path / 'mail'} (it holds 0; escalation mail lists "
        "them)\n"
    )
