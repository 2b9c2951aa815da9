"""Which emails carry a decision link, and the link each acting person gets.

A link is signed for one person, one case, one stage and one action
(``web/links.py``), so it must reach that person only, and only if they decide
that stage: the email activity sends each decider a message of their own with
their own link, and everybody else one copy without a link. The deciders are the
recipients, in ``to`` or ``cc``, whose role is one of the notification's
``decider_roles`` (the stage's holders): an overdue notice goes *to* the Business
Manager and the Vice Chair with the Chair, who holds the stage, copied, and only
the Chair may decide it. A notification without ``decider_roles`` (sent before
the field existed) gives the links to its ``to`` people, as then. An email gets
links only when the decision page is configured (a link secret), the
notification names the stage the decision is asked for (``stage_id``), and its
kind asks for a decision the page can record (resolved/unresolved, the written
confirmation, or a practice alert stage's response). An adjourned conference waits
for ``conference_reconvened``, which the page cannot record, so those emails carry no
link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.common import Person
from models.notifications import Notification, NotificationKind
from settings import Settings
from web.links import Action, decision_link, default_expiry

ACTION_BY_KIND: dict[NotificationKind, Action] = {
    "stage_entered": "decide",
    "reminder": "decide",
    "overdue": "decide",
    "deadline_changed": "decide",
    "immediate_risk": "decide",
    "resolved": "confirm",
    "confirmation_due": "confirm",
    "confirmation_late": "confirm",
}
"""The decision each kind of email asks its deciders for; other kinds carry no link."""

ALERT_ACTION_BY_KIND: dict[NotificationKind, Action] = {
    "stage_entered": "respond",
    "reminder": "respond",
    "deadline_changed": "respond",
    "overdue": "chair",
}
"""A practice alert's emails to the stage that must respond, and the missed-response notice to
the raising chair, whose link offers exactly the chair's choices (escalate, finalise)."""

WHAT = {
    "decide": (
        "record the decision (resolved, with the agreed outcome, or unresolved, with the reason)"
    ),
    "confirm": "record the written confirmation of the agreed outcome",
    "respond": "record this stage's response to the practice alert (it goes on its case note)",
    "chair": (
        "decide on the practice alert: send it up (or, if it is serious or urgent, straight to "
        "a higher stage), or finalise it once a response is on its case note"
    ),
}


@dataclass(frozen=True)
class DecisionLinks:
    """Where the decision page is and the secret its links are signed with."""

    secret: str = field(repr=False)
    base_url: str = "http://localhost:8088"
    valid_days: int = 14

    @classmethod
    def from_settings(cls, settings: Settings) -> DecisionLinks | None:
        """The page's settings, or None when no ``ESCALATION_LINK_SECRET`` is configured."""
        secret = settings.link_secret.get_secret_value() if settings.link_secret else ""
        if not secret:
            return None
        return cls(secret, settings.web_base_url, settings.link_valid_days)


@dataclass(frozen=True)
class PersonalLink:
    """One acting person's link, as the email shows it."""

    person: Person
    action: Action
    url: str

    @property
    def text(self) -> str:
        """The sentence that introduces the link (same in the text and HTML parts)."""
        return (
            f"{self.person.name}: use this link to {WHAT[self.action]}. It works only for you"
            f" ({self.person.email}), for this case and this stage; please do not forward it."
        )


def action_for(n: Notification, links: DecisionLinks | None) -> Action | None:
    """The action ``n`` asks its deciders for, or None when it carries no links."""
    if links is None or n.stage_id is None:
        return None
    if n.workflow_type == "PracticeAlert":
        return ALERT_ACTION_BY_KIND.get(n.kind)
    return ACTION_BY_KIND.get(n.kind)


def deciders(n: Notification, to: list[Person], cc: list[Person]) -> list[Person]:
    """Who gets a personal link: recipients holding one of ``n.decider_roles``.

    ``to`` and ``cc`` are the resolved recipients (directory look-ups included),
    so a copied stage holder is found wherever the workflow placed them. Without
    ``decider_roles`` the ``to`` people act, as before the field existed.
    """
    if not n.decider_roles:
        return list(to)
    roles = set(n.decider_roles)
    return [p for p in [*to, *cc] if p.role in roles]


def personal_link(
    n: Notification, person: Person, action: Action, links: DecisionLinks, now: datetime
) -> PersonalLink:
    """``person``'s own link for ``n``; it expires ``valid_days`` after the deadline (or now)."""
    assert n.stage_id is not None
    expires = default_expiry(n.due_at or now, links.valid_days)
    if expires <= now:  # a late reminder of a long-passed deadline still gets a usable link
        expires = now + timedelta(days=links.valid_days)
    url = decision_link(
        links.base_url,
        links.secret,
        workflow_id=n.workflow_id,
        stage=n.stage_id,
        email=person.email,
        action=action,
        expires_at=expires,
    )
    return PersonalLink(person, action, url)
