"""Learning items: a resolution at a stage with ``learning_notify`` is recorded and emailed.

The test pack's Principal Officer stage tells the pathway lead officer group (whom
the start payload does not name: it goes to the contact directory by role) and the
Partnership Chair; its practitioners stage tells nobody.
"""

from __future__ import annotations

from datetime import timedelta

from models.decisions import Confirmed, Resolved, Unresolved
from tests.fixtures.harness import email_of, mails, payload, running_packs, steps
from tests.workflows.support import at, jump_to, minute

RAISED = at("2027-04-19T10:00:00+01:00")


async def test_resolution_at_a_learning_stage_records_and_tells(env, db, mail) -> None:
    await jump_to(env, RAISED + timedelta(minutes=1))
    async with running_packs(env, db, mail) as h:
        learning = await h.client.open(payload(RAISED))
        plain = await h.client.open(payload(RAISED, disagreement_id="c2"))
        await h.sleep_until(RAISED + timedelta(minutes=5))

        await h.client.resolve(plain, Resolved(by="B. Social Worker", outcome="Agreed"))
        await h.client.confirm(plain, Confirmed(by="B. Social Worker", text="Letter"))
        assert (await h.client.handle(plain).result()).learning_items == []

        await h.client.unresolve(learning, Unresolved(by="A. Health Visitor", reason="No"))
        await h.sleep_until(at("2027-04-21T15:00:00+01:00"))
        receipt = await h.client.resolve(
            learning, Resolved(by="F. Principal Officer", outcome="Multi-agency audit agreed")
        )
        assert receipt is not None and receipt.state == "closed"  # no confirmation at this stage
        result = await h.client.handle(learning).result()
        assert len(result.learning_items) == 1
        item = result.learning_items[0]
        assert (minute(item.at), item.stage_id, item.ladder_id, item.outcome, item.by) == (
            at("2027-04-21T15:00:00+01:00"),
            "principal_officer",
            "individual",
            "Multi-agency audit agreed",
            "F. Principal Officer",
        )
        assert item.notified == ["Pathway lead officer group", "Partnership Chair"]

        rows = await steps(h, learning, "learning_item")
        assert [(r.kind, r.actor, r.text, r.data["notify"]) for r in rows] == [
            (
                "learning_item",
                "F. Principal Officer",
                "Multi-agency audit agreed",
                "partnership.pathway_lead, partnership.chair",
            )
        ]
        assert await steps(h, plain, "learning_item") == []

        sent = await mails(mail, "Learning item: resolved at Stage 2: Principal Officer review")
        assert len(sent) == 1
        assert [a.addr_spec for a in sent[0]["To"].addresses] == [email_of("partnership.chair")]
        body = sent[0].get_body(("plain",)).get_content()
        assert "Agreed outcome: Multi-agency audit agreed" in body
        # The pathway lead group has nobody named: the workflow says so (the email activity
        # looks the role up in the contact directory), and the outbox keeps the learning email.
        assert "learning_item: nobody named for partnership.pathway_lead" in (
            result.notification_failures
        )
        outbox = await h.rows(
            "SELECT kind, subject FROM notifications WHERE workflow_id = :w "
            "AND kind = 'learning_item'",
            w=learning,
        )
        assert [r[1] for r in outbox] == [str(sent[0]["Subject"]).strip()]
