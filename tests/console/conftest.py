"""Fixtures of the console tests: the OpenID Connect provider and Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from oidc_provider_mock import run_server_in_thread
from selenium import webdriver

from tests.browser import chromium
from tests.console.support import USERS


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    """A real OpenID Connect provider on a free port (its issuer URL)."""
    with run_server_in_thread(user_claims=USERS, require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """Chromium with JavaScript off: every console page and form works without it."""
    yield from chromium(javascript=False)


@pytest.fixture(scope="module")
def axe_browser() -> Iterator[webdriver.Chrome]:
    """Chromium with JavaScript on, for the accessibility checker (axe-core) only."""
    yield from chromium()
