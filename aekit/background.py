"""Work done while the student reads: an explorer trains the settings next to the one on show.

One daemon thread per kernel (a :class:`Worker`) runs *jobs*: "compute this setting's result",
"draw this setting's picture". An explorer plans them after every picture it shows (the
setting one step either way on each control first, then the rest of each control's line), so
the slider's next move usually finds its setting ready. The rules that keep this safe:

- **A running cell never waits for it.** While a cell runs, or an explorer draws in the
  foreground, the worker stops at its next checkpoint (every epoch of
  :func:`aekit.train.run_epochs`) and waits; it never holds anything the foreground needs,
  except a setting it is computing already, which the foreground then waits for rather than
  computing it twice.
- **Moving a control cancels the old plan.** A job no longer in the new plan stops at its next
  checkpoint with :class:`Cancelled`; nothing half-trained enters a cache.
- **The same results as without it.** Models are built in the main thread
  (:func:`in_main_thread`, under :func:`aekit.device.seeded`, which uses torch's one global
  generator), training draws from its own generators (:func:`aekit.fit` makes them from the
  seed), and the worker trains on as many CPU threads as the main thread would.
- **The kernel stays responsive.** The worker shares the interpreter, but torch releases it
  while it computes, and the main thread runs what the worker asks of it (a model's
  construction, a few milliseconds) only when it is idle.

Outside a Jupyter kernel (scripts, tests, nbconvert without a kernel) there is no worker and
explorers compute everything in the foreground, as before. ``AEKIT_BACKGROUND=0`` turns the
worker off in a kernel too.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import sys
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable, Hashable, Iterator, Sequence

__all__ = ["Cancelled", "Worker", "checkpoint", "in_main_thread", "worker", "foreground",
           "wait_for", "ENV_VARIABLE"]

ENV_VARIABLE = "AEKIT_BACKGROUND"
#: how much lower the worker thread's CPU priority is (Linux; elsewhere it keeps the kernel's)
NICENESS = 10


class Cancelled(BaseException):
    """Background work that is no longer wanted (a control moved). A BaseException, like
    KeyboardInterrupt, so an ``except Exception`` in a study cannot swallow it."""


_JOB: contextvars.ContextVar["_Job | None"] = contextvars.ContextVar("aekit_background_job",
                                                                     default=None)


class _Job:
    def __init__(self, key: Hashable, run: Callable[[], Any], worker: "Worker",
                 group: Hashable = None) -> None:
        self.key, self.run, self.worker, self.group = key, run, worker, group
        self.cancelled = threading.Event()


def checkpoint() -> None:
    """Where background work may pause (the foreground is busy) or stop (it was cancelled).
    A no-op outside background work, so training loops call it every epoch."""
    job = _JOB.get()
    if job is not None:
        job.worker._checkpoint(job)


def in_main_thread(fn: Callable[..., Any], *args, **kwargs) -> Any:
    """``fn(*args, **kwargs)``, run in the main thread when called from background work (it
    waits until the main thread is idle); run at once otherwise. For what must not race with
    the student's own code: building a model with torch's global generator."""
    job = _JOB.get()
    if job is None:
        return fn(*args, **kwargs)
    return job.worker._call_in_main(job, fn, args, kwargs)


class Worker:
    """The background thread of one kernel; see the module docstring.

    Parameters
    ----------
    wake : called (from the worker) when it has something for the main thread to run; it must
        arrange for :meth:`serve` to run there soon (in a kernel: the event loop's
        ``call_soon_threadsafe``). Without it, the main thread serves only while it waits.
    threads : CPU threads for background training (the main thread's count by default).
    """

    def __init__(self, wake: Callable[[], None] | None = None, threads: int | None = None) -> None:
        import torch

        self._wake = wake
        self.threads = threads or torch.get_num_threads()
        self._cond = threading.Condition()
        self._plans: dict[Hashable, list[_Job]] = {}  # per group, the newest first
        self._current: _Job | None = None
        self._busy = 0          # foreground sections running (cells, explorer updates)
        self._calls: list[tuple[Callable[[], Any], Future]] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        self._not_before = 0.0  # no new job starts before this time.monotonic()
        self.done: list[Hashable] = []   # keys of the jobs completed, in order (for tests)
        self.cancelled: list[Hashable] = []
        self.errors: dict[Hashable, str] = {}  # what failed, per job key
        #: called in the main thread whenever a group's plan is done
        self.on_idle: list[Callable[[], None]] = []

    # ------------------------------------------------------------ the foreground's side
    def plan(self, jobs: Sequence[tuple[Hashable, Callable[[], Any]]],
             group: Hashable = None, delay: float = 0.0) -> None:
        """Replace what ``group`` (an explorer, say) has queued by ``jobs`` (``(key, run)``
        pairs, in order); the newest plan goes first, other groups' plans wait behind it.
        No new job starts for ``delay`` seconds (the foreground's picture goes out first, and a
        slider dragged on at once wastes no work).
        The job running now goes on if it is another group's or its key is in the new plan,
        and is cancelled otherwise."""
        with self._cond:
            keys = {key for key, _ in jobs}
            for job in self._plans.pop(group, []):
                job.cancelled.set()
            current = self._current
            if current is not None and current.group == group and current.key not in keys:
                current.cancelled.set()
                self.cancelled.append(current.key)
            running = current.key if current is not None and not current.cancelled.is_set() else None
            queued = [_Job(key, run, self, group) for key, run in jobs if key != running]
            if queued:
                self._plans = {group: queued, **self._plans}
            self._not_before = max(self._not_before, time.monotonic() + delay)
            self._cond.notify_all()
        self._start()

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """A foreground section (a cell, an explorer drawing): background work pauses."""
        self.begin_busy()
        try:
            yield
        finally:
            self.end_busy()

    def begin_busy(self) -> None:
        with self._cond:
            self._busy += 1

    def end_busy(self) -> None:
        with self._cond:
            self._busy = max(0, self._busy - 1)
            self._cond.notify_all()

    def wait(self, future: Future) -> None:
        """Wait in the main thread for ``future`` (a setting the worker is computing): the
        worker may run meanwhile, and what it asks of the main thread is served here."""
        with self._cond:
            depth, self._busy = self._busy, 0  # the foreground waits *for* the worker
            self._cond.notify_all()
        try:
            while not future.done():
                self.serve()
                with self._cond:
                    if not self._calls and not future.done():
                        self._cond.wait(0.01)
        finally:
            with self._cond:
                self._busy += depth

    def serve(self) -> None:
        """Run, in this (the main) thread, what the worker asked to run here."""
        while True:
            with self._cond:
                if not self._calls:
                    return
                fn, future = self._calls.pop(0)
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except BaseException as err:  # handed to the worker, which raises it
                    future.set_exception(err)

    def idle(self, timeout: float | None = None) -> bool:
        """Wait until the plan is done (for tests and scripts); True if it is."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            self.serve()
            with self._cond:
                if not self._plans and self._current is None:
                    return True
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(0.01 if left is None else min(0.01, left))

    def pending_in(self, group: Hashable) -> int:
        """Jobs of ``group`` queued or running."""
        with self._cond:
            current = self._current is not None and self._current.group == group
            return len(self._plans.get(group, ())) + current

    def close(self) -> None:
        with self._cond:
            self._closed = True
            for jobs in self._plans.values():
                for job in jobs:
                    job.cancelled.set()
            if self._current is not None:
                self._current.cancelled.set()
            self._plans = {}
            self._cond.notify_all()

    # ------------------------------------------------------------ the worker's side
    def _start(self) -> None:
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="aekit-background",
                                                daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        import torch

        torch.set_num_threads(self.threads)  # this thread's own count (OpenMP's is per thread)
        if sys.platform.startswith("linux"):  # a lower priority for this thread only (and the
            with contextlib.suppress(OSError):  # threads it starts): the browser and the
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)  # kernel first
        while True:
            with self._cond:
                while (not self._plans or self._busy or time.monotonic() < self._not_before) \
                        and not self._closed:
                    self._cond.wait(0.05 if self._plans else None)
                if self._closed:
                    return
                group, jobs = next(iter(self._plans.items()))
                job = self._current = jobs.pop(0)
                if not jobs:
                    del self._plans[group]
            token = _JOB.set(job)
            try:
                self._checkpoint(job)
                job.run()
                with self._cond:
                    self.done.append(job.key)
            except Cancelled:
                pass
            except BaseException as err:  # said in the explorer's status line; the foreground
                with self._cond:           # meets the same error if it asks for that setting
                    self.errors[job.key] = f"{type(err).__name__}: {err}"
            finally:
                _JOB.reset(token)
                with self._cond:
                    self._current = None
                    group_done = job.group not in self._plans
                    self._cond.notify_all()
            if group_done:  # e.g. an explorer's status line says what is ready now
                for callback in list(self.on_idle):
                    self._call_soon(callback)

    def _checkpoint(self, job: _Job) -> None:
        with self._cond:
            while self._busy and not job.cancelled.is_set() and not self._closed:
                self._cond.wait(0.05)
            if job.cancelled.is_set() or self._closed:
                raise Cancelled(job.key)

    def _call_soon(self, fn: Callable[[], Any]) -> Future:
        """Queue ``fn`` for the main thread and wake it; the future holds the outcome."""
        future: Future = Future()
        with self._cond:
            self._calls.append((fn, future))
            self._cond.notify_all()
        if self._wake is not None:
            self._wake()
        return future

    def _call_in_main(self, job: _Job, fn: Callable, args: tuple, kwargs: dict) -> Any:
        future = self._call_soon(functools.partial(fn, *args, **kwargs))
        while True:
            try:
                return future.result(timeout=0.05)
            except TimeoutError:
                if job.cancelled.is_set() and future.cancel():
                    raise Cancelled(job.key) from None


