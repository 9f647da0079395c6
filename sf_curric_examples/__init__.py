"""Runnable examples of sf_curric, one file each (see docs/examples.md)."""
