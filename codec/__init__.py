"""Payload encryption: the AES-256-GCM codec and the Web UI's remote codec endpoint.

Temporal stores every workflow input, signal, update, activity argument and
result in its history. With the codec configured, those payloads leave the
process encrypted, so the Temporal server (and its database) never holds case
data in clear; only workers, the SDK, the CLI and the codec endpoint hold keys.
"""
