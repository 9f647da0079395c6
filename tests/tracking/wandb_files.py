"""Read an offline wandb run back from wandb's own files: the `run-<id>.wandb` transaction log (LevelDB log format,
a 7-byte ":W&B" header, records that are wandb's `Record` protobufs) and the media files it names."""

from __future__ import annotations

import glob
import json
import time
from pathlib import Path
from typing import Any

from sf_curric.tracking.wandb_relog import read_log_records

EXIT_WAIT_S = 60.0  # wandb's service may still be writing the log when wandb.finish() has returned


class OfflineRun:
    """History rows, config and files of one offline wandb run directory.

    Args:
        run_dir: `.../wandb/offline-run-<time>-<id>`.
    """

    def __init__(self, run_dir: Path | str):
        from wandb.proto import wandb_internal_pb2 as pb

        self.dir = Path(run_dir)
        (log_file,) = glob.glob(str(self.dir / "run-*.wandb"))
        self.history: list[dict[str, Any]] = []
        self.config: dict[str, Any] = {}
        self.run_id = None
        self.run_record: Any = None  # wandb's RunRecord (project, entity, run_group, job_type, tags)
        # read once the log is complete (its last record is the run's `exit`): a log read while wandb's service
        # still wrote it lacked its last rows once in CI
        deadline = time.monotonic() + EXIT_WAIT_S
        while True:
            records = []
            for raw in read_log_records(Path(log_file).read_bytes()):
                record = pb.Record()
                record.ParseFromString(raw)
                records.append(record)
            kinds = [record.WhichOneof("record_type") for record in records]
            if "exit" in kinds or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.complete = "exit" in kinds
        for record in records:
            kind = record.WhichOneof("record_type")
            if kind == "history":
                row = {}
                for item in record.history.item:
                    key = item.key or "/".join(item.nested_key)
                    row[key] = json.loads(item.value_json)
                self.history.append(row)
            elif kind == "config":
                for item in record.config.update:
                    key = item.key or "/".join(item.nested_key)
                    self.config[key] = json.loads(item.value_json)
            elif kind == "run":
                self.run_id = record.run.run_id
                self.run_record = record.run
                for item in record.run.config.update:
                    key = item.key or "/".join(item.nested_key)
                    self.config[key] = json.loads(item.value_json)

        if self.run_id is None:  # no run record read back (seen once in CI on the resumed run): wandb's dir name
            self.run_id = self.dir.name.rsplit("-", 1)[-1]

    def scalars(self, tag: str) -> dict[int, float]:
        """global_step -> value of a scalar tag."""
        return {int(r["global_step"]): r[tag] for r in self.history if tag in r and "global_step" in r}

    def media(self, tag: str) -> list[tuple[int, dict[str, Any]]]:
        """(global_step, media description) of an image/video tag; the description's `path` is under files/.

        wandb stores a media value as nested keys (`tag/_type`, `tag/path`, ...): they are gathered into one dict.
        """
        out = []
        for row in self.history:
            desc = {key[len(tag) + 1 :]: value for key, value in row.items() if key.startswith(tag + "/")}
            if desc and "global_step" in row:
                out.append((int(row["global_step"]), desc))
        return out
