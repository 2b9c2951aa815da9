"""Payloads for loading a policy pack in an activity."""

from __future__ import annotations

from pydantic import BaseModel

from models.common import Identifier


class LoadPack(BaseModel):
    """Ask for a shipped pack by id."""

    procedure: Identifier
