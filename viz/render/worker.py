"""The background render thread: a single-slot mailbox where the newest request wins, and a command channel.

Requests. The GUI thread calls `submit(args)` whenever the request changes (it never waits) and `poll()`
once a frame. The worker thread takes the newest waiting request, renders it, and posts the result; a
request that was replaced before the worker got to it is never rendered. Results carry the stamp of their
request, and `poll()` never returns a result older than one it already returned. Exceptions from the
render function become `RenderResult.error`. Each render gets a cancel flag, which the render function checks
while it loads a network and between layers: `close()` sets it and returns promptly even while a render is
running; `cancel_render()` sets it (a load that hangs, a slow render); and a request for another network sets it
while the running render still loads its network (the loaded network would not be shown). With a preemption
policy (`preemption=`, viz.render.preemption) it also reads as set when the render should give way to a newer
request: a stale render stops for a settled newer one, while a continuous drag still sees frames finish. A
cancelled render posts a result with error 'cancelled'.

Commands. Background work that is not "show this state" (batch metrics, spectrum averages, exports) is
started with `start(command, args)`, which returns a command id at once, and stopped with `cancel(id)`.
The worker thread runs commands one at a time in the order they were started, in chunks, and only while
no request waits: a waiting request always goes first, so exploring stays responsive. Every change of a
command's state is a `CommandStatus` ('queued', 'running' with progress, then one of 'done', 'cancelled'
or 'failed'); `poll_commands()` returns them in order. The work itself comes from the render function:
`render_fn.start_command(command, args, cancel)` returns a job whose `step(cancel)` does one chunk and
returns the current status and whose `abort()` stops it and returns 'cancelled' with the partial results.
Exceptions from either become a 'failed' status; the worker keeps running.

No torch, imgui or OpenGL here: the render function does the work.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
import time
import traceback
from typing import Callable, Protocol

from viz.protocol import Command, CommandStatus, RenderArgs, RenderResult
from viz.render.preemption import Durations, PreemptionPolicy, YieldingEvent

# render_fn(args, stamp, cancel, progress) -> RenderResult. `cancel.is_set()` means stop soon (the result
# is then discarded); `progress(result)` posts an intermediate result (e.g. with `loading` text).
RenderFn = Callable[[RenderArgs, int, threading.Event, Callable[[RenderResult], None]], RenderResult]


class CommandJob(Protocol):
    """A started command, driven by the worker thread only. The statuses it returns may carry any
    command_id: the worker puts in the id it handed out."""

    def step(self, cancel: threading.Event) -> CommandStatus:
        """Do one chunk (returning early if `cancel` gets set); the status afterwards: 'running' or finished."""
        ...

    def abort(self) -> CommandStatus:
        """Stop now and release what the job holds; 'cancelled' with the partial results."""
        ...


# start_command(command, args, cancel) -> CommandJob: an optional method of the render function. `cancel`
# is set when the command is cancelled or the worker closes.
StartCommandFn = Callable[[Command, RenderArgs, threading.Event], CommandJob]


@dataclasses.dataclass
class _Command:
    command_id: int
    command: Command
    args: RenderArgs
    cancel: threading.Event = dataclasses.field(default_factory=threading.Event)
    job: CommandJob | None = None               # Set once started on the worker thread.


def _network_of(args: RenderArgs) -> tuple:
    """What decides which network a request loads."""
    return (args.network, args.performance.device)


def _error_text(e: BaseException) -> str:
    """ValueErrors carry user-facing messages; anything else is named by its type."""
    return str(e) if isinstance(e, ValueError) else f'{type(e).__name__}: {e}'


class RenderWorker:
    def __init__(
        self,
        render_fn: RenderFn,                        # Turns a request into a result; runs on the worker thread only.
        on_result: Callable[[], None] | None = None,  # Called (on the worker thread) after each posted result or command status, e.g. to wake an idle GUI loop.
        name: str = 'render-worker',                # Thread name.
        on_start: Callable[[], None] | None = None, # Called first on the worker thread (e.g. viz.render.threads.lower_thread_priority).
        preemption: PreemptionPolicy | None = None, # When a render gives way to a newer request (viz.render.preemption); None = never.
    ) -> None:
        self._render_fn = render_fn
        self._on_result = on_result
        self._on_start = on_start
        self._cond = threading.Condition()
        self._closed = False
        self._next_stamp = 0                        # Stamp of the newest submitted request.
        self._pending: tuple[int, RenderArgs] | None = None  # The single slot.
        self._rendering: int | None = None          # Stamp being rendered now.
        self._rendering_args: RenderArgs | None = None  # Its request.
        self._render_cancel = threading.Event()     # Set to stop the render in flight.
        self._preemption = preemption
        self._durations = Durations()               # Expected render times (render thread only).
        self._pending_since: float | None = None    # When the waiting request was submitted (monotonic).
        self._render_started = 0.0                  # When the render in flight started (monotonic).
        self._yielding_since: float | None = None   # When the first render gave way since one last finished.
        self.yields = 0                             # Renders that gave way to a newer request.
        self._loading = False                       # The render in flight is loading its network.
        self._result: RenderResult | None = None    # Newest posted result.
        self._result_seq = 0                        # Increments with each posted result.
        self._returned_seq = 0                      # Sequence number of the last result poll() returned.
        self._next_command_id = 0                   # Id of the newest started command.
        self._queued: collections.deque[_Command] = collections.deque()  # Commands not started yet, oldest first.
        self._active: _Command | None = None        # The command the worker thread runs now.
        self._statuses: list[CommandStatus] = []    # Posted since the last poll_commands().
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def __enter__(self) -> 'RenderWorker':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------------
    # GUI-thread side: requests.

    def submit(self, args: RenderArgs) -> int:
        """Queue a request, replacing any request still waiting. Returns its stamp."""
        if not isinstance(args, RenderArgs):
            raise TypeError(f'RenderWorker.submit: args = {args!r}: expected a RenderArgs')
        with self._cond:
            self._check_open('submit')
            if self._loading and self._rendering_args is not None and _network_of(args) != _network_of(self._rendering_args):
                self._render_cancel.set()
            self._next_stamp += 1
            self._pending = (self._next_stamp, args)
            self._pending_since = time.monotonic()
            self._cond.notify_all()
            return self._next_stamp

    def poll(self) -> RenderResult | None:
        """The newest result not yet returned, or None if there is nothing new."""
        with self._cond:
            if self._result is None or self._result_seq == self._returned_seq:
                return None
            self._returned_seq = self._result_seq
            return self._result

    def cancel_render(self) -> bool:
        """Stop the render in flight (e.g. a network load that hangs) at its next check; it posts a result with
        error 'cancelled'. Never blocks. Returns whether a render was in flight."""
        with self._cond:
            if self._rendering is None:
                return False
            self._render_cancel.set()
            return True

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

    # ------------------------------------------------------------------------
    # GUI-thread side: commands.

    def start(self, command: Command, args: RenderArgs) -> int:
        """Queue `command` for the view `args` behind the commands already started; returns its id. Never
        blocks; a 'queued' status is posted at once."""
        if not isinstance(command, Command):
            raise TypeError(f'RenderWorker.start: command = {command!r}: expected a MetricsCommand, SpectrumAverageCommand, '
                'ExportSpectrumCommand or VideoCommand')
        if not isinstance(args, RenderArgs):
            raise TypeError(f'RenderWorker.start: args = {args!r}: expected a RenderArgs')
        with self._cond:
            self._check_open('start')
            self._next_command_id += 1
            entry = _Command(self._next_command_id, command, args)
            self._queued.append(entry)
            self._statuses.append(self._status(entry, 'queued'))
            self._cond.notify_all()
            return entry.command_id

    def cancel(self, command_id: int) -> None:
        """Stop a command: a queued one is dropped, a running one stops at its next chunk; either posts
        'cancelled'. Never blocks; a command that has already finished is left as it is."""
        if isinstance(command_id, bool) or not isinstance(command_id, int):
            raise TypeError(f'RenderWorker.cancel: command_id = {command_id!r}: expected an int from RenderWorker.start')
        with self._cond:
            if not 1 <= command_id <= self._next_command_id:
                raise ValueError(f'RenderWorker.cancel: command_id = {command_id}: expected an id RenderWorker.start returned '
                    f'(1 to {self._next_command_id})')
            if self._active is not None and self._active.command_id == command_id:
                self._active.cancel.set()
                self._cond.notify_all()
                return
            for entry in self._queued:
                if entry.command_id == command_id:
                    self._queued.remove(entry)
                    self._statuses.append(self._status(entry, 'cancelled'))
                    return

    def poll_commands(self) -> list[CommandStatus]:
        """Every command status posted since the last call, oldest first."""
        with self._cond:
            statuses, self._statuses = self._statuses, []
            return statuses

    @property
    def commands_busy(self) -> bool:
        """True while a command is queued or running."""
        with self._cond:
            return self._active is not None or bool(self._queued)

    # ------------------------------------------------------------------------

    def close(self, timeout: float = 1.0) -> None:
        """Stop the worker: cancel the running render or command, drop queued commands ('cancelled') and wait
        for the thread up to `timeout` seconds. The thread is a daemon, so a render function that ignores the
        cancel flag cannot block exit. A running command is aborted on the worker thread."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._pending = None
            self._render_cancel.set()
            if self._active is not None:
                self._active.cancel.set()
            while self._queued:
                self._statuses.append(self._status(self._queued.popleft(), 'cancelled'))
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def alive(self) -> bool:
        """Is the worker thread still running? (After `close`, a render stuck in a long operation.)"""
        return self._thread.is_alive()

    def _check_open(self, method: str) -> None:
        if self._closed:
            raise RuntimeError(f'RenderWorker.{method}: the worker is closed')

    @staticmethod
    def _status(entry: _Command, state: str, error: str | None = None) -> CommandStatus:
        return CommandStatus(command_id=entry.command_id, kind=entry.command.kind, state=state,
            description=entry.command.describe(), error=error)

    # ------------------------------------------------------------------------
    # Worker-thread side.

    def _wake(self) -> None:
        if self._on_result is not None:
            try:
                self._on_result()
            except Exception:  # A failing wake-up callback must not kill the render thread.
                traceback.print_exc()

    def _post(self, result: RenderResult, final: bool = False) -> None:
        with self._cond:
            if final:
                self._rendering, self._rendering_args, self._loading = None, None, False
            if self._closed:
                return
            # Drop results older than the newest posted one.
            if self._result is not None and result.stamp < self._result.stamp:
                return
            self._result = result
            self._result_seq += 1
            self._cond.notify_all()
        self._wake()

    def _post_status(self, entry: _Command, status: CommandStatus) -> None:
        """Post a status of the active command under its id; a finished one ends it."""
        status = dataclasses.replace(status, command_id=entry.command_id, kind=entry.command.kind)
        with self._cond:
            self._statuses.append(status)
            if status.finished:
                self._active = None
            self._cond.notify_all()
            closed = self._closed
        if not closed:
            self._wake()

    def _advance(self, entry: _Command) -> CommandStatus:
        """Start, step or abort the active command once; returns its status."""
        if entry.cancel.is_set():
            return entry.job.abort() if entry.job is not None else self._status(entry, 'cancelled')
        if entry.job is None:
            start: StartCommandFn | None = getattr(self._render_fn, 'start_command', None)
            if start is None:
                return self._status(entry, 'failed', error=f'This renderer runs no commands ({type(self._render_fn).__name__} '
                    'has no start_command): nothing was done.')
            entry.job = start(entry.command, entry.args, entry.cancel)
            return self._status(entry, 'running')
        status = entry.job.step(entry.cancel)
        if not isinstance(status, CommandStatus) or status.state not in ('running', 'done', 'cancelled', 'failed'):
            raise TypeError(f'{type(entry.job).__name__}.step returned {status!r}: expected a running or finished CommandStatus')
        if entry.cancel.is_set() and not status.finished:
            return entry.job.abort()
        return status

    def _run_command(self, entry: _Command) -> None:
        try:
            status = self._advance(entry)
        except Exception as e:  # Errors are data: the command fails, the worker goes on.
            if not isinstance(e, ValueError):           # ValueErrors are the caller's: their message says it all.
                traceback.print_exc()
            status = self._status(entry, 'failed', error=_error_text(e))
            self._discard(entry)
        self._post_status(entry, status)

    @staticmethod
    def _discard(entry: _Command) -> None:
        """Abort a failed command's job so it releases what it holds (its own failure is already reported)."""
        if entry.job is None:
            return
        try:
            entry.job.abort()
        except Exception:
            traceback.print_exc()

    def _render(self, stamp: int, args: RenderArgs) -> None:
        def progress(result: RenderResult) -> None:
            assert result.stamp == stamp, 'progress result carries another stamp'
            if result.loading is not None:
                with self._cond:
                    self._loading = True
            self._post(result)

        start = time.perf_counter()
        try:
            result = self._render_fn(args, stamp, self._render_cancel, progress)
            assert isinstance(result, RenderResult) and result.stamp == stamp, 'render_fn must return a RenderResult with its stamp'
        except Exception as e:  # Errors are data: the app shows them and keeps running.
            result = RenderResult(stamp=stamp, error=f'{type(e).__name__}: {e}', args=args,
                render_seconds=time.perf_counter() - start)
        if result.error is None:                    # A frame finished: its time and progress are the expectation for the next.
            cancel = self._render_cancel
            checks = [t - self._render_started for t in cancel.check_times] if isinstance(cancel, YieldingEvent) else []
            self._durations.add(args, time.monotonic() - self._render_started, checks)
            with self._cond:
                self._yielding_since = None
        self._post(result, final=True)

    def _should_yield(self, checks: int) -> bool:
        """Should the render in flight, at its `checks`-th cancel check, give way to the waiting request now (the
        preemption policy)? Render thread."""
        with self._cond:
            if self._pending is None or self._rendering_args is None:
                return False
            now = time.monotonic()
            elapsed = now - self._render_started
            if not self._preemption.should_yield(now - self._pending_since,
                    self._durations.remaining(self._rendering_args, elapsed, checks), self._durations.expected(self._rendering_args),
                    None if self._yielding_since is None else now - self._yielding_since):
                return False
            if self._yielding_since is None:
                self._yielding_since = now
            self.yields += 1
            return True

    def _run(self) -> None:
        if self._on_start is not None:
            try:
                self._on_start()
            except Exception:  # A failing start hook must not kill the render thread.
                traceback.print_exc()
        while True:
            with self._cond:
                while self._pending is None and self._active is None and not self._queued and not self._closed:
                    self._cond.wait()
                if self._closed:
                    entry = self._active
                    break
                request = self._pending
                self._pending = None
                if request is not None:
                    self._rendering, self._rendering_args = request
                    self._render_cancel = YieldingEvent(self._should_yield) if self._preemption else threading.Event()
                    self._render_started = time.monotonic()
                    self._loading = False
                elif self._active is None:
                    self._active = self._queued.popleft()
                entry = self._active
            if request is not None:
                self._render(*request)
            else:
                self._run_command(entry)
        if entry is not None:                       # Closed mid-command: stop it and report.
            entry.cancel.set()
            self._run_command(entry)
