"""The ``relsim`` command line: one module per command, one error boundary for all of them.

Each command module registers its parser and imports what it needs only when it runs, so
``relsim --help`` loads nothing heavier than :mod:`argparse`. Every expected failure is a
:class:`~relsim.errors.RelsimError` and reaches the user as one line naming the file, field or
option and what was expected, with exit status 2. Anything else is a bug: one line says so and
where the full traceback was written, exit status 1. Ctrl-C exits with status 130, SIGTERM
with 143, both after the same clean-up and with a line that says what was kept.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module

from relsim.cli._common import Interrupted, Parser
from relsim.errors import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_INTERRUPTED, RelsimError

#: Commands, in the order ``relsim --help`` lists them; each is ``relsim.cli.<name>``.
COMMANDS = (
    "run",
    "validate",
    "describe",
    "facts",
    "compare",
    "experiment",
    "sweep",
    "calibrate",
    "forecast",
    "brands",
    "report",
    "rerun",
    "app",
)


def build_parser() -> Parser:
    """The argument parser of the ``relsim`` command."""
    from relsim._version import __version__

    p = Parser(
        prog="relsim",
        description="Simulation and forecasting research framework for "
        "relationship marketing: an agent-based model of customers on the relationship "
        "ladder, what-if comparisons, experiments, sweeps and buy-till-you-die "
        "forecasts.",
    )
    p.add_argument("--version", action="version", version=f"relsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        import_module(f"relsim.cli.{name}").register(sub)
    return p


def _report_bug(err: BaseException) -> int:
    import tempfile
    import time
    import traceback

    text = "".join(traceback.format_exception(err))
    path = os.path.join(
        tempfile.gettempdir(), f"relsim-crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    )
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"relsim {' '.join(sys.argv[1:])}\n\n{text}")
        where = f"the full traceback is in {path}"
    except OSError:
        where = "the traceback could not be written to a file"
    print(
        f"relsim: internal error (a bug in relsim, not in your input): "
        f"{type(err).__name__}: {err}; {where}; please report it",
        file=sys.stderr,
    )
    return EXIT_FAILURE


#: Exit status after SIGTERM (128 + 15, as a shell reports it).
EXIT_TERMINATED = 143
_stopped_by: list[str] = []


def _on_sigterm(signum: int, frame: object) -> None:
    import signal

    if os.getpid() != _MAIN_PID:
        # A worker process forked from this one: end as SIGTERM ends a process.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    _stopped_by.append("SIGTERM")
    # The same unwinding as Ctrl-C: finished work is kept, partial files are removed.
    raise KeyboardInterrupt


_MAIN_PID = os.getpid()


def _catch_sigterm() -> object:
    """Take charge of SIGTERM for the command; returns the handler to put back after it."""
    import signal
    import threading

    global _MAIN_PID
    if threading.current_thread() is not threading.main_thread():
        return None
    _MAIN_PID = os.getpid()
    return signal.signal(signal.SIGTERM, _on_sigterm)


def _restore_sigterm(previous: object) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


def _too_long(err: OSError) -> str | None:
    import errno

    if err.errno not in (errno.ENAMETOOLONG, errno.ELOOP):
        return None
    name = str(err.filename or "")
    shown = name if len(name) <= 80 else f"{name[:40]}...{name[-30:]} ({len(name):,} characters)"
    if err.errno == errno.ENAMETOOLONG:
        return f"{shown}: a name or path too long for the file system; choose a shorter path"
    return f"{shown}: symbolic links that lead to each other in a loop; choose another path"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``relsim`` console script; returns the exit status."""
    from relsim.storage.provenance import set_command

    argv = sys.argv[1:] if argv is None else list(argv)
    set_command(argv)  # what manifests record as the command
    previous = _catch_sigterm()
    try:
        return _main(argv)
    finally:
        _restore_sigterm(previous)  # main() called from Python leaves the caller's handler


def _main(argv: list[str]) -> int:
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as done:  # --help, --version, or a usage error (status 2)
            return done.code if isinstance(done.code, int) else EXIT_BAD_INPUT
        return int(args.func(args) or 0)
    except RelsimError as err:
        # One line, whatever the message quotes from the input (newlines, control characters).
        message = "".join(ch if ch.isprintable() else " " for ch in str(err))
        print(f"relsim: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Interrupted as stop:
        how = "stopped by SIGTERM" if _stopped_by else "interrupted"
        print(f"relsim: {how}; {stop}", file=sys.stderr)
        return EXIT_TERMINATED if _stopped_by else EXIT_INTERRUPTED
    except KeyboardInterrupt:
        how = "stopped by SIGTERM" if _stopped_by else "interrupted"
        print(
            f"relsim: {how}; what had finished is kept, nothing half-written is left",
            file=sys.stderr,
        )
        return EXIT_TERMINATED if _stopped_by else EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (``relsim facts DIR | head``): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as err:
        too_long = _too_long(err)
        if too_long is None:
            if os.environ.get("RELSIM_DEBUG"):
                raise
            return _report_bug(err)
        print(f"relsim: error: {too_long}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as err:  # noqa: BLE001 - the one place that turns a bug into a report
        if os.environ.get("RELSIM_DEBUG"):
            raise
        return _report_bug(err)


def entry() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
