"""Write an `ExportedPolicy` as TorchScript (`torch.jit.trace`) or ONNX (`torch.onnx.export`), with a JSON file of
metadata next to it (`<file>.json`: shapes, dtypes, input/output names, action space)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from sf_curric.export.policy_module import ExportedPolicy

FORMATS = ("torchscript", "onnx")
SUFFIX = {"torchscript": ".pt", "onnx": ".onnx"}
ONNX_OPSET = 17


class ExportError(ValueError):
    """The policy cannot be exported; one line that names the fix."""


def _torchscript(policy: ExportedPolicy, path: Path, meta: dict[str, Any]) -> None:
    with torch.no_grad():  # strict=False: a Dict observation is traced as a dict input
        traced = torch.jit.trace(policy, policy.example_inputs(), check_trace=False, strict=False)
    torch.jit.save(traced, str(path), _extra_files={"sf_curric.json": json.dumps(meta)})


def _onnx(policy: ExportedPolicy, path: Path, meta: dict[str, Any]) -> None:
    try:
        import onnx
    except ImportError:
        raise ExportError('ONNX export needs onnx: pip install "sf_curric[export]"') from None
    dynamic = {name: {0: "batch"} for name in meta["inputs"] + meta["outputs"]}
    inputs = policy.example_inputs()
    if isinstance(inputs[-1], dict):  # a trailing dict would be read as keyword arguments: its keys become inputs
        inputs = (*inputs, {})
    with torch.no_grad():
        torch.onnx.export(
            policy,
            inputs,
            str(path),
            input_names=meta["inputs"],
            output_names=meta["outputs"],
            dynamic_axes=dynamic,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, {"sf_curric": json.dumps(meta)})
    onnx.save(model, str(path))


def export_policy(model: Any, path: Path | str, fmt: str, extra_meta: dict[str, Any] | None = None) -> Path:
    """Export a trained `ActorCritic` to a self-contained file.

    Args:
        model: the `ActorCritic` (weights and normalizers loaded).
        path: the output file (its folder is created).
        fmt: "torchscript" or "onnx".
        extra_meta: more metadata for the JSON file (e.g. the env name, env steps).

    Returns:
        The path written.

    Raises:
        ExportError: unknown format or a missing package (one line naming the fix).

    Example:
        >>> export_policy(model, "policy.onnx", "onnx")
    """
    if fmt not in FORMATS:
        raise ExportError(f"--format={fmt}: choose one of {', '.join(FORMATS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    policy = ExportedPolicy(model)
    meta = {**policy.metadata(), "format": fmt, **(extra_meta or {})}
    (_torchscript if fmt == "torchscript" else _onnx)(policy, path, meta)
    path.with_name(path.name + ".json").write_text(json.dumps(meta, indent=2) + "\n")
    return path
