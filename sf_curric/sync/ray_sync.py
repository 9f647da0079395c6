"""Ray sync: the curriculum lives in one named Ray actor; envs on any node fetch tasks from it and report to it.

`ray` is an optional extra (`pip install -e ".[ray]"`) and is imported only inside the functions that need it.
By default (`prefetch=0`) each reset takes its task from the actor in the call that also delivers the env's
updates, so tasks run in the order the curriculum hands them out, across all envs, exactly as with the shared
task queue of the multiprocessing sync. With `prefetch=N` env wrappers batch their traffic instead: one actor call
per N resets carries all updates collected since the last call and brings back the next tasks, issued ahead of
time, so a reset finds its task already local; the tasks an env holds were handed out before they run.
"""

from __future__ import annotations

import copy
import logging
import time
from collections import deque
from typing import Any, Deque, List

import gymnasium as gym

from sf_curric.curricula.task_space import as_task_space
from sf_curric.errors import install_command
from sf_curric.sync.channel import CurriculumServerError
from sf_curric.sync.messages import EpisodeRecorder, TaskReset, apply_update
from sf_curric.utils.local_ray import init_local_ray

log = logging.getLogger(__name__)

DEFAULT_ACTOR_NAME = "curriculum"
_NO_TASK = object()


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as e:
        raise ImportError(f"the Ray sync needs ray: {install_command('ray')} (ray[default]>=2.52)") from e
    return ray


def init_ray_locally(address: str | None = None) -> None:
    """Start (or, with `address`, join) Ray the way sf_curric does. A Ray it starts itself listens on 127.0.0.1 only,
    has no dashboard and token authentication on (`sf_curric.utils.local_ray`, docs/reliability.md security).

    Args:
        address: an existing cluster to join (e.g. "auto" or "10.0.0.5:6379"); None starts a local one.
    """
    if address is not None:
        _import_ray().init(address=address)
    else:
        init_local_ray()


class CurriculumActor:
    """Body of the named Ray actor that owns the curriculum (turned into a Ray actor by `make_ray_curriculum`).

    Ray runs one call at a time on an actor, so updates from all envs and from the learner are applied in order
    to the one curriculum.

    Args:
        curriculum: a curriculum instance, or a curriculum class to construct here with `args`/`kwargs`.
        args: constructor arguments when `curriculum` is a class.
        kwargs: constructor keyword arguments when `curriculum` is a class.
    """

    def __init__(self, curriculum: Any, args: tuple = (), kwargs: dict | None = None) -> None:
        if isinstance(curriculum, type):
            self.curriculum = curriculum(*args, **(kwargs or {}))
        else:
            # Ray hands over numpy arrays read-only (zero-copy from its object store); the curriculum must own its state
            self.curriculum = copy.deepcopy(curriculum)
        self.task_space = self.curriculum.task_space
        self._next_env_id = 0
        self.num_updates = 0

    def register_env(self) -> tuple:
        """A new env id, the task space and whether the curriculum wants step updates."""
        env_id = self._next_env_id
        self._next_env_id += 1
        return env_id, self.task_space, bool(getattr(self.curriculum, "requires_step_updates", False))

    def exchange(self, updates: List[Any], num_tasks: int) -> list:
        """Apply `updates` in order, then sample `num_tasks` tasks (returned encoded)."""
        for msg in updates:
            apply_update(self.curriculum, msg, self.task_space.decode)
        self.num_updates += len(updates)
        if num_tasks <= 0:
            return []
        return [self.task_space.encode(t) for t in self.curriculum.sample(num_tasks)]

    def call(self, name: str, args: tuple, kwargs: dict) -> Any:
        """Call a method of the curriculum."""
        return getattr(self.curriculum, name)(*args, **kwargs)

    def describe(self, name: str) -> tuple:
        """`(True, None)` if the curriculum's attribute `name` is a method, else `(False, its value)`."""
        attr = getattr(self.curriculum, name)
        return (True, None) if callable(attr) else (False, attr)


