"""Stand-ins shared by the viz tests: a render worker that records what the view core asks of it.

`FakeWorker` has the methods `viz.core.view_core.Worker` names. It renders nothing by itself: a test posts
results (`post`) and command statuses (`post_status`) when it likes, or gives a render function
(`render_fn(args, stamp, cancel, progress)`, as RenderWorker takes) that `poll()` calls synchronously for the
newest request not rendered yet.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any, Callable

from viz.protocol import Command, CommandStatus, NetworkSummary, RenderArgs, RenderResult

RenderFn = Callable[[RenderArgs, int, threading.Event, Callable[[RenderResult], None]], RenderResult]


def _check(condition: bool, message: str) -> None:
    """An assertion that also holds under python -O (helpers are not rewritten by pytest)."""
    if not condition:
        raise AssertionError(message)


class FakeWorker:
    def __init__(self, render_fn: RenderFn | None = None) -> None:
        self.render_fn = render_fn
        self.submitted: list[tuple[int, RenderArgs]] = []                 # (stamp, args) of every submit().
        self.started: list[tuple[int, Command, RenderArgs]] = []          # (id, command, args) of every start().
        self.cancelled: list[int] = []                                    # Ids passed to cancel().
        self.states: dict[int, str] = {}                                  # Id -> newest state posted.
        self.closed = False
        self.render_cancels = 0                                           # Calls of cancel_render().
        self._results: list[RenderResult] = []                            # Posted, not yet polled.
        self._statuses: list[CommandStatus] = []
        self._rendered_stamp = 0

    # ------------------------------------------------------------------------
    # The Worker protocol.

    def submit(self, args: RenderArgs) -> int:
        _check(isinstance(args, RenderArgs), f'submit({args!r}): expected a RenderArgs')
        _check(not self.closed, 'submit after close')
        stamp = len(self.submitted) + 1
        self.submitted.append((stamp, args))
        return stamp

    def poll(self) -> RenderResult | None:
        if self.render_fn is not None and self.submitted and self.submitted[-1][0] > self._rendered_stamp:
            stamp, args = self.submitted[-1]
            self._rendered_stamp = stamp
            self._results.append(self.render_fn(args, stamp, threading.Event(), self._results.append))
        results, self._results = self._results, []
        return results[-1] if results else None

    def start(self, command: Command, args: RenderArgs) -> int:
        _check(isinstance(args, RenderArgs), f'start(..., {args!r}): expected a RenderArgs')
        command_id = len(self.started) + 1
        self.started.append((command_id, command, args))
        self.post_status(command_id, 'queued')
        return command_id

    def cancel(self, command_id: int) -> None:
        """Recorded. A queued command posts 'cancelled' at once, as RenderWorker's does; for a running one the test
        posts the 'cancelled' status (with its partial results) when it likes, as the job's abort would."""
        self.cancelled.append(command_id)
        if self.states[command_id] == 'queued':
            self.post_status(command_id, 'cancelled')

    def poll_commands(self) -> list[CommandStatus]:
        statuses, self._statuses = self._statuses, []
        return statuses

    def cancel_render(self) -> bool:
        """Recorded; the test posts what the cancelled render would."""
        self.render_cancels += 1
        return True

    def close(self, timeout: float = 1.0) -> None:
        self.closed = True

    # ------------------------------------------------------------------------
    # For the tests.

    @property
    def last_args(self) -> RenderArgs | None:
        return self.submitted[-1][1] if self.submitted else None

    @property
    def last_command(self) -> tuple[int, Command, RenderArgs]:
        _check(bool(self.started), 'no command was started')
        return self.started[-1]

    def post(self, result: RenderResult | None = None, **fields) -> RenderResult:
        """Post a result for the newest request (its stamp and args unless given): `result` with `fields` replaced."""
        stamp, args = self.submitted[-1] if self.submitted else (0, RenderArgs())
        result = result or RenderResult(stamp=stamp, args=args)
        result = dataclasses.replace(result, **{'stamp': stamp, 'args': args, **fields})
        self._results.append(result)
        return result

    def post_status(self, command_id: int, state: str, **fields) -> CommandStatus:
        """Post a status of a started command (kind and description filled in)."""
        _id, command, _args = self.started[command_id - 1]
        status = CommandStatus(command_id=command_id, kind=command.kind, state=state, description=command.describe(), **fields)
        self._statuses.append(status)
        self.states[command_id] = state
        return status


def summary(**fields) -> NetworkSummary:
    """A NetworkSummary of a StyleGAN3-T (256 px, 16 ws, no classes) with `fields` replaced."""
    base = dict(source='builtin:sg3-t', architecture='stylegan3-t', img_resolution=256, img_channels=3, z_dim=512,
        c_dim=0, w_dim=512, num_ws=16, num_params=1000, device='cpu', has_transform=True, has_noise=False,
        description=('stylegan3-t, 256x256',))
    base.update(fields)
    return NetworkSummary(**base)


def sg2_summary(**fields) -> NetworkSummary:
    """A StyleGAN2 network's summary (noise inputs, no input transform)."""
    return summary(**{'source': 'builtin:sg2', 'architecture': 'stylegan2', 'has_transform': False, 'has_noise': True, **fields})


class FrameDriver:
    """What the view-test harnesses of both front ends share: the worker answers, then a frame is drawn. Subclasses
    set `core` (a ViewCore on a FakeWorker) and define `frame()`."""

    core: Any

    @property
    def worker(self) -> FakeWorker:
        return self.core.worker

    def frame(self, dt: float = 0.0) -> None:
        raise NotImplementedError

    def deliver(self, **fields) -> None:
        """The worker answers the newest request (a RenderResult with `fields`); draw a frame with it."""
        self.worker.post(**fields)
        self.frame()

    def status(self, command_id: int, state: str, **fields) -> None:
        """The worker posts a command status; draw a frame with it."""
        self.worker.post_status(command_id, state, **fields)
        self.frame()
