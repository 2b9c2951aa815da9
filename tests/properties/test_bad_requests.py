"""Malformed starts, decisions and policy packs are refused with a message naming the field.

Each example breaks one field of a good payload (deletes it, replaces it with a
value of the wrong kind, or adds an unknown one). Whenever that makes the
payload invalid, the refusal must name the field, so a case system's developer
(or a partnership editing its pack) can fix it without reading our code; and for
a start, nothing may have started. Examples that happen to stay valid (a
replaced name is still a name) are discarded, not counted as passes.

Free text is broken on purpose as well: every text and name field, made one
character too long (or fifty) or given a control character, is refused naming
the field and, in words, the limit or the character; so are extra fields on a
decision past their bounds, while small ones are kept.
"""

from __future__ import annotations

import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from temporalio.service import RPCError, RPCStatusCode

from models.alerts import AlertResponse, Finalise, NotSatisfied, StartPracticeAlert
from models.calendar import CalendarChange
from models.pack import PolicyPack
from models.start import StartDisagreement
from packs import PACK_DIR, PackError, load_pack_file, pack_ids
from starter.sdk import EscalationClient, InvalidRequest, check_start, parse_start
from starter.sdk_base import field_errors
from tests.properties.strategies import (
    DECISIONS,
    BadExtras,
    Mutation,
    Unsafe,
    bad_extras,
    good_extras,
    mutations,
    unsafe_texts,
)
from tests.workflows.alert_support import alert_payload
from tests.workflows.support import at, start_payload

FAST = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
NOW = at("2030-06-10T12:00:00+01:00")
VALID_START = start_payload(at("2030-06-10T10:00:00+01:00"))

PACK_CROSS_REFERENCES = {
    "id": ("default_ladder", "immediate_risk_stage", "unknown role", "file name"),
    "stages": ("immediate_risk_stage",),
}
"""A pack field others refer to: breaking it may be reported where it is referred to."""


def _refusal(data: dict[str, Any]) -> InvalidRequest | None:
    """What the SDK says about a start payload before starting, if it refuses it."""
    try:
        check_start(parse_start(data), NOW)
    except InvalidRequest as exc:
        return exc
    return None


@FAST
@given(mutation=mutations(VALID_START))
async def test_a_malformed_start_is_refused_naming_the_field_and_starts_nothing(
    env, mutation: Mutation
) -> None:
    refusal = _refusal(mutation.payload)
    assume(refusal is not None)
    assert refusal is not None
    assert mutation.field in str(refusal), (mutation.how, mutation.path, str(refusal))
    assert all(": " in e for e in refusal.errors), refusal.errors

    # Through the SDK against a real server: refused the same way, no workflow started.
    payload = {**mutation.payload}
    ref = f"CR-9{uuid.uuid4().hex[:9]}"
    if mutation.path[0] != "case_reference":
        payload["case_reference"] = ref
    client = EscalationClient(env.client, f"nobody-{uuid.uuid4()}", env.get_current_time)
    with pytest.raises(InvalidRequest) as raised:
        await client.open(payload, now=NOW)
    assert mutation.field in str(raised.value)
    for suffix in ("d1", "threshold-01"):
        with pytest.raises(RPCError) as missing:
            await env.client.get_workflow_handle(f"disagreement-{ref}-{suffix}").describe()
        assert missing.value.status == RPCStatusCode.NOT_FOUND


def test_the_valid_start_is_accepted() -> None:
    # The base every mutation starts from must itself be valid, or nothing above is tested.
    assert _refusal(VALID_START) is None


@pytest.mark.parametrize("signal", sorted(DECISIONS))
@FAST
@given(data=st.data())
def test_a_malformed_decision_is_refused_naming_the_field(signal: str, data: st.DataObject) -> None:
    model, valid = DECISIONS[signal]
    model.model_validate(valid)
    mutation = data.draw(mutations(valid))
    try:
        model.model_validate(mutation.payload)
    except ValidationError as exc:
        where = {".".join(str(p) for p in e["loc"]) for e in exc.errors()}
        named = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        message = "; ".join(e["msg"] for e in exc.errors())
        assert mutation.field in named or mutation.field in message, (mutation, where, message)
        return
    assume(False)


@FAST
@given(unsafe=unsafe_texts(StartDisagreement, VALID_START))
def test_an_unsafe_text_or_name_in_a_start_is_refused_naming_field_and_limit(
    unsafe: Unsafe,
) -> None:
    refusal = _refusal(unsafe.payload)
    assert refusal is not None, (unsafe.where, unsafe.says)
    assert any(e.startswith(f"{unsafe.where}: ") and unsafe.says in e for e in refusal.errors), (
        unsafe.where,
        unsafe.says,
        refusal.errors,
    )


OTHER_INPUTS: dict[str, tuple[type[BaseModel], dict[str, Any]]] = {
    "start alert": (StartPracticeAlert, alert_payload("2030-06-10T10:00:00+01:00")),
    "respond": (AlertResponse, {"by": "T. Manager", "text": "Visit done"}),
    "finalise": (Finalise, {"by": "chair@council.example.org", "text": "Satisfied"}),
    "escalate": (NotSatisfied, {"by": "chair@council.example.org", "reason": "No plan"}),
    "change_calendar": (CalendarChange, {"by": "Business Manager", "reason": "Snow"}),
}
"""Every other input a caller sends (the practice alert's and the calendar change)."""

