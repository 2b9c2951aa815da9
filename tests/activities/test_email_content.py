"""No content can stop an email: unsafe names are made safe, the unrenderable fail for good.

Names, agencies and headlines reach the email activity from start payloads and
the contact directory. Before, a name with ``\\r\\n``, ``\\x0b`` or ``\\x1c`` made
the email library raise on every attempt for three days, with the outbox row
``pending`` and nobody told. Now header values are cleaned (the email goes out,
and no header is added), and whatever still cannot be rendered is a permanent
failure: recorded with the reason, reported to the Business Manager, never
retried. Through the real SMTP sink and both databases.
"""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest
from aiosmtplib.email import flatten_message
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from activities.email_links import PersonalLink
from activities.email_render import header_text, render
from models.common import Person
from tests.activities.support import BM, new_case, notification, rows, smtp_for


def _person(role: str, name: str, email: str) -> Person:
    """A person as an older start payload or directory row may hold them (unvalidated name)."""
    return Person.model_construct(role=role, name=name, email=email, agency=None)


INJECTING = _person("receiving.practitioner", "B. Social\r\nBcc: x@y.example", "sw@csc.example")
VTAB = _person("raising.practitioner", "A.\x0bTeacher", "dsl@school.example")
SEPARATOR = _person("partnership.chair", "C.\x1cChair\u2028Person", "chair@lscb.example")


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("B. Social\r\nBcc: x@y.example", "B. Social Bcc: x@y.example"),
        ("A.\x0bTeacher", "A. Teacher"),
        ("C.\x1cChair\x85\u2028\u2029x", "C. Chair x"),
        ("nul\x00 and \ud800 surrogate", "nul and surrogate"),
        ("Zoë Ñandú  O'Brien", "Zoë Ñandú O'Brien"),
    ],
)
def test_header_text_keeps_one_line_of_printable_text(text: str, clean: str) -> None:
    assert header_text(text) == clean


async def test_control_characters_in_names_and_headline_are_sent_safely(any_db, mail) -> None:
    wid, case = new_case()
    n = notification(
        wid,
        case,
        to=[INJECTING, VTAB],
        cc=[SEPARATOR],
        headline="Stage 1:\x1caction\r\nX-Injected: yes",
        business_manager=BM,
    )
    result = await ActivityEnvironment().run(
        EmailActivities(any_db, smtp_for(mail)).send_notification, n
    )
    assert result.status == "sent"
    [received] = mail.received
    assert sorted(received.rcpt_tos) == sorted(
        ["sw@csc.example", "dsl@school.example", "chair@lscb.example"]
    )  # nobody added by a name
    msg = received.message
    assert msg["Bcc"] is None and msg["X-Injected"] is None
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        ("B. Social Bcc: x@y.example", "sw@csc.example"),
        ("A. Teacher", "dsl@school.example"),
    ]
    assert [(a.display_name, a.addr_spec) for a in msg["Cc"].addresses] == [
        ("C. Chair Person", "chair@lscb.example")
    ]
    assert msg["Subject"] == f"[{case}] Stage 1: action X-Injected: yes"
    assert await rows(any_db, "SELECT status FROM notifications WHERE key = :k", k=n.key) == [
        ("sent",)
    ]


async def test_an_unrenderable_email_fails_for_good_and_the_bm_is_told_once(any_db, mail) -> None:
    wid, case = new_case()
    acts, env = EmailActivities(any_db, smtp_for(mail)), ActivityEnvironment()
    # A lone surrogate cannot be encoded in any charset: the body cannot be rendered.
    n = notification(
        wid, case, to=[INJECTING], cc=[VTAB], lines=["Bad \ud800 text"], business_manager=BM
    )
    with pytest.raises(UnicodeEncodeError):  # what the email library raises for it
        render(n, "escalations@lscb.example.org")
    for _ in range(2):  # a retry finds the failure recorded and reports nothing new
        with pytest.raises(ApplicationError) as raised:
            await env.run(acts.send_notification, n)
        assert raised.value.non_retryable and raised.value.type == "PermanentSmtpError"
        assert "could not be rendered" in str(raised.value)
    [report] = mail.received  # nothing went to the case's people; the BM heard once
    assert report.rcpt_tos == [BM.email]
    assert report.message["Subject"] == f"[{case}] Email not delivered: stage_entered"
    plain = report.message.get_body(preferencelist=("plain",)).get_content()
    assert "Not delivered to: sw@csc.example, dsl@school.example" in plain
    assert "message could not be rendered: UnicodeEncodeError" in plain
    [(status, error)] = await rows(
        any_db, "SELECT status, last_error FROM notifications WHERE key = :k", k=n.key
    )
    assert status == "failed"
    assert error.startswith("sw@csc.example: message could not be rendered: UnicodeEncodeError")
    assert await rows(
        any_db, "SELECT status FROM notifications WHERE key = :k", k=f"{n.key}/delivery-failed"
    ) == [("sent",)]


async def test_one_unrenderable_personal_copy_fails_the_email_before_any_is_sent(db, mail) -> None:
    """Rendering all messages first: the email is failed whole, never half-delivered."""
    from activities.email_links import DecisionLinks

    wid, case = new_case()
    links = DecisionLinks("x" * 32, "https://decide.lscb.example/", 14)
    n = notification(
        wid, case, stage_id="stage-1", to=[INJECTING, VTAB], headline="ok", business_manager=BM
    )
    # The second decider's link text carries their name into the body: a surrogate breaks it.
    bad = _person("raising.practitioner", "A. \ud800", "dsl@school.example")
    n = n.model_copy(update={"to": [INJECTING, bad]})
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(
            EmailActivities(db, smtp_for(mail, links=links)).send_notification, n
        )
    assert raised.value.non_retryable
    assert [m.rcpt_tos for m in mail.received] == [[BM.email]]


LONG_LINK = "https://decisions.lscb.example.org/d/" + "t0k3n" * 30 + "?action=resolved"


def test_a_decision_link_stays_whole_in_the_raw_message_and_is_still_sent_7bit() -> None:
    """Read raw (the dev mailbox, a forwarded source), the link is one unbroken line.

    Quoted-printable would cut it with soft line breaks; the text and HTML parts
    go 8bit, and a relay without 8BITMIME still gets a clean 7-bit message.
    """
    person = Person(role="receiving.practitioner", name="Zoë Ødegård", email="sw@csc.example")
    link = PersonalLink(person=person, action="decide", url=LONG_LINK)
    n = notification("disagreement-CR-1", "CR-1", to=[person])
    msg = render(n, "escalations@lscb.example.org", link=link)
    raw = msg.as_bytes()
    assert raw.count(LONG_LINK.encode()) >= 2  # the text part and the HTML href, each whole
    assert "Zoë Ødegård".encode() in raw  # 8bit: read raw, the name is the name
    assert [p.get("Content-Transfer-Encoding") for p in msg.walk() if not p.is_multipart()] == [
        "8bit",
        "8bit",
    ]
    seven = flatten_message(msg, cte_type="7bit")
    assert max(seven) < 0x80
    reparsed = message_from_bytes(seven, policy=default)
    assert isinstance(reparsed, EmailMessage)
    body = reparsed.get_body(("plain",))
    assert body is not None and LONG_LINK in body.get_content()


def test_a_line_too_long_for_8bit_keeps_quoted_printable() -> None:
    n = notification("disagreement-CR-1", "CR-1", lines=["x" * 1200])
    msg = render(n, "escalations@lscb.example.org")
    plain = msg.get_body(("plain",))
    assert plain is not None and plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert "x" * 1200 in plain.get_content()
