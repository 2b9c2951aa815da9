"""``python -m bench.traced_worker``: worker.py under tracemalloc, for ``python -m bench.memory``.

The same worker as ``python worker.py`` (same settings, same ``run_worker``), with
``tracemalloc`` started before anything is imported. The first SIGUSR1 takes a baseline;
the next writes where the memory that grew since was allocated (by file, line and
traceback) to ``BENCH_TRACEMALLOC_OUT``, so
the memory sweep can say what a cached workflow costs, not only how much. Tracing
slows the worker several times over: its timings are not figures.
"""

from __future__ import annotations

import tracemalloc

tracemalloc.start(int(__import__("os").environ.get("BENCH_TRACEMALLOC_FRAMES", "1")))

import asyncio  # noqa: E402 - after tracing starts, so imports are traced too
import gc  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
from pathlib import Path  # noqa: E402

from settings import get_settings  # noqa: E402
from worker import run_worker  # noqa: E402

TOP = 40


class Dumper:
    """The first SIGUSR1 takes the baseline; each later one writes what grew since it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.baseline: tracemalloc.Snapshot | None = None

    def __call__(self) -> None:
        gc.collect()
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        if self.baseline is None:
            self.baseline = snapshot
            self.path.with_suffix(".baseline").write_text("taken\n", encoding="utf-8")
            return
        lines = []
        for key in ("filename", "lineno", "traceback"):
            stats = snapshot.compare_to(self.baseline, key)
            if key == "filename":
                total = sum(s.size_diff for s in stats)
                lines.append(f"grown since the baseline: {total / 2**20:.1f} MiB")
            lines.append(f"\n== by {key}")
            for stat in stats[: TOP if key != "traceback" else 8]:
                frames = stat.traceback.format() if key == "traceback" else [str(stat.traceback)]
                lines.append(
                    f"{stat.size_diff / 1024:10.1f} KiB {stat.count_diff:8d} blocks  "
                    + "\n        ".join(frames)
                )
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    """Run the worker until SIGTERM; dump allocations on SIGUSR1."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    out = Path(os.environ["BENCH_TRACEMALLOC_OUT"])

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGUSR1, Dumper(out))
        await run_worker(get_settings(), stop)

    asyncio.run(_main())


if __name__ == "__main__":
    main()
