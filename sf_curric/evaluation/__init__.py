"""Evaluation of trained policies: `enjoy` (watch, record a video) and `evaluate` (train vs held-out tasks).

The command-line entry points are `python -m sf_curric.enjoy` and `python -m sf_curric.eval`; their flags are in
`sf_curric.evaluation.args`.
"""
