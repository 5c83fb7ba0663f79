"""The render side's thread policy: torch threads (all cores but one) and the render thread's lower priority,
which threads it starts inherit."""

import os
import sys
import threading

import pytest
import torch

from viz.render import threads


def test_niceness_comes_from_the_environment_when_set(monkeypatch):
    monkeypatch.delenv(threads.NICENESS_ENV, raising=False)
    assert threads.render_niceness() == threads.RENDER_NICENESS == 5
    monkeypatch.setenv(threads.NICENESS_ENV, '0')
    assert threads.render_niceness() == 0
    for bad in ('-1', '20', 'low'):
        monkeypatch.setenv(threads.NICENESS_ENV, bad)
        with pytest.raises(ValueError, match=threads.NICENESS_ENV):
            threads.render_niceness()


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='per-thread niceness is Linux only')
def test_the_render_thread_and_the_threads_it_starts_run_at_lower_priority(monkeypatch):
    monkeypatch.setenv(threads.NICENESS_ENV, '3')
    seen = {}

    def child():
        seen['child'] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def render_thread():
        before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        threads.lower_thread_priority()
        seen['render'] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) - before
        helper = threading.Thread(target=child)
        helper.start()
        helper.join()
        seen['child'] -= before

    worker = threading.Thread(target=render_thread)
    worker.start()
    worker.join()
    assert seen == {'render': 3, 'child': 3}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == os.getpriority(os.PRIO_PROCESS, 0)


def test_torch_runs_on_all_cores_but_one_unless_the_user_chose(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv('OMP_NUM_THREADS', '1')
        torch.set_num_threads(before)
        threads.leave_a_core_for_the_gui()
        assert torch.get_num_threads() == before                    # The user's choice stands.
        monkeypatch.delenv('OMP_NUM_THREADS')
        monkeypatch.delenv('MKL_NUM_THREADS', raising=False)
        monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: set(range(8)))
        torch.set_num_threads(6)
        threads.leave_a_core_for_the_gui()
        assert torch.get_num_threads() == 6                         # min(torch's count, 8 - 1)
        torch.set_num_threads(8)
        threads.leave_a_core_for_the_gui()
        assert torch.get_num_threads() == 7
        monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: {0})
        threads.leave_a_core_for_the_gui()
        assert torch.get_num_threads() == 7                         # One core: left as it is.
    finally:
        torch.set_num_threads(before)
