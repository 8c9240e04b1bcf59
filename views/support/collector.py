"""Python's garbage collector tuned for a long-lived web worker.

By its defaults a worker holding a few hundred thousand objects (the app, SQLAlchemy's and Jinja's
compiled caches) stops for a full collection every few requests: 50 ms each on a drill page, 5 ms
per request on average. Once a process has served its first request, what it holds then lives as
long as the process, so it is moved out of the collector's sight (gc.freeze); young objects are
collected less often, in larger batches. Cycles made by requests are still collected.
"""

import gc
import os

from flask import Flask

#: allocations between young collections (Python's default is 700), then the default ratios above it
THRESHOLDS = (20_000, 20, 100)

_tuned_in: list[int] = []


def _tune_once() -> None:
    if _tuned_in == [os.getpid()]:
        return
    _tuned_in[:] = [os.getpid()]  # per process: a worker forked from a tuned master tunes itself again
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


def register(app: Flask) -> None:
    """Tune at the end of each process's first request, when the app's lasting objects exist."""

    @app.teardown_request
    def _after_first_request(_exc=None) -> None:
        _tune_once()
