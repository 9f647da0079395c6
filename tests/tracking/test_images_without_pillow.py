"""Tensorboard's images need no Pillow: a curriculum chart (PNG) and an episode's GIF reach the event file through
OpenCV, a core requirement, in a process where `import PIL` fails (tensorboardX's own `add_image` needs Pillow).
The event file is read back with sf_curric's own reader, the images decoded with OpenCV."""

import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np

from sf_curric.tracking.curriculum_images import HEIGHT, WIDTH
from sf_curric.tracking.video import GIF_MAX_WIDTH
from sf_curric.utils.event_files import summary_values

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    sys.modules["PIL"] = None  # as if Pillow were not installed: `import PIL` raises ImportError

    import numpy as np
    from tensorboardX import SummaryWriter

    from sf_curric.tracking.curriculum_images import add_image, render_distribution, render_top_tasks
    from sf_curric.tracking.video import _gif_bytes, log_video

    out = Path(sys.argv[1])
    # 12 frames of 360 x 640, red to blue (RGB), as an env renders them
    frames = [np.zeros((360, 640, 3), np.uint8) for _ in range(12)]
    for i, frame in enumerate(frames):
        frame[..., 0], frame[..., 2] = 255 - 20 * i, 20 * i
    gif = out / "episode.gif"
    gif.write_bytes(_gif_bytes(frames, fps=30))

    writer = SummaryWriter(str(out / "events"))
    add_image(writer, "curriculum/distribution", render_distribution([0.5, 0.25, 0.25]), 7)
    history = [(0, np.array([0.5, 0.3, 0.2])), (100, np.array([0.2, 0.3, 0.5]))]
    add_image(writer, "curriculum/top_tasks", render_top_tasks(history), 7)
    log_video(writer, "videos/episode", str(out / "episode.mp4"), str(gif), 30, 7)
    writer.close()
    assert sys.modules["PIL"] is None and not [m for m in sys.modules if m.startswith("PIL.")]
    """
)


def test_curriculum_image_and_gif_reach_the_event_file_without_pillow(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", WRITER, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    [event_file] = (tmp_path / "events").glob("events.out.tfevents.*")
    images = {v.tag: (step, v.image) for step, v in summary_values(event_file) if v.WhichOneof("value") == "image"}
    assert set(images) == {"curriculum/distribution", "curriculum/top_tasks", "videos/episode"}
    assert {step for step, _ in images.values()} == {7}

    for tag in ("curriculum/distribution", "curriculum/top_tasks"):
        image = images[tag][1]
        assert image.encoded_image_string.startswith(b"\x89PNG")
        png = cv2.imdecode(np.frombuffer(image.encoded_image_string, np.uint8), cv2.IMREAD_UNCHANGED)
        assert png.shape == (HEIGHT, WIDTH, 3) == (image.height, image.width, image.colorspace)
    # the distribution's bars are RGB (66, 133, 244): OpenCV decodes BGR, so a channel swap would show here
    png = cv2.imdecode(np.frombuffer(images["curriculum/distribution"][1].encoded_image_string, np.uint8), 1)
    assert (png == (244, 133, 66)).all(axis=2).mean() > 0.05

    gif = images["videos/episode"][1]
    assert gif.encoded_image_string.startswith(b"GIF8")
    assert gif.encoded_image_string == (tmp_path / "episode.gif").read_bytes()
    assert (gif.height, gif.width) == (180, GIF_MAX_WIDTH)  # shrunk from 640 wide, aspect kept
    ok, animation = cv2.imdecodeanimation(np.frombuffer(gif.encoded_image_string, np.uint8))
    assert ok and len(animation.frames) == 12
    first, last = animation.frames[0][..., :3], animation.frames[-1][..., :3]
    assert first.shape == (180, GIF_MAX_WIDTH, 3)
    # the first frame red, the last blue (BGR after decoding; a GIF's palette moves colors a little)
    assert np.abs(first.reshape(-1, 3).mean(0) - (0, 0, 255)).max() < 16
    assert np.abs(last.reshape(-1, 3).mean(0) - (220, 0, 35)).max() < 16
