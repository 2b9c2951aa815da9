"""Connections to the relay are kept between messages, and never after an error.

At close of business a worker sends hundreds of emails at once (``python -m
bench.burst``); a connection per message cost more than the message. A kept
connection must never change what an error means, so one that raised is closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from activities.smtp import Refused, RelayConnections, SmtpConfig, deliver
from starter.smtp_sink import SmtpSink


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    s = SmtpSink()
    s.start()
    yield s
    s.stop()


def _message(n: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "escalations@localhost"
    msg["To"] = "dsl@school.example"
    msg["Subject"] = f"message {n}"
    msg.set_content("body")
    return msg


async def test_one_connection_carries_message_after_message(sink: SmtpSink) -> None:
    smtp = SmtpConfig(host="127.0.0.1", port=sink.port)
    relay = RelayConnections(smtp)
    await deliver(smtp, _message(1), ["dsl@school.example"], relay)
    [(_, first)] = relay._idle
    await deliver(smtp, _message(2), ["dsl@school.example"], relay)
    [(_, second)] = relay._idle
    assert second is first and first.is_connected
    assert [str(m["Subject"]) for m in sink.messages] == ["message 1", "message 2"]


async def test_a_connection_that_raised_is_closed_not_kept(sink: SmtpSink) -> None:
    smtp = SmtpConfig(host="127.0.0.1", port=sink.port)
    relay = RelayConnections(smtp)
    await deliver(smtp, _message(1), ["dsl@school.example"], relay)
    [(_, kept)] = relay._idle
    sink.faults.permanent_failure = True
    with pytest.raises(Refused):
        await deliver(smtp, _message(2), ["dsl@school.example"], relay)
    assert relay._idle == [] and not kept.is_connected
    sink.faults.permanent_failure = False
    await deliver(smtp, _message(3), ["dsl@school.example"], relay)  # a fresh one
    assert [str(m["Subject"]) for m in sink.messages] == ["message 1", "message 3"]
