"""Thread policy of the render side: how many cores torch may use and the render thread's priority.

On a two-core laptop the GUI thread (and, under Xvfb, the software rasterizer) must get CPU time while the
generator runs, or frames stutter; oversubscribing the cores even made renders several times slower.
"""

from __future__ import annotations

import os
import sys
import threading

RENDER_NICENESS = 5                             # How much lower the render thread's priority is than the GUI's (Linux).
NICENESS_ENV = 'SG3_VIZ_RENDER_NICENESS'        # Overrides RENDER_NICENESS (0 = the GUI's priority), for measurements.


def leave_a_core_for_the_gui() -> None:
    """Run torch's CPU work on all cores but one, unless the user set a thread count (OMP_NUM_THREADS)."""
    if os.environ.get('OMP_NUM_THREADS') or os.environ.get('MKL_NUM_THREADS'):
        return
    import torch
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else (os.cpu_count() or 1)
    if cores > 1:
        torch.set_num_threads(max(1, min(torch.get_num_threads(), cores - 1)))


def render_niceness() -> int:
    """RENDER_NICENESS, or the value of $SG3_VIZ_RENDER_NICENESS (0 to 19)."""
    value = os.environ.get(NICENESS_ENV, '').strip()
    if not value:
        return RENDER_NICENESS
    if not value.isdigit() or int(value) > 19:
        raise ValueError(f'{NICENESS_ENV}={value!r}: expected a niceness from 0 to 19')
    return int(value)


def lower_thread_priority(niceness: int | None = None) -> None:
    """Let the calling thread yield the CPU to the GUI thread (Linux only; call it on the render thread).

    Linux gives each thread its own nice value; raising the render thread's lets the GUI thread run first
    when both want a core, and costs the render nothing when the GUI sleeps. Threads the render thread starts
    (the fast ops' and the EQ metrics' helper threads) inherit it. Elsewhere setpriority() acts on whole
    processes, so nothing is changed. `niceness` None = render_niceness().
    """
    if not sys.platform.startswith('linux'):
        return
    niceness = render_niceness() if niceness is None else niceness
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid) + niceness, 19))
    except OSError:
        pass
