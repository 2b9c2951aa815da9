"""The limits on what a caller may type, and the refusals that name them.

Every free-text field a caller sends is checked here (through the types of
``models.common``): its length and its characters. The refusals are written for
the person who typed the text, not for a programmer: a case system shows them
as they are, after the field's name ("outcome: at most 10,000 characters (got
12,345)"). They are raised as ``PydanticCustomError`` so that pydantic's rendered
message is exactly this text (a ``ValueError`` would be prefixed "Value error, ").

Why bound at all: a decision's text is copied into the workflow's history and
into several activity inputs, and one oversized input could make the worker's
reply exceed Temporal's gRPC limit, terminating the case. Why refuse control
characters: they corrupt the record and its exports, and in a name (which ends up
in an email header) they make every email of a notification fail.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

TEXT_MAX = 10_000
"""Characters in a free text (an outcome, a reason, a case-note entry)."""
NAME_MAX = 200
"""Characters in a name (a person, an agency, a partnership)."""
ACTOR_MAX = 300
"""Characters in ``by``: a name, or an email address (254) with " (decision page)"."""
EXTRA_FIELDS_MAX = 20
"""Extra fields a decision may carry (a case system's own ids)."""
EXTRA_KEY_MAX = 64
"""Characters in an extra field's name."""
EXTRA_TEXT_MAX = 10_000
"""Characters in all of a decision's extra fields together (names and text values)."""
EXTRA_INT_MAX = 2**53
"""The largest whole number an extra field may hold (exact in every JSON reader)."""

_TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters but newline and tab (``\\r`` is normalised first).

(Pydantic itself refuses a string holding an unpaired surrogate.)"""
_NAME_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""Every control character, and the Unicode line and paragraph separators."""
_ADDRESS_PART = r"[^@\s<>\u0000-\u001f\u007f-\u009f]+"
EMAIL_PATTERN = rf"^{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART}$"
"""The email rule, as checked and as published (``\\s`` covers U+2028 and U+2029)."""
_EMAIL = re.compile(EMAIL_PATTERN)
_EXTRA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_CASE_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")

TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
"""The published (JSON Schema) form of the text rule; ``\\r`` is accepted, then normalised."""
NAME_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$"
"""The published (JSON Schema) form of the name rule."""


def _count(n: int) -> str:
    return f"{n:,}"


def _too_long(value: str, limit: int) -> PydanticCustomError:
    return PydanticCustomError(
        "too_long",
        "at most {limit} characters (got {got})",
        {"limit": _count(limit), "got": _count(len(value))},
    )


def _forbidden(kind: str, what: str, char: str) -> PydanticCustomError:
    return PydanticCustomError(
        "control_character",
        "a {kind} may not contain {what} (found {code})",
        {"kind": kind, "what": what, "code": f"U+{ord(char):04X}"},
    )


def check_text(value: str) -> str:
    """A free text as kept: line ends normalised to ``\\n``; refused if too long or unsafe."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if len(value) > TEXT_MAX:
        raise _too_long(value, TEXT_MAX)
    if (bad := _TEXT_FORBIDDEN.search(value)) is not None:
        raise _forbidden("text", "control characters other than newline and tab", bad.group())
    return value


def _name_checker(limit: int) -> Any:
    def check(value: str) -> str:
        if len(value) > limit:
            raise _too_long(value, limit)
        if (bad := _NAME_FORBIDDEN.search(value)) is not None:
            raise _forbidden("name", "control characters or line breaks", bad.group())
        return value

    return check


check_name = _name_checker(NAME_MAX)
"""A name: one line of at most 200 characters, no control character at all."""
check_actor = _name_checker(ACTOR_MAX)
"""Who decided: as a name, up to 300 characters."""


def check_case_reference(value: str) -> str:
    """A pseudonymous case reference: 3-64 of letters, digits, '.', '_', '-'; one digit at least."""
    if not _CASE_REFERENCE.fullmatch(value) or not any(c.isdigit() for c in value):
        raise PydanticCustomError(
            "case_reference",
            "letters, digits and . _ - only (3 to 64 of them), with at least one digit"
            " — never a name",
        )
    return value


def check_email(value: str) -> str:
    """An email address, loosely: something@domain.tld on one line, no spaces, < or >."""
    if not _EMAIL.fullmatch(value):
        # Quoted back (escaped, shortened): an address is not case data, and seeing what was
        # typed is what lets a person spot the slip.
        shown = repr(value if len(value) <= 80 else value[:77] + "...")
        raise PydanticCustomError(
            "email",
            "{value} is not an email address (name@example.org, with no spaces, < > or line "
            "breaks)",
            {"value": shown},
        )
    return value


def check_extra_value(value: object) -> object:
    """One extra field's value: text (as a free text), a number, true/false or null."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > EXTRA_INT_MAX:
            raise PydanticCustomError(
                "extra_number",
                "a whole number between -{limit} and {limit}",
                {"limit": _count(EXTRA_INT_MAX)},
            )
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("extra_number", "a number must be finite")
        return value
    if isinstance(value, str):
        return check_text(value)
    raise PydanticCustomError(
        "extra_value",
        "an extra field holds text, a number, true/false or null (got {kind})",
        {"kind": _kind(value)},
    )


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def check_extra_fields(extra: dict[str, Any] | None) -> None:
    """How many extra fields, their names and their total size.

    Raises a refusal naming the offending field (the loc is the whole payload, so
    the field's name is in the message).
    """
    if not extra:
        return
    if len(extra) > EXTRA_FIELDS_MAX:
        raise PydanticCustomError(
            "extra_fields",
            "at most {limit} extra fields (got {got})",
            {"limit": EXTRA_FIELDS_MAX, "got": len(extra)},
        )
    for key in extra:
        if len(key) > EXTRA_KEY_MAX or not _EXTRA_KEY.fullmatch(key):
            shown = key if len(key) <= EXTRA_KEY_MAX else key[:EXTRA_KEY_MAX] + "..."
            raise PydanticCustomError(
                "extra_field_name",
                "extra field '{key}': a field name is a letter or '_' then letters, digits,"
                " '_', '.' or '-', at most {limit} characters",
                {"key": _NAME_FORBIDDEN.sub("?", shown), "limit": EXTRA_KEY_MAX},
            )
    size = sum(len(k) + (len(v) if isinstance(v, str) else 0) for k, v in extra.items())
    if size > EXTRA_TEXT_MAX:
        raise PydanticCustomError(
            "extra_fields_size",
            "the extra fields together hold at most {limit} characters (got {got})",
            {"limit": _count(EXTRA_TEXT_MAX), "got": _count(size)},
        )


def text_schema() -> dict[str, Any]:
    """The JSON Schema keywords of a text's limits."""
    return {"maxLength": TEXT_MAX, "pattern": TEXT_PATTERN}


def name_schema(limit: int) -> dict[str, Any]:
    """The JSON Schema keywords of a name's limits."""
    return {"maxLength": limit, "pattern": NAME_PATTERN}


EXTRA_VALUE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", **text_schema()},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
    ],
    "description": (
        f"A case system's own field: text, a number, true/false or null; at most"
        f" {EXTRA_FIELDS_MAX} of them, named by identifiers of at most {EXTRA_KEY_MAX}"
        f" characters, {EXTRA_TEXT_MAX:,} characters in all."
    ),
}
"""The published schema of a decision's extra fields (``additionalProperties``)."""


@dataclass(frozen=True)
class JsonSchema:
    """Annotation adding keywords to a type's JSON Schema (limits checked by a validator).

    The validators above give the refusals their wording; this publishes the same
    limits in ``schemas/`` for clients in other languages.
    """

    keywords: dict[str, Any] = field(default_factory=dict)

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The inner type's schema with these keywords."""
        schema = handler(core_schema)
        schema.update(self.keywords)
        return schema

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.keywords)))
