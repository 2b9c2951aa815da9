"""Decision links in emails, through the real SMTP sink: each acting person gets their own.

A link works only for the person, case and stage it names, so the activity sends
each ``to`` person a message of their own carrying their link, and the copied
people a message without one. These tests read what the sink received (who it
went to, what the text and HTML parts say) and check every link with the
decision page's own verification.
"""

from __future__ import annotations

import email.utils
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from activities.email_links import DecisionLinks
from models.common import Person
from models.contacts import ContactEntry
from records.contacts import upsert_contacts
from settings import Settings
from starter.smtp_sink import ReceivedMail
from tests.activities.support import BM, new_case, notification, rows, smtp_for
from web.links import LinkClaims, verify

SECRET = "test-link-secret-0123456789-abcdef"
LINKS = DecisionLinks(SECRET, "https://decide.lscb.example/", 14)
SW = Person(role="receiving.practitioner", name="B. Social Worker", email="sw@csc.example")
DSL = Person(role="raising.practitioner", name="A. Teacher", email="DSL@school.example")
DUE = datetime.fromisoformat("2026-12-30T17:00:00+00:00")
NOW = datetime(2026, 12, 22, 9, 0, tzinfo=UTC)
TOKEN = re.compile(r"https://decide\.lscb\.example/d/([A-Za-z0-9_.-]+)")
VICE_CHAIR = Person(role="partnership.vice_chair", name="V. Vice Chair", email="vc@lscb.example")
CHAIR = Person(role="partnership.chair", name="C. Chair", email="chair@lscb.example")


def _parts(mail: ReceivedMail) -> tuple[str, str]:
    msg = mail.message
    return (
        msg.get_body(preferencelist=("plain",)).get_content(),
        msg.get_body(preferencelist=("html",)).get_content(),
    )


def _claims(mail: ReceivedMail) -> list[LinkClaims]:
    """Every link in the message (text and HTML parts), verified as the page verifies it."""
    plain, rich = _parts(mail)
    tokens = TOKEN.findall(plain)
    assert sorted(TOKEN.findall(rich)) == sorted(tokens)  # the same link in both parts
    return [verify(t, SECRET, NOW) for t in tokens]


def _json(value: object) -> object:
    """A JSON column as read by a raw query (text on SQLite, decoded on PostgreSQL)."""
    return json.loads(value) if isinstance(value, str) else value


def _to(received: list[ReceivedMail], address: str) -> ReceivedMail:
    [mail] = [m for m in received if m.rcpt_tos == [address]]
    return mail


async def test_each_acting_person_gets_their_own_link_and_nobody_elses(any_db, mail) -> None:
    wid, case = new_case()
    acts = EmailActivities(any_db, smtp_for(mail, links=LINKS))
    n = notification(wid, case, stage_id="stage-2", to=[SW, DSL], cc=[BM])
    result = await ActivityEnvironment().run(acts.send_notification, n)
    assert result.status == "sent"
    assert sorted(result.recipients) == sorted([SW.email, DSL.email, BM.email])
    # One message per acting person, sent to them alone, and one copy for the copied.
    assert sorted(tuple(m.rcpt_tos) for m in mail.received) == sorted(
        [(SW.email,), (DSL.email,), (BM.email,)]
    )
    for person in (SW, DSL):
        own = _to(mail.received, person.email)
        [claims] = _claims(own)
        assert (claims.workflow_id, claims.stage, claims.email, claims.action) == (
            wid,
            "stage-2",
            person.email.lower(),
            "decide",
        )
        assert claims.expires_at == DUE + timedelta(days=14)
        plain, rich = _parts(own)
        assert f"{person.name}: use this link to record the decision" in plain
        assert f"It works only for you ({person.email})" in plain
        assert "Open the decision page</a>" in rich
        # Everybody sees who else was told, as in one group email.
        assert [a.addr_spec for a in own.message["To"].addresses] == [SW.email, DSL.email]
        assert [a.addr_spec for a in own.message["Cc"].addresses] == [BM.email]
    copy = _to(mail.received, BM.email)
    assert _claims(copy) == []
    assert "/d/" not in _parts(copy)[0] and "/d/" not in _parts(copy)[1]
    ids = {str(m.message["Message-ID"]) for m in mail.received}
    assert len(ids) == 3 and str(copy.message["Message-ID"]) == result.message_id
    # One outbox row for the notification, as for any email.
    [(status, to, cc, mid)] = await rows(
        any_db,
        "SELECT status, recipients, cc, message_id FROM notifications WHERE key = :k",
        k=n.key,
    )
    assert (status, _json(to), _json(cc), mid) == (
        "sent",
        [SW.email, DSL.email],
        [BM.email],
        result.message_id,
    )
    # A retried activity sends nothing again.
    again = await ActivityEnvironment().run(acts.send_notification, n)
    assert again.status == "already_sent" and len(mail.received) == 3


