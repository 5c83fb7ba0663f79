"""Fault injection, for the reliability tests: exceptions, out-of-memory errors, hung loads and full disks on demand.

The render side asks `hit(point, ...)` at a few places, and every file the app writes passes through `wrap_write`
(viz.files). With no faults configured both return at once and change nothing.

Faults come from the environment variable SG3_VIZ_FAULTS (read on first use: a subprocess such as the real
app) or from `inject(spec)` (a context manager, for tests in one process). A spec is a comma-separated list of
`point:kind[@when]`:

    point   render   (each request the renderer takes)       kinds: exception, oom, hang
            load     (each network load)                     kinds: exception, oom, hang
            command  (each chunk of a background command)    kinds: exception, oom, hang
            write    (each file the app writes, viz.files)   kinds: enospc, eio
    when    N        the Nth time the point is reached only
            N+       the Nth time and every time after it
            (none)   every time

    SG3_VIZ_FAULTS='render:exception@3,load:hang,write:enospc@2+'

`exception` raises InjectedFault (a RuntimeError: a bug's stand-in); `oom` raises the out-of-memory type the caller
names (torch.OutOfMemoryError on the render side); `hang` blocks until the caller's cancel event is set, then
returns (the caller then stops as it does for any cancel); `enospc` / `eio` make the file's writes fail with that
OSError once half its first write (at most FULL_AFTER bytes) went through, so the writer sees a disk that fills up
in the middle of the file.
Standard library only.
"""

from __future__ import annotations

import dataclasses
import errno
import io
import os
import re
import threading
from contextlib import contextmanager
from typing import Any, BinaryIO, Iterator

ENV = 'SG3_VIZ_FAULTS'
KINDS = {'render': ('exception', 'oom', 'hang'), 'load': ('exception', 'oom', 'hang'), 'command': ('exception', 'oom', 'hang'),
    'write': ('enospc', 'eio')}
FULL_AFTER = 1024                               # Most bytes a faulty file takes before its writes fail.
HANG_POLL_S = 0.05


class FaultSpecError(ValueError):
    """A fault spec (SG3_VIZ_FAULTS or inject()) that does not parse; the message names the entry."""


class InjectedFault(RuntimeError):
    """The `exception` fault: stands for a bug anywhere in the render path."""


@dataclasses.dataclass(frozen=True)
class Fault:
    point: str                                  # One of KINDS.
    kind: str                                   # One of KINDS[point].
    first: int = 1                              # The first hit (1-based) it fires on.
    last: int | None = None                     # The last hit it fires on; None = no end.

    def fires(self, count: int) -> bool:
        return count >= self.first and (self.last is None or count <= self.last)

    def __str__(self) -> str:
        when = '' if (self.first, self.last) == (1, None) else f'@{self.first}' + ('+' if self.last is None else '')
        return f'{self.point}:{self.kind}{when}'


def parse(spec: str, where: str = ENV) -> tuple[Fault, ...]:
    """The faults of a spec ('' = none)."""
    faults = []
    for entry in (part.strip() for part in spec.split(',')):
        if not entry:
            continue
        m = re.fullmatch(r'([a-z]+):([a-z]+)(?:@(\d+)(\+?))?', entry)
        if m is None:
            raise FaultSpecError(f'{where}: {entry!r}: expected point:kind[@N or @N+], e.g. render:exception@3')
        point, kind, number, onwards = m.groups()
        if point not in KINDS:
            raise FaultSpecError(f'{where}: {entry!r}: unknown point {point!r}; expected one of {", ".join(KINDS)}')
        if kind not in KINDS[point]:
            raise FaultSpecError(f'{where}: {entry!r}: {point} faults are {", ".join(KINDS[point])}')
        if number is not None and int(number) < 1:
            raise FaultSpecError(f'{where}: {entry!r}: @N counts from 1')
        first = int(number) if number is not None else 1
        faults.append(Fault(point, kind, first, None if number is None or onwards else first))
    return tuple(faults)


