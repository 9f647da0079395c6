"""Many runs of `sf_curric.train`: sweep descriptions (`RunDescription`, `ParamGrid`), the local and Ray launchers
(`python -m sf_curric.launch`) and statistics across seeds (`python -m sf_curric.report`)."""

from sf_curric.sweeps.run_description import Experiment, ParamGrid, ParamList, RunDescription, RunSpec

__all__ = ["Experiment", "ParamGrid", "ParamList", "RunDescription", "RunSpec"]
