"""Every failure relsim expects, as one family of exceptions.

The command line turns a :class:`RelsimError` into one line on standard error naming the file,
field or option and what was expected, and exit status 2 (:data:`EXIT_BAD_INPUT`); anything
else is a bug, reported as such with the traceback written to a file (exit status 1). This
module imports nothing heavy, so any layer, and ``relsim --help``, can use it for free.
"""

from __future__ import annotations

#: Exit status of a command that was given bad input or could not write its output.
EXIT_BAD_INPUT = 2
#: Exit status of an internal error (a bug) or of work that finished with failures.
EXIT_FAILURE = 1
#: Exit status after Ctrl-C (128 + SIGINT), as shells expect.
EXIT_INTERRUPTED = 130


class RelsimError(Exception):
    """An expected failure: bad input, a refused output folder, a full disk."""


class InputError(RelsimError, ValueError):
    """A file, value or option that relsim cannot use; the message says where and why."""


class ScenarioError(InputError):
    """A scenario file or override that does not validate."""


class ExperimentError(InputError):
    """An experiment file that does not validate, or a claim that cannot be evaluated."""


class SweepError(InputError):
    """A sweep file that does not validate, or a results folder that does not match it."""


class CalibrationError(InputError):
    """A calibration targets file that does not validate."""


class ForecastDataError(InputError):
    """Input that cannot be forecast from; the message names the source and the problem."""


class RunDirError(InputError):
    """A folder that is not a complete relsim results folder, or whose files are damaged."""


class OutputError(RelsimError):
    """An output folder relsim may not write: not its own, in use, or on a full disk."""
