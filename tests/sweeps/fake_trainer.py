"""A stand-in trainer for the fast launcher tests: counts `--steps` in `<train_dir>/<experiment>/progress.txt`,
resumes from it, saves and exits 0 on SIGTERM (like sf_curric.train), and appends each start to `starts.txt`.
$FAKE_STEP_SEC: seconds per step. With $FAKE_RUN_END set it also writes sf_curric.train's run_end.json (why it
stopped) and appends its pid to `pids.txt` (the tests SIGTERM it)."""

import argparse
import os
import signal
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--experiment")
parser.add_argument("--train_dir")
parser.add_argument("--steps", type=int)
parser.add_argument("--seed", type=int)
parser.add_argument("--num_torch_threads", type=int)
args = parser.parse_args()
folder = Path(args.train_dir) / args.experiment
folder.mkdir(parents=True, exist_ok=True)
progress = folder / "progress.txt"
step = int(progress.read_text()) if progress.exists() else 0
with open(folder / "starts.txt", "a") as f:
    f.write(f"{step}\n")
if os.environ.get("FAKE_RUN_END"):
    with open(folder / "pids.txt", "a") as f:
        f.write(f"{os.getpid()}\n")
stop = []


def on_sigterm(*_):
    stop.append(1)
    with open(folder / "sigterms.txt", "a") as f:  # sf_curric.train stops without saving on a second one
        f.write("1\n")


signal.signal(signal.SIGTERM, on_sigterm)
while step < args.steps and not stop:
    time.sleep(float(os.environ.get("FAKE_STEP_SEC", "0.01")))
    step += 1
    progress.write_text(str(step))
if os.environ.get("FAKE_RUN_END"):
    from sf_curric.utils.run_end import write_run_end

    write_run_end(folder, "interrupted" if stop else "env_steps", step)
