"""The ``workflow.patched`` ids of the workflows.

Version 1.0 folded every earlier patch and gate into one path (nothing had been
released, so no running case could need an older one). From 1.0 on, a change that
alters the commands a workflow issues (an activity added, a timer moved) takes a
``workflow.patched(ID)`` with its ID declared here, and a saved history of the old
path beside the 1.0 baseline: see CONTRIBUTING.md, "The replay rule".
"""

from __future__ import annotations

RECORD_BETWEEN_STEPS = "record-between-steps"
"""The recorder takes a batch only between steps (``CaseKernel._steps``), so everything a
step queues goes in one ``record_steps`` write: an escalation by deadline writes
``stage_left``, ``deadline_passed`` and ``stage_entered`` together. Before it, the recorder
woke while the step awaited the next stage's deadline (a local activity) and wrote the
first two alone, then ``stage_entered`` in a second write: one activity, one workflow task
and one database commit more per escalation. A case that replays without the marker keeps
the old path for the rest of its run (``tests/histories/*--before-record-between-steps``).
"""
