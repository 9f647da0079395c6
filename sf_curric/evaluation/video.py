"""Frames out of `enjoy`: an H.264 mp4 file (browsers play it) and an optional window.

The video goes through imageio-ffmpeg, whose wheel ships its own ffmpeg with the libx264 encoder
(the `video` extra); opencv's own mp4 writer only has mp4v, which browsers do not play.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from sf_curric.errors import install_command

log = logging.getLogger("sf_curric")

DEFAULT_VIDEO_FPS = 30
VIDEO_CODEC = "libx264"
VIDEO_EXTRA_HINT = install_command("video")


class VideoDependencyError(RuntimeError):
    """A package needed to record a video is missing; the message names the pip extra."""


def display_available() -> bool:
    """True when a window can be opened (an X or Wayland display is set)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def render_offscreen() -> None:
    """Frames go to arrays, not to a window: when no display is set, point SDL (pygame, which draws gymnasium's
    classic-control envs) at its dummy video and audio drivers. Otherwise `pygame.init()` probes Wayland and prints
    `error: XDG_RUNTIME_DIR is invalid or not set in the environment.` on a successful run. A driver the user set
    is kept."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no banner on the console
    if not display_available():
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def _to_rgb(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    if frame.ndim == 2:
        frame = np.stack([frame] * 3, axis=-1)
    if frame.ndim != 3 or frame.shape[-1] not in (3, 4):
        raise ValueError(f"render() returned an array of shape {frame.shape}: expected (H, W, 3) RGB frames")
    return np.ascontiguousarray(frame[..., :3])  # alpha dropped


def _even(frame: np.ndarray) -> np.ndarray:
    """Pad to even height and width with black (H.264 in yuv420p needs both even)."""
    pad_h, pad_w = frame.shape[0] % 2, frame.shape[1] % 2
    if pad_h or pad_w:
        frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)))
    return frame


def _imageio_ffmpeg() -> Any:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise VideoDependencyError(f"--save_video needs imageio-ffmpeg: {VIDEO_EXTRA_HINT}") from None
    return imageio_ffmpeg


class VideoWriter:
    """Writes RGB frames to an H.264 mp4 file (yuv420p, plays in browsers), opened at the first frame.

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
        self._writer: Any = None
        self._shape: tuple[int, ...] | None = None
        _imageio_ffmpeg()  # a missing package stops before any episode runs

    def add(self, frame: np.ndarray) -> None:
        """Append one RGB frame `(H, W, 3)` (a frame of another size is resized to the first one's).

        Args:
            frame: uint8 RGB image, as returned by `env.render()` with render_mode="rgb_array".
        """
        if self.num_frames >= self.max_frames:
            return
        rgb = _even(_to_rgb(frame))
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            height, width = rgb.shape[:2]
            self._writer = _imageio_ffmpeg().write_frames(
                str(self.path), (width, height), fps=self.fps, codec=VIDEO_CODEC, macro_block_size=1
            )
            self._writer.send(None)  # start ffmpeg
            self._shape = rgb.shape
        elif rgb.shape != self._shape:
            import cv2

            rgb = cv2.resize(rgb, (self._shape[1], self._shape[0]))
        self._writer.send(np.ascontiguousarray(rgb))
        self.num_frames += 1

    def close(self) -> None:
        """Finish the file (nothing is written when no frame was added)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            log.info("video: %d frames written to %s (H.264)", self.num_frames, self.path)


class Window:
    """Shows frames in a pygame window (the `video` extra), paced to `fps` (0: as fast as possible); closing the
    window sets `closed` (enjoy then plays no further episode).

    pygame, not OpenCV: sf_curric depends on opencv-python-headless (no GUI libraries), and pygame is what draws
    gymnasium's classic-control envs anyway.

    Args:
        title: window title.
        fps: frames per second.

    Raises:
        VideoDependencyError: pygame is not installed (names the extra).
    """

    def __init__(self, title: str, fps: int = 0):
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no banner on the console
        try:
            import pygame
        except ImportError:
            raise VideoDependencyError(f"a window needs pygame: {VIDEO_EXTRA_HINT} (or --no_render)") from None
        self._pygame = pygame
        self.title = title
        self.period = 1.0 / fps if fps > 0 else 0.0
        self._last = 0.0
        self._screen: Any = None
        self.closed = False

    def show(self, frame: np.ndarray) -> None:
        """Display one RGB frame (nothing once the user closed the window).

        Args:
            frame: uint8 RGB image.
        """
        if self.closed:
            return
        pygame = self._pygame
        rgb = _to_rgb(frame)
        if self._screen is None or self._screen.get_size() != (rgb.shape[1], rgb.shape[0]):
            pygame.display.init()
            pygame.display.set_caption(self.title)
            self._screen = pygame.display.set_mode((rgb.shape[1], rgb.shape[0]))
        if self.period:
            wait = self._last + self.period - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
        self._screen.blit(pygame.surfarray.make_surface(rgb.swapaxes(0, 1)), (0, 0))
        pygame.display.flip()
        # reading the events keeps the window responsive; the window's close button ends the show
        if any(event.type == pygame.QUIT for event in pygame.event.get()):
            self.closed = True
            self.close()

    def close(self) -> None:
        """Close the window if one was opened."""
        if self._screen is not None:
            self._pygame.display.quit()
            self._screen = None
