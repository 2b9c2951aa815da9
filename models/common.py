"""Small shared types: identifiers, people and bounded text fields.

A child is only ever identified by a pseudonymous case reference. The
``CaseReference`` rule refuses spaces and insists on a digit so that a typed-in
name ("Jane Doe", "Jane.Doe") cannot become a workflow id, a search attribute or
an email subject.

Everything a caller types is bounded (``models.limits`` holds the rules): a text
(an outcome, a reason) is at most 10,000 characters and a name (a person, an
agency, who decided) at most 200, so that no single input can make a workflow's
payloads outgrow Temporal's limits; and neither may carry control characters,
which break emails, logs and exports. The refusal names the field and the limit.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)

from models.limits import (
    ACTOR_MAX,
    EMAIL_PATTERN,
    EXTRA_VALUE_SCHEMA,
    NAME_MAX,
    TEXT_MAX,
    JsonSchema,
    check_actor,
    check_case_reference,
    check_email,
    check_extra_value,
    check_name,
    check_text,
    name_schema,
    text_schema,
)

CaseReference = Annotated[
    str,
    AfterValidator(check_case_reference),
    JsonSchema(
        {"pattern": r"^(?=[A-Za-z._-]*[0-9])[A-Za-z0-9][A-Za-z0-9._-]{2,63}$", "maxLength": 64}
    ),
    Field(
        description=(
            "Pseudonymous case reference from the case system (3-64 characters: letters, digits,"
            " '.', '_', '-', with at least one digit; no spaces). Never the child's name."
        ),
        examples=["CR-2026-00417"],
    ),
]
"""A case reference: the only way a child is identified anywhere in the product.

It must hold a digit: case systems number their cases, and a reference without one
("Jane.Doe") is almost always somebody's name typed into the wrong box.
"""

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
"""Lower-case slug used for pack, ladder, stage and role ids."""

RoleRef = Annotated[
    str,
    StringConstraints(pattern=r"^(raising|receiving|partnership)\.[a-z0-9][a-z0-9_-]{0,63}$"),
]
"""A role on one side of a disagreement, e.g. ``receiving.line_manager``."""

Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(check_text),
    JsonSchema(text_schema()),
]
"""Free text that must say something (an outcome, a reason, a case-note entry).

At most 10,000 characters (a long letter; the workflow copies a decision's text
into its history and several activity inputs, so this bounds every payload);
newlines and tabs are kept, ``\\r\\n`` and a lone ``\\r`` become ``\\n``, and every
other control character is refused (it would corrupt the record, the Markdown
export and the emails the text is quoted in).
"""

NonEmptyText = Text
"""The former name of :data:`Text` (policy packs still use it for their titles)."""

FreeText = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    AfterValidator(check_text),
    JsonSchema(text_schema()),
]
"""Text that may be empty; otherwise exactly as :data:`Text`."""

OptionalText = FreeText | None
"""An optional text (how outstanding issues are pursued, a written confirmation)."""

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(check_name),
    JsonSchema(name_schema(NAME_MAX)),
]
"""A person's or an agency's name: one line of at most 200 characters.

Names go into email headers (``To: Name <address>``), subjects and one-line log
entries, so every control character is refused, newline and tab included, and so
are the Unicode line and paragraph separators (U+2028, U+2029; U+0085 is a
control character): any of them makes the email library refuse the message.
"""

OptionalName = Name | None
"""A name that may be left out (a person's agency)."""

NameOrEmpty = Annotated[
    str,
    StringConstraints(strip_whitespace=True),
    AfterValidator(check_name),
    JsonSchema(name_schema(NAME_MAX)),
]
"""A name where empty means "none" (a directory entry's agency for partnership roles)."""

Actor = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(check_actor),
    JsonSchema(name_schema(ACTOR_MAX)),
]
"""Who made a decision (``by``): a name, a user id or an email address, one line.

As :data:`Name`, but up to 300 characters: an email address may be 254, and the
decision page records ``"<address> (decision page)"``.
"""

ExtraValue = Annotated[
    str | int | float | bool | None,
    PlainValidator(check_extra_value),
    WithJsonSchema(EXTRA_VALUE_SCHEMA),
]
"""The value of a case system's own field on a decision: text (as :data:`FreeText`), a
number, true/false or null. Nothing nested: the workflow copies a decision into its
history and records, so what it carries must stay small and printable."""

Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254),
    AfterValidator(check_email),
    JsonSchema({"pattern": EMAIL_PATTERN}),
]
"""An email address, loosely checked (the mail server has the last word): one line, no
space and no control character, because it goes into a header."""

__all__ = [
    "ACTOR_MAX",
    "NAME_MAX",
    "TEXT_MAX",
    "Actor",
    "CaseReference",
    "Email",
    "ExtraValue",
    "FreeText",
    "Identifier",
    "Name",
    "NameOrEmpty",
    "NonEmptyText",
    "OptionalName",
    "OptionalText",
    "Person",
    "RoleRef",
    "Text",
]


class Person(BaseModel):
    """Somebody who holds a role in a disagreement and receives its emails."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: RoleRef = Field(description="Side and role, e.g. 'receiving.line_manager'.")
    name: Name
    email: Email
    agency: OptionalName = None
