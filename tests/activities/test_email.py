"""The email activity against the real SMTP sink: content, directory, refusals, TLS and auth."""

from __future__ import annotations

import email
import email.message
import email.policy
import email.utils
import uuid
from datetime import UTC, datetime

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities, SmtpConfig
from activities.email_render import message_id, render
from activities.records import RecordActivities
from models.common import Person
from models.contacts import ContactEntry
from records.contacts import upsert_contacts
from settings import Settings
from starter.smtp_sink import SmtpSink
from tests.activities.support import BM, disagreement, new_case, notification, rows, smtp_for
from tests.activities.tls import self_signed

SW = Person(role="receiving.practitioner", name="B. Social Worker", email="sw@csc.example")
DSL = Person(role="raising.practitioner", name="A. Teacher", email="dsl@school.example")


def _bodies(msg) -> tuple[str, str]:
    return (
        msg.get_body(preferencelist=("plain",)).get_content(),
        msg.get_body(preferencelist=("html",)).get_content(),
    )


def _people(header) -> list[tuple[str, str]]:
    return [(a.display_name, a.addr_spec) for a in header.addresses]


def test_rendered_email_has_both_parts_a_stable_id_and_the_local_deadline() -> None:
    n = notification("disagreement-CR-1-d1", "CR-1", headline="Stage 2: line managers\n now")
    msg = render(n, "escalations@lscb.example.org")
    assert msg["Subject"] == "[CR-1] Stage 2: line managers now"
    assert msg["Message-ID"] == render(n, "escalations@lscb.example.org")["Message-ID"]
    assert (
        msg["Message-ID"]
        != render(notification("disagreement-CR-1-d1", "CR-1", 2), "x@y.org")["Message-ID"]
    )
    assert msg["Message-ID"].endswith("@lscb.example.org>")
    plain, rich = _bodies(msg)
    assert "Deadline: Wednesday 30 December 2026, 17:00 (UTC+00:00)." in plain
    assert "The disagreement is now at stage 1." in plain
    assert "<strong>Deadline: Wednesday 30 December 2026, 17:00 (UTC+00:00)</strong>" in rich
    assert "<p>The disagreement is now at stage 1.</p>" in rich
    summer = render(
        notification("w", "CR-2", due_at=datetime.fromisoformat("2030-06-17T16:00:00+00:00")),
        "a@b.org",
    )
    assert "Deadline: Monday 17 June 2030, 17:00 (UTC+01:00)." in _bodies(summer)[0]


def _as_received(msg) -> email.message.EmailMessage:
    """``msg`` as a mail client reads it: its bytes parsed again."""
    parsed = email.message_from_bytes(bytes(msg), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_every_message_is_dated_in_local_time_and_its_id_is_on_the_senders_domain() -> None:
    sent = datetime.fromisoformat("2030-06-17T15:05:07.250+00:00")
    n = notification("w", "CR-4")
    msg = _as_received(render(n, "escalations@lscb.example.org", sent_at=sent))
    assert msg["Date"] == "Mon, 17 Jun 2030 16:05:07 +0100"  # BST in the partnership's zone
    assert email.utils.parsedate_to_datetime(msg["Date"]) == sent.replace(microsecond=0)
    winter = _as_received(render(n, "a@b.org", sent_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC)))
    assert winter["Date"] == "Tue, 01 Dec 2026 09:30:00 +0000"
    assert _as_received(render(n, "a@b.org"))["Date"]  # dated even without a given send time
    # The ID's left part is the key's alone; the domain is the sender's, with or without a name.
    plain_from = _as_received(render(n, "escalations@lscb.example.org", sent_at=sent))
    named_from = _as_received(render(n, "LSCB <escalations@lscb.example.org>", sent_at=sent))
    assert plain_from["Message-ID"] == named_from["Message-ID"]
    assert plain_from["Message-ID"] == render(n, "x@lscb.example.org")["Message-ID"]
    assert plain_from["Message-ID"].endswith("@lscb.example.org>")
    assert "localhost" not in plain_from["Message-ID"]
    assert message_id(n.key, "Escalations <escalations@lscb.example.org>") == message_id(
        n.key, "escalations@lscb.example.org"
    )
    assert message_id(n.key, "nobody").endswith("@escalation.invalid>")