EVERY_INPUT = {**DECISIONS, **OTHER_INPUTS}


def _named(exc: ValidationError, field: str, says: str) -> bool:
    """Whether one of the rendered errors names ``field`` and says ``says``."""
    lines = field_errors(exc, "payload")
    return any((line.startswith(f"{field}: ") or field in line) and says in line for line in lines)


@pytest.mark.parametrize("name", sorted(EVERY_INPUT))
@settings(FAST, max_examples=25)
@given(data=st.data())
def test_an_unsafe_text_or_name_in_any_input_is_refused_naming_it(
    name: str, data: st.DataObject
) -> None:
    model, valid = EVERY_INPUT[name]
    model.model_validate(valid)
    unsafe = data.draw(unsafe_texts(model, valid))
    with pytest.raises(ValidationError) as refused:
        model.model_validate(unsafe.payload)
    assert _named(refused.value, unsafe.where, unsafe.says), field_errors(refused.value)
    assert "Value error" not in str(field_errors(refused.value))


EXTRA_KEEPERS = {k: v for k, v in EVERY_INPUT.items() if v[0].model_config.get("extra") == "allow"}


@pytest.mark.parametrize("name", sorted(EXTRA_KEEPERS))
@settings(FAST, max_examples=25)
@given(data=st.data())
def test_extra_fields_past_their_bounds_are_refused_naming_them(
    name: str, data: st.DataObject
) -> None:
    model, valid = EXTRA_KEEPERS[name]
    bad: BadExtras = data.draw(bad_extras(valid))
    with pytest.raises(ValidationError) as refused:
        model.model_validate(bad.payload)
    assert _named(refused.value, bad.field, bad.says), (bad.field, field_errors(refused.value))


@pytest.mark.parametrize("name", sorted(EXTRA_KEEPERS))
@settings(FAST, max_examples=15)
@given(extras=good_extras())
def test_small_extra_fields_are_kept(name: str, extras: dict[str, Any]) -> None:
    model, valid = EXTRA_KEEPERS[name]
    kept = model.model_validate({**valid, **extras})
    assert kept.model_extra == extras
    assert len(kept.model_dump_json()) < 20_000


def _pack_documents() -> list[tuple[str, dict[str, Any]]]:
    """Every shipped pack that is valid today, as the TOML document it was read from."""
    docs = []
    for pack_id in pack_ids():
        path = PACK_DIR / f"{pack_id}.toml"
        try:
            load_pack_file(path)
        except PackError:
            continue  # a pack being written right now; its own tests say what is wrong
        docs.append((pack_id, tomllib.loads(path.read_text(encoding="utf-8"))))
    return docs


PACKS = _pack_documents()


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _write_toml(value: dict[str, Any]) -> str:
    """A minimal TOML writer for pack documents (JSON-like values, no dates, no nulls)."""

    def literal(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return (
                "nan"
                if v != v
                else "inf"
                if v == float("inf")
                else "-inf"
                if v < -1e308
                else repr(v)
            )
        if isinstance(v, str):
            return _toml_string(v)
        if isinstance(v, list):
            return "[" + ", ".join(literal(i) for i in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{_toml_string(k)} = {literal(i)}" for k, i in v.items()) + "}"
        raise TypeError(type(v))

    return "\n".join(f"{_toml_string(k)} = {literal(v)}" for k, v in value.items())


@pytest.mark.parametrize("pack_id, doc", PACKS, ids=[p for p, _ in PACKS])
@FAST
@given(data=st.data())
def test_a_broken_pack_is_refused_naming_the_file_and_field(
    pack_id: str, doc: dict[str, Any], data: st.DataObject, tmp_path_factory: Any
) -> None:
    mutation = data.draw(mutations(doc))
    assume(not _has_null(mutation.payload))  # TOML has no null: such a pack cannot be written
    path = Path(tmp_path_factory.mktemp("pack")) / f"{pack_id}.toml"
    path.write_text(_write_toml(mutation.payload), encoding="utf-8")
    try:
        load_pack_file(path)
    except PackError as exc:
        message = str(exc)
        assert message.startswith(f"{pack_id}.toml: "), message
        names = (mutation.field, *PACK_CROSS_REFERENCES.get(mutation.field, ()))
        assert any(n in message for n in names), (mutation.how, mutation.path, message)
        return
    assume(False)


def _has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_null(v) for v in value)
    return False


def test_starts_and_packs_refuse_unknown_fields_and_decisions_keep_them() -> None:
    # A typo in a start or a pack ("imediate_risk") must not silently drop a fact, so
    # both refuse unknown fields (the 'added' mutations above rely on it); decisions keep
    # extra fields on purpose, so a case system may attach its own ids.
    decisions: list[type[BaseModel]] = [m for m, _ in DECISIONS.values()]
    assert all(m.model_config.get("extra") == "allow" for m in decisions)
    assert set(EXTRA_KEEPERS) >= set(DECISIONS)
    assert StartDisagreement.model_config.get("extra") == "forbid"
    assert PolicyPack.model_config.get("extra") == "forbid"
