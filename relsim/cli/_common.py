"""What the commands share: a parser with one-line errors, option types, progress, backends.

Nothing here imports more than the standard library at module level, so building the parser
stays fast.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from relsim.errors import EXIT_BAD_INPUT


class Interrupted(Exception):  # noqa: N818 - it is what happened, not an error
    """Ctrl-C during a command; the message says what was kept."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with status 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``relsim COMMAND: error: ...`` on one line and exit 2."""
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(text: str, kind: Callable[[str], Any], what: str) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected {what} (finite), got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1."""
    v = _number(text, int, "a positive integer")
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(v)


def non_negative_int(text: str) -> int:
    """An integer >= 0."""
    v = _number(text, int, "a non-negative integer")
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return int(v)


def positive_float(text: str) -> float:
    """A finite number > 0."""
    v = _number(text, float, "a positive number")
    if not v > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return float(v)


def share(text: str) -> float:
    """A finite number in [0, 1]."""
    v = _number(text, float, "a number between 0 and 1")
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return float(v)


def currency(text: str) -> str:
    """A currency's symbol or code: one to five characters, no spaces ($, EUR)."""
    if not 1 <= len(text) <= 5 or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(
            f"expected a currency symbol or code of 1 to 5 characters without spaces, got {text!r}"
        )
    return text


def port(text: str) -> int:
    """A TCP port number."""
    v = _number(text, int, "a port number")
    if not 1 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}")
    return int(v)


def date(text: str) -> str:
    """A calendar date, YYYY-MM-DD."""
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None
    return text


def add_set(p: argparse.ArgumentParser, what: str = "the scenario") -> None:
    """The ``--set KEY=VALUE`` option."""
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override a value of {what} (dotted key, TOML value), e.g. "
        "firms.focal.account_managers=8; repeatable",
    )


def add_backend(p: argparse.ArgumentParser) -> None:
    """Where replications run: ``--workers``, ``--dask-local`` or ``--scheduler``."""
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=positive_int, default=1, help="local processes (default 1: this process)"
    )
    where.add_argument(
        "--dask-local",
        type=positive_int,
        metavar="N",
        help="a Dask LocalCluster of N single-threaded worker processes",
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="an existing Dask cluster, e.g. tcp://10.0.0.5:8786"
    )


def make_backend(args: argparse.Namespace) -> Any:
    """The backend the options ask for."""
    from relsim.experiments.backends import make_backend as make

    return make(
        getattr(args, "workers", 1),
        getattr(args, "scheduler", None),
        getattr(args, "dask_local", None),
    )


def progress_bar(total: int, desc: str, unit: str = "run") -> tuple[Any, Callable[[Any], None]]:
    """A tqdm bar on standard error and the engine callback that moves it."""
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        unit=unit,
        desc=desc,
        dynamic_ncols=True,
        mininterval=0.5,
        disable=None,
        leave=False,
        file=sys.stderr,
    )

    def on_progress(status: Any) -> None:
        bar.n = status.finished
        bar.set_postfix(running=status.running, failed=status.failed, refresh=False)
        bar.refresh()

    return bar, on_progress


def interrupted_in_store(folder: Any, kept: int) -> Interrupted:
    """The message of a study interrupted by Ctrl-C."""
    return Interrupted(
        f"the {kept} finished replications are kept in {folder}; rerun the "
        "same command to compute only the rest"
    )


def add_precision(p: argparse.ArgumentParser) -> None:
    """``--precision`` and ``--max-reps``: replications by the sequential rule."""
    p.add_argument(
        "--precision",
        type=positive_float,
        metavar="REL",
        help="add replications until every reported interval's half-width is "
        "below REL of its mean (e.g. 0.05), by the sequential rule of Hoad, "
        "Robinson & Davies (2010)",
    )
    p.add_argument(
        "--max-reps",
        type=positive_int,
        default=None,
        metavar="N",
        help="with --precision: stop at N replications at the latest (default 200)",
    )


def precision_note(args: argparse.Namespace) -> None:
    """Check that --max-reps goes with --precision; default the cap."""
    from relsim.errors import InputError

    if getattr(args, "max_reps", None) is not None and getattr(args, "precision", None) is None:
        raise InputError("--max-reps: only with --precision")
    if getattr(args, "precision", None) is not None and args.max_reps is None:
        args.max_reps = 200
