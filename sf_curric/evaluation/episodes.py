"""The episode runner of enjoy and eval: a list of envs stepped together, one batched `act()` per step.

Each env takes the next `EpisodeJob` when its episode ends (our own loop, no gymnasium vector autoreset), so many
short and long episodes on different tasks run side by side. Curriculum-aware envs receive the checkpoint's
training info before every reset. Results depend only on the jobs, the seeds and the number of envs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import gymnasium as gym
import numpy as np
import torch

from sf_curric.envs.training_info import set_training_info
from sf_curric.evaluation.policy import EvaluationError
from sf_curric.model.obs_batch import stack_obs


@dataclass(frozen=True)
class EpisodeJob:
    """One episode to run.

    Attributes:
        group: task group ("train", "test" or "default").
        task: decoded task passed as `reset(new_task=task)`; None: a plain reset.
        task_label: printable name of the task.
        episode: index of this episode among those of its task.
        seed: seed of the reset (None: unseeded).
    """

    group: str
    task: Any
    task_label: str
    episode: int
    seed: int | None


@dataclass(frozen=True)
class EpisodeRecord:
    """One finished episode.

    Attributes:
        job: the job it ran.
        episode_return: sum of the env's rewards (unscaled).
        episode_length: steps.
        terminated: ended in a terminal state (False: truncated).
        task_completion: `info["task_completion"]` at the last step, when the env reports it.
        extra_stats: `info["episode_extra_stats"]` at the last step, when present.
    """

    job: EpisodeJob
    episode_return: float
    episode_length: int
    terminated: bool
    task_completion: float | None
    extra_stats: dict | None


def _reset(env: gym.Env, job: EpisodeJob, training_info: dict[str, Any] | None) -> Any:
    if training_info is not None:
        set_training_info(env, training_info)
    kwargs: dict[str, Any] = {} if job.seed is None else {"seed": int(job.seed)}
    if job.task is None:
        return env.reset(**kwargs)[0]
    try:
        return env.reset(new_task=job.task, **kwargs)[0]
    except TypeError as e:
        if "new_task" not in str(e):
            raise
        raise EvaluationError(
            f"the env does not take reset(new_task=...): wrap it in sf_curric.TaskWrapper to evaluate on tasks ({e})"
        ) from None
    except ValueError as e:
        reason = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        if job.group == "test":
            fix = (
                "build its TaskWrapper without task_space when env_config['evaluation'] is true, or choose other "
                "--test_tasks"
            )
        else:
            fix = "drawn tasks must be valid for the env: use --eval_num_tasks=0 (the env's default task)"
        raise EvaluationError(f"the env rejects {job.group} task {job.task_label} ({reason}): {fix}") from None


def run_episodes(
    envs: list[gym.Env],
    model: Any,
    jobs: Iterable[EpisodeJob],
    deterministic: bool = False,
    training_info: dict[str, Any] | None = None,
    on_frame: Callable[[int, gym.Env], None] | None = None,
    on_episode: Callable[[EpisodeRecord], None] | None = None,
    max_frames: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[EpisodeRecord]:
    """Run every job on `envs` with `model` and return the finished episodes in the order they ended.

    Args:
        envs: envs of the same spaces; env `i` runs one episode at a time.
        model: an `ActorCritic` (`act`, `to_env_actions`, `initial_rnn_states`).
        jobs: the episodes to run (any iterable, consumed lazily: it may be long).
        deterministic: take the most likely action instead of sampling.
        training_info: delivered to each env's `TrainingInfoInterface` before every reset.
        on_frame: called as `on_frame(i, env)` after every reset and step of env `i` (rendering).
        on_episode: called with each finished episode as soon as it ends.
        max_frames: stop after this many steps over all envs (episodes still running are dropped).
        should_stop: checked before every step; True stops like `max_frames` (e.g. a Ctrl-C request).

    Returns:
        The finished episodes.
    """
    pending: Iterator[EpisodeJob] = iter(jobs)
    num_envs = len(envs)
    current: list[EpisodeJob | None] = [None] * num_envs
    obs: list[Any] = [None] * num_envs
    returns = np.zeros(num_envs, dtype=np.float64)
    lengths = np.zeros(num_envs, dtype=np.int64)
    rnn_states = model.initial_rnn_states(num_envs)
    records: list[EpisodeRecord] = []
    frames = 0

    def start_next(i: int) -> None:
        job = next(pending, None)
        current[i] = job
        returns[i] = 0.0
        lengths[i] = 0
        if rnn_states is not None:
            rnn_states[i] = 0.0
        if job is not None:
            obs[i] = _reset(envs[i], job, training_info)
            if on_frame is not None:
                on_frame(i, envs[i])

    for i in range(num_envs):
        start_next(i)

    with torch.no_grad():
        while True:
            active = [i for i in range(num_envs) if current[i] is not None]
            if not active or (max_frames is not None and frames >= max_frames):
                break
            if should_stop is not None and should_stop():
                break
            batch = stack_obs(envs[active[0]].observation_space, [obs[i] for i in active])
            states = None if rnn_states is None else rnn_states[active]
            result = model.act(batch, states, deterministic=deterministic)
            actions = model.to_env_actions(result.actions)
            if rnn_states is not None:
                rnn_states[active] = result.rnn_states.to(rnn_states.device)
            for k, i in enumerate(active):
                next_obs, reward, terminated, truncated, info = envs[i].step(actions[k])
                frames += 1
                returns[i] += float(reward)
                lengths[i] += 1
                obs[i] = next_obs
                if on_frame is not None:
                    on_frame(i, envs[i])
                if terminated or truncated:
                    completion = info.get("task_completion") if info else None
                    record = EpisodeRecord(
                        current[i],
                        float(returns[i]),
                        int(lengths[i]),
                        bool(terminated),
                        None if completion is None else float(completion),
                        info.get("episode_extra_stats") if info else None,
                    )
                    records.append(record)
                    if on_episode is not None:
                        on_episode(record)
                    start_next(i)
                if max_frames is not None and frames >= max_frames:
                    break
    return records
