"""Logging setup: a console handler and a log file in the experiment folder."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

LOG_FORMAT = "[%(asctime)s][%(process)d] %(levelname)s %(message)s"
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


def setup_logging(level: str = "info", log_file: Path | str | None = None) -> logging.Logger:
    """Configure the `sf_curric` logger: console output and, when given, a log file (appended).

    Calling it again replaces the handlers it added before (tests run several trainings in one process).

    Args:
        level: debug, info or warning.
        log_file: path of the log file, e.g. `<train_dir>/<experiment>/sf_log.txt`.

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
    for handler in handlers:
        handler.setFormatter(formatter)
        setattr(handler, _HANDLER_MARK, True)
        log.addHandler(handler)
    return log


def close_log_file() -> None:
    """Close the log file handler (at the end of a run) but keep console output."""
    for handler in list(log.handlers):
        if getattr(handler, _HANDLER_MARK, False) and isinstance(handler, logging.FileHandler):
            log.removeHandler(handler)
            handler.close()
