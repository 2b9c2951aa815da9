"""docker-compose.yml describes the production topology (no Docker engine runs here).

The file is parsed and checked for what a real deployment needs: every part of
the topology, start-up order by health, two worker replicas, the codec on for
every Temporal client and wired into the Web UI, secrets only from the
environment, documented defaults, a worker healthcheck on its own endpoint, and an
image that ships every package. And that it lets no one in: only the decision page
and the Web UI (behind its OIDC login) are published; Temporal's frontend and
PostgreSQL sit on a network with no way out; every Temporal connection is mutual
TLS and every database connection TLS; the mail catcher exists only in the `dev`
profile; Temporal's blob size limit keeps payloads far under gRPC's 4 MB. Prometheus and
Grafana run only in the `monitoring` profile, scrape each worker replica's metrics port
on a network with no way out, and load the files in deploy/monitoring/.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from settings import Settings, TemporalSettings
from starter.connect import ConnectionOptions

ROOT = Path(__file__).parents[1]
COMPOSE = ROOT / "docker-compose.yml"
GRPC_MESSAGE_LIMIT = 4 * 1024 * 1024  # gRPC's default maximum message size
OIDC_REQUIRED = (
    "TEMPORAL_AUTH_PROVIDER_URL",
    "TEMPORAL_AUTH_ISSUER_URL",
    "TEMPORAL_AUTH_CLIENT_ID",
    "TEMPORAL_AUTH_CLIENT_SECRET",
    "TEMPORAL_AUTH_CALLBACK_URL",
)
TEMPORAL_CLIENTS = ("worker", "web", "temporal-setup")
MONITORING = ("prometheus", "grafana")
MONITORING_DIR = ROOT / "deploy" / "monitoring"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _needs(service: dict[str, Any], other: str) -> str:
    return str(service["depends_on"][other]["condition"])


def _required(value: str, name: str) -> bool:
    """``value`` is ``${name:?message}``: compose refuses to start without it."""
    return re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", value) is not None


def _published(port: str) -> tuple[str, str]:
    """(host address, container port) of a short-syntax port; "" means every interface."""
    parts = port.split(":")
    return (parts[0] if len(parts) == 3 else "", parts[-1])


def _production_section() -> str:
    """The "Production: `docker compose`" section of the operations guide."""
    text = (ROOT / "docs" / "operations.md").read_text()
    start = text.index("## Production: `docker compose`")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_services_of_the_production_topology() -> None:
    services = _compose()["services"]
    assert set(services) == {
        "postgresql",
        "temporal",
        "temporal-setup",
        "temporal-ui",
        "codec-server",
        "smtp",
        "migrate",
        "worker",
        "web",
        "console",
        "prometheus",
        "grafana",
    }
    worker = services["worker"]
    assert worker["deploy"]["replicas"] == 2
    assert _needs(worker, "migrate") == "service_completed_successfully"
    assert _needs(worker, "temporal-setup") == "service_completed_successfully"
    assert _needs(worker, "temporal") == "service_healthy"
    assert _needs(services["temporal"], "postgresql") == "service_healthy"
    assert _needs(services["temporal-ui"], "codec-server") == "service_healthy"
    assert services["temporal-setup"]["command"] == ["escalation", "setup"]
    assert _needs(services["console"], "migrate") == "service_completed_successfully"
    for name in (
        "postgresql",
        "temporal",
        "temporal-ui",
        "smtp",
        "codec-server",
        "web",
        "worker",
        "console",
    ):
        assert "healthcheck" in services[name], name
    for name in ("codec-server", "web", "console"):
        probe = " ".join(services[name]["healthcheck"]["test"])
        port = services[name]["command"][-1]
        assert f"localhost:{port}/health" in probe, name
        assert _published(services[name]["ports"][0])[1] == port, name


def test_only_the_decision_page_the_console_and_the_web_ui_are_published() -> None:
    """Anything else published listens on the host's loopback only (its reverse proxy)."""
    services = _compose()["services"]
    reachable = {
        name: sorted(
            port for port in service.get("ports", []) if _published(port)[0] != "127.0.0.1"
        )
        for name, service in services.items()
    }
    assert {name: ports for name, ports in reachable.items() if ports} == {
        "web": ["8088:8088"],
        "console": ["8090:8090"],
        "temporal-ui": ["8080:8080"],
    }
    for name in ("temporal", "postgresql", "worker", "migrate", "temporal-setup"):
        assert "ports" not in services[name], name
    assert services["codec-server"]["ports"] == ["127.0.0.1:8089:8089"]


