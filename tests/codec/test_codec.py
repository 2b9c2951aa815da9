"""The AES-256-GCM payload codec: round trip, key rotation, tampering, bad key lists."""

from __future__ import annotations

import base64

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from codec.aes import (
    ENCODING,
    KEY_ID,
    CodecConfigError,
    DecryptionError,
    EncryptionCodec,
    KeyRing,
    new_key_spec,
)
from models.decisions import Resolved
from starter.connect import data_converter

OLD = "2026-01:" + base64.b64encode(bytes(range(32))).decode()
NEW = "2026-07:" + base64.b64encode(bytes(range(32, 64))).decode()
SECRET = "Strategy discussion on Tuesday with A. Teacher"


def _plain() -> Payload:
    return pydantic_data_converter.payload_converter.to_payloads(
        [Resolved(by="B. Social Worker", outcome=SECRET)]
    )[0]


async def test_round_trip_hides_the_payload_and_restores_it_exactly() -> None:
    codec = EncryptionCodec.from_spec(OLD)
    plain = _plain()
    [sealed] = await codec.encode([plain])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"2026-01"
    assert SECRET.encode() not in sealed.SerializeToString()
    assert b"json/plain" not in sealed.SerializeToString()  # the inner metadata is sealed too
    [opened] = await codec.decode([sealed])
    assert opened == plain
    [again] = await codec.encode([plain])
    assert again.data != sealed.data  # a fresh nonce each time


async def test_rotation_new_key_encrypts_old_key_still_decrypts() -> None:
    before = EncryptionCodec.from_spec(OLD)
    after = EncryptionCodec.from_spec(f"{NEW},{OLD}")
    [old_payload] = await before.encode([_plain()])
    [new_payload] = await after.encode([_plain()])
    assert new_payload.metadata[KEY_ID] == b"2026-07"
    assert await after.decode([old_payload, new_payload]) == [_plain(), _plain()]
    with pytest.raises(DecryptionError, match="key id '2026-07', which is not in"):
        await before.decode([new_payload])
    retired = EncryptionCodec.from_spec(NEW)
    with pytest.raises(DecryptionError, match="key id '2026-01'"):
        await retired.decode([old_payload])


async def test_tampering_is_detected() -> None:
    codec = EncryptionCodec.from_spec(f"{NEW},{OLD}")
    [sealed] = await codec.encode([_plain()])
    flipped = Payload(
        metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    )
    with pytest.raises(DecryptionError, match="failed authentication: it was altered"):
        await codec.decode([flipped])
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID: b"2026-01"}, data=sealed.data)
    with pytest.raises(DecryptionError, match="key id '2026-01' failed authentication"):
        await codec.decode([relabelled])


async def test_unencrypted_payloads_pass_through_decode() -> None:
    codec = EncryptionCodec.from_spec(OLD)
    assert await codec.decode([_plain()]) == [_plain()]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "no keys given"),
        ("nokey", "entry 1: expected 'keyid:base64key'"),
        ("k1:***", "key 'k1': not valid base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "key 'k1': 5 bytes; AES-256 needs 32"),
        (f"{OLD},{OLD}", "key '2026-01': given twice"),
        ("bad id:" + OLD.split(":")[1], "entry 1"),
    ],
)
def test_a_malformed_key_list_names_the_entry(spec: str, message: str) -> None:
    with pytest.raises(CodecConfigError, match=message):
        KeyRing.parse(spec)


def test_generated_keys_parse() -> None:
    ring = KeyRing.parse(new_key_spec("k9") + "," + OLD)
    assert ring.current == "k9" and len(ring.keys["k9"]) == 32


async def test_failure_messages_are_encrypted_too() -> None:
    converter = data_converter(OLD)
    failure = Failure()
    error = ApplicationError("550 mailbox dsl@school.example.org refused", type="SmtpRefused")
    await converter.encode_failure(error, failure)
    assert b"dsl@school" not in failure.SerializeToString()
    assert failure.message == "Encoded failure"
    decoded = await converter.decode_failure(failure)
    assert isinstance(decoded, ApplicationError)
    assert decoded.message == "550 mailbox dsl@school.example.org refused"
    assert decoded.type == "SmtpRefused"
