"""Logging setup: a console handler and a log file in the experiment folder.

A run checks everything it can before it creates anything on disk, so its log file is attached late
(`attach_log_file`): the lines logged before that are kept in memory and written first.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

LOG_FORMAT = "[%(asctime)s][%(process)d] %(levelname)s %(message)s"
LOG_FILE = "sf_log.txt"  # in the experiment folder: the runner's and its worker processes' lines
_HANDLER_MARK = "_sf_curric_handler"

log = logging.getLogger("sf_curric")


class _LogFile(logging.FileHandler):
    """The log file; a write that fails (a full disk) is one line on stderr, not a traceback per log line. Later
    lines keep trying, so the file resumes when space is back."""

    _warned = False

    def handleError(self, record: logging.LogRecord) -> None:
        if not self._warned:
            self._warned = True
            error = sys.exc_info()[1]
            print(f"sf_curric: cannot write {self.baseFilename} ({error}); logging to the console", file=sys.stderr)


class _EarlyLines(logging.Handler):
    """Keeps the records logged before the log file is attached (`attach_log_file` writes them first)."""

    _LIMIT = 10_000

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < self._LIMIT:
            self.records.append(record)


def setup_logging(
    level: str = "info", log_file: Path | str | None = None, keep_early_lines: bool = False
) -> logging.Logger:
    """Configure the `sf_curric` logger: console output and, when given, a log file (appended).

    Calling it again replaces the handlers it added before (tests run several trainings in one process).

    Args:
        level: debug, info or warning.
        log_file: path of the log file, e.g. `<train_dir>/<experiment>/sf_log.txt`.
        keep_early_lines: without `log_file`, keep the lines in memory for a later `attach_log_file`.

    Returns:
        The `sf_curric` logger.
    """
    for handler in list(log.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            log.removeHandler(handler)
            handler.close()
    log.setLevel(getattr(logging, level.upper()))
    log.propagate = False
    formatter = logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S")
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file is not None:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(_LogFile(log_file))
    elif keep_early_lines:
        handlers.append(_EarlyLines())
    for handler in handlers:
        handler.setFormatter(formatter)
        setattr(handler, _HANDLER_MARK, True)
        log.addHandler(handler)
    return log


def attach_log_file(log_file: Path | str) -> None:
    """Start writing the `sf_curric` logger to `log_file` (appended), the lines kept since `setup_logging` first.

    Args:
        log_file: path of the log file; its folder must exist.
    """
    handler = _LogFile(log_file)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
    setattr(handler, _HANDLER_MARK, True)
    for early in [h for h in log.handlers if isinstance(h, _EarlyLines)]:
        log.removeHandler(early)
        for record in early.records:
            handler.handle(record)
    log.addHandler(handler)


def log_to_file_only(level: int, message: str) -> None:
    """Write one record to the log file alone (e.g. a traceback that Python prints on the console anyway).

    Args:
        level: e.g. `logging.ERROR`.
        message: the text (may span lines).
    """
    record = log.makeRecord(log.name, level, __file__, 0, message, (), None)
    for handler in log.handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def close_log_file() -> None:
    """Close the log file handler (at the end of a run) but keep console output."""
    for handler in list(log.handlers):
        if getattr(handler, _HANDLER_MARK, False) and isinstance(handler, (logging.FileHandler, _EarlyLines)):
            log.removeHandler(handler)
            handler.close()
