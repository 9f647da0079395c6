"""Frames out of `enjoy`: an mp4 file through opencv (codec mp4v, no external ffmpeg) and an optional window."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("sf_curric")

DEFAULT_VIDEO_FPS = 30


def display_available() -> bool:
    """True when a window can be opened (an X display is set)."""
    return bool(os.environ.get("DISPLAY"))


def _to_bgr(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    if frame.ndim == 2:
        frame = np.stack([frame] * 3, axis=-1)
    if frame.ndim != 3 or frame.shape[-1] not in (3, 4):
        raise ValueError(f"render() returned an array of shape {frame.shape}: expected (H, W, 3) RGB frames")
    return np.ascontiguousarray(frame[..., 2::-1])  # RGB(A) -> BGR, alpha dropped


class VideoWriter:
    """Writes RGB frames to an mp4 file with `cv2.VideoWriter` (fourcc mp4v), opened at the first frame.

    Args:
        path: the .mp4 file.
        fps: frames per second of the video.
        max_frames: frames after this many are ignored.

    Example:
        >>> writer = VideoWriter("replay.mp4", fps=30)
        >>> writer.add(env.render())
        >>> writer.close()
    """

    def __init__(self, path: Path | str, fps: int, max_frames: int = 1_000_000_000):
        self.path = Path(path)
        self.fps = int(fps)
        self.max_frames = int(max_frames)
        self.num_frames = 0
        self._writer = None
        self._size: tuple[int, int] | None = None

    def add(self, frame: np.ndarray) -> None:
        """Append one RGB frame `(H, W, 3)` (every frame must have the size of the first).

        Args:
            frame: uint8 RGB image, as returned by `env.render()` with render_mode="rgb_array".
        """
        if self.num_frames >= self.max_frames:
            return
        import cv2

        bgr = _to_bgr(frame)
        size = (bgr.shape[1], bgr.shape[0])
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, size)
            if not self._writer.isOpened():
                raise RuntimeError(f"opencv cannot write {self.path} with codec mp4v: check the folder is writable")
            self._size = size
        elif size != self._size:
            bgr = cv2.resize(bgr, self._size)
        self._writer.write(bgr)
        self.num_frames += 1

    def close(self) -> None:
        """Finish the file (nothing is written when no frame was added)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
            log.info("video: %d frames written to %s", self.num_frames, self.path)


class Window:
    """Shows frames in an opencv window, paced to `fps` (0: as fast as possible).

    Args:
        title: window title.
        fps: frames per second.
    """

    def __init__(self, title: str, fps: int = 0):
        self.title = title
        self.period = 1.0 / fps if fps > 0 else 0.0
        self._last = 0.0
        self._opened = False

    def show(self, frame: np.ndarray) -> None:
        """Display one RGB frame.

        Args:
            frame: uint8 RGB image.
        """
        import cv2

        if self.period:
            wait = self._last + self.period - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
        cv2.imshow(self.title, _to_bgr(frame))
        cv2.waitKey(1)
        self._opened = True

    def close(self) -> None:
        """Close the window if one was opened."""
        if self._opened:
            import cv2

            cv2.destroyWindow(self.title)
            self._opened = False
