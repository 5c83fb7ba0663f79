"""Preemption of stale renders (viz.render.preemption with RenderWorker): the policy's rules one by one, and a
worker with a layered stand-in render function: a settled newer request stops the stale render, a continuous
stream of requests still lets frames finish, results come in order and belong to their requests, and the newest
request is always rendered (none is lost)."""

import threading
import time

import numpy as np
import pytest

from viz.protocol import LatentArgs, LayerArgs, RenderArgs, RenderResult
from viz.render import preemption
from viz.render.preemption import Durations, PreemptionPolicy, YieldingEvent
from viz.render.worker import RenderWorker

LAYERS = 10
LAYER_SECONDS = 0.03                        # A render takes 0.3 s.


def args_for(x: float) -> RenderArgs:
    return RenderArgs(latent=LatentArgs(x=x))

# ----------------------------------------------------------------------------
# The policy.


def test_a_render_gives_way_only_to_a_settled_request_while_much_remains():
    policy = PreemptionPolicy(settle=0.1, max_gap=2.0)
    yields = lambda waited, remaining, expected=1.0, yielding_for=None: policy.should_yield(waited, remaining, expected, yielding_for)
    assert not yields(None, 0.5)                    # Nothing newer waits.
    assert not yields(0.05, 0.5)                    # Newest for 0.05 s: not settled yet.
    assert yields(0.125, 0.375)                     # Settled, 0.375 s remain > 0.125 s waited.
    assert not yields(0.2, 0.1)                     # 0.1 s remain <= 0.2 s waited: let it finish.
    assert not yields(0.125, None) and not yields(0.125, 0.5, expected=None)  # Unknown times (a first render may be loading).
    assert yields(0.125, 0.375, yielding_for=1.5) and not yields(0.125, 0.375, yielding_for=2.0)  # Never starve: 2 render times.


def test_expected_times_are_running_averages_and_remaining_times_follow_progress():
    durations = Durations(smoothing=0.5)
    assert durations.expected(args_for(1)) is None and durations.remaining(args_for(1), 0.1, 1) is None
    durations.add(args_for(1), 1.0, [0.1, 0.2, 0.5, 1.0])
    durations.add(args_for(2), 2.0, [0.2, 0.4, 1.0, 2.0])   # Another latent: the same kind of render.
    assert durations.expected(args_for(3)) == 1.5
    assert durations.remaining(args_for(3), 0.6, 2) == pytest.approx(0.6 * (1 / 0.2 - 1))  # 20% done at the 2nd check.
    assert durations.remaining(args_for(3), 0.6, 3) == pytest.approx(0.6)                   # Half done at the 3rd.
    assert durations.remaining(args_for(3), 0.5, 9) == pytest.approx(1.0)                   # Beyond the profile: the mean.
    assert durations.expected(RenderArgs(layer=LayerArgs(name='L3'))) is None


def test_yielding_event_stays_set_and_says_why(monkeypatch):
    asked = []
    event = YieldingEvent(lambda checks: asked.append(checks) or checks >= 2)
    assert not event.is_set() and not event.yielded
    assert event.is_set() and event.yielded and event.is_set() and asked == [1, 2] and len(event.check_times) == 2
    cancelled = YieldingEvent(lambda checks: False)
    cancelled.set()
    assert cancelled.is_set() and not cancelled.yielded
    monkeypatch.setenv(preemption.ENV, 'never')
    assert preemption.from_environment() is None
    monkeypatch.setenv(preemption.ENV, 'settled')
    assert preemption.from_environment() == PreemptionPolicy()
    monkeypatch.setenv(preemption.ENV, 'newest')
    assert preemption.from_environment().should_yield(0.0, 0.01, 1.0, 100.0)
    monkeypatch.setenv(preemption.ENV, 'sometimes')
    with pytest.raises(ValueError, match='SG3_VIZ_PREEMPT'):
        preemption.from_environment()

# ----------------------------------------------------------------------------
# The worker.


class LayeredRenderer:
    """Renders in LAYERS steps of `layer_seconds`, checking the cancel flag between them, as the renderer does."""

    def __init__(self):
        self.log: list[tuple[str, int, float]] = []     # (what, stamp, time): 'start', 'done', 'cancelled'.
        self.lock = threading.Lock()
        self.layer_seconds = LAYER_SECONDS

    def __call__(self, args, stamp, cancel, progress):
        with self.lock:
            self.log.append(('start', stamp, time.monotonic()))
        for _ in range(LAYERS):
            if cancel.is_set():
                with self.lock:
                    self.log.append(('cancelled', stamp, time.monotonic()))
                return RenderResult(stamp=stamp, error='cancelled', args=args)
            time.sleep(self.layer_seconds)
        with self.lock:
            self.log.append(('done', stamp, time.monotonic()))
        return RenderResult(stamp=stamp, image=np.full((1, 1, 3), int(args.latent.x) % 256, np.uint8), args=args)


