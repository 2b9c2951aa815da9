"""The child protection conference a disagreement concerns.

Its own module so that the status models can name it without importing the start
request (which carries the whole state of a continued case, status included).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ConferenceInfo(BaseModel):
    """A child protection conference the disagreement concerns, when one is booked."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["initial", "review"]
    at: datetime = Field(description="When the conference sits; naive means procedure local time.")