def test_without_a_link_the_body_and_footer_give_one_instruction() -> None:
    reply = "Reply with 'resolved' (with the agreed outcome) or 'unresolved' (with the reason)."
    msg = _as_received(render(notification("w", "CR-5", lines=["At stage 1.", reply]), "a@b.org"))
    plain, rich = _bodies(msg)
    assert reply in plain
    assert plain.rstrip().endswith(
        "This address does not read replies: send your reply to the people named in this email."
    )
    assert "not to this address" not in plain and "not to this address" not in rich
    assert "send your reply to the people named in this email." in rich


def test_html_escapes_what_people_typed() -> None:
    n = notification("w", "CR-3", lines=["Outcome: <script>alert(1)</script> & more"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in _bodies(render(n, "a@b.org"))[1]


async def test_unfilled_roles_come_from_the_directory(any_db, mail) -> None:
    wid, case = new_case()
    partnership = f"P-{uuid.uuid4().hex[:8]}"
    await upsert_contacts(
        any_db,
        [
            ContactEntry(
                partnership=partnership,
                agency="children's social care",
                role="line_manager",
                name="D. Team Manager",
                email="tm@csc.example",
            ),
            ContactEntry(
                partnership=partnership,
                agency="Redbridge Primary School",
                role="line_manager",
                name="C. Headteacher",
                email="head@school.example",
            ),
            ContactEntry(
                partnership=partnership,
                agency="",
                role="business_manager",
                name="G. Business Manager",
                email="bm@lscb.example",
            ),
        ],
    )
    await ActivityEnvironment().run(
        RecordActivities(any_db).open_record, disagreement(wid, case, partnership=partnership)
    )
    n = notification(
        wid,
        case,
        partnership=partnership,
        to=[SW],
        unfilled_to=["receiving.line_manager"],
        unfilled_cc=["partnership.business_manager", "partnership.chair"],
    )
    result = await ActivityEnvironment().run(
        EmailActivities(any_db, smtp_for(mail)).send_notification, n
    )
    assert result.recipients == ["sw@csc.example", "tm@csc.example", "bm@lscb.example"]
    [received] = mail.received
    assert _people(received.message["To"]) == [
        ("B. Social Worker", "sw@csc.example"),
        ("D. Team Manager", "tm@csc.example"),
    ]
    assert _people(received.message["Cc"]) == [("G. Business Manager", "bm@lscb.example")]
    assert sorted(received.rcpt_tos) == ["bm@lscb.example", "sw@csc.example", "tm@csc.example"]
    assert await rows(any_db, "SELECT status FROM notifications WHERE key = :k", k=n.key) == [
        ("sent",)
    ]
    [(unfilled,)] = await rows(
        any_db, "SELECT unfilled_roles FROM notifications WHERE key = :k", k=n.key
    )
    assert "partnership.chair" in str(unfilled) and "business_manager" not in str(unfilled)


async def test_permanent_refusal_is_reported_to_the_business_manager_once(any_db, mail) -> None:
    wid, case = new_case()
    acts, env = EmailActivities(any_db, smtp_for(mail)), ActivityEnvironment()
    n = notification(wid, case, to=[SW], business_manager=BM)
    mail.faults.refused_recipients = {SW.email}
    for _ in range(2):  # a retry after the refusal was recorded reports nothing new
        with pytest.raises(ApplicationError) as raised:
            await env.run(acts.send_notification, n)
        assert raised.value.non_retryable and raised.value.type == "PermanentSmtpError"
    [report] = mail.messages
    assert _people(report["To"]) == [("G. Business Manager", "lscb@bm.example")]
    assert report["Subject"] == f"[{case}] Email not delivered: stage_entered"
    plain = _bodies(report)[0]
    assert f'What it was: stage_entered, "[{case}] Stage 1: action needed" ({n.key}).' in plain
    assert "Not delivered to: sw@csc.example" in plain
    assert "550 5.1.1 Recipient address rejected: user unknown" in plain
    assert await rows(
        any_db,
        "SELECT key, kind, status FROM notifications WHERE workflow_id = :w ORDER BY key",
        w=wid,
    ) == [
        (n.key, "stage_entered", "failed"),
        (f"{n.key}/delivery-failed", "delivery_failed", "sent"),
    ]


async def test_some_recipients_refused_the_others_get_it_once_and_the_bm_is_told(
    any_db, mail
) -> None:
    wid, case = new_case()
    partnership = f"P-{uuid.uuid4().hex[:8]}"
    await upsert_contacts(
        any_db,
        [
            ContactEntry(
                partnership=partnership,
                role="business_manager",
                name="G. Directory BM",
                email="bm@dir.example",
            )
        ],
    )
    acts, env = EmailActivities(any_db, smtp_for(mail)), ActivityEnvironment()
    n = notification(wid, case, partnership=partnership, to=[SW, DSL])
    mail.faults.refused_recipients = {DSL.email}
    result = await env.run(acts.send_notification, n)
    assert (result.status, result.recipients) == ("sent", [SW.email])
    again = await env.run(acts.send_notification, n)
    assert again.status == "already_sent"
    original, report = mail.received
    assert original.rcpt_tos == [SW.email]
    assert report.rcpt_tos == ["bm@dir.example"]
    assert "Delivered to: sw@csc.example" in _bodies(report.message)[0]
    [(status, error)] = await rows(
        any_db, "SELECT status, last_error FROM notifications WHERE key = :k", k=n.key
    )
    assert status == "sent" and error.startswith("dsl@school.example: 550")


async def test_starttls_and_auth_against_a_relay_that_requires_both(db, tmp_path) -> None:
    context, cert = self_signed(tmp_path)
    relay = SmtpSink(tls_context=context, credentials={"relay-user": "s3cret"})
    relay.start()
    try:
        good = SmtpConfig(
            host="127.0.0.1",
            port=relay.port,
            starttls=True,
            username="relay-user",
            password="s3cret",
            ca_file=str(cert),
            mail_from="escalations@lscb.example.org",
        )
        wid, case = new_case()
        env = ActivityEnvironment()
        await env.run(EmailActivities(db, good).send_notification, notification(wid, case))
        [received] = relay.received
        assert (received.tls, received.login) == (True, "relay-user")

        wrong = SmtpConfig(**{**good.__dict__, "password": "wrong"})
        n = notification(wid, case, 2)
        with pytest.raises(Exception) as raised:
            await env.run(EmailActivities(db, wrong).send_notification, n)
        assert not isinstance(raised.value, ApplicationError)  # our settings: retried, not dropped
        [(status, error)] = await rows(
            db, "SELECT status, last_error FROM notifications WHERE key = :k", k=n.key
        )
        assert status == "pending" and "535" in error

        untrusted = SmtpConfig(**{**good.__dict__, "ca_file": None})
        with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
            await env.run(
                EmailActivities(db, untrusted).send_notification, notification(wid, case, 3)
            )
        assert len(relay.received) == 1
    finally:
        relay.stop()


def test_relay_settings_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("ESCALATION_SMTP_STARTTLS", "true")
    monkeypatch.setenv("ESCALATION_SMTP_USERNAME", "relay-user")
    monkeypatch.setenv("ESCALATION_SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("ESCALATION_SMTP_CA_FILE", "/etc/ssl/relay.pem")
    config = SmtpConfig.from_settings(Settings())
    assert (config.starttls, config.username, config.password, config.ca_file) == (
        True,
        "relay-user",
        "s3cret",
        "/etc/ssl/relay.pem",
    )
    assert "s3cret" not in repr(Settings())
    assert "s3cret" not in repr(config) and "s3cret" not in str(config)
