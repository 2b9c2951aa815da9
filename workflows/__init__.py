"""Temporal workflows, one per module, and the pure logic they interpret."""
