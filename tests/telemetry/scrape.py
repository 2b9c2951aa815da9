"""Reading a Prometheus text exposition in tests: samples by name and labels."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


async def scrape(url: str, timeout: float = 15.0) -> str:
    """GET ``url``'s text, retrying while nothing listens yet (the worker is still starting)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(url, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                    assert resp.status == 200
                    assert resp.headers["Content-Type"].startswith("text/plain")
                    return await resp.text()
            except aiohttp.ClientConnectionError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)


def samples(text: str) -> list[Sample]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def families(text: str) -> set[str]:
    """Every series name the text declares (``# TYPE``), counters with their ``_total``."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            names.add(
                f"{name}_total" if kind == "counter" and not name.endswith("_total") else name
            )
    return names


def value(found: list[Sample], name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (0 if none)."""
    return sum(s.value for s in found if s.name == name and labels.items() <= s.labels.items())