# ---------------------------------------------------------------------------- the kernel's worker
_WORKER: Worker | None = None
_WORKER_LOCK = threading.Lock()


def _kernel_loop():
    """The running event loop of an IPython kernel's main thread, or None (not in a kernel)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        loop = getattr(getattr(shell.kernel, "io_loop", None), "asyncio_loop", None)
        return loop


def worker() -> Worker | None:
    """This kernel's worker (made on first use), or None outside a kernel or when
    ``AEKIT_BACKGROUND=0``."""
    global _WORKER
    if os.environ.get(ENV_VARIABLE, "1").strip() in ("0", "no", "false", "off"):
        return None
    if _WORKER is not None:
        return _WORKER
    with _WORKER_LOCK:
        if _WORKER is None:
            loop = _kernel_loop()
            if loop is None:
                return None
            new = Worker(wake=lambda: loop.call_soon_threadsafe(new.serve))
            from IPython import get_ipython

            events = get_ipython().events
            events.register("pre_run_cell", lambda *_: new.begin_busy())
            events.register("post_run_cell", lambda *_: new.end_busy())
            new.begin_busy()  # the cell that made it is running now
            _WORKER = new
    return _WORKER


def install(new: Worker | None) -> Worker | None:
    """Make ``new`` the worker explorers use (None: none); returns the previous one. For
    tests and scripts that want background work outside a kernel."""
    global _WORKER
    with _WORKER_LOCK:
        old, _WORKER = _WORKER, new
    return old


@contextlib.contextmanager
def foreground() -> Iterator[None]:
    """A foreground section: the worker (if any) pauses at its next checkpoint."""
    current = _WORKER
    if current is None or _JOB.get() is not None:
        yield
        return
    with current.busy():
        yield


def wait_for(future: Future) -> None:
    """Wait for a future the worker resolves, serving its main-thread calls meanwhile."""
    current = _WORKER
    if current is None or threading.current_thread() is not threading.main_thread():
        future.result()
        return
    current.wait(future)


def in_background() -> bool:
    """Whether this code runs as background work."""
    return _JOB.get() is not None
