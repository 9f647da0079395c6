"""Policies that leave the trainer: `python -m sf_curric.export --experiment=... --format=torchscript|onnx` writes a
self-contained file (observation normalization inside; a recurrent state as an explicit input and output) that runs
with torch alone or with onnxruntime alone. See docs/export.md."""

from sf_curric.export.policy_module import ExportedPolicy, reference_outputs
from sf_curric.export.writers import export_policy

__all__ = ["ExportedPolicy", "export_policy", "reference_outputs"]
