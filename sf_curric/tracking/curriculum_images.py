"""Small charts of a curriculum's task distribution for tensorboard, drawn with numpy and OpenCV (no matplotlib).

Both functions return `uint8` RGB images `[H, W, 3]` (`writer.add_image(tag, image, step, dataformats="HWC")`).
"""

from __future__ import annotations

from typing import Any, Callable, List, Sequence, Tuple

import numpy as np

WIDTH, HEIGHT = 640, 280
_MARGIN_LEFT, _MARGIN_RIGHT, _MARGIN_TOP, _MARGIN_BOTTOM = 56, 12, 24, 36
_WHITE, _BLACK, _GREY = (255, 255, 255), (0, 0, 0), (200, 200, 200)
_BAR = (66, 133, 244)
# distinct line colors (RGB) for the top tasks
_COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75)]


def _canvas() -> np.ndarray:
    return np.full((HEIGHT, WIDTH, 3), 255, dtype=np.uint8)


def _text(image: np.ndarray, text: str, x: int, y: int, color=_BLACK, scale: float = 0.4) -> None:
    import cv2

    cv2.putText(image, text, (int(x), int(y)), cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def _axes(
    image: np.ndarray, y_max: float, x_label: str, right_margin: int = _MARGIN_RIGHT
) -> Tuple[int, int, int, int]:
    """Draw the axes and y ticks; return the plot box (left, top, right, bottom)."""
    import cv2

    left, top = _MARGIN_LEFT, _MARGIN_TOP
    right, bottom = WIDTH - right_margin, HEIGHT - _MARGIN_BOTTOM
    for frac in (0.0, 0.5, 1.0):
        y = int(bottom - frac * (bottom - top))
        cv2.line(image, (left, y), (right, y), _GREY, 1)
        _text(image, f"{frac * y_max:.3g}", 4, y + 4)
    cv2.line(image, (left, top), (left, bottom), _BLACK, 1)
    cv2.line(image, (left, bottom), (right, bottom), _BLACK, 1)
    _text(image, x_label, (left + right) // 2 - 4 * len(x_label), HEIGHT - 8)
    return left, top, right, bottom


def render_distribution(dist: Sequence[float], labels: Sequence[str] | None = None) -> np.ndarray:
    """A bar chart of the probability of each task.

    Args:
        dist: probability per task (task index order).
        labels: task names to print under the bars (printed when they fit).

    Example:
        >>> render_distribution([0.5, 0.25, 0.25]).shape
        (280, 640, 3)
    """
    import cv2

    dist = np.asarray(dist, dtype=np.float64)
    image = _canvas()
    y_max = float(dist.max()) if dist.size and dist.max() > 0 else 1.0
    left, top, right, bottom = _axes(image, y_max, "task")
    n = max(1, len(dist))
    width = (right - left) / n
    for i, p in enumerate(dist):
        x0 = int(left + i * width)
        x1 = max(x0, int(left + (i + 1) * width) - (1 if width > 3 else 0))
        y = int(bottom - p / y_max * (bottom - top))
        if p > 0:
            cv2.rectangle(image, (x0, min(y, bottom - 1)), (x1, bottom - 1), _BAR, -1)
    if labels is not None and width >= 24:
        for i, name in enumerate(labels):
            _text(image, str(name)[:6], int(left + i * width + 2), bottom + 14, scale=0.35)
    else:
        _text(image, "0", left, bottom + 14)
        _text(image, str(n - 1), right - 8 * len(str(n - 1)), bottom + 14)
    _text(image, f"probability per task ({n} tasks)", left, 16)
    return image


def render_top_tasks(
    history: List[Tuple[int, np.ndarray]], top_k: int = 5, label: Callable[[int], str] = str
) -> np.ndarray:
    """Lines of the probability over time of the `top_k` most likely tasks of the newest distribution.

    Args:
        history: `(step, distribution)` pairs, oldest first.
        top_k: number of tasks to draw.
        label: task index -> name for the legend.

    Example:
        >>> render_top_tasks([(0, np.array([0.5, 0.5])), (10, np.array([0.9, 0.1]))]).shape
        (280, 640, 3)
    """
    import cv2

    steps = np.asarray([s for s, _ in history], dtype=np.float64)
    probs = np.stack([d for _, d in history])  # [time, tasks]
    top = np.argsort(-probs[-1], kind="stable")[:top_k]
    image = _canvas()
    y_max = float(probs[:, top].max()) if probs[:, top].max() > 0 else 1.0
    left, top_px, right, bottom = _axes(image, y_max, "env steps", right_margin=96)
    span = steps[-1] - steps[0] if steps[-1] > steps[0] else 1.0
    xs = left + (steps - steps[0]) / span * (right - left)
    for rank, task in enumerate(top):
        ys = bottom - probs[:, task] / y_max * (bottom - top_px)
        points = np.stack([xs, ys], axis=1).round().astype(np.int32).reshape(-1, 1, 2)
        color = _COLORS[rank % len(_COLORS)]
        cv2.polylines(image, [points], False, color, 2, cv2.LINE_AA)
        _text(image, f"task {label(int(task))[:8]}", right + 6, top_px + 14 + 14 * rank, color)
    _text(image, f"top {len(top)} tasks over time", left, 16)
    _text(image, f"{int(steps[0])}", left, bottom + 14)
    _text(image, f"{int(steps[-1])}", right - 7 * len(str(int(steps[-1]))), bottom + 14)
    return image


def add_image(writer: Any, tag: str, image: np.ndarray, step: int) -> None:
    """Write an RGB `uint8` image `[H, W, 3]` to a tensorboardX writer, PNG-encoded with OpenCV (tensorboardX's own
    `add_image` needs Pillow, which sf_curric does not depend on); other writers get `add_image(..., "HWC")`.

    Args:
        writer: a `tensorboardX.SummaryWriter` (or anything with `add_image`).
        tag: the image's tag.
        image: the image.
        step: global step.
    """
    get_file_writer = getattr(writer, "_get_file_writer", None)
    if get_file_writer is None:
        writer.add_image(tag, image, step, dataformats="HWC")
        return
    import cv2
    from tensorboardX.proto.summary_pb2 import Summary

    ok, png = cv2.imencode(".png", np.ascontiguousarray(image[:, :, ::-1]))  # OpenCV encodes BGR
    if not ok:
        raise ValueError(f"could not PNG-encode the {tag!r} image of shape {image.shape}")
    height, width, channels = image.shape
    summary_image = Summary.Image(height=height, width=width, colorspace=channels, encoded_image_string=png.tobytes())
    get_file_writer().add_summary(Summary(value=[Summary.Value(tag=tag, image=summary_image)]), step)
