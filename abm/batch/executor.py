"""Executors a sweep can run on: in this process, a local process pool, or Dask.

Any `concurrent.futures.Executor` works with `abm.batch.sweep`; this module makes the
usual three. `SerialExecutor` runs each call when it is submitted (one worker, no pickling:
the reference the others must match). `process_pool` uses "spawn" explicitly, as mesa
does on import. `dask_executor` yields `Client.get_executor()` for a scheduler address or a
`LocalCluster`; Dask is the optional extra `pip install "abm[dask]"`. On a remote cluster,
every worker needs abm installed and must see the base scenario files at the paths the
specs name (shipped scenarios are found by name).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from abm.params import ParamError

DASK_CONNECT_TIMEOUT_S = 5  # a scheduler that does not answer by then is not there


class SerialExecutor(Executor):
    """Runs each submitted call at once, in this process; returns a finished Future."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Call `fn(*args, **kwargs)` now; its result or exception goes into the Future."""
        future: Future = Future()
        try:
            result = fn(*args, **kwargs)
        except Exception as err:
            future.set_exception(err)
        else:
            future.set_result(result)
        return future


def _die_on_ctrl_c() -> None:
    """In a worker: Ctrl-C ends it without a traceback; the sweep reports it instead."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A local pool of `workers` processes, started with "spawn"."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_die_on_ctrl_c,
    )


def capacity(executor: Executor) -> int:
    """How many calls `executor` runs at once (process/thread pools, Dask, serial)."""
    if isinstance(executor, SerialExecutor):
        return 1
    workers = getattr(executor, "_max_workers", None)
    if workers:
        return int(workers)
    client = getattr(executor, "_client", None)
    if client is not None:
        with contextlib.suppress(Exception):
            return max(1, sum(client.nthreads().values()))
    return os.cpu_count() or 1


def local_executor(workers: int | None) -> Executor:
    """`SerialExecutor` for one worker, otherwise a process pool (default: one per CPU).

    Raises:
        ParamError: if `workers` is less than 1.
    """
    if workers is not None and workers < 1:
        raise ParamError(f"--workers {workers} is not allowed; allowed 1 <= value")
    workers = workers or os.cpu_count() or 1
    return SerialExecutor() if workers == 1 else process_pool(workers)


@contextlib.contextmanager
def dask_executor(address: str | None = None, workers: int | None = None) -> Iterator[Executor]:
    """A Dask executor: on the scheduler at `address`, or on a new LocalCluster.

    The LocalCluster has `workers` single-threaded worker processes (default one per CPU)
    and no dashboard; it is closed on exit, a remote scheduler is only disconnected from.

    Raises:
        ParamError: if Dask is not installed or no scheduler answers at `address`.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ParamError("--dask needs Dask, an optional extra: pip install -e '.[dask]'") from None
    cluster = None
    if address:
        try:
            client = Client(address, timeout=DASK_CONNECT_TIMEOUT_S)
        except (OSError, ValueError, TimeoutError) as err:
            raise ParamError(
                f"--dask {address}: no Dask scheduler answered within "
                f"{DASK_CONNECT_TIMEOUT_S} s ({type(err).__name__}); allowed the address of a "
                "running scheduler, e.g. tcp://HOST:8786, or --dask-local"
            ) from None
    else:
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
