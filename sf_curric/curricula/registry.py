"""The one table of curricula by name: what `--curriculum` offers, the flags each reads, how each is built.

`--curriculum`'s choices, its flags in `--help`, the names `--sequential_stages` accepts and whether a run keeps a
self-play opponent pool all come from this table. A new curriculum is its file (the class, its flags and a build
function) plus one `register_curriculum` line in `sf_curric/curricula/builtin.py`; a script of your own registers
one the same way before the command line is parsed:

    >>> from sf_curric import register_curriculum
    >>> register_curriculum(
    ...     "favour_hard",
    ...     lambda ctx: FavourHardTasks(ctx.task_space, boost=ctx.option("favour_hard_boost"), seed=ctx.seed),
    ...     flags=[("--favour_hard_boost", {"type": float, "default": 1.0, "help": "favour_hard: ..."})],
    ... )
"""

from __future__ import annotations

import argparse
import ast
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from sf_curric.errors import ConfigError

# the flags of the curricula package itself (read by the factory and the trainer's curriculum host)
CURRICULUM_ARGS: list[tuple[str, dict[str, Any]]] = [
    ("--curriculum_seed", {"type": int, "default": None, "help": "Seed of the curriculum's RNG (None: --seed)."}),
    (
        "--curriculum_prefetch",
        {"type": int, "default": 2, "help": "Tasks sampled ahead per env, so that env resets never wait."},
    ),
]


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
    """

    task_space: Any
    cfg: argparse.Namespace
    num_envs: int
    action_space: Any
    seed: int | None
    env_spec: Any = None
    make_env: Callable[[argparse.Namespace], Any] | None = None

    def option(self, name: str) -> Any:
        """The value of flag `--name` (declare it in the entry's `flags`)."""
        return getattr(self.cfg, name)

    def build(self, name: str) -> Any:
        """The curriculum `name` over the same task space (e.g. a stage of a sequential curriculum)."""
        return get_entry(name).build(self)


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


CURRICULA: dict[str, CurriculumEntry] = {}
_builtins_loaded = False


def _table() -> dict[str, CurriculumEntry]:
    """The table, with the built-in curricula registered on first use (sf_curric/curricula/builtin.py), before any
    other registration: a later `register_curriculum` of a built-in name replaces it."""
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        from sf_curric.curricula import builtin  # noqa: F401 - its register_curriculum lines fill the table

    return CURRICULA


def register_curriculum(
    name: str,
    build: Callable[[BuildContext], Any],
    flags: Sequence[tuple[str, dict[str, Any]]] = (),
    *,
    needs_task_space: bool = True,
    self_play: bool = False,
    stage: bool = False,
) -> CurriculumEntry:
    """Make `--curriculum=name` build `build(ctx)`; its `flags` join the parser's curriculum group.

    Args:
        name: the `--curriculum` value (not "none").
        build: function of a `BuildContext` returning a `Curriculum`; read flags with `ctx.option("flag_name")`.
        flags: `(flag, add_argument kwargs)` specs the curriculum reads (a flag already defined is not redefined).
        needs_task_space: False for curricula that bring their own tasks.
        self_play: the run keeps an opponent pool (self-play curricula).
        stage: usable by name in `--sequential_stages`.
    """
    if name == "none" or not name.isidentifier():
        raise ValueError(f"curriculum name {name!r}: use an identifier other than 'none' (e.g. 'my_curriculum')")
    entry = CurriculumEntry(name, build, tuple(flags), needs_task_space, self_play, stage)
    _table()[name] = entry
    return entry


def unregister_curriculum(name: str) -> None:
    """Remove `name` from the table (tests that register a curriculum of their own)."""
    _table().pop(name, None)


def curriculum_names() -> tuple[str, ...]:
    """`--curriculum`'s choices: "none" and every registered name."""
    return ("none", *_table())


def curriculum_args() -> list[tuple[str, dict[str, Any]]]:
    """The curricula package's flags for the parser: `--curriculum` (its choices: the table's names), the package's
    own flags, then every curriculum's option flags, each once, in table order."""
    specs: list[tuple[str, dict[str, Any]]] = [
        (
            "--curriculum",
            {
                "type": str,
                "default": None,
                "choices": curriculum_names(),
                "help": "Curriculum over the env's task space (None: the one given to register_env, else none).",
            },
        ),
        *CURRICULUM_ARGS,
    ]
    seen = {flag for flag, _ in specs}
    for entry in _table().values():
        for flag, kwargs in entry.flags:
            if flag not in seen:
                seen.add(flag)
                specs.append((flag, kwargs))
    return specs


def get_entry(name: str) -> CurriculumEntry:
    """The table row of `name`; a ConfigError listing the names when there is none."""
    table = _table()
    if name not in table:
        raise ConfigError(f"unknown --curriculum={name!r}: use one of {', '.join(curriculum_names())}")
    return table[name]


def is_self_play_curriculum(name: Any) -> bool:
    """Whether `--curriculum=name` plays against an opponent pool."""
    return isinstance(name, str) and name in _table() and _table()[name].self_play


def stage_names() -> tuple[str, ...]:
    """The curricula usable by name as a stage of `--sequential_stages`."""
    return tuple(name for name, entry in _table().items() if entry.stage)


def literal(text: str) -> Any:
    """A Python literal from a flag (`'3'` -> 3, `'[1,2]'` -> [1, 2]); other text stays a string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
