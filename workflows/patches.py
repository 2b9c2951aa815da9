"""The ``workflow.patched`` ids of the workflows: none at 1.0.

Version 1.0 folded every earlier patch and gate into one path (nothing had been
released, so no running case could need an older one). From 1.0 on, a change that
alters the commands a workflow issues (an activity added, a timer moved) takes a
``workflow.patched(ID)`` with its ID declared here, and a saved history of the old
path beside the 1.0 baseline: see CONTRIBUTING.md, "The replay rule".
"""

from __future__ import annotations