async def test_a_resolution_asks_the_confirmer_for_the_written_confirmation(db, mail) -> None:
    wid, case = new_case()
    acts = EmailActivities(db, smtp_for(mail, links=LINKS))
    n = notification(wid, case, kind="resolved", stage_id="stage-1", to=[SW], cc=[DSL])
    await ActivityEnvironment().run(acts.send_notification, n)
    [claims] = _claims(_to(mail.received, SW.email))
    assert (claims.email, claims.stage, claims.action) == (SW.email, "stage-1", "confirm")
    assert "record the written confirmation" in _parts(_to(mail.received, SW.email))[0]
    assert _claims(_to(mail.received, DSL.email)) == []


async def test_no_link_without_the_page_the_stage_or_a_decision_to_ask_for(db, mail) -> None:
    wid, case = new_case()
    cases = [
        (smtp_for(mail), {"stage_id": "stage-1"}),  # no link secret configured
        (smtp_for(mail, links=LINKS), {}),  # the workflow named no stage
        (smtp_for(mail, links=LINKS), {"stage_id": "stage-1", "kind": "conference_adjourned"}),
        (smtp_for(mail, links=LINKS), {"stage_id": "stage-1", "kind": "closed"}),
    ]
    for i, (smtp, extra) in enumerate(cases, start=1):
        n = notification(wid, case, i, to=[SW, DSL], **extra)
        await ActivityEnvironment().run(EmailActivities(db, smtp).send_notification, n)
        [one] = [m for m in mail.received if m.message["X-Escalation-Key"] == n.key]
        assert sorted(one.rcpt_tos) == sorted([SW.email, DSL.email]), extra
        assert "/d/" not in _parts(one)[0], extra


def test_links_are_configured_from_the_environment(monkeypatch) -> None:
    assert DecisionLinks.from_settings(Settings()) is None
    monkeypatch.setenv("ESCALATION_LINK_SECRET", SECRET)
    monkeypatch.setenv("ESCALATION_WEB_BASE_URL", "https://decide.lscb.example")
    monkeypatch.setenv("ESCALATION_LINK_VALID_DAYS", "7")
    links = DecisionLinks.from_settings(Settings())
    assert links == DecisionLinks(SECRET, "https://decide.lscb.example", 7)
    assert SECRET not in repr(links)


async def test_an_overdue_notice_links_only_the_copied_stage_holder(any_db, mail) -> None:
    """Sent *to* the BM and the Vice Chair, the Chair copied: only the Chair decides the stage."""
    wid, case = new_case()
    acts = EmailActivities(any_db, smtp_for(mail, links=LINKS))
    n = notification(
        wid,
        case,
        kind="overdue",
        stage_id="stage-4",
        to=[BM, VICE_CHAIR],
        cc=[CHAIR],
        decider_roles=["partnership.chair"],
    )
    result = await ActivityEnvironment().run(acts.send_notification, n)
    assert sorted(result.recipients) == sorted([BM.email, VICE_CHAIR.email, CHAIR.email])
    # The Chair alone gets a message of their own; the others share one without a link.
    assert sorted(sorted(m.rcpt_tos) for m in mail.received) == sorted(
        [[CHAIR.email], sorted([BM.email, VICE_CHAIR.email])]
    )
    [claims] = _claims(_to(mail.received, CHAIR.email))
    assert (claims.email, claims.stage, claims.action) == (CHAIR.email, "stage-4", "decide")
    [copy] = [m for m in mail.received if CHAIR.email not in m.rcpt_tos]
    assert _claims(copy) == [] and "/d/" not in _parts(copy)[0] + _parts(copy)[1]
    assert str(copy.message["Message-ID"]) == result.message_id
    for m in mail.received:  # everyone still sees the same To and Cc
        assert [a.addr_spec for a in m.message["To"].addresses] == [BM.email, VICE_CHAIR.email]
        assert [a.addr_spec for a in m.message["Cc"].addresses] == [CHAIR.email]


