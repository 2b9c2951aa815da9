"""The client SDK a case system imports, and the ``escalation`` command built on it."""
