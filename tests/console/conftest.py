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


@pytest.fixture(scope="session")
def _scriptless_chromium() -> Iterator[webdriver.Chrome]:
    yield from chromium(javascript=False)


@pytest.fixture(scope="session")
def _chromium() -> Iterator[webdriver.Chrome]:
    yield from chromium()


@pytest.fixture
def browser(_scriptless_chromium: webdriver.Chrome) -> webdriver.Chrome:
    """Chromium with JavaScript off: every console page and form works without it.

    One browser per test process (starting Chromium costs a second of CPU), signed out
    for each test: cookies are per host, not per port, so another test's console
    session on localhost must not sign this one in.
    """
    _scriptless_chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    return _scriptless_chromium


@pytest.fixture
def axe_browser(_chromium: webdriver.Chrome) -> webdriver.Chrome:
    """Chromium with JavaScript on, for the accessibility checker (axe-core) only."""
    _chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    return _chromium
