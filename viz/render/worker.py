"""The background render thread: a single-slot mailbox where the newest request wins.

The GUI thread calls `submit(args)` whenever the request changes (it never waits) and `poll()` once a
frame. The worker thread takes the newest waiting request, renders it, and posts the result; a request
that was replaced before the worker got to it is never rendered. Results carry the stamp of their
request, and `poll()` never returns a result older than one it already returned. Exceptions from the
render function become `RenderResult.error`. `close()` sets the cancel flag the render function checks
between layers and returns promptly even while a render is running.

Background jobs (batch metrics, spectrum averages) run in small chunks between live renders: while no
request waits, the worker calls `job_fn(cancel)` (by default the render function's `step_job` method, if
it has one) again and again; each call does one chunk and returns a result to post (e.g. with the job's
progress), or None when there is no job work. A waiting request always goes first, so exploring stays
responsive while a job runs.

No torch, imgui or OpenGL here: the render function does the work.
"""

from __future__ import annotations

import threading
import time
import traceback
from typing import Callable

from viz.protocol import RenderArgs, RenderResult

# render_fn(args, stamp, cancel, progress) -> RenderResult. `cancel.is_set()` means stop soon (the result
# is then discarded); `progress(result)` posts an intermediate result (e.g. with `loading` text).
RenderFn = Callable[[RenderArgs, int, threading.Event, Callable[[RenderResult], None]], RenderResult]

# job_fn(cancel) -> RenderResult | None: one chunk of background work, then a result to post (it carries the
# stamp of the last rendered request), or None when no job has work left. Called only while no request waits.
JobFn = Callable[[threading.Event], 'RenderResult | None']


class RenderWorker:
    def __init__(
        self,
        render_fn: RenderFn,                        # Turns a request into a result; runs on the worker thread only.
        on_result: Callable[[], None] | None = None,  # Called (on the worker thread) after each posted result, e.g. to wake an idle GUI loop.
        name: str = 'render-worker',                # Thread name.
        job_fn: JobFn | None = None,                # Background work between renders; default: render_fn.step_job if it exists.
    ) -> None:
        self._render_fn = render_fn
        self._job_fn = job_fn if job_fn is not None else getattr(render_fn, 'step_job', None)
        self._on_result = on_result
        self._cond = threading.Condition()
        self._cancel = threading.Event()
        self._closed = False
        self._next_stamp = 0                        # Stamp of the newest submitted request.
        self._pending: tuple[int, RenderArgs] | None = None  # The single slot.
        self._rendering: int | None = None          # Stamp being rendered now.
        self._result: RenderResult | None = None    # Newest posted result.
        self._result_seq = 0                        # Increments with each posted result.
        self._returned_seq = 0                      # Sequence number of the last result poll() returned.
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def __enter__(self) -> 'RenderWorker':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------------
    # GUI-thread side.

    def submit(self, args: RenderArgs) -> int:
        """Queue a request, replacing any request still waiting. Returns its stamp."""
        assert isinstance(args, RenderArgs)
        with self._cond:
            if self._closed:
                raise RuntimeError('RenderWorker.submit: the worker is closed')
            self._next_stamp += 1
            self._pending = (self._next_stamp, args)
            self._cond.notify_all()
            return self._next_stamp

    def poll(self) -> RenderResult | None:
        """The newest result not yet returned, or None if there is nothing new."""
        with self._cond:
            if self._result is None or self._result_seq == self._returned_seq:
                return None
            self._returned_seq = self._result_seq
            return self._result

    @property
    def latest_stamp(self) -> int:
        """Stamp of the newest submitted request (0 before the first)."""
        with self._cond:
            return self._next_stamp

    @property
    def busy(self) -> bool:
        """True while a request is waiting or being rendered."""
        with self._cond:
            return self._pending is not None or self._rendering is not None

    def wait(self, timeout: float | None = None) -> RenderResult | None:
        """Block until the final result of the newest request is posted (for scripts and tests), then return it.
        Returns None on timeout or when the worker is closed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._closed:
                r = self._result
                if r is not None and r.stamp == self._next_stamp and r.loading is None and self._pending is None and self._rendering is None:
                    self._returned_seq = self._result_seq
                    return r
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            return None

    def close(self, timeout: float = 1.0) -> None:
        """Stop the worker: cancel the running render and wait for the thread up to `timeout` seconds.
        The thread is a daemon, so a render function that ignores the cancel flag cannot block exit."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._pending = None
            self._cancel.set()
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------------
    # Worker-thread side.

    def _post(self, result: RenderResult, final: bool = False) -> None:
        with self._cond:
            if final:
                self._rendering = None
            if self._closed:
                return
            # Drop results older than the newest posted one.
            if self._result is not None and result.stamp < self._result.stamp:
                return
            self._result = result
            self._result_seq += 1
            self._cond.notify_all()
        if self._on_result is not None:
            try:
                self._on_result()
            except Exception:  # A failing wake-up callback must not kill the render thread.
                traceback.print_exc()

    def _step_job(self) -> bool:
        """One chunk of background work; posts its result. Returns whether there may be more."""
        try:
            result = self._job_fn(self._cancel)
        except Exception:  # A failing job must not kill the render thread.
            traceback.print_exc()
            return False
        if result is None:
            return False
        assert isinstance(result, RenderResult), 'job_fn must return a RenderResult or None'
        self._post(result)
        return True

    def _run(self) -> None:
        job_work = False                            # May the job function have work? Asked again after each render.
        while True:
            with self._cond:
                while self._pending is None and not self._closed and not job_work:
                    self._cond.wait()
                if self._closed:
                    break
                request = self._pending
                self._pending = None
                if request is not None:
                    self._rendering = request[0]
            if request is None:
                job_work = self._step_job()
                continue
            stamp, args = request
            job_work = self._job_fn is not None

            def progress(result: RenderResult, stamp: int = stamp) -> None:
                assert result.stamp == stamp, 'progress result carries another stamp'
                self._post(result)

            start = time.perf_counter()
            try:
                result = self._render_fn(args, stamp, self._cancel, progress)
                assert isinstance(result, RenderResult) and result.stamp == stamp, 'render_fn must return a RenderResult with its stamp'
            except Exception as e:  # Errors are data: the app shows them and keeps running.
                result = RenderResult(stamp=stamp, error=f'{type(e).__name__}: {e}', args=args,
                    render_seconds=time.perf_counter() - start)
            self._post(result, final=True)
        if self._job_fn is not None:
            self._step_job()                        # With the cancel flag set: a background job stops at its next poll.
