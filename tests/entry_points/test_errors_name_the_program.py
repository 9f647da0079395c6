"""Every entry point names itself in its errors (a bad flag value, then a bad flag): `python -m sf_curric.export
--format=tflite` used to say `python -m sf_curric.eval: error: ...`."""

import importlib

import pytest

# (module, the function its `python -m` runs with argv, a bad value of one of its own flags)
ENTRY_POINTS = [
    ("sf_curric.train", "run", "--restart_behavior=never"),
    ("sf_curric.enjoy", "run", "--eval_tasks=nowhere"),
    ("sf_curric.eval", "run", "--eval_tasks=nowhere"),
    ("sf_curric.export.__main__", "run", "--format=tflite"),
    ("sf_curric.launch", "launch", "--backend=slurm"),
    ("sf_curric.report", "report", "--points=many"),
    ("sf_curric.reference", "main", "--out"),
]


@pytest.mark.parametrize("module, function, bad_value", ENTRY_POINTS)
def test_errors_name_the_entry_point(module, function, bad_value, capsys):
    program = "python -m " + module.removesuffix(".__main__")
    run = getattr(importlib.import_module(module), function)
    for argv in ([bad_value], ["--no_such_flag_xyz=1"]):
        with pytest.raises(SystemExit) as stop:
            run(argv)
        assert stop.value.code == 2, argv
        last_line = capsys.readouterr().err.strip().splitlines()[-1]
        assert last_line.startswith(f"{program}: error: "), (argv, last_line)
