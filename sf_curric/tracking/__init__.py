"""Tracking during training: evaluation on task groups in its own process, the best checkpoint by eval return,
videos, Weights & Biases logging, and the curriculum's report (its status on the progress line, its images in
tensorboard). The flags are in `sf_curric.tracking.args`."""
