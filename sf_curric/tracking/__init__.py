"""Tracking during training: evaluation on task groups in its own process, the best checkpoint by eval return,
videos, and Weights & Biases logging. The flags are in `sf_curric.tracking.args`."""
