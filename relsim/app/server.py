"""Serving the teaching page: the page, plotly.js, and ``/api/run``.

``/api/run`` simulates a setting of the levers in a pool of worker processes; plotly.js comes
from the installed plotly package.

A run is computed once per setting and kept (the page's market and seed are fixed, so the
same levers always give the same run): a class pressing the same preset costs one
simulation, and identical requests arriving together wait for the same computation. The lesson
steps and presets are computed in the background as soon as the server starts, so the guided
lesson never waits. The server only reads: it writes no file.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import get_context
from typing import Any
from urllib.parse import parse_qs, urlsplit

from relsim.app.html import page_html, plotly_js
from relsim.app.lessons import precomputed_settings
from relsim.app.levers import LeverError, check_levers, key_of
from relsim.app.runs import run_payload
from relsim.experiments.backends import exit_with_parent

#: Runs kept in memory (about 30 kB each).
CACHE_SIZE = 512


class RunCache:
    """Runs by setting, computed in a process pool; identical requests share one computation."""

    def __init__(self, workers: int) -> None:
        # Spawned (the server has threads, which fork does not copy safely), and each worker
        # ends by itself when the server's process is gone, even after SIGKILL.
        self.pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("spawn"),
            initializer=exit_with_parent,
            initargs=(os.getpid(),),
        )
        self.lock = threading.Lock()
        self.runs: OrderedDict[str, Future[dict[str, Any]]] = OrderedDict()

    def submit(self, levers: dict[str, float]) -> Future[dict[str, Any]]:
        """The (possibly finished) computation of the run of ``levers``."""
        key = key_of(levers)
        with self.lock:
            fut = self.runs.get(key)
            if fut is not None and not (fut.done() and fut.exception() is not None):
                self.runs.move_to_end(key)
                return fut
            fut = self.pool.submit(run_payload, dict(levers))
            self.runs[key] = fut
            while len(self.runs) > CACHE_SIZE:
                self.runs.popitem(last=False)
            return fut

    def warm(self, settings: list[dict[str, float]]) -> None:
        """Start computing ``settings`` in the background."""
        for s in settings:
            self.submit(check_levers(s))

    def close(self) -> None:
        """Stop the workers: queued runs are dropped, a run under way is let finish."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def make_handler(cache: RunCache, page: bytes, script: bytes) -> type[BaseHTTPRequestHandler]:
    """The request handler of one server."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "relsim-app"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass  # a classroom's requests are not worth a terminal full of lines

        def _send(self, status: int, body: bytes, kind: str, cache_for: int = 0) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", f"max-age={cache_for}" if cache_for else "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, doc: Any) -> None:
            self._send(status, json.dumps(doc).encode(), "application/json")

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            url = urlsplit(self.path)
            if url.path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, page, "text/html; charset=utf-8")
            elif url.path == "/plotly.min.js":
                self._send(HTTPStatus.OK, script, "text/javascript", cache_for=86400)
            elif url.path == "/api/run":
                query = parse_qs(url.query, keep_blank_values=True)
                try:
                    levers = check_levers({k: v[-1] for k, v in query.items()})
                except LeverError as err:
                    self._json(HTTPStatus.BAD_REQUEST, {"error": str(err)})
                    return
                try:
                    doc = cache.submit(levers).result()
                except Exception as err:  # a failed run must not take the page down
                    self._json(
                        HTTPStatus.INTERNAL_SERVER_ERROR,
                        {"error": f"the simulation failed: {type(err).__name__}: {err}"},
                    )
                    return
                self._json(HTTPStatus.OK, doc)
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no page {url.path}"})

    return Handler


class Server(ThreadingHTTPServer):
    """The page's HTTP server: a client that hangs up mid-answer is no error worth a word."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when the client went away; one line for anything else."""
        import sys

        err = sys.exc_info()[1]
        if isinstance(err, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return
        print(
            f"relsim app: a request from {client_address[0]} failed: {type(err).__name__}: {err}",
            file=sys.stderr,
        )


def make_server(host: str, port: int, workers: int = 2, warm: bool = True) -> ThreadingHTTPServer:
    """A server for the page on ``host:port`` (not yet serving); ``server.cache`` holds runs."""
    cache = RunCache(workers)
    httpd = Server((host, port), make_handler(cache, page_html(), plotly_js()))
    httpd.daemon_threads = True
    httpd.cache = cache  # type: ignore[attr-defined]
    if warm:
        cache.warm(precomputed_settings(lessons_only=True))
    return httpd


def serve(host: str = "127.0.0.1", port: int = 8050, workers: int = 2) -> None:
    """Serve the page until interrupted."""
    httpd = make_server(host, port, workers)
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
    print(f"relsim app: open http://{shown}:{port}/ (Ctrl-C to stop)", flush=True)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # SIGTERM ends the server as Ctrl-C does, workers included

    signal.signal(signal.SIGTERM, stop)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        httpd.cache.close()  # type: ignore[attr-defined]
