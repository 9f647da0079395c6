"""Central inference, the worker side: shared request/response buffers and `RemotePolicy`.

With `--inference_mode=central` a worker process has no policy weights of its own: `RemotePolicy.act` writes the
observations (and recurrent states) into this worker's preallocated shared-memory request rows, sends a 4-byte
message on the worker's own pipe and waits for the reply of the `InferenceServer` (runner process, see
inference_server.py), which writes actions, log-probs, values and new states into the worker's response rows and
replies with the weights version it used. Each worker has its own pipe: a worker killed in the middle of a request
breaks only its own channel (a lock shared by all workers could stay held forever), and a replaced worker gets a
new pipe (`InferenceServer.connect`).
"""

from __future__ import annotations

import os
import select
import struct
from typing import Any, Callable, NamedTuple

import numpy as np
import torch
from gymnasium import spaces

from sf_curric.algo.parallel.queues import QueueStopped
from sf_curric.algo.rollout import _action_shape_dtype
from sf_curric.cfg.arguments import INFERENCE_MODES
from sf_curric.model.actor_critic import ActResult
from sf_curric.model.obs_batch import allocate_obs, obs_index, obs_rows, to_numpy, write_obs

# request: number of observation rows; reply: weights version used
REQUEST = struct.Struct("<i")
REPLY = struct.Struct("<q")

# milliseconds between two checks of the stop flag while a worker waits for its reply
_POLL_MS = 100


def read_message(fd: int, size: int) -> bytes:
    """Read one fixed-size message from the pipe `fd` (raw reads: a few microseconds less than `Connection`'s).

    Raises:
        EOFError: the other end was closed (its process died, or the server stopped).
    """
    data = os.read(fd, size)
    while data and len(data) < size:
        data += os.read(fd, size - len(data))
    if len(data) < size:
        raise EOFError("the other end of the inference pipe was closed")
    return data


def resolve_inference_mode(mode: str, learner_device: torch.device) -> str:
    """`--inference_mode` -> "local" or "central" (auto: central when the learner runs on CUDA, else local).

    Args:
        mode: auto, local or central.
        learner_device: the learner's device.
    """
    if mode not in INFERENCE_MODES:
        raise ValueError(f"--inference_mode={mode!r} is not supported: use auto, local or central")
    if mode == "auto":
        return "central" if torch.device(learner_device).type == "cuda" else "local"
    return mode


class InferenceBuffers:
    """Request and response rows for every channel (one per worker, or per env group of a worker with
    `--worker_num_splits`), preallocated in shared memory (`[num_channels, rows, ...]`).

    Args:
        num_channels: channels to the server.
        rows: observation rows a channel sends at most at once (the envs of its worker or group).
        obs_space: the envs' policy observation space (a Box, or a flat Dict: `obs` is then a dict of tensors).
        action_space: the envs' action space.
        rnn_state_size: H of the recurrent state (0 for a non-recurrent model).
        action_logits: also return the action logits (Discrete actions; `Curriculum.needs_action_logits`).
    """

    def __init__(
        self,
        num_channels: int,
        rows: int,
        obs_space: spaces.Space,
        action_space: spaces.Space,
        rnn_state_size: int,
        action_logits: bool = False,
    ):
        act_shape, act_dtype = _action_shape_dtype(action_space)
        lead = (num_channels, rows)
        self.rows = rows
        self.obs = allocate_obs(obs_space, lead, share_memory=True)
        self.actions = torch.zeros((*lead, *act_shape), dtype=act_dtype).share_memory_()
        self.log_probs = torch.zeros(lead).share_memory_()
        self.values = torch.zeros(lead).share_memory_()
        self.logits = None
        if action_logits:
            if not isinstance(action_space, spaces.Discrete):
                raise ValueError(f"action logits are stored for Discrete actions only, not {action_space}")
            self.logits = torch.zeros((*lead, int(action_space.n))).share_memory_()
        self.rnn_in = self.rnn_out = None
        if rnn_state_size:
            self.rnn_in = torch.zeros((*lead, rnn_state_size)).share_memory_()
            self.rnn_out = torch.zeros((*lead, rnn_state_size)).share_memory_()


class InferenceChannel(NamedTuple):
    """What a worker process receives to reach the inference server (one per env group).

    Attributes:
        channel_idx: the channel's index (its rows in the buffers).
        buffers: the shared request/response rows of all channels.
        conn: the worker's end of the channel's pipe to the server.
    """

    channel_idx: int
    buffers: InferenceBuffers
    conn: Any


