"""``python -m bench.records``: the records database at scale (see ``__main__``)."""
