"""``python -m bench.records``: the records database at scale, timed command by command.

Fills the database at ``--database-url`` (migrated to head first) with ``--cases``
disagreements and ``--alerts`` practice alerts shaped like real ones
(``bench.records.shapes``), then runs each read a person or the reconcile sweep
makes (``bench.records.ops``) ``--repeat`` times, each in a fresh process, and keeps
the median time and the highest peak memory. Other work shares this machine's two
cores, so a single run is noise; medians of two or more are what the docs quote.

The summary is merged into ``--output`` (one entry per backend, size and
``--label``), so runs at 20,000 and 100,000 cases, before and after a change, sit side
by side: memory that does not grow with the cases is the proof that a read streams.
It is a measurement, not a test (a tiny run of it is: ``tests/test_bench_records.py``).
"""

from __future__ import annotations

import sys

from bench.records.run import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