class RemotePolicy:
    """Stands in for the `ActorCritic` of a `RolloutWorker`: `act` is computed by the central inference server.

    Args:
        channel: this worker's `InferenceChannel`.
        model: a local `ActorCritic` of the same spaces, used only for `to_env_actions` and `initial_rnn_states`
            (its weights are never loaded or run).
        should_stop: called while waiting for a reply; when it returns True, `QueueStopped` ends the worker.

    Attributes:
        acting_version: learner version of the weights that computed the latest `act` (recorded per step in the
            trajectory's `policy_version` by `RolloutWorker.collect`).
    """

    def __init__(self, channel: InferenceChannel, model: Any, should_stop: Callable[[], bool] = lambda: False):
        self.model = model
        self.conn = channel.conn  # held so that its file descriptor, used directly below, stays open
        self._fd = channel.conn.fileno()
        self._poller = select.poll()
        self._poller.register(self._fd, select.POLLIN)
        self.should_stop = should_stop
        b, w = channel.buffers, channel.channel_idx
        self.rows = b.rows
        # numpy views of this worker's rows: numpy's slicing and copies cost far less than torch's on small arrays
        self._obs, self._actions = to_numpy(obs_index(b.obs, w)), b.actions[w].numpy()
        self._log_probs, self._values = b.log_probs[w].numpy(), b.values[w].numpy()
        self._rnn_in = None if b.rnn_in is None else b.rnn_in[w].numpy()
        self._rnn_out = None if b.rnn_out is None else b.rnn_out[w].numpy()
        self._logits = None if b.logits is None else b.logits[w].numpy()
        self.acting_version = -1
        self.num_requests = 0

    def act(
        self,
        obs: Any,
        rnn_states: torch.Tensor | None = None,
        deterministic: bool = False,
        logits_out: torch.Tensor | None = None,
    ) -> ActResult:
        """`ActorCritic.act` computed by the server: same arguments and result (tensors on the CPU).

        Args:
            obs: raw observations `[n, *obs_shape]` (n at most the worker's envs).
            rnn_states: `[n, H]` for a recurrent model.
            deterministic: not supported centrally (the server samples).
            logits_out: `[n, num_actions]`, receives the logits of the acting policy (the server must have been
                built with `action_logits=True`).
        """
        if deterministic:
            raise ValueError("central inference samples actions: act with a local ActorCritic for deterministic=True")
        if logits_out is not None and self._logits is None:
            raise ValueError("this inference server returns no action logits: build it with action_logits=True")
        n = obs_rows(obs)
        if n > self.rows:
            raise ValueError(f"{n} observation rows in one request, the buffers hold {self.rows} (one per env)")
        write_obs(self._obs, slice(0, n), to_numpy(obs))
        if self._rnn_in is not None:
            if rnn_states is None:
                raise ValueError("this model is recurrent (--use_rnn): pass rnn_states [B, rnn_state_size] to act")
            self._rnn_in[:n] = rnn_states.numpy()
        os.write(self._fd, REQUEST.pack(n))
        while not self._poller.poll(_POLL_MS):
            if self.should_stop():
                raise QueueStopped()
        try:
            (self.acting_version,) = REPLY.unpack(read_message(self._fd, REPLY.size))
        except EOFError:  # the server closed this worker's pipe: the run is stopping
            raise QueueStopped() from None
        self.num_requests += 1
        # copies: the next request overwrites the response rows while the caller may still hold this result
        states = None if self._rnn_out is None else torch.from_numpy(self._rnn_out[:n].copy())
        if logits_out is not None:
            logits_out.copy_(torch.from_numpy(self._logits[:n]))
        return ActResult(
            torch.from_numpy(self._actions[:n].copy()),
            torch.from_numpy(self._log_probs[:n].copy()),
            torch.from_numpy(self._values[:n].copy()),
            states,
        )

    def to_env_actions(self, actions: torch.Tensor) -> np.ndarray:
        """See `ActorCritic.to_env_actions`."""
        return self.model.to_env_actions(actions)

    def initial_rnn_states(self, batch_size: int, device: torch.device | None = None) -> torch.Tensor | None:
        """See `ActorCritic.initial_rnn_states` (CPU zeros)."""
        return self.model.initial_rnn_states(batch_size, torch.device("cpu") if device is None else device)