def test_temporal_and_the_database_are_only_on_the_internal_network() -> None:
    compose = _compose()
    networks, services = compose["networks"], compose["services"]
    internal = {name for name, net in networks.items() if (net or {}).get("internal") is True}
    assert internal == {"internal", "monitoring"}
    for name, service in services.items():
        # Listed explicitly: the implicit default network is not internal.
        assert set(service["networks"]) <= set(networks), name
    for name in ("temporal", "postgresql", "migrate", "temporal-setup"):
        assert services[name]["networks"] == ["internal"], name
    for name, service in services.items():
        if "ports" in service:  # a container only on internal networks publishes nothing
            assert set(service["networks"]) - internal, name
        if "TEMPORAL_ADDRESS" in service.get("environment", {}):
            assert "internal" in service["networks"], name
    assert "internal" not in services["codec-server"]["networks"]  # it needs no other service
    assert "internal" not in services["smtp"]["networks"]


def test_the_web_ui_requires_an_oidc_login() -> None:
    env = _compose()["services"]["temporal-ui"]["environment"]
    assert env["TEMPORAL_AUTH_ENABLED"] == "true"
    assert env["TEMPORAL_AUTH_TYPE"] == "oidc"
    for name in OIDC_REQUIRED:
        assert _required(env[name], name), f"{name} must be required from the environment"
    assert "openid" in env["TEMPORAL_AUTH_SCOPES"]  # the default scopes
    section = _production_section()
    for name in (*OIDC_REQUIRED, "TEMPORAL_AUTH_SCOPES", "TEMPORAL_AUTH_ENABLED"):
        assert f"`{name}`" in section, (
            f"docs/operations.md's production section must explain {name}"
        )


