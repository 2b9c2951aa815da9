"""One place that knows how to connect to Temporal with the right data converter.

Worker, SDK, CLI and tests all connect through here so that every payload is
JSON via pydantic, readable by clients in any language, and, when
``ESCALATION_CODEC_KEYS`` is set, encrypted by the AES-GCM payload codec before
it leaves the process. Connection options for a real cluster (namespace, mTLS
client certificate and key, server CA, API key) come from the same environment
variables the ``temporal`` CLI reads.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.service import TLSConfig

from codec.aes import EncryptionCodec
from settings import TemporalSettings


class ConnectionConfigError(ValueError):
    """A connection option is unusable; the message names the variable and why."""


@dataclass(frozen=True)
class ConnectionOptions:
    """Everything needed to reach a Temporal namespace.

    ``tls`` None means: on when a client certificate, a CA or an API key is
    configured, off otherwise (the local dev server).
    """

    address: str = "localhost:7233"
    namespace: str = "default"
    api_key: str | None = None
    tls: bool | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    server_ca: Path | None = None
    server_name: str | None = None
    codec_keys: str | None = None

    @classmethod
    def from_settings(cls, s: TemporalSettings) -> ConnectionOptions:
        """The options the environment configures."""

        def path(value: str | None) -> Path | None:
            return Path(value) if value else None

        return cls(
            address=s.temporal_address,
            namespace=s.temporal_namespace,
            api_key=s.temporal_api_key.get_secret_value() if s.temporal_api_key else None,
            tls=s.temporal_tls,
            client_cert=path(s.temporal_tls_client_cert_path),
            client_key=path(s.temporal_tls_client_key_path),
            server_ca=path(s.temporal_tls_server_ca_cert_path),
            server_name=s.temporal_tls_server_name or None,
            codec_keys=s.codec_keys.get_secret_value() if s.codec_keys else None,
        )


def _read(path: Path | None, variable: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConnectionConfigError(f"{variable}: cannot read {path}: {exc.strerror}") from None


def tls_config(opts: ConnectionOptions) -> bool | TLSConfig | None:
    """The ``tls`` argument of ``Client.connect`` for these options.

    Raises:
        ConnectionConfigError: half a client key pair, an unreadable file, or
            certificates configured while TLS is forced off.
    """
    if (opts.client_cert is None) != (opts.client_key is None):
        raise ConnectionConfigError(
            "TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH: "
            "mTLS needs both the client certificate and its key"
        )
    wants_config = any(v is not None for v in (opts.client_cert, opts.server_ca, opts.server_name))
    if opts.tls is False:
        if wants_config:
            raise ConnectionConfigError(
                "TEMPORAL_TLS: TLS is turned off but TLS certificates are configured"
            )
        return False
    if wants_config:
        return TLSConfig(
            client_cert=_read(opts.client_cert, "TEMPORAL_TLS_CLIENT_CERT_PATH"),
            client_private_key=_read(opts.client_key, "TEMPORAL_TLS_CLIENT_KEY_PATH"),
            server_root_ca_cert=_read(opts.server_ca, "TEMPORAL_TLS_SERVER_CA_CERT_PATH"),
            domain=opts.server_name,
        )
    # True forces TLS with the system roots; None lets the SDK turn it on for an API key.
    return opts.tls


def data_converter(codec_keys: str | None) -> DataConverter:
    """pydantic JSON, encrypted with the AES-GCM codec when keys are configured.

    With the codec on, failure messages and stack traces are moved into an encoded
    payload too: an error text (an SMTP refusal naming an address, say) is then as
    private as the payloads it is about.
    """
    if not codec_keys:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec.from_spec(codec_keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def worker_client(client: Client) -> Client:
    """``client`` as a worker must use it: a codec that marks what it cannot decrypt.

    A worker decodes a workflow's whole activation at once; a codec that raised on
    one undecryptable signal would fail every workflow task of that case for ever.
    The worker's codec hands the workflow a marker instead, which it refuses like
    any other bad input (``workflows/inputs.py``). Clients keep the raising codec.
    """
    codec = client.data_converter.payload_codec
    if not isinstance(codec, EncryptionCodec) or codec.mark_undecryptable:
        return client
    config = client.config()
    config["data_converter"] = dataclasses.replace(
        client.data_converter, payload_codec=codec.for_worker()
    )
    return Client(**config)


# The Temporal runtime the clients of this context use; None is the SDK's default.
_runtime: ContextVar[Runtime | None] = ContextVar("escalation_runtime", default=None)


@functools.cache
def forwarding_runtime(core_level: str = "WARN") -> Runtime:
    """A runtime whose core logs go to Python's ``temporalio.core`` logger.

    The SDK's default runtime prints the Rust core's warnings (a retried RPC, say)
    straight onto the process's standard output, where a command's JSON answer
    goes. Forwarded, they are ordinary log records, written where the process's
    logging writes them (stderr for the CLI). One per process: a runtime owns
    threads and has no close.

    Args:
        core_level: The least severe core record forwarded (tests lower it to see one).
    """
    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    telemetry = TelemetryConfig(
        logging=LoggingConfig(
            filter=TelemetryFilter(core_level=core_level, other_level="ERROR"),
            forwarding=forwarding,
        )
    )
    return Runtime(telemetry=telemetry)


@contextmanager
def core_logs_to_python_logging() -> Iterator[None]:
    """Clients connected inside this block send core logs to Python logging.

    A context variable rather than a global: a test that runs the CLI in a thread
    of its own process leaves every other client of that process as it was.
    """
    token = _runtime.set(forwarding_runtime())
    try:
        yield
    finally:
        _runtime.reset(token)


def connect_kwargs(opts: ConnectionOptions) -> dict[str, Any]:
    """The keyword arguments of ``Client.connect`` (pure apart from reading cert files)."""
    return {
        "target_host": opts.address,
        "namespace": opts.namespace,
        "api_key": opts.api_key,
        "tls": tls_config(opts),
        "data_converter": data_converter(opts.codec_keys),
    }


def options_from_env(address: str | None = None, namespace: str | None = None) -> ConnectionOptions:
    """The environment's options, with ``address`` / ``namespace`` overriding when given."""
    opts = ConnectionOptions.from_settings(TemporalSettings())
    return dataclasses.replace(
        opts,
        address=address if address is not None else opts.address,
        namespace=namespace if namespace is not None else opts.namespace,
    )


async def connect(
    address: str | None = None,
    namespace: str | None = None,
    *,
    options: ConnectionOptions | None = None,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """Connect a Temporal client that speaks pydantic JSON (encrypted when configured).

    Args:
        address: host:port; default ``TEMPORAL_ADDRESS``.
        namespace: default ``TEMPORAL_NAMESPACE``.
        options: Explicit options; when given, the environment is not read.
        runtime: The worker's own (publishing the SDK's metrics); default this context's.
        interceptors: Client interceptors (tracing); a worker on this client gets them too.
    """
    opts = options if options is not None else options_from_env(address, namespace)
    return await Client.connect(
        **connect_kwargs(opts),
        runtime=runtime or _runtime.get(),
        interceptors=interceptors,
    )
