"""Hypothesis strategies for bad input: garbage values and one-field mutations of good payloads.

Nothing here knows a particular procedure: a payload is broken by deleting one of
its fields, replacing one with a value of the wrong kind, or adding a field the
model does not know. A new start model, decision or pack is covered by adding a
valid example to ``DECISIONS`` (or by shipping a pack file); the tests iterate
over what is registered here.

``unsafe_texts`` breaks the free text of a payload instead: one text or name
made too long or given a control character. Which fields are texts and which are
names is read from the model's published JSON Schema (the limits' own keywords),
so a new text field is covered as soon as it uses ``models.common``'s types.
``bad_extras`` breaks the extra fields a decision may carry.
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
from models.limits import (
    EXTRA_FIELDS_MAX,
    EXTRA_KEY_MAX,
    EXTRA_TEXT_MAX,
    NAME_PATTERN,
    TEXT_MAX,
    TEXT_PATTERN,
)

HUGE = 12_000
"""Longer than any free-text field allows (10,000 characters)."""

EXAMPLES = {"min_size": 0, "max_size": 4}

LINE_BREAKERS = [
    "\r\n",
    "\n",
    "\r",
    "\t",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1f",
    "\x85",
    "\u2028",
    "\u2029",
]
"""Characters that break an email header: a name refuses every one (a text keeps \\n, \\t)."""

CONTROL = st.characters(codec="utf-8", categories=["Cc"])
"""Any control character (U+0000-U+001F, U+007F-U+009F)."""

TEXT_BREAKERS = CONTROL.filter(lambda c: c not in "\n\t\r")
"""What a text refuses (it keeps newline and tab, and turns \\r into a newline)."""

NAME_BREAKERS = st.one_of(CONTROL, st.sampled_from(["\u2028", "\u2029"]))
"""What a name refuses: every control character and the Unicode line separators."""


def garbage() -> st.SearchStrategy[Any]:
    """A JSON value of any kind, biased to the ones that break models."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([math.nan, math.inf, -1.5, 0.0]),
        st.text(max_size=20),
        st.sampled_from(["", "   ", "Jane Doe", "Jane.Doe", "\x00", "2030-13-45T25:61", "-1"]),
        st.sampled_from(LINE_BREAKERS).map(lambda c: f"A.{c}Name"),
        st.just("x" * HUGE),
        st.just("\N{GRINNING FACE}" * (TEXT_MAX + 1)),
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


@dataclass(frozen=True)
class Limit:
    """The rule on one free-text field, as the model publishes it."""

    kind: str
    """``text`` (newline and tab allowed) or ``name`` (one line)."""
    max_length: int
    optional: bool
    """The field may be left out (it may be absent from a valid payload)."""


def bounded_fields(model: type[BaseModel]) -> dict[tuple[str | int, ...], Limit]:
    """Every text and name field of ``model``'s input, by path (a list's first item: 0)."""
    schema = model.model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    kinds = {TEXT_PATTERN: "text", NAME_PATTERN: "name"}
    found: dict[tuple[str | int, ...], Limit] = {}

    def walk(node: dict[str, Any], path: tuple[str | int, ...], optional: bool) -> None:
        if "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        for option in node.get("anyOf", []):
            walk(option, path, optional)
        if node.get("type") == "string" and node.get("pattern") in kinds:
            found[path] = Limit(kinds[node["pattern"]], node["maxLength"], optional)
        required = set(node.get("required", []))
        for key, sub in node.get("properties", {}).items():
            walk(sub, (*path, key), key not in required)
        if isinstance(node.get("items"), dict):
            walk(node["items"], (*path, 0), False)

    walk(schema, (), False)
    return found


@dataclass(frozen=True)
class Unsafe:
    """One text or name field of a payload made unsafe, and what its refusal must say."""

    path: tuple[str | int, ...]
    payload: dict[str, Any]
    says: str
    """A fragment the refusal's message must contain (the limit, or the character's code)."""

    @property
    def where(self) -> str:
        """The field as a refusal names it: the dotted path."""
        return ".".join(str(p) for p in self.path)


def _printable(max_size: int) -> st.SearchStrategy[str]:
    return st.text(
        st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp", "Zs"]),
        min_size=1,
        max_size=max_size,
    )


