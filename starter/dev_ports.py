"""The ports ``escalation dev`` binds, checked before anything starts.

A busy port found half-way through is worse than useless: with the SMTP sink's taken
the stack died in a 40-line traceback after the dev server had started, and with
Temporal's taken the readiness check reached the *other* stack's server, so a worker
ran there on this stack's database. Checking every port first, and naming the flag
that moves the busy one, turns both into one line and exit 2.
"""

from __future__ import annotations

import argparse
import errno
import socket
from dataclasses import dataclass

HOST = "127.0.0.1"
"""Every part of the dev stack listens on loopback only."""


@dataclass(frozen=True)
class DevPort:
    """One port the stack binds: what listens there and the option that moves it."""

    what: str
    flag: str
    port: int


def dev_ports(args: argparse.Namespace) -> list[DevPort]:
    """The ports ``escalation dev`` will bind, from its options.

    The dev server's HTTP, metrics and internal ports are not here: it picks free
    ones itself.
    """
    return [
        DevPort("Temporal frontend", "--port", args.port),
        DevPort("Temporal Web UI", "--ui-port", args.ui_port),
        DevPort("SMTP sink", "--smtp-port", args.smtp_port),
        DevPort("decision page", "--web-port", args.web_port),
        DevPort("partnership console", "--console-port", args.console_port),
        DevPort("local sign-in provider", "--oidc-port", args.oidc_port),
    ]


def in_use(port: int, host: str = HOST) -> bool:
    """Whether something listens on ``host:port`` now (bind refused).

    ``SO_REUSEADDR`` so that connections of a stack just stopped, lingering in
    TIME_WAIT, do not count: on Linux a listening socket still refuses the bind.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def port_problems(ports: list[DevPort]) -> list[str]:
    """One sentence per port that cannot be used, naming the flag that moves it.

    Empty when every port is free and no two parts were given the same one.
    """
    problems: list[str] = []
    seen: dict[int, DevPort] = {}
    for p in ports:
        move = f'move it with {p.flag} PORT (make dev ARGS="{p.flag} PORT")'
        if p.port in seen:
            problems.append(
                f"port {p.port} is given to both the {seen[p.port].what}"
                f" ({seen[p.port].flag}) and the {p.what} ({p.flag}); {move}"
            )
            continue
        seen[p.port] = p
        if not 0 < p.port < 65536:
            problems.append(f"port {p.port} for the {p.what} is not a TCP port; {move}")
        elif in_use(p.port):
            problems.append(
                f"port {p.port} ({p.what}) is in use, perhaps by another `escalation dev`;"
                f" stop that, or {move}"
            )
    return problems
