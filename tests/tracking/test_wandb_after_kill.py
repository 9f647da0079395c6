"""An offline wandb run killed with -9 loses the rows wandb's service still buffered (wandb_relog.py says why); the
resumed run re-logs them from tensorboard. Fast tests check the pieces against independent readers and writers;
the `slow` one kills a real `sf_curric.train --with_wandb` and reads wandb's own files back."""

import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from tensorboardX import SummaryWriter

from sf_curric.tracking.wandb_relog import last_logged_step, read_log_records, relog_lost_rows
from sf_curric.utils.event_files import read_scalars

pytest.importorskip("wandb", reason='pip install -e ".[wandb]"')
from wandb.proto import wandb_internal_pb2 as pb  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _write_tensorboard(folder, steps):
    writer = SummaryWriter(str(folder))
    for step in steps:
        writer.add_scalar("charts/episodic_return", step / 10.0, step)
        writer.add_scalar("losses/value_loss", 1.0 / step, step)
    writer.close()


def test_tensorboard_scalars_read_as_tensorboard_reads_them_and_a_cut_file_keeps_its_start(tmp_path):
    tensorboard_reader = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    _write_tensorboard(tmp_path / "tb", range(100, 2100, 100))
    acc = tensorboard_reader.EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0})
    acc.Reload()
    expected = {tag: {e.step: e.value for e in acc.Scalars(tag)} for tag in acc.Tags()["scalars"]}
    assert read_scalars(tmp_path / "tb") == expected and len(expected["charts/episodic_return"]) == 20
    [events] = (tmp_path / "tb").glob("events.out.tfevents.*")
    events.write_bytes(events.read_bytes()[:-30])  # a kill in the middle of the last record
    cut = read_scalars(tmp_path / "tb")  # the last record (value_loss at 2000) is gone, everything before it read
    assert cut["losses/value_loss"] == {s: v for s, v in expected["losses/value_loss"].items() if s < 2000}
    assert cut["charts/episodic_return"] == expected["charts/episodic_return"]


def _leveldb_log(records):
    """A wandb transaction log written here (FULL chunks in 32 KiB blocks), independent of the reader under test."""
    out = bytearray(b":W&B" + struct.pack("<HB", 0xBEE1, 0))
    for payload in records:
        left = 32768 - len(out) % 32768
        if left < 7 + len(payload):
            out += b"\0" * left
        out += struct.pack("<IHB", zlib.crc32(bytes([1]) + payload), len(payload), 1) + payload
    return bytes(out)


def _history(step):
    record = pb.Record()
    record.history.item.add(key="global_step", value_json=str(step))
    record.history.item.add(key="charts/episodic_return", value_json="1.0")
    return record.SerializeToString()


class _FakeRun:
    def __init__(self):
        self.rows = []

    def log(self, row):
        self.rows.append(row)


def test_the_rows_an_earlier_session_lost_are_relogged_up_to_the_checkpoint(tmp_path):
    exp = tmp_path / "exp"
    _write_tensorboard(exp / "tensorboard", range(100, 1100, 100))
    earlier = exp / "wandb" / "offline-run-1-abc" / "run-abc.wandb"
    earlier.parent.mkdir(parents=True)
    data = _leveldb_log([_history(s) for s in (100, 200, 300)])
    earlier.write_bytes(data + struct.pack("<IHB", 123, 50, 1) + b"cut")  # and a chunk the kill cut short
    assert len(read_log_records(earlier.read_bytes())) == 3
    assert last_logged_step([earlier], "global_step") == 300
    this_session = exp / "wandb" / "offline-run-2-abc"
    this_session.mkdir()
    run = _FakeRun()
    assert relog_lost_rows(run, exp, this_session, upto_step=800, step_key="global_step") == 5
    tensorboard = read_scalars(exp / "tensorboard")
    assert [row["global_step"] for row in run.rows] == [400, 500, 600, 700, 800]
    for row in run.rows:
        assert row["charts/episodic_return"] == tensorboard["charts/episodic_return"][row["global_step"]]
    assert relog_lost_rows(_FakeRun(), exp, this_session, upto_step=300, step_key="global_step") == 0


def _train(train_dir, steps, wait=True):
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable, "-m", "sf_curric.train", "--env=CartPole-v1", f"--train_dir={train_dir}", "--experiment=wb",
        "--serial_mode=True", "--num_workers=1", "--num_envs_per_worker=8", "--rollout=16", "--batch_size=128",
        "--device=cpu", "--num_torch_threads=1", f"--train_for_env_steps={steps}", "--with_wandb=True",
        "--experiment_summaries_interval=0.2", "--save_every_sec=3",
    ]  # fmt: skip
    if wait:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_a_run_killed_with_minus_9_keeps_its_rows_in_wandb_after_resume(tmp_path):
    from sf_curric.utils.checkpoint import find_newest_checkpoint
    from tests.tracking.wandb_files import OfflineRun

    exp = tmp_path / "wb"
    proc = _train(tmp_path, 10**9, wait=False)
    deadline = time.monotonic() + 240
    while find_newest_checkpoint(exp) is None or len(list(exp.glob("checkpoint_p0/checkpoint_*"))) < 2:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(2)  # wandb's service notices its parent is gone
    [killed_log] = exp.glob("wandb/offline-run-*/run-*.wandb")
    checkpoint_steps = int(find_newest_checkpoint(exp).name.split("_")[-1].split(".")[0])
    before_kill = read_scalars(exp / "tensorboard")["charts/episodic_return"]
    lost = [s for s in before_kill if s > last_logged_step([killed_log], "global_step")]
    assert lost, "wandb kept every row: the buffering this works around is gone (update wandb_relog.py)"
    out = _train(tmp_path, checkpoint_steps + 2048)
    assert out.returncode == 0, out.stderr[-3000:]
    wandb_steps = set()
    for run_dir in exp.glob("wandb/offline-run-*"):
        wandb_steps |= set(OfflineRun(run_dir).scalars("charts/episodic_return"))
    tensorboard = read_scalars(exp / "tensorboard")["charts/episodic_return"]
    # every row tensorboard has up to the checkpoint the run resumed from, and every row after it, is in wandb
    assert {s for s in tensorboard if s <= checkpoint_steps} <= wandb_steps
    assert {s for s in tensorboard if s > checkpoint_steps} <= wandb_steps