class Faults:
    """Configured faults, the count of hits per point, and what fired (for tests and the log)."""

    def __init__(self, spec: str, where: str = ENV) -> None:
        self.faults = parse(spec, where)
        self.counts = {point: 0 for point in KINDS}
        self.fired: list[str] = []              # 'point:kind#count' of every fault that fired.
        self._lock = threading.Lock()

    def wants(self, point: str) -> bool:
        return any(f.point == point for f in self.faults)

    def next(self, point: str) -> Fault | None:
        """Count a hit of `point`; the fault that fires on it, if any."""
        with self._lock:
            self.counts[point] += 1
            count = self.counts[point]
            for fault in self.faults:
                if fault.point == point and fault.fires(count):
                    self.fired.append(f'{point}:{fault.kind}#{count}')
                    return fault
        return None


_active: Faults | None = None
_env_read = False
_guard = threading.Lock()


def active() -> Faults | None:
    """The configured faults (SG3_VIZ_FAULTS is read the first time), or None."""
    global _active, _env_read
    if not _env_read:
        with _guard:
            if not _env_read:
                spec = os.environ.get(ENV, '').strip()
                if spec and _active is None:
                    _active = Faults(spec)
                _env_read = True
    return _active


@contextmanager
def inject(spec: str) -> Iterator[Faults]:
    """Faults for the duration of a `with` block (tests); the previous configuration comes back afterwards."""
    global _active, _env_read
    active()
    faults = Faults(spec, where='inject()')
    previous, _active = _active, faults
    try:
        yield faults
    finally:
        _active = previous


def wants(point: str) -> bool:
    """Are faults configured for `point`?"""
    faults = active()
    return faults is not None and faults.wants(point)


def hit(point: str, cancel: threading.Event | None = None, oom_type: type[BaseException] = MemoryError) -> None:
    """A place where `point` faults happen: raise the configured fault, hang until `cancel` is set, or return."""
    faults = active()
    if faults is None:
        return
    assert point in KINDS and point != 'write', f'unknown fault point {point!r}'
    fault = faults.next(point)
    if fault is None:
        return
    if fault.kind == 'exception':
        raise InjectedFault(f'injected fault {fault} ({ENV})')
    if fault.kind == 'oom':
        raise oom_type(f'out of memory (injected fault {fault}, {ENV})')
    if cancel is None:
        raise InjectedFault(f'injected fault {fault}: this place cannot be cancelled, so it does not hang')
    while not cancel.wait(HANG_POLL_S):
        pass


def wrap_write(f: BinaryIO) -> BinaryIO:
    """The file a writer should write to: `f` itself, or a stand-in whose writes fail like a full or broken disk."""
    faults = active()
    if faults is None or not faults.wants('write'):
        return f
    fault = faults.next('write')
    if fault is None:
        return f
    return _FailingFile(f, errno.ENOSPC if fault.kind == 'enospc' else errno.EIO)  # type: ignore[return-value]


class _FailingFile:
    """Passes half the first write (at most FULL_AFTER bytes) to the real file, then fails every write with `error`.
    No fileno(): writers that would write to the descriptor directly (PIL) use write() instead."""

    def __init__(self, f: BinaryIO, error: int) -> None:
        self._f, self._error, self._left = f, error, None

    def write(self, data: Any) -> int:
        data = memoryview(data).cast('B')
        if self._left is None:
            self._left = min(FULL_AFTER, len(data) // 2)
        if len(data) > self._left:
            self._f.write(data[:self._left])
            self._left = 0
            raise OSError(self._error, f'{os.strerror(self._error)} (injected fault, {ENV})')
        self._left -= len(data)
        return self._f.write(data)

    def fileno(self) -> int:
        raise io.UnsupportedOperation('fileno (a file with an injected fault)')

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)
