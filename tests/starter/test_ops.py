"""Connection options for a real cluster, and the operating commands' refusals."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig

from codec.aes import EncryptionCodec
from starter import cli
from starter.connect import (
    ConnectionConfigError,
    ConnectionOptions,
    connect_kwargs,
    options_from_env,
)

KEYS = "k1:" + base64.b64encode(bytes(32)).decode()
CLUSTER_ENV = (
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TEMPORAL_API_KEY",
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_SERVER_NAME",
    "ESCALATION_CODEC_KEYS",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in CLUSTER_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_are_the_local_dev_server(clean_env) -> None:
    kwargs = connect_kwargs(options_from_env())
    assert kwargs == {
        "target_host": "localhost:7233",
        "namespace": "default",
        "api_key": None,
        "tls": None,
        "data_converter": pydantic_data_converter,
    }


def test_api_key_namespace_and_codec_from_the_environment(clean_env) -> None:
    clean_env.setenv("TEMPORAL_ADDRESS", "safeguarding.a1b2c.tmprl.cloud:7233")
    clean_env.setenv("TEMPORAL_NAMESPACE", "safeguarding.a1b2c")
    clean_env.setenv("TEMPORAL_API_KEY", "api-key-value")
    clean_env.setenv("ESCALATION_CODEC_KEYS", KEYS)
    kwargs = connect_kwargs(options_from_env(namespace="override"))
    assert kwargs["target_host"] == "safeguarding.a1b2c.tmprl.cloud:7233"
    assert kwargs["namespace"] == "override"
    assert kwargs["api_key"] == "api-key-value"
    assert kwargs["tls"] is None  # the SDK turns TLS on for an API key
    codec = kwargs["data_converter"].payload_codec
    assert isinstance(codec, EncryptionCodec) and codec.ring.current == "k1"
    assert kwargs["data_converter"].payload_converter_class is (
        pydantic_data_converter.payload_converter_class
    )


def test_mtls_reads_the_certificate_key_and_ca(clean_env, tmp_path: Path) -> None:
    for name, text in (("client.pem", "CERT"), ("client.key", "KEY"), ("ca.pem", "CA")):
        (tmp_path / name).write_text(text)
    clean_env.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "client.pem"))
    clean_env.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(tmp_path / "client.key"))
    clean_env.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(tmp_path / "ca.pem"))
    clean_env.setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    tls = connect_kwargs(options_from_env())["tls"]
    assert tls == TLSConfig(
        client_cert=b"CERT",
        client_private_key=b"KEY",
        server_root_ca_cert=b"CA",
        domain="temporal.internal",
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ConnectionOptions(client_cert=Path("/x/client.pem")),
            "TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH: mTLS needs both",
        ),
        (
            ConnectionOptions(server_ca=Path("/nonexistent/ca.pem")),
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read /nonexistent/ca.pem",
        ),
        (
            ConnectionOptions(tls=False, server_name="temporal.internal"),
            "TEMPORAL_TLS: TLS is turned off but TLS certificates are configured",
        ),
    ],
)
def test_unusable_tls_settings_name_the_variable(options, message: str) -> None:
    with pytest.raises(ConnectionConfigError, match=message):
        connect_kwargs(options)


def test_tls_can_be_forced_on_with_system_roots() -> None:
    assert connect_kwargs(ConnectionOptions(tls=True))["tls"] is True


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["codec-server"], {}, "ESCALATION_CODEC_KEYS: required by the codec endpoint"),
        (
            ["codec-server"],
            {"ESCALATION_CODEC_KEYS": KEYS},
            "ESCALATION_CODEC_TOKEN: required by the codec endpoint",
        ),
        (
            ["codec-server"],
            {"ESCALATION_CODEC_KEYS": "k1:short", "ESCALATION_CODEC_TOKEN": "t" * 32},
            "key 'k1': not valid base64",
        ),
        (["web"], {}, "ESCALATION_LINK_SECRET: required by the decision page"),
        (
            ["overdue", "--procedure", "Redbridge 2017"],
            {},
            "procedure: unknown procedure 'Redbridge 2017' (known: ",
        ),
        (["overdue", "--at", "2026-12-23T17:00"], {}, "--at: give a UTC offset"),
        (["codec-key", "--id", "bad id"], {}, "--id: key id 'bad id'"),
    ],
)
def test_operating_commands_refuse_bad_configuration(
    clean_env, capsys, argv: list[str], env: dict[str, str], message: str
) -> None:
    for name in ("ESCALATION_CODEC_TOKEN", "ESCALATION_LINK_SECRET"):
        clean_env.delenv(name, raising=False)
    for name, value in env.items():
        clean_env.setenv(name, value)
    cli.get_settings.cache_clear()
    try:
        assert cli.main(argv) == 2
    finally:
        cli.get_settings.cache_clear()
    assert message in capsys.readouterr().err


def test_codec_key_prints_a_usable_entry(capsys) -> None:
    assert cli.main(["codec-key", "--id", "2027-01"]) == 0
    entry = capsys.readouterr().out.strip()
    assert EncryptionCodec.from_spec(entry).ring.current == "2027-01"


def test_schemas_command_reports_up_to_date(capsys) -> None:
    assert cli.main(["schemas"]) == 0
    assert capsys.readouterr().out == "schemas/ matches the models\n"


def test_dev_keeps_one_link_secret_per_state_dir(tmp_path: Path, monkeypatch) -> None:
    from starter.devstack import link_secret

    monkeypatch.delenv("ESCALATION_LINK_SECRET", raising=False)
    first = link_secret(tmp_path)
    assert len(first) == 64 and link_secret(tmp_path) == first  # links survive a restart
    assert (tmp_path / "link-secret").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("ESCALATION_LINK_SECRET", "from-the-environment")
    assert link_secret(tmp_path) == "from-the-environment"
