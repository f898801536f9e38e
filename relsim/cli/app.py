"""``relsim app``: serve the teaching page, or export it as a static page of precomputed runs."""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
from typing import Any

from relsim.cli._common import port, positive_int

LOOPBACK = "127.0.0.1"


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "app",
        help="serve the interactive leaky-bucket page (or export it with --export DIR)",
        description="Serve the teaching page on this machine (127.0.0.1 unless --host says "
        "otherwise), or write a static copy of it with precomputed runs (--export).",
    )
    p.add_argument("--port", type=port, default=8050)
    p.add_argument(
        "--host",
        default=LOOPBACK,
        metavar="ADDRESS",
        help="address to listen on: 0.0.0.0 for every network of this machine (a classroom); "
        "anyone who can reach it can use the page and make this machine simulate",
    )
    p.add_argument(
        "--workers", type=positive_int, default=2, help="simulations run at once (default 2)"
    )
    p.add_argument(
        "--export",
        metavar="DIR",
        help="write a static page (index.html and plotly.min.js) that opens without Python, "
        "with the runs of --runs precomputed, then exit",
    )
    p.add_argument(
        "--runs",
        choices=("lessons", "levers"),
        default="levers",
        help="runs an export holds: the presets and lesson steps, or also every lever's marked "
        "values one at a time from three presets (about 100 runs; the default)",
    )
    p.set_defaults(func=main)


def _check_host(host: str) -> str:
    from relsim.errors import InputError

    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise InputError(
                f"--host {host!r}: expected an IP address of this machine, such as 127.0.0.1 "
                "(this machine only) or 0.0.0.0 (every network)"
            ) from None
    return host


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    if args.export:
        return export(args)
    from relsim.errors import InputError

    host = _check_host(args.host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        try:
            s.bind((host, args.port))
        except OSError as err:
            raise InputError(
                f"--port {args.port}: cannot listen on {host} ({err.strerror}); "
                "choose another port or address"
            ) from None
    if host not in (LOOPBACK, "localhost", "::1"):
        print(
            f"warning: --host {host} exposes the page to every machine that can reach this "
            "address: anyone there can use it and make this machine run simulations. Use it "
            "on a classroom network you trust, and stop it (Ctrl-C) after class.",
            file=sys.stderr,
        )
    from relsim.app.server import serve

    serve(host=host, port=args.port, workers=args.workers)
    return 0


def export(args: argparse.Namespace) -> int:
    """Compute the runs and write the static page."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from pathlib import Path

    from relsim.app.html import page_html, plotly_js
    from relsim.app.lessons import precomputed_settings
    from relsim.app.runs import run_payload
    from relsim.cli._common import progress_bar
    from relsim.storage.ownership import check_output, write_owned_dir

    out = Path(args.export)
    check_output(
        out, "teaching page", "--export", whole=True
    )  # refuse before minutes of simulation
    settings = precomputed_settings(lessons_only=args.runs == "lessons")
    bar, _ = progress_bar(len(settings), "simulating the page's runs")
    runs: list[dict[str, Any]] = [{}] * len(settings)
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = {pool.submit(run_payload, s): i for i, s in enumerate(settings)}
        for fut in as_completed(futures):
            runs[futures[fut]] = fut.result()
            bar.update(1)
    bar.close()
    page, script = page_html(runs), plotly_js()

    def fill(tmp: Path) -> None:
        (tmp / "index.html").write_bytes(page)
        (tmp / "plotly.min.js").write_bytes(script)

    write_owned_dir(out, "teaching page", fill, option="--export", runs=len(runs))
    print(f"{out / 'index.html'}: the teaching page with {len(runs)} runs; open it in a browser")
    return 0
