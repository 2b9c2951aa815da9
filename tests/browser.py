"""Debian's headless Chromium for the page tests (nothing downloads a browser)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
T = TypeVar("T")


def chromium(*, javascript: bool = True) -> Iterator[webdriver.Chrome]:
    """One headless Chromium, quit afterwards; skipped (failed on CI) where it is not installed.

    ``javascript=False`` turns scripts off, to show a page works without them.
    """
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium and chromium-driver must be installed (.ci/run does)")
        pytest.skip("apt-get install chromium chromium-driver to run the browser test")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


async def in_browser(action: Callable[[], T]) -> T:
    """Selenium blocks; the pages are served from this event loop, so drive it from a thread."""
    return await asyncio.to_thread(action)
