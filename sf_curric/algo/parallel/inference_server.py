"""Central inference, the server side: one batched forward pass over the requests of all workers.

`InferenceServer` runs in a thread of the runner process, on the learner's device, with its own copy of the
policy. Each pass of its loop waits (epoll, GIL released) on the pipes of all workers, takes every request that is
waiting at that moment, refreshes its weights when the learner published a newer version (through the seqlocked
`SharedWeights`, so it never reads weights in the middle of an update), runs `ActorCritic.act` once on the
concatenated rows, writes each worker's share into its response rows and replies with the version used.

Why a thread and not a process: the learner's device lives in this process, so a CUDA run needs no second CUDA
context (hundreds of MB of GPU memory and seconds of start-up) and no extra process to watch and replace; waiting
on the pipes and torch's kernels release the GIL, so the thread and the learner overlap except for Python-level
bookkeeping (a few tens of microseconds per batch). On CUDA the forward pass runs on its own stream, so it does not
queue behind the learner's kernels. The CUDA path is not tested on the development machine (no GPU there).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import selectors
import threading
import time
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from sf_curric.algo.parallel.central_inference import REPLY, REQUEST, InferenceBuffers, InferenceChannel, read_message
from sf_curric.algo.parallel.shared_buffers import SharedWeights
from sf_curric.algo.parallel.split_rollout import split_columns
from sf_curric.model.obs_batch import obs_index, obs_map, obs_zip, to_numpy

log = logging.getLogger(__name__)


class InferenceServer:
    """Batched inference for every worker on `device`, in a thread of this process.

    Args:
        cfg: the run's config (the model flags; `num_envs_per_worker` sizes the request rows).
        obs_space: the envs' observation space.
        action_space: the envs' action space.
        weights: the learner's published weights; the server reloads them when their version changes.
        device: where the forward pass runs (the learner's device).
        num_workers: worker processes (each has one channel per env group, `--worker_num_splits`).

    Example:
        >>> server = InferenceServer(cfg, obs_space, action_space, sampler.weights, learner.device, 2)
        >>> channel = server.connect(0)  # give `channel` to worker 0's process
        >>> server.start(); ...; server.stop()
    """

    def __init__(
        self,
        cfg: argparse.Namespace,
        obs_space: spaces.Space,
        action_space: spaces.Space,
        weights: SharedWeights,
        device: torch.device | str,
        num_workers: int,
        action_logits: bool = False,
    ):
        from sf_curric.model import ActorCritic

        self.device = torch.device(device)
        self.weights = weights
        self.model = ActorCritic(obs_space, action_space, cfg).to(self.device)
        self.model.eval()
        self.version = weights.read_into(self.model)
        rnn_size = self.model.rnn_state_size if self.model.is_recurrent else 0
        # double-buffered sampling: one channel per env group of a worker (split_rollout.py)
        groups = split_columns(int(cfg.num_envs_per_worker), max(1, int(cfg.worker_num_splits)))
        self.groups_per_worker = len(groups)
        rows = max(c.stop - c.start for c in groups)
        self.buffers = InferenceBuffers(
            num_workers * len(groups), rows, obs_space, action_space, rnn_size, action_logits
        )
        cuda = self.device.type == "cuda"
        self._stream = torch.cuda.Stream(self.device) if cuda else None
        # staging rows of one batch; pinned on CUDA so that the copy to the device can be asynchronous
        total = num_workers * len(groups) * rows
        self._obs_stage = obs_map(lambda t: torch.empty((total, *t.shape[2:]), dtype=t.dtype), self.buffers.obs)
        self._rnn_stage = None if self.buffers.rnn_in is None else torch.empty((total, rnn_size))
        # logits are written by act itself (logits_out), on the CPU: a curriculum reads them, the model does not
        logits = self.buffers.logits
        self._logits_stage = None if logits is None else torch.empty((total, logits.shape[-1]))
        if cuda:
            self._obs_stage = obs_map(torch.Tensor.pin_memory, self._obs_stage)
            self._rnn_stage = None if self._rnn_stage is None else self._rnn_stage.pin_memory()
        self._obs_stage_np = to_numpy(self._obs_stage)
        self._rnn_stage_np = None if self._rnn_stage is None else self._rnn_stage.numpy()
        self._obs_np = to_numpy(self.buffers.obs)
        names = ("actions", "log_probs", "values", "rnn_in", "rnn_out", "logits")
        self._np = {k: getattr(self.buffers, k).numpy() for k in names if getattr(self.buffers, k) is not None}
        self._selector = selectors.DefaultSelector()
        self._conns: dict[int, Any] = {}
        self._new_conns: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.busy_s = 0.0
        self.num_forward = self.num_requests = self.num_rows = 0  # since start
        self._reported = (0, 0, 0)

    # ---- channels --------------------------------------------------------------------------------------------

    def connect(self, worker_idx: int) -> list[InferenceChannel]:
        """New pipes for worker `worker_idx` (its first start or a replacement), one per env group; the server
        drops the worker's previous pipes before its next batch.

        Args:
            worker_idx: the worker's index.

        Returns:
            The channels to give the worker process (close their `conn` here once the process started).
        """
        channels, stale = [], []
        for group in range(self.groups_per_worker):
            index = worker_idx * self.groups_per_worker + group
            server_end, worker_end = multiprocessing.Pipe(duplex=True)
            with self._lock:
                stale.append(self._new_conns.pop(index, None))
                self._new_conns[index] = server_end
            channels.append(InferenceChannel(index, self.buffers, worker_end))
        for conn in stale:
            if conn is not None:
                conn.close()
        return channels

    def _apply_new_conns(self) -> None:
        with self._lock:
            new, self._new_conns = self._new_conns, {}
        for w, conn in new.items():
            old = self._conns.get(w)
            if old is not None:
                self._drop(w, old)
            self._conns[w] = conn
            self._selector.register(conn, selectors.EVENT_READ, w)

    def _drop(self, w: int, conn: Any) -> None:
        """Forget a worker's pipe (the worker died or was replaced)."""
        if self._conns.get(w) is conn:
            del self._conns[w]
        try:
            self._selector.unregister(conn)
        except (KeyError, ValueError):
            pass
        conn.close()

    # ---- serving ---------------------------------------------------------------------------------------------

    def serve_once(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for requests; serve every request waiting then in one forward pass.

        Args:
            timeout: seconds to wait for the first request.

        Returns:
            The number of requests served.
        """
        self._apply_new_conns()
        if not self._conns:
            time.sleep(timeout)
            return 0
        requests = []
        for key, _ in self._selector.select(timeout):
            w, conn = key.data, key.fileobj
            try:
                (n,) = REQUEST.unpack(read_message(conn.fileno(), REQUEST.size))
            except (EOFError, OSError):  # the worker died: its replacement gets a new pipe
                self._drop(w, conn)
                continue
            requests.append((w, conn, n))
        if requests:
            start = time.perf_counter()
            self._serve(requests)
            self.busy_s += time.perf_counter() - start
        return len(requests)

    def _serve(self, requests: list[tuple[int, Any, int]]) -> None:
        # numpy views for the per-request copies: torch's indexing costs microseconds per call on small tensors
        total = sum(n for _, _, n in requests)
        obs_zip(
            lambda rows, stage: np.concatenate([rows[w, :n] for w, _, n in requests], out=stage[:total]),
            self._obs_np,
            self._obs_stage_np,
        )
        rnn = None
        if self._rnn_stage is not None:
            np.concatenate([self._np["rnn_in"][w, :n] for w, _, n in requests], out=self._rnn_stage_np[:total])
            rnn = self._rnn_stage[:total]
        with torch.cuda.stream(self._stream) if self._stream is not None else contextlib.nullcontext():
            if self.weights.version != self.version:
                self.version = self.weights.read_into(self.model)
            logits_out = None if self._logits_stage is None else self._logits_stage[:total]
            # act copies the rows to the device
            result = self.model.act(obs_index(self._obs_stage, slice(0, total)), rnn, logits_out=logits_out)
            outputs = {"actions": result.actions, "log_probs": result.log_probs, "values": result.values}
            if logits_out is not None:
                outputs["logits"] = logits_out
            if result.rnn_states is not None:
                outputs["rnn_out"] = result.rnn_states
            outputs = {key: t.cpu().numpy() for key, t in outputs.items()}  # waits for the server's stream only
        reply = REPLY.pack(self.version)
        offset = 0
        for w, conn, n in requests:
            for key, out in outputs.items():
                self._np[key][w, :n] = out[offset : offset + n]
            offset += n
            try:
                os.write(conn.fileno(), reply)
            except OSError:  # the worker died while it waited
                self._drop(w, conn)
        with self._lock:
            self.num_forward += 1
            self.num_requests += len(requests)
            self.num_rows += total

    # ---- thread ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Serve in a daemon thread until `stop()`."""
        self._thread = threading.Thread(
            target=self._run, args=(torch.get_num_threads(),), name="sf_curric-inference", daemon=True
        )
        self._thread.start()

    def _run(self, num_threads: int) -> None:
        # OpenMP's thread count is per thread: without this a new thread uses one per core (slower when busy)
        torch.set_num_threads(num_threads)
        try:
            while not self._stop.is_set():
                self.serve_once(0.1)
        except Exception as exc:  # noqa: BLE001 - reported to the runner by raise_if_failed()
            log.exception("the inference server failed")
            self.error = exc

    def is_alive(self) -> bool:
        """True while the serving thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def raise_if_failed(self) -> None:
        """Re-raise, in the caller's thread, an exception that stopped the server."""
        if self.error is not None:
            raise RuntimeError(f"the central inference server failed: {type(self.error).__name__}: {self.error}")

    def stop(self) -> None:
        """Stop the thread and close every pipe."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
        self._apply_new_conns()
        for w, conn in list(self._conns.items()):
            self._drop(w, conn)
        self._selector.close()

    def take_stats(self) -> dict[str, float]:
        """Forward passes, requests and rows since the previous call (requests per forward > 1: batching)."""
        with self._lock:
            now = (self.num_forward, self.num_requests, self.num_rows)
        forward, requests, rows = (a - b for a, b in zip(now, self._reported))
        self._reported = now
        out = {"inference_forward_passes": float(forward)}
        if forward:
            out.update(inference_requests_per_forward=requests / forward, inference_rows_per_forward=rows / forward)
        return out
