"""docker-compose.yml describes the production topology (no Docker engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

COMPOSE = Path(__file__).parents[1] / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_services_of_the_production_topology() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgresql", "temporal", "temporal-ui", "smtp", "migrate", "worker"}
    assert services["worker"]["deploy"]["replicas"] == 2
    assert (
        services["worker"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    )
    for name in ("postgresql", "temporal", "temporal-ui", "smtp"):
        assert "healthcheck" in services[name], name
    assert services["temporal"]["depends_on"]["postgresql"]["condition"] == "service_healthy"


def test_images_are_pinned_and_secrets_come_from_the_environment() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        if "image" in service:
            assert ":" in service["image"] and not service["image"].endswith(":latest"), name
    text = COMPOSE.read_text()
    for match in re.finditer(r"(PASSWORD|PWD)[A-Z_]*: (.+)", text):
        assert match.group(2).startswith("${"), match.group(0)
    assert "postgresql+asyncpg://escalation:${RECORDS_DB_PASSWORD" in text
