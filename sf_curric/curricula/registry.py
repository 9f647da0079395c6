"""The one table of curricula by name: what `--curriculum` offers, the flags each reads, how each is built.

`--curriculum`'s choices, its flags in `--help`, the names `--sequential_stages` accepts and whether a run keeps a
self-play opponent pool all come from this table. A new built-in curriculum is its file (the class, its flags and a
build function) plus one `CurriculumEntry` line in `sf_curric/curricula/builtin.py`; a script of your own registers
one before the command line is parsed:

    >>> from sf_curric import register_curriculum
    >>> register_curriculum(
    ...     "favour_hard",
    ...     lambda ctx: FavourHardTasks(ctx.task_space, boost=ctx.option("favour_hard_boost"), seed=ctx.seed),
    ...     flags=[("--favour_hard_boost", {"type": float, "default": 1.0, "help": "favour_hard: ..."})],
    ... )
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from sf_curric.curricula.builtin import BUILTIN
from sf_curric.curricula.entry import BuildContext, CurriculumEntry
from sf_curric.errors import ConfigError

# the flags of the curricula package itself (read by the factory and the trainer's curriculum host)
CURRICULUM_ARGS: list[tuple[str, dict[str, Any]]] = [
    ("--curriculum_seed", {"type": int, "default": None, "help": "Seed of the curriculum's RNG (None: --seed)."}),
    (
        "--curriculum_prefetch",
        {"type": int, "default": 2, "help": "Tasks sampled ahead per env, so that env resets never wait."},
    ),
]


# name -> entry, the built-in ones first (in --help order)
CURRICULA: dict[str, CurriculumEntry] = {entry.name: entry for entry in BUILTIN}


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
    CURRICULA[name] = entry
    return entry


def unregister_curriculum(name: str) -> None:
    """Remove `name` from the table (tests that register a curriculum of their own)."""
    CURRICULA.pop(name, None)


def curriculum_names() -> tuple[str, ...]:
    """`--curriculum`'s choices: "none" and every registered name."""
    return ("none", *CURRICULA)


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
    for entry in CURRICULA.values():
        for flag, kwargs in entry.flags:
            if flag not in seen:
                seen.add(flag)
                specs.append((flag, kwargs))
    return specs


def get_entry(name: str) -> CurriculumEntry:
    """The table row of `name`; a ConfigError listing the names when there is none."""
    if name not in CURRICULA:
        raise ConfigError(f"unknown --curriculum={name!r}: use one of {', '.join(curriculum_names())}")
    return CURRICULA[name]


def is_self_play_curriculum(name: Any) -> bool:
    """Whether `--curriculum=name` plays against an opponent pool."""
    return isinstance(name, str) and name in CURRICULA and CURRICULA[name].self_play
