"""A row of the curriculum table (`CurriculumEntry`) and what its build function gets (`BuildContext`).

The table itself is `sf_curric.curricula.registry`; the built-in rows are listed in `sf_curric.curricula.builtin`.
A curriculum's `build(ctx)` reads its flags with `ctx.option(name)` and may build another row with `ctx.build(name)`.
"""

from __future__ import annotations

import argparse
import ast
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence


@dataclass(frozen=True)
class BuildContext:
    """What a curriculum's build function gets: the env's task space and the run's config.

    Attributes:
        task_space: the env's task space (None for curricula registered with `needs_task_space=False`).
        cfg: the run's config.
        num_envs: envs in the run (PLR's number of actors).
        action_space: the env's action space.
        seed: the curriculum's seed (`--curriculum_seed`, else `--seed`).
        env_spec: the env's registry entry (`register_env`'s `mutate`, `generate_level`, ...), or None.
        make_env: `make_env(cfg)` builds one env of the run (ACCEL looks for the env's own `mutate`), or None.
        table: the curriculum table, by name (what `build` and `is_stage` look names up in).
    """

    task_space: Any
    cfg: argparse.Namespace
    num_envs: int
    action_space: Any
    seed: int | None
    env_spec: Any = None
    make_env: Callable[[argparse.Namespace], Any] | None = None
    table: Mapping[str, CurriculumEntry] = field(default_factory=dict)

    def option(self, name: str) -> Any:
        """The value of flag `--name` (declare it in the entry's `flags`)."""
        return getattr(self.cfg, name)

    def is_stage(self, name: str) -> bool:
        """Whether `name` is a curriculum usable as a stage of a sequential curriculum (`stage=True`)."""
        return name in self.table and self.table[name].stage

    def build(self, name: str) -> Any:
        """The curriculum `name` of the table over the same task space (e.g. a stage of a sequential curriculum)."""
        return self.table[name].build(self)


@dataclass(frozen=True)
class CurriculumEntry:
    """One row of the table.

    Attributes:
        name: the `--curriculum` value.
        build: `build(ctx: BuildContext) -> Curriculum`.
        flags: the `(flag, add_argument kwargs)` specs it reads; a spec shared by several entries is one object.
        needs_task_space: False when the curriculum brings its own tasks (self-play: opponent slots).
        self_play: the run keeps an opponent pool of policy snapshots (`sf_curric.algo.self_play`).
        stage: usable by name as a stage of `--sequential_stages`.
    """

    name: str
    build: Callable[[BuildContext], Any]
    flags: Sequence[tuple[str, dict[str, Any]]] = ()
    needs_task_space: bool = True
    self_play: bool = False
    stage: bool = False


def literal(text: str) -> Any:
    """A Python literal from a flag (`'3'` -> 3, `'[1,2]'` -> [1, 2]); other text stays a string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
