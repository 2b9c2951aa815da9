"""Hypothesis strategies for bad input: garbage values and one-field mutations of good payloads.

Nothing here knows a particular procedure: a payload is broken by deleting one of
its fields, replacing one with a value of the wrong kind, or adding a field the
model does not know. A new start model, decision or pack is covered by adding a
valid example to ``DECISIONS`` (or by shipping a pack file); the tests iterate
over what is registered here.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from models.decisions import (
    ConferenceReconvened,
    Confirmed,
    ImmediateRisk,
    Resolved,
    ShortenTimescale,
    Unresolved,
)

HUGE = 12_000
"""Longer than any free-text field allows (10,000 characters)."""

EXAMPLES = {"min_size": 0, "max_size": 4}


def garbage() -> st.SearchStrategy[Any]:
    """A JSON value of any kind, biased to the ones that break models."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([math.nan, math.inf, -1.5, 0.0]),
        st.text(max_size=20),
        st.sampled_from(["", "   ", "Jane Doe", "\x00", "2030-13-45T25:61", "-1"]),
        st.just("x" * HUGE),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, **EXAMPLES),
            st.dictionaries(st.text(max_size=8), inner, **EXAMPLES),
        ),
        max_leaves=6,
    )


@dataclass(frozen=True)
class Mutation:
    """One field of a payload broken in one way."""

    how: str
    """``deleted``, ``replaced`` or ``added``."""
    path: tuple[str | int, ...]
    """Where, from the payload's root (a list index is an int)."""
    payload: dict[str, Any]

    @property
    def field(self) -> str:
        """The name of the innermost field touched (what an error message must name)."""
        return next(str(p) for p in reversed(self.path) if isinstance(p, str))


def paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every field path of a JSON value (dict keys and list items, nested)."""
    found: list[tuple[str | int, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:3]):
            found += paths(item, (*prefix, i))
    return found


def _at(doc: Any, path: tuple[str | int, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def mutations(base: dict[str, Any]) -> st.SearchStrategy[Mutation]:
    """A copy of ``base`` with exactly one field deleted, replaced by garbage, or added."""
    named = [p for p in paths(base) if isinstance(p[-1], str)]

    @st.composite
    def build(draw: st.DrawFn) -> Mutation:
        payload = copy.deepcopy(base)
        how = draw(st.sampled_from(["deleted", "replaced", "added"]))
        path = draw(st.sampled_from(named))
        parent = _at(payload, path[:-1])
        key = path[-1]
        if how == "deleted":
            del parent[key]
        elif how == "replaced":
            parent[key] = draw(garbage())
        else:
            key = f"{key}_typo"
            parent[key] = draw(garbage())
            path = (*path[:-1], key)
        return Mutation(how, path, payload)

    return build()


def _future(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


DECISIONS: dict[str, tuple[type[BaseModel], dict[str, Any]]] = {
    "resolved": (Resolved, {"by": "B. Social Worker", "outcome": "Strategy discussion"}),
    "unresolved": (Unresolved, {"by": "A. Teacher", "reason": "No agreement"}),
    "confirmed": (Confirmed, {"by": "B. Social Worker", "text": "Letter sent"}),
    "immediate_risk": (ImmediateRisk, {"by": "A. Teacher", "reason": "Disclosure"}),
    "timescale_shortened": (
        ShortenTimescale,
        {"by": "D. Team Manager", "reason": "Discharge", "working_days": 1},
    ),
    "conference_reconvened": (
        ConferenceReconvened,
        {"by": "Chair", "outcome": "majority", "text": "Plan continues"},
    ),
}
"""Each signal's name, its payload model and a valid payload."""

SIGNAL_KIND = {name: name for name in DECISIONS} | {"timescale_shortened": "shorten_timescale"}
"""The name a refused signal is listed under in ``rejected_inputs``."""
