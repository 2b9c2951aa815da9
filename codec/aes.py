"""AES-256-GCM payload codec with key rotation by key id.

Keys come from ``ESCALATION_CODEC_KEYS="kid1:base64key,kid2:base64key"``: the
first key encrypts, every key decrypts. To rotate, put a new key first and keep
the old ones until no history that uses them is retained.

The payload layout follows Temporal's encryption sample: metadata
``encoding=binary/encrypted`` and ``encryption-key-id=<kid>``, data = 12-byte
nonce + ciphertext + tag of the serialised original payload. The key id is also
authenticated (GCM associated data), so a payload relabelled with another key id
is detected as tampering rather than decrypted under the wrong label.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from codec.marker import UNDECRYPTABLE

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
_KID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class CodecConfigError(ValueError):
    """ESCALATION_CODEC_KEYS is malformed; the message says which entry and why."""


class DecryptionError(ValueError):
    """A payload cannot be decrypted: unknown key id, or it was tampered with."""


@dataclass(frozen=True)
class KeyRing:
    """Named 256-bit keys; ``current`` is the one that encrypts."""

    current: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        """Parse ``"kid1:base64key,kid2:base64key"`` (first one encrypts).

        Raises:
            CodecConfigError: naming the entry and what is wrong with it.
        """
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for n, entry in enumerate(e.strip() for e in spec.split(",")):
            if not entry:
                continue
            kid, sep, b64 = entry.partition(":")
            if not sep or not _KID.match(kid):
                raise CodecConfigError(
                    f"ESCALATION_CODEC_KEYS entry {n + 1}: expected 'keyid:base64key' with a key id"
                    " of letters, digits, '.', '_' or '-'"
                )
            try:
                key = base64.b64decode(b64.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise CodecConfigError(
                    f"ESCALATION_CODEC_KEYS key '{kid}': not valid base64"
                ) from None
            if len(key) != 32:
                raise CodecConfigError(
                    f"ESCALATION_CODEC_KEYS key '{kid}': {len(key)} bytes; AES-256 needs 32"
                )
            if kid in keys:
                raise CodecConfigError(f"ESCALATION_CODEC_KEYS key '{kid}': given twice")
            keys[kid] = key
            order.append(kid)
        if not order:
            raise CodecConfigError("ESCALATION_CODEC_KEYS: no keys given")
        return cls(order[0], keys)


def new_key_spec(key_id: str) -> str:
    """A fresh ``kid:base64key`` entry (what ``escalation codec-key`` prints)."""
    if not _KID.match(key_id):
        raise CodecConfigError(f"key id '{key_id}': use letters, digits, '.', '_' or '-'")
    return f"{key_id}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}"


class EncryptionCodec(PayloadCodec):
    """Encrypts every payload with the current key; decrypts with whichever key it names.

    A client's codec raises on a payload it cannot decrypt: the caller is told. The
    worker's codec (``for_worker``) must not: it decodes a whole workflow activation at
    once, and one undecryptable signal (a client whose key list is in the wrong order
    after a rotation) would fail every workflow task of the case for ever. It hands the
    workflow a marker payload instead (``codec.marker.UNDECRYPTABLE``), which the
    workflow's handlers refuse and record like any other bad input.
    """

    def __init__(self, ring: KeyRing, *, mark_undecryptable: bool = False) -> None:
        """Args:
        ring: The keys; its current key encrypts.
        mark_undecryptable: Replace a payload that cannot be decrypted by a marker
            (the worker) instead of raising (clients, the codec endpoint).
        """
        self.ring = ring
        self.mark_undecryptable = mark_undecryptable
        self._ciphers = {kid: AESGCM(key) for kid, key in ring.keys.items()}

    def for_worker(self) -> EncryptionCodec:
        """The same keys, marking undecryptable payloads instead of raising."""
        return EncryptionCodec(self.ring, mark_undecryptable=True)

    @classmethod
    def from_spec(cls, spec: str) -> EncryptionCodec:
        """Build from the ``ESCALATION_CODEC_KEYS`` text."""
        return cls(KeyRing.parse(spec))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encrypt each payload whole (metadata included) under the current key."""
        kid = self.ring.current
        cipher = self._ciphers[kid]
        out = []
        for p in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = cipher.encrypt(nonce, p.SerializeToString(), kid.encode())
            out.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: kid.encode()},
                    data=nonce + sealed,
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decrypt encrypted payloads; pass others through (histories from before the codec).

        Raises:
            DecryptionError: the key id is unknown or the payload was altered (unless
                this codec marks such payloads instead).
        """
        out = []
        for p in payloads:
            if p.metadata.get("encoding") != ENCODING:
                out.append(p)
                continue
            try:
                out.append(self._decrypt(p))
            except DecryptionError as exc:
                if not self.mark_undecryptable:
                    raise
                out.append(Payload(metadata={"encoding": UNDECRYPTABLE}, data=str(exc).encode()))
        return out

    def _decrypt(self, p: Payload) -> Payload:
        kid = p.metadata.get(KEY_ID, b"").decode(errors="replace")[:64]
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise DecryptionError(
                f"payload encrypted with key id '{kid}', which is not in ESCALATION_CODEC_KEYS"
            )
        nonce, sealed = p.data[:NONCE_BYTES], p.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, kid.encode())
            return Payload.FromString(plain)
        except (InvalidTag, ValueError):  # ValueError: shorter than a nonce
            raise DecryptionError(
                f"payload under key id '{kid}' failed authentication: it was altered"
            ) from None
        except DecodeError:  # authentic, but not a serialised payload (another program's data)
            raise DecryptionError(
                f"payload under key id '{kid}' is not a Temporal payload once decrypted"
            ) from None
