"""What earlier attempts of one email activity delivered, kept where the database cannot lose it.

The outbox row in the database says whether a notification was sent, but the
database may be unreachable just when the relay has accepted a message: the row
cannot be marked, the activity fails, and Temporal retries it. Before this
ledger the retry found the row still ``pending`` and sent the message again.

So every message the relay accepts (and every recipient it refuses for good) is
also written to the activity's heartbeat details the moment it happens. Temporal
keeps the latest details with the activity and hands them to the next attempt
(the SDK flushes them with the failure), so a retry skips what was delivered and
only records it. The database is then needed to *record* an email, never to
*send* it: a relay that is up delivers while the database is down, and the row
catches up when it is back.

The guarantee is at-least-once, deliberately: a lost escalation email is worse
than a duplicate. A message is sent again only if the worker dies between the
relay's acceptance and the heartbeat reaching Temporal (a few milliseconds), and
then it carries the same Message-ID, so mail clients and archives recognise it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import activity

from records.schema import utcnow


@dataclass
class Ledger:
    """Messages delivered (by Message-ID) and recipients refused for good, so far."""

    delivered: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_earlier_attempts(cls) -> Ledger:
        """The ledger the previous attempt of this activity left (empty on the first)."""
        details = activity.info().heartbeat_details
        raw: Any = details[0] if details else None
        if not isinstance(raw, dict):
            return cls()
        return cls(
            set(map(str, raw.get("delivered", []))),
            {str(k): str(v) for k, v in dict(raw.get("refused", {})).items()},
        )

    def delivered_one(self, message_id: str, refused: dict[str, str] | None = None) -> None:
        """The relay accepted ``message_id`` (refusing ``refused``, if any): remember it now."""
        self.delivered.add(message_id)
        self.refused.update(refused or {})
        self._save()

    def refused_for_good(self, refused: dict[str, str]) -> None:
        """These recipients were refused permanently: never try them again."""
        self.refused.update(refused)
        self._save()

    def _save(self) -> None:
        activity.heartbeat({"delivered": sorted(self.delivered), "refused": self.refused})


def next_retry_interval(
    attempt: int, initial: timedelta, coefficient: float, cap: timedelta | None
) -> timedelta:
    """The backoff Temporal waits after failed attempt ``attempt`` (1-based)."""
    ceiling = cap if cap is not None else initial * 100  # Temporal's default maximum
    seconds = initial.total_seconds() * coefficient ** min(attempt - 1, 64)
    return min(timedelta(seconds=min(seconds, ceiling.total_seconds())), ceiling)


def is_last_attempt() -> bool:
    """Whether Temporal will not retry this attempt if it fails now.

    True when the retry policy's ``maximum_attempts`` is reached, or when this
    attempt (started at its scheduled time, running at most
    ``start_to_close_timeout``), the backoff, and a whole next attempt would not
    fit before the ``schedule_to_close_timeout`` expires: the email gives up a
    little early (at most one backoff interval of three days) rather than be cut
    off unrecorded. Reckoned on the cluster's clock (the skipped-to time on the
    time-skipping server). False when the retry policy is unknown (retries
    without end).
    """
    info = activity.info()
    policy = info.retry_policy
    if policy is None:
        return False
    if policy.maximum_attempts and info.attempt >= policy.maximum_attempts:
        return True
    if info.schedule_to_close_timeout is None or info.scheduled_time.year <= 1970:
        return False
    wait = next_retry_interval(
        info.attempt, policy.initial_interval, policy.backoff_coefficient, policy.maximum_interval
    )
    started = info.current_attempt_scheduled_time
    if started.year <= 1970:  # a bare ActivityEnvironment
        started = utcnow()
    run = info.start_to_close_timeout or timedelta(0)
    return started + run + wait + run >= info.scheduled_time + info.schedule_to_close_timeout
