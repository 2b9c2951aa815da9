"""docker-compose.yml describes the production topology (no Docker engine runs here).

The file is parsed and checked for what a real deployment needs: every part of
the topology, start-up order by health, two worker replicas, the codec on for
every Temporal client and wired into the Web UI, secrets only from the
environment, documented defaults, a worker healthcheck on its own endpoint, and an
image that ships every package.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from settings import Settings

ROOT = Path(__file__).parents[1]
COMPOSE = ROOT / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _needs(service: dict[str, Any], other: str) -> str:
    return str(service["depends_on"][other]["condition"])


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
    }
    worker = services["worker"]
    assert worker["deploy"]["replicas"] == 2
    assert _needs(worker, "migrate") == "service_completed_successfully"
    assert _needs(worker, "temporal-setup") == "service_completed_successfully"
    assert _needs(worker, "temporal") == "service_healthy"
    assert _needs(services["temporal"], "postgresql") == "service_healthy"
    assert _needs(services["temporal-ui"], "codec-server") == "service_healthy"
    assert services["temporal-setup"]["command"] == ["escalation", "setup"]
    for name in ("postgresql", "temporal", "temporal-ui", "smtp", "codec-server", "web", "worker"):
        assert "healthcheck" in services[name], name
    for name in ("codec-server", "web"):
        probe = " ".join(services[name]["healthcheck"]["test"])
        port = services[name]["ports"][0].split(":")[1]
        assert f"localhost:{port}/health" in probe, name
        assert services[name]["command"][-1] == port, name


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


def test_the_codec_is_on_for_every_temporal_client_and_in_the_ui() -> None:
    services = _compose()["services"]
    for name in ("worker", "web", "codec-server"):
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
    assert len(secrets) >= 8
    for name, value in secrets:
        assert value.startswith("${") and ":?" in value, f"{name} must be required from the env"
    assert "postgresql+asyncpg://escalation:${RECORDS_DB_PASSWORD" in text


def test_every_variable_with_a_default_is_documented_in_the_header() -> None:
    text = COMPOSE.read_text()
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    for name in set(re.findall(r"\$\{([A-Z_]+)[:?-]", text)):
        assert name in header.replace("/PORT", " ESCALATION_SMTP_PORT"), name


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
