"""When a render in flight gives way to a newer request (stale work stops), and when it is left to finish.

A render whose request the user has already moved away from is stale: its picture will be replaced as soon as
the newer request is rendered. Stopping it (the renderer checks its cancel flag between layers) lets the newest
request start at once. But during a continuous drag a newer request arrives every frame; stopping each render
for it would starve the screen (nothing would ever finish). The policy, checked between layers:

- the newest request must have *settled*: stayed the newest for `settle` seconds (a drag in progress sends a new
  request every frame, so it never settles; the end of a drag, a key press or a click settles after `settle`);
- it gives way only while its expected remaining time exceeds the time since the newest request (the render
  that is about to finish is left to finish: its picture comes sooner than a restart's). So renders shorter than
  2 * settle never give way: restarting them would buy nothing. The remaining time is read off the render's
  progress through its layers, timed in the last render of the same kind (see Durations);
- never starve: once a render has given way, renders keep giving way for at most `max_gap` expected render times
  before one is left to finish, so at least one frame finishes every (max_gap + 1) render times;
- without an expected time (the first render of a network and view kind, which may include loading) nothing
  gives way.

Expected times: a running average of the finished renders of the same network, device, layer and analysis view.
`RenderWorker(preemption=...)` applies a policy; the app uses `from_environment()`: SG3_VIZ_PREEMPT=settled (the
default, above), or for measurements `never` (every render finishes, as before) and `newest` (a render gives way to
any newer request at once, without the never-starve rule).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from typing import Callable

from viz.protocol import RenderArgs

ENV = 'SG3_VIZ_PREEMPT'
POLICIES = ('settled', 'newest', 'never')


@dataclasses.dataclass(frozen=True)
class PreemptionPolicy:
    settle: float = 0.1             # Seconds the newest request must have been the newest.
    max_gap: float = 2.0            # Renders give way for at most this many expected render times in a row.

    def should_yield(self, waited: float | None, remaining: float | None, expected: float | None,
            yielding_for: float | None) -> bool:
        """Should a render stop now for the newest request, which has `waited` seconds (None: no newer request
        waits)? `remaining`: the render's expected remaining seconds and `expected` its expected total (None:
        unknown); `yielding_for`: seconds since the first render gave way after the last one that finished (None:
        none did)."""
        if waited is None or remaining is None or expected is None or waited < self.settle:
            return False
        if remaining <= waited:
            return False
        return yielding_for is None or yielding_for < self.max_gap * expected


def from_environment() -> PreemptionPolicy | None:
    """The app's policy from SG3_VIZ_PREEMPT: the default one ('settled'), one that gives way to any newer request
    ('newest'), or None: renders always finish ('never')."""
    value = os.environ.get(ENV, 'settled').strip().lower() or 'settled'
    if value not in POLICIES:
        raise ValueError(f'{ENV}={value!r}: expected one of {", ".join(POLICIES)}')
    if value == 'newest':
        return PreemptionPolicy(settle=0.0, max_gap=float('inf'))
    return None if value == 'never' else PreemptionPolicy()


def duration_key(args: RenderArgs) -> tuple:
    """Renders that take about as long as each other: same network, device, layer and analysis view."""
    return (args.network, args.performance.device, args.layer, args.analysis)


class Durations:
    """Per duration_key: the running average of render times, and when the last finished render passed each of its
    cancel checks (as fractions of its time). A render's remaining time is then read off its progress: at the k-th
    check, a fraction p_k of the time is done, so remaining = elapsed * (1 / p_k - 1), which holds however much the
    machine's load slows every layer alike (late layers take longer than early ones, so counting checks would not)."""

    def __init__(self, smoothing: float = 0.5, capacity: int = 64):
        self.smoothing = smoothing
        self.capacity = capacity
        self._mean: dict[tuple, float] = {}
        self._progress: dict[tuple, list[float]] = {}

    def expected(self, args: RenderArgs) -> float | None:
        return self._mean.get(duration_key(args))

    def remaining(self, args: RenderArgs, elapsed: float, checks: int) -> float | None:
        """Expected seconds left of a render of `args` that has run `elapsed` seconds and passed `checks` checks."""
        key = duration_key(args)
        mean, progress = self._mean.get(key), self._progress.get(key, [])
        if mean is None:
            return None
        if 0 < checks <= len(progress) and progress[checks - 1] >= 0.02:
            return elapsed * (1 / progress[checks - 1] - 1)
        return mean - elapsed

    def add(self, args: RenderArgs, seconds: float, checks: list[float] = ()) -> None:
        """A finished render of `seconds`, whose cancel checks came at `checks` seconds after its start."""
        key = duration_key(args)
        old = self._mean.pop(key, None)
        self._mean[key] = seconds if old is None else old + self.smoothing * (seconds - old)
        self._progress.pop(key, None)
        if seconds > 0:
            self._progress[key] = [min(t / seconds, 1.0) for t in checks]
        while len(self._mean) > self.capacity:
            oldest = next(iter(self._mean))
            self._mean.pop(oldest)
            self._progress.pop(oldest, None)


class YieldingEvent(threading.Event):
    """A render's cancel flag that also reads as set once `should_yield(checks)` says the render should give way
    (and then stays set); `checks` counts the calls of is_set() so far, the render's progress through its layers.
    The renderer only ever asks `is_set()`, between layers; `check_times` keeps when (time.monotonic())."""

    def __init__(self, should_yield: Callable[[int], bool]):
        super().__init__()
        self._should_yield = should_yield
        self.check_times: list[float] = []
        self.yielded = False                        # Set because the policy said so (not cancel / close).

    def is_set(self) -> bool:
        if super().is_set():
            return True
        self.check_times.append(time.monotonic())
        if self._should_yield(len(self.check_times)):
            self.yielded = True
            self.set()
            return True
        return False
