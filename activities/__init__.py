"""Temporal activities: the only places that touch the outside world or changeable data."""
