"""Production serving: several worker processes under gunicorn.

`sendwise serve` uses waitress (one process, threads) unless more than one
worker is asked for (`--workers N` / `SENDWISE_WORKERS`) or gunicorn is
asked for by name (`--server gunicorn`). gunicorn only runs on Linux and
macOS; Windows keeps waitress.

Each worker builds its own app after the fork (no preloading): an engine's
connection pool and a spaCy pipeline are not safe to share across a fork,
and a worker that dies is replaced by one that starts clean.

Everything comes from the process environment and the command line; no
gunicorn configuration file is read (`GUNICORN_CMD_ARGS` is ignored too),
so what runs is what `sendwise serve` printed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from flask import Flask

# How long a worker gets to finish its requests after SIGTERM before it is
# killed; analyses take milliseconds, a slow database a few seconds.
GRACEFUL_TIMEOUT = 20
# A worker silent for this long is presumed stuck, killed and replaced.
WORKER_TIMEOUT = 30


def gunicorn_available() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def prepare_multiprocess_metrics() -> None:
    """Before the app is first built (prometheus_client picks its storage
    at import): a metrics folder shared by the workers, emptied of an
    earlier run's files, which would add old counts in."""
    import tempfile
    from pathlib import Path

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        folder = tempfile.mkdtemp(prefix="sendwise-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        _remove_at_exit(folder, os.getpid())
    for stale in Path(folder).glob("*.db"):
        stale.unlink()


def _remove_at_exit(folder: str, owner: int) -> None:
    import atexit
    import shutil

    def remove() -> None:
        if os.getpid() == owner:  # workers are forks: they run atexit too, and must leave it
            shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)


def run_gunicorn(make_app: Callable[[], Flask], host: str, port: int, *, workers: int, threads: int) -> None:
    """Serve `make_app()` (called once in each worker) until SIGTERM or
    SIGINT, then stop gracefully: workers finish the requests they hold."""
    from gunicorn.app.base import BaseApplication

    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    settings: dict[str, Any] = {
        "bind": [bind],
        "workers": workers,
        # gthread: keep-alive connections and a little concurrency for
        # database waits; analysis itself is CPU-bound, so one worker per core.
        "worker_class": "gthread",
        "threads": threads,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "timeout": WORKER_TIMEOUT,
        "keepalive": 5,
        "proc_name": "sendwise",
        # X-Forwarded-* are trusted by the app's ProxyFix alone
        # (SENDWISE_TRUSTED_PROXIES); gunicorn would otherwise believe a
        # local peer's X-Forwarded-Proto on its own.
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
        # Requests are logged by the app, as JSON without bodies or tokens.
        "accesslog": None,
        "errorlog": "-",
        "loglevel": os.environ.get("SENDWISE_LOG_LEVEL", "info").lower(),
        "control_socket_disable": True,
    }

    class _Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in settings.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self) -> Flask:
            return make_app()

    def child_exit(_arbiter: Any, worker: Any) -> None:
        from backend.observability import worker_exited

        worker_exited(worker.pid)

    settings["child_exit"] = child_exit

    _Server().run()
