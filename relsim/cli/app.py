"""``relsim app``: serve the interactive leaky-bucket page."""

from __future__ import annotations

import argparse
import socket
from typing import Any

from relsim.cli._common import port


def register(sub: Any) -> None:
    """Add the command's parser."""
    p = sub.add_parser(
        "app",
        help="serve the interactive leaky-bucket page (Dash) on 127.0.0.1",
        description="Serve the teaching page on this machine.",
    )
    p.add_argument("--port", type=port, default=8050)
    p.add_argument("--debug", action="store_true", help="Dash's debug mode (reloads)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the command."""
    from relsim.errors import InputError

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", args.port))
        except OSError as err:
            raise InputError(
                f"--port {args.port}: cannot listen on 127.0.0.1 "
                f"({err.strerror}); choose another port"
            ) from None
    from relsim.app.page import serve

    serve(port=args.port, debug=args.debug)
    return 0
