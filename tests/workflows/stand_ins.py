"""Same-name stand-ins for real activities, for the paths real parts cannot reach in a test.

``create_worker(stand_ins=[...])`` (and ``running(..., stand_ins=...)``) puts each in
place of the activity of its function name and keeps every other activity real.
"""

from __future__ import annotations

from temporalio import activity

from models.notifications import Notification, NotificationResult


@activity.defn(name="send_notification")
async def send_notification(n: Notification) -> NotificationResult:
    """Every attempt cut off before it can mark its outbox row.

    What a relay that accepts the connection and never answers, or workers killed
    mid-send, look like to the workflow: Temporal's three days for the email run out
    and no attempt of the real activity was left to say so.
    """
    raise RuntimeError("attempt cut off")
