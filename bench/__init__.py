"""The benchmark: the product against a bare Temporal workflow of the same shape.

Run ``python -m bench`` (see ``bench/run.py``); it is never part of the test suite.
"""
