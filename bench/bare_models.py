"""The bare workflow's payloads, in their own module so the workflow sandbox passes them through.

The product keeps its models in ``models/`` for the same reason: a class defined
in the workflow's own module is rebuilt for every workflow instance.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class BareStart(BaseModel):
    """The bare workflow's start payload."""

    key: str


class BareDecision(BaseModel):
    """The one signal it waits for."""

    by: str


class BareRow(BaseModel):
    """What its one activity writes."""

    key: str
    by: str


class BareTimerStart(BaseModel):
    """The burst's bare workflow: its key (the row it writes)."""

    key: str


class BareDue(BaseModel):
    """When its one timer fires, sent once it runs (as the product's cases get
    ``shorten_timescale``), so the deadline is set when every case is ready."""

    at: datetime
