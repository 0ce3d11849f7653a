"""``stress serve``: listen, load the engine, say where, serve until Ctrl-C."""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys
import threading
from pathlib import Path
from typing import Any, Callable

from stress.config.loading import load_scenario, scenario_of
from stress.config.schema import Config
from stress.errors import UsageError

DEFAULT_PORT = 8765


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _stdout(message: str) -> None:
    print(message, flush=True)


def serve(config: str | Path | Config | None = None, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          results: str | Path = "results", n: int | None = None, seed: int = 0,
          announce: Callable[[str], None] = _stdout, note: Callable[[str], None] = _stderr) -> None:
    """Serve the what-if page of a scenario (None: the packaged default) until Ctrl-C.

    It listens on ``host`` (a loopback address unless told otherwise; any other says
    so in a warning) and ``port`` (0: a free one), loads the compiled engine, chooses
    the default N unless given, then ``announce``s the page's address. Result folders
    of runs in full go to ``results``, which is also the folder the results view lists."""
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        raise UsageError('stress serve needs the serve extra: pip install ".[serve]"') from None
    from stress.serve.app import create_app
    from stress.serve.session import WhatIf

    scenario = scenario_of(config) if isinstance(config, Config) else load_scenario(config)
    from stress.storage.folders import check_parent
    check_parent(Path(results), "--results ")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise UsageError(f"port must be a whole number from 0 to 65535, got {port!r}")
    sock = listen(host, port)
    try:
        loopback = is_loopback(sock)
        if not loopback:
            note(f"warning: listening on {host}, so not only this machine can reach the page: anyone who can "
                 f"reach it can run simulations, write result folders into {Path(results).resolve()} and read "
                 "their reports (there is no login). Without --host it listens on 127.0.0.1 only.")
        session = WhatIf(scenario, results, n=n, seed=seed)
        try:
            note("stress serve: loading the compiled engine and timing it (the first time compiles it, ~10 s)")
            session.start()
            announce(f"stress serve: {url_of(sock)}  (scenario {scenario.source}, N = {session.n:,} per answer, "
                     f"results in {session.results}; Ctrl-C stops)")
            config = uvicorn.Config(create_app(session, loopback=loopback), log_level="warning", access_log=False,
                                    lifespan="off", timeout_graceful_shutdown=1)
            _server(config, on_exit=session.close).run(sockets=[sock])
        finally:
            session.close()
    finally:
        sock.close()


def _server(config: Any, on_exit: Callable[[], None]) -> Any:
    """A uvicorn server that stops the runs as soon as Ctrl-C arrives, so that requests
    waiting for one end at once instead of being cancelled after the grace period."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            threading.Thread(target=on_exit, name="stress-serve-stop", daemon=True).start()
    return Server(config)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (port 0: a free one)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise UsageError(f"--host {host}: not an address of this machine ({exc.strerror})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host} port {port}: {exc.strerror or exc}"
                         + (" (choose another with --port)" if exc.errno == errno.EADDRINUSE else "")) from None
    return sock


def is_loopback(sock: socket.socket) -> bool:
    return ipaddress.ip_address(sock.getsockname()[0]).is_loopback


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