async def test_a_stage_holder_found_in_the_directory_gets_the_link(db, mail) -> None:
    wid, case = new_case()
    partnership = f"P-{uuid.uuid4().hex[:8]}"
    await upsert_contacts(
        db,
        [
            ContactEntry(
                partnership=partnership, role="chair", name="C. Dir Chair", email=CHAIR.email
            )
        ],
    )
    n = notification(
        wid,
        case,
        partnership=partnership,
        kind="overdue",
        stage_id="stage-4",
        to=[VICE_CHAIR],
        unfilled_cc=["partnership.chair"],
        decider_roles=["partnership.chair", "partnership.independent_chair"],
    )
    await ActivityEnvironment().run(
        EmailActivities(db, smtp_for(mail, links=LINKS)).send_notification, n
    )
    [claims] = _claims(_to(mail.received, CHAIR.email))
    assert claims.email == CHAIR.email
    assert _claims(_to(mail.received, VICE_CHAIR.email)) == []


async def test_deciders_among_the_to_people_only_get_links(db, mail) -> None:
    """decider_roles also narrows the ``to`` list: a non-holder there gets no link."""
    wid, case = new_case()
    n = notification(
        wid, case, stage_id="stage-1", to=[SW, DSL], decider_roles=["receiving.practitioner"]
    )
    await ActivityEnvironment().run(
        EmailActivities(db, smtp_for(mail, links=LINKS)).send_notification, n
    )
    assert len(_claims(_to(mail.received, SW.email))) == 1
    assert _claims(_to(mail.received, DSL.email)) == []


REPLY = "Reply with 'resolved' (with the agreed outcome) or 'unresolved' (with the reason)."


async def test_the_link_is_the_first_instruction_and_nothing_contradicts_it(any_db, mail) -> None:
    wid, case = new_case()
    acts = EmailActivities(any_db, smtp_for(mail, links=LINKS))
    n = notification(wid, case, stage_id="stage-2", to=[SW], cc=[BM], lines=["At stage 1.", REPLY])
    await ActivityEnvironment().run(acts.send_notification, n)
    own, copy = _to(mail.received, SW.email), _to(mail.received, BM.email)
    # Read as a mail client reads it: dated, the ID on the sender's domain.
    for received in (own, copy):
        assert email.utils.parsedate_to_datetime(received.message["Date"]).tzinfo is not None
        assert str(received.message["Message-ID"]).endswith("@lscb.example.org>")
    plain, rich = _parts(own)
    body = [line for line in plain.splitlines() if line.strip()]
    [url] = TOKEN.findall(plain)
    # The headline, then the link: the first thing to do.
    assert body[1] == f"Record your decision here: https://decide.lscb.example/d/{url}"
    assert body[2].startswith(f"{SW.name}: use this link to record the decision")
    assert body[3] == (
        "If you cannot use the link, tell the people named in this email 'resolved' "
        "(with the agreed outcome) or 'unresolved' (with the reason)."
    )
    assert body[4] == "At stage 1."
    assert REPLY not in plain and "Reply with" not in rich
    assert body[-1] == (
        "This address does not read replies: use the link above, or tell the people named "
        "in this email."
    )
    assert "not to this address" not in plain and "not to this address" not in rich
    assert rich.index("Record your decision here:") < rich.index("<p>At stage 1.</p>")
    assert "use the link above, or tell the people named in this email." in rich
    # The copy without a link keeps the reply instruction, and its footer agrees with it.
    plain = _parts(copy)[0]
    assert REPLY in plain and "Record your decision here" not in plain
    assert plain.rstrip().endswith(
        "This address does not read replies: send your reply to the people named in this email."
    )
