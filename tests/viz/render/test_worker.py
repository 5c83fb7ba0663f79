"""RenderWorker: newest request wins, stale results dropped, errors as data, prompt close.
A fake render function driven by events stands in for the renderer (no torch)."""

import threading
import time

import numpy as np
import pytest

from viz.protocol import LatentArgs, NetworkArgs, RenderArgs, RenderResult
from viz.render.worker import RenderWorker


def args_for(x: float) -> RenderArgs:
    return RenderArgs(latent=LatentArgs(x=x))


class FakeRenderer:
    """Records each request it renders; can block until released; encodes latent.x into the image."""

    def __init__(self, block: bool = False) -> None:
        self.rendered: list[tuple[int, float]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        if not block:
            self.release.set()

    def __call__(self, args, stamp, cancel, progress):
        self.rendered.append((stamp, args.latent.x))
        self.started.set()
        if args.network.source == 'bad':
            raise ValueError('no such network: bad')
        while not self.release.wait(0.005):
            if cancel.is_set():
                return RenderResult(stamp=stamp, error='cancelled')
        image = np.full((2, 2, 3), int(args.latent.x), dtype=np.uint8)
        return RenderResult(stamp=stamp, image=image, args=args)


def test_submit_then_result_carries_stamp_and_args():
    fake = FakeRenderer()
    with RenderWorker(fake) as worker:
        stamp = worker.submit(args_for(7))
        result = worker.wait(timeout=5)
        assert result is not None and result.stamp == stamp and result.error is None
        assert result.args == args_for(7)
        assert np.all(result.image == 7)
        assert not worker.busy


def test_latest_request_wins_and_replaced_requests_are_never_rendered():
    fake = FakeRenderer(block=True)
    with RenderWorker(fake) as worker:
        s1 = worker.submit(args_for(1))
        assert fake.started.wait(5)
        assert worker.busy
        s2 = worker.submit(args_for(2))
        s3 = worker.submit(args_for(3))
        assert s1 < s2 < s3 == worker.latest_stamp
        fake.release.set()
        result = worker.wait(timeout=5)
        assert result.stamp == s3 and np.all(result.image == 3)
        assert fake.rendered == [(s1, 1), (s3, 3)]  # s2 was replaced in the slot before the worker took it.


def test_poll_returns_only_the_newest_result_once():
    fake = FakeRenderer()
    with RenderWorker(fake) as worker:
        assert worker.poll() is None
        worker.submit(args_for(1))
        worker.wait(timeout=5)
        s2 = worker.submit(args_for(2))
        deadline = time.monotonic() + 5
        while worker.busy and time.monotonic() < deadline:
            time.sleep(0.005)
        # Both results were posted; the older one is dropped, the newer is returned once.
        result = worker.poll()
        assert result is not None and result.stamp == s2
        assert worker.poll() is None


def test_results_of_outdated_requests_never_replace_newer_ones():
    fake = FakeRenderer()
    with RenderWorker(fake) as worker:
        s1 = worker.submit(args_for(1))
        worker.wait(timeout=5)
        # A result carrying an older stamp (e.g. a late progress report) is dropped.
        worker._post(RenderResult(stamp=s1 - 1, error='stale'))
        assert worker.poll() is None
        latest = worker.submit(args_for(4))
        assert worker.wait(timeout=5).stamp == latest


def test_errors_are_data_and_the_next_request_works():
    fake = FakeRenderer()
    with RenderWorker(fake) as worker:
        s1 = worker.submit(RenderArgs(network=NetworkArgs(source='bad')))
        bad = worker.wait(timeout=5)
        assert bad.stamp == s1 and bad.image is None
        assert bad.error == 'ValueError: no such network: bad'
        assert bad.args.network.source == 'bad'
        worker.submit(args_for(5))
        good = worker.wait(timeout=5)
        assert good.error is None and np.all(good.image == 5)


def test_progress_results_are_posted_before_the_final_one():
    step = threading.Event()
    proceed = threading.Event()

    def render(args, stamp, cancel, progress):
        progress(RenderResult(stamp=stamp, loading='loading builtin:sg3-t...'))
        step.set()
        assert proceed.wait(5)
        return RenderResult(stamp=stamp, image=np.zeros((1, 1, 3), np.uint8))

    woken = []
    with RenderWorker(render, on_result=lambda: woken.append(1)) as worker:
        stamp = worker.submit(RenderArgs())
        assert step.wait(5)
        interim = worker.poll()
        assert interim.stamp == stamp and interim.loading.startswith('loading')
        assert worker.wait(timeout=0.05) is None  # Not final yet.
        proceed.set()
        final = worker.wait(timeout=5)
        assert final.loading is None and final.image.shape == (1, 1, 3)
        assert len(woken) == 2


def test_close_while_rendering_returns_promptly():
    fake = FakeRenderer(block=True)
    worker = RenderWorker(fake)
    worker.submit(args_for(1))
    assert fake.started.wait(5)
    start = time.perf_counter()
    worker.close()
    assert time.perf_counter() - start < 0.5
    worker._thread.join(1)
    assert not worker._thread.is_alive()  # The render function saw the cancel flag.
    assert worker.poll() is None  # The cancelled result is discarded.
    with pytest.raises(RuntimeError, match='closed'):
        worker.submit(args_for(2))


def test_close_returns_even_if_the_render_function_ignores_cancel():
    hold = threading.Event()
    started = threading.Event()

    def stubborn(args, stamp, cancel, progress):
        started.set()
        hold.wait(10)
        return RenderResult(stamp=stamp)

    worker = RenderWorker(stubborn)
    worker.submit(RenderArgs())
    assert started.wait(5)
    start = time.perf_counter()
    worker.close(timeout=0.1)
    assert time.perf_counter() - start < 0.5
    assert worker._thread.daemon
    hold.set()
    worker._thread.join(1)