class Collector:
    """Every result the worker posts, as the GUI would poll them."""

    def __init__(self):
        self.results: list[RenderResult] = []
        self.worker: RenderWorker | None = None

    def __call__(self):
        result = self.worker.poll()
        if result is not None:
            self.results.append(result)


def start(policy=PreemptionPolicy()):
    renderer, collector = LayeredRenderer(), Collector()
    worker = RenderWorker(renderer, on_result=collector, preemption=policy)
    collector.worker = worker
    worker.submit(args_for(0))                              # A first render gives the expected time.
    assert worker.wait(5).error is None
    return worker, renderer, collector


def check_in_order_and_own_args(collector: Collector, submitted: dict[int, RenderArgs]) -> None:
    stamps = [r.stamp for r in collector.results]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    for r in collector.results:
        assert r.args == submitted[r.stamp]
        if r.error is None:
            assert int(r.image[0, 0, 0]) == int(r.args.latent.x) % 256


def test_a_settled_newer_request_stops_the_stale_render():
    worker, renderer, collector = start()
    with worker:
        submitted = {1: args_for(0)}
        stale = worker.submit(args_for(1))
        submitted[stale] = args_for(1)
        time.sleep(0.03)                                    # The stale render is under way.
        newest = worker.submit(args_for(2))
        submitted[newest] = args_for(2)
        t_newest = time.monotonic()
        final = worker.wait(5)
        waited = time.monotonic() - t_newest
    assert final.stamp == newest and final.error is None
    assert ('cancelled', stale) in [(what, stamp) for what, stamp, _t in renderer.log]
    assert worker.yields == 1
    assert waited < 0.1 + 0.3 + 0.1                         # Settle + one render + slack; finishing the stale one first: ~0.57 s.
    check_in_order_and_own_args(collector, submitted)


def test_without_a_policy_the_running_render_finishes():
    worker, renderer, collector = start(policy=None)
    with worker:
        stale = worker.submit(args_for(1))
        time.sleep(0.03)
        newest = worker.submit(args_for(2))
        assert worker.wait(5).stamp == newest
    assert [(w, s) for w, s, _t in renderer.log if s == stale] == [('start', stale), ('done', stale)]
    assert worker.yields == 0


@pytest.mark.parametrize('pause', [0.0, 0.15])
def test_a_continuous_stream_still_finishes_frames_and_the_newest_is_rendered(pause):
    """A drag: a request every 10 ms for 3 s (pause = 0), or with a 0.15 s pause (settling each time) every 0.15 s,
    the worst case for starving. Frames still finish; the last request is rendered; nothing comes out of order."""
    worker, renderer, collector = start()
    submitted = {1: args_for(0)}
    with worker:
        t0 = time.monotonic()
        x = 1
        while time.monotonic() - t0 < 3.0:
            burst_end = time.monotonic() + (0.15 if pause else 10.0)
            while time.monotonic() < min(burst_end, t0 + 3.0):
                submitted[worker.submit(args_for(x))] = args_for(x)
                x += 1
                time.sleep(0.01)
            time.sleep(pause)
        last = max(submitted)
        final = worker.wait(5)
    assert final.stamp == last and final.error is None and final.args == submitted[last]
    done = [t for what, _s, t in renderer.log if what == 'done' and t >= t0]
    gaps = np.diff([t0] + done)
    assert len(done) >= 3 and gaps.max() < (2.0 + 1) * 0.3 + 0.3   # At least one frame every (max_gap + 1) render times.
    check_in_order_and_own_args(collector, submitted)
    if not pause:
        assert worker.yields == 0                           # A drag in progress never settles: no work is thrown away.


def test_a_render_slowed_down_by_load_still_gives_way():
    """The machine gets three times slower after the first render: by the time a newer request settles, the stale
    render has outrun its expected time, but its progress through the layers says most of it remains."""
    worker, renderer, collector = start()
    with worker:
        renderer.layer_seconds = 3 * LAYER_SECONDS
        stale = worker.submit(args_for(1))
        time.sleep(0.25)                                    # Past the 0.3 s expected time less the settle time.
        newest = worker.submit(args_for(2))
        final = worker.wait(10)
    assert final.stamp == newest and ('cancelled', stale) in [(w, s) for w, s, _t in renderer.log] and worker.yields == 1


def test_the_view_core_logs_a_render_that_gave_way_and_keeps_its_image(tmp_path):
    from tests.viz.fakes import FakeWorker
    from viz.core.view_core import ViewCore
    lines = []
    worker = FakeWorker()
    core = ViewCore(worker, config_dir=tmp_path, sources=('fake:net',), emit=lines.append)
    core.update(0.0)
    worker.post(image=np.zeros((2, 2, 3), np.uint8))
    core.update(0.0)
    shown = core.shown_image
    core.act('latent', 'set', x=3.0)
    core.update(0.0)
    worker.post(error='cancelled')
    core.poll()
    assert f'CANCELLED stamp={core.last_stamp}' in lines and core.shown_image is shown and core.result.error is None