def test_every_temporal_connection_is_mutual_tls() -> None:
    services = _compose()["services"]
    server = services["temporal"]["environment"]
    assert server["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true"
    for name in (
        "TEMPORAL_TLS_SERVER_CA_CERT",
        "TEMPORAL_TLS_SERVER_CERT",
        "TEMPORAL_TLS_SERVER_KEY",
        "TEMPORAL_TLS_FRONTEND_CERT",
        "TEMPORAL_TLS_FRONTEND_KEY",
        "TEMPORAL_TLS_CLIENT1_CA_CERT",
        "TEMPORAL_TLS_CLIENT2_CA_CERT",
    ):
        assert server[name].startswith("/run/secrets/"), name
    for side in ("INTERNODE", "FRONTEND"):
        assert server[f"TEMPORAL_TLS_{side}_SERVER_NAME"] == "temporal"
        assert server[f"TEMPORAL_TLS_{side}_DISABLE_HOST_VERIFICATION"] == "false"
    probe = " ".join(services["temporal"]["healthcheck"]["test"])
    for flag in ("--tls-ca-path", "--tls-cert-path", "--tls-key-path", "--tls-server-name"):
        assert flag in probe
    # The product's clients, read the way settings.py and starter/connect.py read them.
    for name in TEMPORAL_CLIENTS:
        env = services[name]["environment"]
        assert env["TEMPORAL_ADDRESS"] == "temporal:7233", name
        settings = TemporalSettings.model_validate(
            {key: value for key, value in env.items() if key.startswith("TEMPORAL_")}
        )
        opts = ConnectionOptions.from_settings(settings)
        assert opts.client_cert == Path("/run/secrets/client.pem"), name
        assert opts.client_key == Path("/run/secrets/client-key.pem"), name
        assert opts.server_ca == Path("/run/secrets/ca.pem"), name
        assert opts.server_name == "temporal", name
        assert opts.tls is not False, name
    ui = services["temporal-ui"]["environment"]
    assert ui["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert ui["TEMPORAL_TLS_CA"] == "/run/secrets/ca.pem"
    assert ui["TEMPORAL_TLS_CERT"] == "/run/secrets/ui.pem"
    assert ui["TEMPORAL_TLS_KEY"] == "/run/secrets/ui-key.pem"
    assert ui["TEMPORAL_TLS_ENABLE_HOST_VERIFICATION"] == "true"
    assert ui["TEMPORAL_TLS_SERVER_NAME"] == "temporal"


def test_certificates_and_keys_come_from_the_secrets_directory() -> None:
    """Each service mounts the files its settings name, and only its own key."""
    compose = _compose()
    declared = compose["secrets"]
    for name, secret in declared.items():
        assert secret["file"] == f"${{ESCALATION_TLS_DIR:-./deploy/secrets}}/{name}", name
    used: set[str] = set()
    for name, service in compose["services"].items():
        mounted = set(service.get("secrets", []))
        assert mounted <= set(declared), name
        used |= mounted
        wanted = set(re.findall(r"/run/secrets/([\w.-]+)", yaml.safe_dump(service)))
        assert wanted <= mounted, f"{name} names {sorted(wanted - mounted)} without mounting them"
        assert len({s for s in mounted if s.endswith("-key.pem")}) <= 1, name
    assert used == set(declared)
    ignore = (ROOT / "deploy" / "secrets" / ".gitignore").read_text().split()
    assert "*" in ignore and "!.gitignore" in ignore  # keys and certificates are never committed


def test_postgresql_speaks_tls_only() -> None:
    services = _compose()["services"]
    pg = services["postgresql"]
    options = dict(arg.split("=", 1) for arg in pg["command"] if "=" in arg)
    assert options["ssl"] == "on"
    assert options["ssl_cert_file"] == "/run/secrets/postgresql.pem"
    assert options["ssl_key_file"] == "/run/secrets/postgresql-key.pem"
    hba_mount = f"./deploy/postgres/pg_hba.conf:{options['hba_file']}:ro"
    assert hba_mount in pg["volumes"]
    rules = [
        line.split()
        for line in (ROOT / "deploy" / "postgres" / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert {rule[0] for rule in rules} == {"local", "hostssl"}  # no plain `host` line
    assert all(rule[-1] == "scram-sha-256" for rule in rules if rule[0] == "hostssl")
    assert all(rule[-1] != "trust" for rule in rules)
    temporal = services["temporal"]["environment"]
    assert temporal["SQL_TLS_ENABLED"] == "true"  # the server
    assert temporal["SQL_HOST_VERIFICATION"] == "true"
    assert temporal["SQL_HOST_NAME"] == "postgresql"
    assert temporal["POSTGRES_TLS_ENABLED"] == "true"  # its schema setup
    assert temporal["POSTGRES_TLS_SERVER_NAME"] == "postgresql"
    assert temporal["POSTGRES_TLS_DISABLE_HOST_VERIFICATION"] == "false"
    for name in ("worker", "migrate"):  # asyncpg reads libpq's variables
        env = services[name]["environment"]
        assert env["PGSSLMODE"] == "verify-full", name
        assert env["PGSSLROOTCERT"] == "/run/secrets/ca.pem", name
        assert env["ESCALATION_DATABASE_URL"].split("@")[1] == "postgresql:5432/escalation"


def test_the_mail_catcher_is_only_in_the_dev_profile() -> None:
    services = _compose()["services"]
    assert "mailpit" in services["smtp"]["image"]
    assert services["smtp"]["profiles"] == ["dev"]
    for name, service in services.items():
        if name not in ("smtp", *MONITORING):
            assert "profiles" not in service, name
            assert "smtp" not in service.get("depends_on", {}), name
    host = services["worker"]["environment"]["ESCALATION_SMTP_HOST"]
    assert _required(host, "ESCALATION_SMTP_HOST")  # no default pointing at the catcher


def test_temporal_caps_blobs_far_under_the_grpc_limit() -> None:
    temporal = _compose()["services"]["temporal"]
    path = Path(temporal["environment"]["DYNAMIC_CONFIG_FILE_PATH"])
    mounts = {target: source for source, target, *_ in (v.split(":") for v in temporal["volumes"])}
    config_file = ROOT / mounts[str(path.parent)] / path.name
    config = {key.lower(): value for key, value in yaml.safe_load(config_file.read_text()).items()}
    error = config["limit.blobsize.error"][0]["value"]
    warn = config["limit.blobsize.warn"][0]["value"]
    assert error == 512 * 1024 and warn == 256 * 1024
    assert warn < error <= GRPC_MESSAGE_LIMIT // 8  # several in one reply still fit
    assert "4 MB" in config_file.read_text()  # the comment says why


def test_the_codec_is_on_for_every_temporal_client_and_in_the_ui() -> None:
    services = _compose()["services"]
    for name in (*TEMPORAL_CLIENTS, "codec-server"):
        keys = services[name]["environment"]["ESCALATION_CODEC_KEYS"]
        assert keys == "${ESCALATION_CODEC_KEYS:?set ESCALATION_CODEC_KEYS}", name
    ui = services["temporal-ui"]["environment"]
    assert ui["TEMPORAL_CODEC_ENDPOINT"] == "${ESCALATION_CODEC_PUBLIC_URL:-http://localhost:8089}"
    assert ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"  # the admin's session cookie
    codec = services["codec-server"]["environment"]
    assert codec["ESCALATION_CODEC_TOKEN"].startswith("${ESCALATION_CODEC_TOKEN:?")
    assert (
        codec["ESCALATION_CODEC_CORS_ORIGINS"] == "${TEMPORAL_UI_PUBLIC_URL:-http://localhost:8080}"
    )
    for name in ("worker", "web"):
        env = services[name]["environment"]
        assert env["TEMPORAL_ADDRESS"] == "temporal:7233", name
        assert env["ESCALATION_LINK_SECRET"].startswith("${ESCALATION_LINK_SECRET:?"), name


def test_images_are_pinned_and_secrets_come_from_the_environment() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        if "image" in service:
            assert ":" in service["image"] and not service["image"].endswith(":latest"), name
        else:
            assert service["build"] == ".", name
    text = COMPOSE.read_text()
    secrets = re.findall(r"^\s+([A-Z_]*(?:PASSWORD|PWD|KEYS|TOKEN|SECRET)): (.+)$", text, re.M)
    assert len(secrets) >= 9
    for name, value in secrets:
        assert value.startswith("${") and ":?" in value, f"{name} must be required from the env"
    assert "postgresql+asyncpg://escalation:${RECORDS_DB_PASSWORD" in text


def test_no_literal_secret_anywhere_in_the_file() -> None:
    """Parsed, so anchors and merges count too: every secret-like value is required."""
    secret_name = re.compile(r"PASSWORD|PWD|SECRET|TOKEN|KEYS$")
    checked = 0
    for name, service in _compose()["services"].items():
        for key, value in service.get("environment", {}).items():
            if key.endswith("__FILE") and str(value).startswith("/run/secrets/"):
                continue  # read from a mounted secret file (Grafana's admin password)
            if secret_name.search(key):
                variable = "POSTGRES_PASSWORD" if key == "POSTGRES_PWD" else key
                assert _required(str(value), variable), f"{name}: {key}"
                checked += 1
            password_in_url = re.search(r"://[^/:@]+:(.+?)@[\w.-]+:\d+/", str(value))
            if password_in_url:
                assert _required(password_in_url.group(1), r"[A-Z_]+"), f"{name}: {key}"
                checked += 1
    assert checked >= 12
    text = COMPOSE.read_text()
    assert "PRIVATE KEY" not in text and "BEGIN CERTIFICATE" not in text


def test_every_variable_with_a_default_is_documented_in_the_header() -> None:
    text = COMPOSE.read_text()
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    for name in set(re.findall(r"\$\{([A-Z_]+)[:?-]", text)):
        assert re.search(rf"\b{name}\b", header), name


def test_the_worker_is_health_checked_on_its_own_endpoint() -> None:
    """The probe asks the port the worker serves /health on (settings.health_port)."""
    worker = _compose()["services"]["worker"]
    env = worker["environment"]
    port = env["ESCALATION_HEALTH_PORT"]
    assert Settings.model_validate({"health_port": port}).health_port == int(port)
    assert "ports" not in worker  # two replicas cannot publish one port; the probe is inside
    check = worker["healthcheck"]
    assert check["test"][0] == "CMD"
    assert f"http://localhost:{port}/health" in " ".join(check["test"])
    assert {"interval", "timeout", "retries", "start_period"} <= set(check)
    cached = env["ESCALATION_MAX_CACHED_WORKFLOWS"]
    assert re.fullmatch(r"\$\{ESCALATION_MAX_CACHED_WORKFLOWS:-\d+\}", cached)


def test_temporal_stores_on_postgresql() -> None:
    temporal = _compose()["services"]["temporal"]
    assert temporal["environment"]["DB"] == "postgres12"
    assert temporal["environment"]["POSTGRES_SEEDS"] == "postgresql"


def test_the_image_ships_every_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.split(".")[0] for p in project["tool"]["setuptools"]["packages"]}
    modules = set(project["tool"]["setuptools"]["py-modules"])
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) \./\1$", dockerfile, re.M))
    assert packages <= copied, f"add COPY lines for {sorted(packages - copied)} to the Dockerfile"
    copy_files = " ".join(re.findall(r"^COPY (.+) \./$", dockerfile, re.M))
    assert all(f"{m}.py" in copy_files for m in modules)
    # Bytecode is compiled at build time (PYTHONDONTWRITEBYTECODE forbids it at run time).
    assert "PYTHONDONTWRITEBYTECODE=1" in dockerfile
    assert re.search(r"^RUN python -m compileall (-q )?/app$", dockerfile, re.M)


def _mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> the repository file or folder a service mounts there."""
    found = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("./"):
            found[target] = ROOT / source
    return found


def test_monitoring_runs_only_in_its_profile_and_publishes_only_on_loopback() -> None:
    services = _compose()["services"]
    for name in MONITORING:
        assert services[name]["profiles"] == ["monitoring"], name
        assert "healthcheck" in services[name], name
    for name, service in services.items():  # nothing outside the profile waits for it
        if name not in MONITORING:
            assert not set(service.get("depends_on", {})) & set(MONITORING), name
    prometheus, grafana = services["prometheus"], services["grafana"]
    assert prometheus["networks"] == ["monitoring"] and "ports" not in prometheus
    assert "monitoring" in grafana["networks"]
    assert grafana["ports"] == ["127.0.0.1:3000:3000"]
    assert "monitoring" in services["worker"]["networks"]
    env = grafana["environment"]
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana-admin-password"
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"


def test_prometheus_scrapes_the_port_every_worker_serves_metrics_on() -> None:
    services = _compose()["services"]
    port = services["worker"]["environment"]["ESCALATION_METRICS_PORT"]
    assert Settings.model_validate({"metrics_port": port}).metrics_port == int(port)
    prometheus = services["prometheus"]
    mounts = _mounts(prometheus)
    config_path = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    config = yaml.safe_load(mounts[config_path.split("=", 1)[1]].read_text())
    (job,) = config["scrape_configs"]
    (discovery,) = job["dns_sd_configs"]
    assert discovery["names"] == ["worker"] and discovery["type"] == "A"
    assert discovery["port"] == int(port)
    assert job.get("metrics_path", "/metrics") == "/metrics"
    for rule_file in config["rule_files"]:  # each one mounted from deploy/monitoring/
        assert mounts[rule_file].is_file(), rule_file
        assert mounts[rule_file].parent == MONITORING_DIR


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard() -> None:
    grafana = _compose()["services"]["grafana"]
    mounts = _mounts(grafana)
    sources = yaml.safe_load(
        mounts["/etc/grafana/provisioning/datasources/escalation.yml"].read_text()
    )["datasources"]
    assert [(s["type"], s["url"], s["uid"]) for s in sources] == [
        ("prometheus", "http://prometheus:9090", "prometheus")
    ]
    (provider,) = yaml.safe_load(
        mounts["/etc/grafana/provisioning/dashboards/escalation.yml"].read_text()
    )["providers"]
    folder = mounts[provider["options"]["path"]]
    assert folder == MONITORING_DIR / "dashboards"
    assert sorted(p.name for p in folder.glob("*.json")) == ["escalation.json"]
