"""The marker a worker's codec leaves in place of a payload it cannot decrypt.

Kept apart from ``codec/aes.py`` (which needs ``cryptography``) so that workflow
code can recognise the marker without importing the cipher.
"""

from __future__ import annotations

UNDECRYPTABLE = b"binary/undecryptable"
"""Encoding of the marker payload; its data is the reason, in UTF-8."""