def unsafe_texts(model: type[BaseModel], base: dict[str, Any]) -> st.SearchStrategy[Unsafe]:
    """``base`` with one of its texts or names too long or holding a forbidden character."""
    fields = {
        path: limit
        for path, limit in bounded_fields(model).items()
        if _has_parent(base, path) and (limit.optional or _has(base, path))
    }
    assert fields, f"{model.__name__}: no bounded text field in the example"

    @st.composite
    def build(draw: st.DrawFn) -> Unsafe:
        path = draw(st.sampled_from(sorted(fields, key=str)))
        limit = fields[path]
        payload = copy.deepcopy(base)
        how = draw(st.sampled_from(["long", "control"]))
        if how == "long":
            extra = draw(st.integers(min_value=1, max_value=50))
            value = draw(_printable(4)) * limit.max_length
            value = (value + "x" * extra)[: limit.max_length + extra]
            says = f"at most {limit.max_length:,} characters (got {len(value):,})"
        else:
            char = draw(NAME_BREAKERS if limit.kind == "name" else TEXT_BREAKERS)
            value = draw(_printable(20)) + char + draw(_printable(20))
            says = f"(found U+{ord(char):04X})"
        _at(payload, path[:-1])[path[-1]] = value
        return Unsafe(path, payload, says)

    return build()


def _has_parent(doc: Any, path: tuple[str | int, ...]) -> bool:
    return _has(doc, path[:-1]) and isinstance(_at(doc, path[:-1]), dict)


def _has(doc: Any, path: tuple[str | int, ...]) -> bool:
    for p in path:
        if isinstance(p, int):
            if not isinstance(doc, list) or len(doc) <= p:
                return False
        elif not isinstance(doc, dict) or p not in doc:
            return False
        doc = doc[p]
    return True


@dataclass(frozen=True)
class BadExtras:
    """A decision whose extra fields break one rule, and a fragment its refusal must say."""

    payload: dict[str, Any]
    field: str
    """The extra field the refusal must name (in its path or its message)."""
    says: str


EXTRA_KEYS = st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True)


def bad_extras(base: dict[str, Any]) -> st.SearchStrategy[BadExtras]:
    """``base`` with extra fields that are too many, badly named, too big or not scalars."""

    @st.composite
    def build(draw: st.DrawFn) -> BadExtras:
        payload = copy.deepcopy(base)
        key = "x_" + draw(EXTRA_KEYS)
        how = draw(st.sampled_from(["many", "name", "nested", "long", "control", "size"]))
        if how == "many":
            for i in range(EXTRA_FIELDS_MAX + draw(st.integers(1, 5))):
                payload[f"{key}_{i}"] = i
            return BadExtras(payload, "extra fields", f"at most {EXTRA_FIELDS_MAX} extra fields")
        if how == "name":
            bad = draw(
                st.sampled_from([" spaced", "9lives", "a/b", "x" * (EXTRA_KEY_MAX + 1), "é"])
            )
            payload[bad] = 1
            return BadExtras(payload, bad[:EXTRA_KEY_MAX], "a field name is a letter or '_'")
        if how == "nested":
            payload[key] = draw(st.sampled_from([[1, 2], {"id": 1}, []]))
            return BadExtras(payload, key, "an extra field holds text, a number, true/false")
        if how == "long":
            payload[key] = "y" * (TEXT_MAX + 1)
            return BadExtras(payload, key, "at most 10,000 characters")
        if how == "control":
            char = draw(TEXT_BREAKERS)
            payload[key] = f"id{char}5"
            return BadExtras(payload, key, f"(found U+{ord(char):04X})")
        share = EXTRA_TEXT_MAX // 4
        for i in range(5):
            payload[f"{key}_{i}"] = "z" * share
        return BadExtras(payload, "extra fields", "the extra fields together hold at most")

    return build()


def good_extras() -> st.SearchStrategy[dict[str, Any]]:
    """Extra fields a decision keeps: a few short identifiers with small scalar values."""
    value = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=40),
    )
    return st.dictionaries(EXTRA_KEYS.map(lambda k: f"x_{k}"), value, max_size=EXTRA_FIELDS_MAX)


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


@dataclass(frozen=True)
class Undecodable:
    """A payload no decision can be read from: an encoding, the bytes, and why."""

    encoding: bytes | None
    data: bytes


def undecodable() -> st.SearchStrategy[Undecodable]:
    """Payloads a workflow cannot decode: foreign encodings, broken JSON, the wrong shape.

    Any of these once failed the workflow task for ever (an unknown encoding raised
    ``KeyError`` past the decoder); each must now be refused with a reason.
    """
    foreign = st.one_of(
        st.sampled_from(
            [b"binary/encrypted", b"binary/null", b"json/protobuf", b"binary/protobuf", b""]
        ),
        st.binary(min_size=1, max_size=40).filter(lambda b: b != b"json/plain"),
    )
    any_bytes = st.binary(max_size=200)
    not_an_object = st.sampled_from([b"[]", b"1", b'"x"', b"null", b"true", b"{", b"\xff\xfe"])
    return st.one_of(
        st.builds(Undecodable, foreign, any_bytes),
        st.builds(Undecodable, st.none(), any_bytes),
        st.builds(Undecodable, st.just(b"json/plain"), not_an_object),
        st.builds(
            Undecodable,
            st.just(b"json/plain"),
            any_bytes.filter(lambda b: not b.strip().startswith(b"{")),
        ),
    )
