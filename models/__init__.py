"""Pydantic models that cross the Temporal boundary, plus the policy pack schema.

This package imports only pydantic and the standard library so that it can be
imported anywhere, including inside the workflow sandbox.
"""
