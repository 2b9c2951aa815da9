"""What ``escalation dev`` says: its banner, ending "Ready", and "Stopped" after Ctrl-C.

The banner names every part and where it keeps its state, so a second terminal knows
what to export; its last line is printed only once the decision page accepts
connections, so a person (or a test) waiting for it can use the stack at once.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from pathlib import Path

from settings import HOME_ENV, Settings, escalation_home
from workflows.search_attributes import registration


@dataclass(frozen=True)
class Parts:
    """Where the running parts are, for the banner."""

    state: Path
    temporal_address: str
    ui_url: str
    smtp_port: int
    local_settings: str


def banner(parts: Parts, settings: Settings) -> list[str]:
    """The lines printed once everything is started, before the "Ready" line."""
    codec = "off (export ESCALATION_CODEC_KEYS to encrypt payloads)"
    if settings.codec_keys is not None:
        codec = "on: payloads are encrypted (ESCALATION_CODEC_KEYS)"
    return [
        f"State directory    {parts.state}{home_hint(parts.state)}",
        f"Temporal frontend  {parts.temporal_address}",
        f"Temporal Web UI    {parts.ui_url}",
        f"SMTP sink          127.0.0.1:{parts.smtp_port} -> {parts.state / 'mail'}",
        f"Records database   {settings.database_url}",
        f"Worker             task queue '{settings.task_queue}'",
        f"Search attributes  {', '.join(registration())}",
        f"Payload codec      {codec}",
        f"Decision page      {settings.web_base_url}",
        f"Local settings     {parts.local_settings}",
    ]


READY = "Ready: the whole stack is running. Ctrl-C stops all of it."
"""The banner's last line: what a person (or a test) waits for before using the stack."""

STOPPED = (
    "Stopped: worker, decision page, partnership console, SMTP sink and Temporal dev server"
    " (state kept)."
)
"""Printed once every part has stopped after Ctrl-C or SIGTERM, so nothing is left behind."""


def state_dir(args: argparse.Namespace) -> Path:
    """``--state-dir``, else ``ESCALATION_HOME``, else the default the CLI reads too."""
    chosen: Path | None = args.state_dir
    return chosen.expanduser().absolute() if chosen is not None else escalation_home()


def home_hint(state: Path) -> str:
    """What the other terminals need to read this stack's records, when it is not the default."""
    if state == escalation_home():
        return ""
    return f" (export {HOME_ENV}={state} for the other commands)"


async def page_listening(port: int, stopping: set[asyncio.Task[object]]) -> None:
    """Wait (up to 30 s) until the decision page accepts connections, or a part has ended."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline and not any(t.done() for t in stopping):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