class RayCurriculumWrapper:
    """Driver-side proxy of a curriculum that lives in a named Ray actor.

    Methods of the curriculum are called remotely and waited for (`sample`, `update_curriculum`, `custom_update`,
    `state_dict`, ... and any other method by name); attributes are fetched. The proxy is picklable, so it can be
    handed to RLlib callbacks or other actors.

    Args:
        curriculum: a curriculum instance, or a curriculum class to construct inside the actor.
        *args: constructor arguments when `curriculum` is a class.
        actor_name: name of the Ray actor (envs find it by this name).
        namespace: Ray namespace of the actor (default: the driver's).
        timeout: seconds to wait for a remote call before raising a TimeoutError.
        **kwargs: constructor keyword arguments when `curriculum` is a class.

    Example:
        >>> init_ray_locally()  # or ray.init(address=...) for a cluster; started here on 127.0.0.1 otherwise
        >>> curriculum = RayCurriculumWrapper(SimpleBoxCurriculum, task_space=Box(-0.3, 0.3, shape=(2,)))
    """

    def __init__(
        self,
        curriculum: Any,
        *args: Any,
        actor_name: str = DEFAULT_ACTOR_NAME,
        namespace: str | None = None,
        timeout: float = 120.0,
        **kwargs: Any,
    ) -> None:
        ray = _import_ray()
        if not ray.is_initialized():
            init_ray_locally()
        if isinstance(curriculum, RayCurriculumWrapper):
            raise TypeError("this curriculum already lives in a Ray actor; wrap it only once")
        self.actor_name = actor_name
        self.namespace = namespace
        self.timeout = float(timeout)
        actor_cls = ray.remote(CurriculumActor).options(name=actor_name, namespace=namespace, num_cpus=0)
        try:
            self.actor = actor_cls.remote(curriculum, args, kwargs)
        except ValueError as e:
            raise ValueError(
                f"a Ray actor named {actor_name!r} already exists ({e}); pass another actor_name= (and the same "
                "name to RaySyncWrapper), or kill the old one with ray.kill(ray.get_actor(name))"
            ) from e
        # wait for the constructor so that envs created next find a live actor
        self._get(self.actor.describe.remote("sample"))

    def _get(self, ref: Any) -> Any:
        return _ray_get(ref, self.timeout, f"the curriculum actor {self.actor_name!r}")

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._get(self.actor.call.remote(name, args, kwargs))

    def sample(self, k: int = 1) -> list:
        """Sample k tasks from the remote curriculum."""
        return self._call("sample", k)

    def update_curriculum(self, update: dict) -> None:
        """Apply an update dict, e.g. `{"update_type": "on_demand", "metrics": {...}}`."""
        self._call("update_curriculum", update)

    def custom_update(self, *args: Any, **kwargs: Any) -> None:
        """Learner-side update with whatever arguments the curriculum's `custom_update` documents."""
        self._call("custom_update", *args, **kwargs)

    def state_dict(self) -> dict:
        """The remote curriculum's state."""
        return self._call("state_dict")

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the remote curriculum's state."""
        self._call("load_state_dict", state_dict)

    def log_metrics(self, writer: Any, step: int | None = None) -> None:
        """Fetch the curriculum's `metrics()` and write them to a local writer.

        Args:
            writer: anything with `add_scalar(name, value, step)`.
            step: global step.
        """
        for key, value in self._call("metrics").items():
            writer.add_scalar(key, value, step)

    def kill(self, timeout: float = 30.0) -> None:
        """Kill the actor and wait until it is gone (ray.kill alone returns before the actor dies)."""
        ray = _import_ray()
        ray.kill(self.actor)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ray.get(self.actor.describe.remote("num_tasks"), timeout=1.0)
            except ray.exceptions.RayActorError:
                return
            except ray.exceptions.GetTimeoutError:
                pass
            time.sleep(0.05)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("actor", "actor_name", "timeout"):
            raise AttributeError(name)
        is_method, value = self._get(self.actor.describe.remote(name))
        if not is_method:
            return value
        return lambda *args, **kwargs: self._call(name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"RayCurriculumWrapper(actor_name={self.actor_name!r})"


def make_ray_curriculum(
    curriculum: Any, actor_name: str = DEFAULT_ACTOR_NAME, namespace: str | None = None, **kwargs: Any
) -> RayCurriculumWrapper:
    """Move a curriculum into a named Ray actor and return a proxy to it.

    Args:
        curriculum: a curriculum instance (or class, with its constructor arguments in `kwargs`).
        actor_name: name envs use to find it (`RaySyncWrapper(env, actor_name=...)`).
        namespace: Ray namespace of the actor (default: the driver's).
        **kwargs: constructor keyword arguments when `curriculum` is a class, and `timeout`.

    Example:
        >>> curriculum = make_ray_curriculum(DomainRandomization(Discrete(10)))
        >>> env = RaySyncWrapper(make_task_env())     # in any Ray worker
    """
    return RayCurriculumWrapper(curriculum, actor_name=actor_name, namespace=namespace, **kwargs)


def _ray_get(ref: Any, timeout: float, who: str) -> Any:
    ray = _import_ray()
    try:
        return ray.get(ref, timeout=timeout)
    except ray.exceptions.GetTimeoutError:
        raise TimeoutError(f"{who} did not answer within {timeout:.0f} s; it is overloaded or blocked") from None
    except ray.exceptions.RayActorError as e:
        raise CurriculumServerError(f"{who} has died: {e}") from e


class RaySyncWrapper(gym.Wrapper):
    """Connect an env in any Ray worker to the curriculum actor created by `make_ray_curriculum`.

    Args:
        env: a task-aware environment (accepts `reset(new_task=...)`).
        actor_name: name of the curriculum actor.
        namespace: Ray namespace of the actor (default: this worker's).
        update_on_step: send step batches; defaults to the curriculum's `requires_step_updates`.
        batch_size: at most this many steps per step-batch message.
        prefetch: 0 (default): each finished episode's updates go to the actor when the episode ends, and every
            reset takes the curriculum's next task in one actor call, so the order and the per-task counts of a
            sequence hold across envs. N > 0: tasks fetched ahead per actor call, with another N kept in
            reserve, and updates sent at episode end unless a call is still in flight (then with the next one:
            call `flush()` or `close()` after the last episode); this cuts actor calls for very short episodes,
            but the tasks in an env's reserve were handed out before they run, so with several envs the tasks
            run over a fixed number of episodes are not the curriculum's first ones.
        default_task: task of the very first episode, so that the first reset does not wait for the actor.
        task_space: decodes tasks; defaults to the curriculum's.
        timeout: seconds to wait for the actor before raising a TimeoutError.

    Example:
        >>> env = RaySyncWrapper(CartPoleTaskWrapper(gym.make("CartPole-v1")))
    """

    def __init__(
        self,
        env: gym.Env,
        actor_name: str = DEFAULT_ACTOR_NAME,
        namespace: str | None = None,
        update_on_step: bool | None = None,
        batch_size: int = 100,
        prefetch: int = 0,
        default_task: Any = None,
        task_space: Any = None,
        timeout: float = 120.0,
    ) -> None:
        super().__init__(env)
        self._task_reset = TaskReset(env)
        ray = _import_ray()
        if prefetch < 0:
            raise ValueError(f"prefetch must be >= 0 (tasks fetched ahead per actor call; 0: none), got {prefetch}")
        self.actor_name = actor_name
        self.timeout = float(timeout)
        try:
            self._actor = ray.get_actor(actor_name, namespace=namespace)
        except ValueError as e:
            raise ValueError(
                f"no curriculum actor named {actor_name!r} in this Ray cluster/namespace; call "
                "make_ray_curriculum(curriculum) in the driver before creating envs (same actor_name)"
            ) from e
        env_id, remote_space, requires_step = self._get(self._actor.register_env.remote())
        self.env_id = env_id
        self.task_space = as_task_space(task_space) if task_space is not None else remote_space
        if update_on_step is None:
            update_on_step = requires_step
        self.prefetch = int(prefetch)
        self._recorder = EpisodeRecorder(env_id, bool(update_on_step), batch_size)
        self._tasks: Deque[Any] = deque()
        self._pending: List[Any] = []
        self._in_flight: Any = None
        self._default_task = default_task
        self._latest_task: Any = None
        self._encoded_task: Any = None
        self._closed = False
        if default_task is None and self.prefetch:
            self._exchange(2 * self.prefetch)

    def _get(self, ref: Any) -> Any:
        return _ray_get(ref, self.timeout, f"the curriculum actor {self.actor_name!r}")

    def _collect(self) -> None:
        """Wait for the call in flight (if any) and keep the tasks it brought."""
        if self._in_flight is not None:
            ref, self._in_flight = self._in_flight, None
            self._tasks.extend(self._get(ref))

    def _call_done(self) -> bool:
        ready, _ = _import_ray().wait([self._in_flight], timeout=0)
        return bool(ready)

    def _exchange(self, num_tasks: int) -> None:
        """Send all pending updates and ask for `num_tasks` tasks, without waiting for the answer."""
        self._collect()  # one call in flight at most: bounded memory, updates applied in order
        updates, self._pending = self._pending, []
        self._in_flight = self._actor.exchange.remote(updates, num_tasks)

    @property
    def task(self) -> Any:
        """The task of the running episode."""
        return getattr(self.env, "task", self._latest_task)

    @property
    def prefetched_tasks(self) -> list:
        """Tasks already fetched from the curriculum but not yet run (decoded)."""
        self._collect()
        return [self.task_space.decode(t) for t in self._tasks]

    def reset(self, *, seed: int | None = None, options: dict | None = None, new_task: Any = _NO_TASK):
        """Reset with the next task from the curriculum (or with `new_task`, when given).

        Args:
            seed: forwarded to the env when its reset takes a seed.
            options: forwarded to the env when its reset takes options.
            new_task: run this task instead of the curriculum's next one.
        """
        self._recorder.start_episode()
        if new_task is _NO_TASK:
            if self._default_task is not None:
                new_task, self._default_task = self._default_task, None
            elif not self.prefetch:
                # the task is handed out now, after this env's updates: the curriculum's order holds across envs,
                # and no task is handed out that does not run (the updates went when the episode ended)
                self._exchange(1)
                self._collect()
                new_task = self.task_space.decode(self._tasks.popleft())
            else:
                if self._in_flight is not None and (not self._tasks or self._call_done()):
                    self._collect()
                if not self._tasks:
                    self._exchange(2 * self.prefetch)
                    self._collect()
                new_task = self.task_space.decode(self._tasks.popleft())
            if self.prefetch:  # keep a reserve of `prefetch` tasks: a reset never waits for the actor
                self._send_if_idle()
        self._latest_task = new_task
        obs, info = self._task_reset(new_task, seed, options)
        self._encoded_task = self.task_space.encode(self.task)
        return obs, info

    def step(self, action: Any):
        """Step the env, collecting episode (and step) updates for the next actor call."""
        obs, rew, terminated, truncated, info = self.env.step(action)
        msgs = self._recorder.record_step(self._encoded_task, obs, rew, terminated, truncated, info)
        if msgs:
            self._pending.extend(msgs)
            if terminated or truncated:
                self._episode_ended()
            elif len(self._pending) > 4 * self.prefetch + 4:
                self._exchange(0)  # many step batches: send them now rather than hold them
        return obs, rew, terminated, truncated, info

    def _episode_ended(self) -> None:
        """Send the finished episode's updates now, without waiting for the answer, as the multiprocessing wrapper
        does: the last episode of an env reaches the curriculum even without `close()`. With `prefetch=N` they
        wait for the next call when one is still in flight (batching adapts to the actor's pace)."""
        if not self.prefetch:
            self._exchange(0)
        else:
            self._send_if_idle()

    def _send_if_idle(self) -> None:
        """`prefetch=N`: send the pending updates, and ask for a batch of tasks when the reserve is down to N,
        unless a call is still in flight (then they ride the next one: batching adapts to the actor's pace)."""
        if self._in_flight is not None and not self._call_done():
            return
        self._collect()
        refill = self.prefetch if len(self._tasks) <= self.prefetch else 0
        if self._pending or refill:
            self._exchange(refill)

    def flush(self) -> None:
        """Send every collected update and wait until the curriculum has applied them."""
        batch = self._recorder.take_step_batch()
        if batch is not None:
            self._pending.append(batch)
        self._exchange(0)
        self._collect()

    def close(self) -> None:
        """Report the updates not yet sent, then close the env."""
        if not self._closed:
            self._closed = True
            try:
                self.flush()
            except CurriculumServerError as e:
                log.warning("env %d could not send its last updates: %s", self.env_id, e)
        super().close()
