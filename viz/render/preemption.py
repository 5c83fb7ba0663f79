"""When a render in flight gives way to a newer request (stale work stops), and when it is left to finish.

A render whose request the user has already moved away from is stale: its picture will be replaced as soon as
the newer request is rendered. Stopping it (the renderer checks its cancel flag between layers) lets the newest
request start at once. But during a continuous drag a newer request arrives every frame; stopping each render
for it would starve the screen (nothing would ever finish). The policy, checked between layers:

- the newest request must have *settled*: stayed the newest for `settle` seconds (a drag in progress sends a new
  request every frame, so it never settles; the end of a drag, a key press or a click settles after `settle`);
- it gives way only while its expected remaining time exceeds the time since the newest request (the render
  that is about to finish is left to finish: its picture comes sooner than a restart's). So renders shorter than
  2 * settle never give way: restarting them would buy nothing;
- never starve: once a render has given way, renders keep giving way for at most `max_gap` expected render times
  before one is left to finish, so at least one frame finishes every (max_gap + 1) render times;
- without an expected time (the first render of a network and view kind, which may include loading) nothing
  gives way.

Expected times: a running average of the finished renders of the same network, device, layer and analysis view.
`RenderWorker(preemption=...)` applies a policy; the app uses `from_environment()` (SG3_VIZ_PREEMPT=never turns
it off, for measurements).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Callable

from viz.protocol import RenderArgs

ENV = 'SG3_VIZ_PREEMPT'
POLICIES = ('settled', 'never')


@dataclasses.dataclass(frozen=True)
class PreemptionPolicy:
    settle: float = 0.1             # Seconds the newest request must have been the newest.
    max_gap: float = 2.0            # Renders give way for at most this many expected render times in a row.

    def should_yield(self, now: float, started: float, expected: float | None, newest_since: float | None,
            yielding_since: float | None) -> bool:
        """Should the render that started at `started` (expected to take `expected` seconds) stop now for the
        request that has been the newest since `newest_since` (None: no newer request waits)? `yielding_since`:
        when the first render gave way since the last one that finished (None: none did)."""
        if newest_since is None or expected is None:
            return False
        waited = now - newest_since
        if waited < self.settle:
            return False
        if expected - (now - started) <= waited:
            return False
        return yielding_since is None or now - yielding_since < self.max_gap * expected


def from_environment() -> PreemptionPolicy | None:
    """The app's policy: the default one, or None (renders always finish) with SG3_VIZ_PREEMPT=never."""
    value = os.environ.get(ENV, 'settled').strip().lower() or 'settled'
    if value not in POLICIES:
        raise ValueError(f'{ENV}={value!r}: expected one of {", ".join(POLICIES)}')
    return None if value == 'never' else PreemptionPolicy()


def duration_key(args: RenderArgs) -> tuple:
    """Renders that take about as long as each other: same network, device, layer and analysis view."""
    return (args.network, args.performance.device, args.layer, args.analysis)


class Durations:
    """Running averages of render durations per duration_key."""

    def __init__(self, smoothing: float = 0.5, capacity: int = 64):
        self.smoothing = smoothing
        self.capacity = capacity
        self._mean: dict[tuple, float] = {}

    def expected(self, args: RenderArgs) -> float | None:
        return self._mean.get(duration_key(args))

    def add(self, args: RenderArgs, seconds: float) -> None:
        key = duration_key(args)
        old = self._mean.pop(key, None)
        self._mean[key] = seconds if old is None else old + self.smoothing * (seconds - old)
        while len(self._mean) > self.capacity:
            self._mean.pop(next(iter(self._mean)))


class YieldingEvent(threading.Event):
    """A render's cancel flag that also reads as set once `should_yield()` says the render should give way (and
    then stays set). The renderer only ever asks `is_set()`, between layers."""

    def __init__(self, should_yield: Callable[[], bool]):
        super().__init__()
        self._should_yield = should_yield
        self.yielded = False                        # Set because the policy said so (not cancel / close).

    def is_set(self) -> bool:
        if super().is_set():
            return True
        if self._should_yield():
            self.yielded = True
            self.set()
            return True
        return False
