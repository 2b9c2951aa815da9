"""The partnership console in ``escalation dev``, with a local OpenID Connect provider.

Councils sign in through their own provider; on a laptop there is none, so the dev
stack runs ``oidc-provider-mock`` (a real OpenID Connect provider for development and
tests, installed by ``make install``) on loopback and points the console at it. Its
sign-in form asks only for a subject: the demo people below are predefined with an
email and a group, and the demo access file (written once into the state directory,
editable) gives their groups a role in every shipped partnership. Nothing here is
used outside ``escalation dev``: a deployment sets the ``ESCALATION_CONSOLE_*``
variables for its own provider (docs/console.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from packs import PACK_DIR, load_pack
from settings import Settings
from starter.connect import ConnectionOptions, connect

log = logging.getLogger("escalation.dev")

CLIENT_ID = "escalation-dev-console"
DEMO_PEOPLE: dict[str, tuple[str, str]] = {
    "business.manager": ("business.manager@partnership.example.org", "business_manager"),
    "chair": ("chair@partnership.example.org", "chair"),
    "qa": ("qa@partnership.example.org", "qa"),
    "viewer": ("viewer@partnership.example.org", "viewer"),
}
"""Sign-in subject → (email, role): type the subject into the local provider's form."""


def partnerships(pack_dir: Path = PACK_DIR) -> list[str]:
    """Every shipped pack's partnership, once each."""
    return sorted({load_pack(p.stem, pack_dir).partnership for p in pack_dir.glob("*.toml")})


def demo_access(pack_dir: Path = PACK_DIR) -> str:
    """The demo access file: each demo group holds its role in every shipped partnership."""
    lines = [
        "# The dev stack's demo access file: edit it, or set ESCALATION_CONSOLE_ACCESS_FILE.\n"
    ]
    for partnership in partnerships(pack_dir):
        for _, (_, role) in DEMO_PEOPLE.items():
            lines.append(
                f'[[group]]\ngroup = "dev-{role}"\npartnership = "{partnership}"\n'
                f'roles = ["{role}"]\n'
            )
    return "\n".join(lines)


def demo_users() -> list[Any]:
    """The local provider's predefined people (their email and group)."""
    from oidc_provider_mock import User

    return [
        User(sub=sub, claims={"email": email, "name": sub, "groups": [f"dev-{role}"]})
        for sub, (email, role) in DEMO_PEOPLE.items()
    ]


def available() -> bool:
    """Whether the local provider is installed (``make install`` installs it)."""
    try:
        import oidc_provider_mock  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def local_provider(port: int) -> Iterator[str]:
    """oidc-provider-mock on ``localhost:port`` in a thread; its issuer URL."""
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(port=port, user_claims=demo_users(), require_nonce=True):
        yield f"http://localhost:{port}"


def access_file(state: Path) -> Path:
    """``ESCALATION_CONSOLE_ACCESS_FILE``, else the demo file in the state directory."""
    if chosen := os.environ.get("ESCALATION_CONSOLE_ACCESS_FILE", "").strip():
        return Path(chosen)
    path = state / "console-access.toml"
    if not path.exists():
        path.write_text(demo_access(), encoding="utf-8")
    return path


def session_secret(state: Path) -> str:
    """The console's session secret, kept in the state directory (made once, mode 600)."""
    from starter.devstack import write_secret_file

    path = state / "console-secret"
    write_secret_file(path, secrets.token_hex(32))
    return str(path.read_text(encoding="utf-8").strip())


async def serve_console(
    settings: Settings,
    address: str,
    issuer: str,
    port: int,
    access_path: Path,
    secret: str,
    stop: asyncio.Event,
) -> None:
    """The console beside the worker; a busy port only costs the console, not the stack."""
    from console.access import AccessMap
    from console.app import Provider, run_console
    from records.db import make_sessionmaker

    keys = settings.codec_keys.get_secret_value() if settings.codec_keys else None
    client = await connect(options=ConnectionOptions(address=address, codec_keys=keys))
    sessions = make_sessionmaker(settings.database_url, create=False)
    try:
        await run_console(
            client,
            settings.task_queue,
            sessions,
            settings.database_url,
            Provider(issuer, CLIENT_ID, "dev-only"),
            access=AccessMap.load(access_path),
            access_path=access_path,
            base_url=f"http://localhost:{port}",
            session_secret=secret,
            host="127.0.0.1",
            port=port,
            stop=stop,
        )
    except OSError as exc:
        log.warning("partnership console not started on port %d: %s", port, exc)
    finally:
        await sessions.kw["bind"].dispose()


def banner_lines(console_port: int, issuer: str | None, access_path: Path | None) -> list[str]:
    """What the banner says about the console: where it is, and who to sign in as."""
    if issuer is None or access_path is None:
        return ["Console            off (pip install oidc-provider-mock for local sign-in)"]
    people = ", ".join(DEMO_PEOPLE)
    return [
        f"Console            http://localhost:{console_port} (sign in as: {people})",
        f"Console sign-in    {issuer} (oidc-provider-mock, local only); roles {access_path}",
    ]
