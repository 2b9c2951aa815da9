"""Validation errors in words a person acts on, not pydantic's regexes and type names.

Pydantic explains a refused field in its own terms ("String should match pattern
'^[a-z0-9][a-z0-9_-]{0,63}$'", "Input should be a valid datetime or date, input is
too short"): right for a developer, useless to a practitioner or a case system's
operator reading an error line. Every refusal the SDK, the command and the
decision page show goes through ``plain``, which says what the field takes instead.

A typed value is quoted back only where it helps and cannot be a child's name:
identifiers, dates, numbers and true/false (a case reference or a free text never is).
"""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

IDENTIFIER = r"^[a-z0-9][a-z0-9_-]{0,63}$"
ROLE = r"^(raising|receiving|partnership)\.[a-z0-9][a-z0-9_-]{0,63}$"
SUFFIX = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"

PATTERNS = {
    IDENTIFIER: "an id: lower-case letters, digits, _ and - only, no spaces (e.g. redbridge-2017)",
    ROLE: (
        "a role: raising., receiving. or partnership. and then an id (e.g. receiving.line_manager)"
    ),
    SUFFIX: "an id: letters, digits, _ and - only, 1 to 32 of them, no spaces (e.g. threshold-01)",
}
"""What each pattern the models use takes, in words, by the pattern itself."""

QUOTED_MAX = 64
"""A value longer than this is not quoted back: it is not an id or a date that was mistyped."""

WHEN = "a date and time, e.g. 2026-12-21T10:00 (with +00:00 for an exact moment)"
DAY = "a day, written YYYY-MM-DD"

WHAT = {
    "datetime_parsing": WHEN,
    "datetime_from_date_parsing": WHEN,
    "datetime_type": WHEN,
    "date_parsing": DAY,
    "date_from_datetime_parsing": DAY,
    "date_type": DAY,
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}
"""What a field of each of pydantic's type errors takes, as a noun phrase."""

SAID = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this request (a typo?)",
    "timezone_aware": "needs a UTC offset, e.g. 2026-12-21T10:00+00:00",
}
"""Pydantic's errors that need no value quoted, in words."""


def _quoted(value: Any) -> str | None:
    """``value`` as it can be quoted back ('x'), or None when it should not be."""
    if isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str) and len(value) <= QUOTED_MAX:
        return repr(value)
    return None


def plain(error: ErrorDetails) -> str:
    """What is wrong with one field, in words: e.g. "'Bad Route' is not an id: ..."."""
    kind, ctx = error["type"], error.get("ctx") or {}
    shown = _quoted(error.get("input"))
    if kind == "string_pattern_mismatch":
        takes = PATTERNS.get(str(ctx.get("pattern")), "in the form this field takes")
        return f"{shown} is not {takes}" if shown else f"must be {takes}"
    if kind == "string_too_short":
        least = int(ctx.get("min_length", 1))
        return "must not be empty" if least <= 1 else f"must have at least {least} characters"
    if kind == "string_too_long":
        return f"must have at most {ctx.get('max_length')} characters"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        word = {"greater_than_equal": "at least", "greater_than": "more than"}.get(
            kind, "at most" if kind == "less_than_equal" else "less than"
        )
        limit = next(iter(ctx.values()), "?")
        return f"must be {word} {limit}"
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "?")
        return f"{shown} is not one of {expected}" if shown else f"must be one of {expected}"
    if kind in SAID:
        return SAID[kind]
    if kind in WHAT:  # a value of the wrong JSON type ('5' for 5) is not quoted: it misleads
        typed = kind.endswith("_type") or shown is None
        return f"must be {WHAT[kind]}" if typed else f"{shown} is not {WHAT[kind]}"
    return str(error["msg"]).removeprefix("Value error, ")
