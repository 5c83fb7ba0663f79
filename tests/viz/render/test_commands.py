"""The worker's command channel (issue 10): start, progress, cancel, failures and close with a fake render
function whose jobs are gated step by step; then the renderer's commands on the tiny test networks of
test_analysis (EQ metrics equal to direct sg3 calls, K-seed averages shown by later renders, exports)."""

import dataclasses
import threading
import time

import numpy as np
import pytest
import torch

import sg3.ops
from sg3 import equivariance, spectra
from tests.viz.render.test_analysis import Loader, request
from viz.protocol import (AnalysisArgs, CommandStatus, ExportSpectrumCommand, LatentArgs, LayerArgs, MetricsCommand,
    PerformanceArgs, RenderArgs, RenderResult, SpectrumAverageCommand)
from viz.render import analysis as RA, pictures
from viz.render.renderer import Renderer
from viz.render.worker import RenderWorker

pytestmark = pytest.mark.usefixtures('one_thread')


def collect(worker: RenderWorker, until, timeout: float = 60.0, seen: list[CommandStatus] | None = None) -> list[CommandStatus]:
    """Poll the worker's command statuses until until(statuses seen) holds; returns them (`seen` plus the new ones)."""
    seen = [] if seen is None else seen
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += worker.poll_commands()
        if until(seen):
            return seen
        time.sleep(0.002)
    raise AssertionError(f'commands did not get there; seen {seen[-4:]}')


def finished(*command_ids: int):
    return lambda seen: all(any(s.command_id == i and s.finished for s in seen) for i in command_ids)


def of(seen: list[CommandStatus], command_id: int) -> list[CommandStatus]:
    return [s for s in seen if s.command_id == command_id]

# ----------------------------------------------------------------------------
# The worker, with a fake render function.


class FakeJob:
    """`command.samples` chunks; each step waits for a permit of the renderer's gate (polling cancel)."""

    def __init__(self, owner: 'FakeRenderer', command: MetricsCommand) -> None:
        self.owner, self.command, self.done = owner, command, 0

    def status(self, state: str) -> CommandStatus:
        return CommandStatus(command_id=0, kind='metrics', state=state, done=self.done, total=self.command.samples)

    def step(self, cancel):
        owner = self.owner
        with owner.entered:
            owner.steps_entered += 1
            owner.entered.notify_all()
        while not owner.gate.acquire(timeout=0.005):
            if cancel.is_set():
                return self.status('running')
        if self.command.seed == 777:
            raise RuntimeError('boom in step')
        self.done += 1
        owner.events.append(f'step {self.command.seed}')
        return self.status('done' if self.done == self.command.samples else 'running')

    def abort(self):
        self.owner.events.append(f'abort {self.command.seed}')
        return self.status('cancelled')


class FakeRenderer:
    """Records renders, starts and steps in order; steps run only as the test releases the gate."""

    def __init__(self, gated: bool = True) -> None:
        self.events: list[str] = []
        self.gate = threading.Semaphore(0 if gated else 1_000_000)
        self.entered = threading.Condition()
        self.steps_entered = 0

    def __call__(self, args, stamp, cancel, progress):
        self.events.append(f'render {args.latent.x:g}')
        return RenderResult(stamp=stamp, args=args)

    def start_command(self, command, args, cancel):
        if command.seed == 666:
            raise ValueError('this network cannot do that')
        if command.seed == 665:
            raise KeyError('unexpected')
        self.events.append(f'start {command.seed}')
        return FakeJob(self, command)

    def wait_in_step(self, count: int = 1) -> None:
        """Wait until `count` steps have begun (the last one waits at the gate unless released)."""
        with self.entered:
            assert self.entered.wait_for(lambda: self.steps_entered >= count, timeout=5)


def test_statuses_go_queued_running_done_in_order_and_wake_the_gui():
    fake = FakeRenderer(gated=False)
    woken = []
    with RenderWorker(fake, on_result=lambda: woken.append(1)) as worker:
        command_id = worker.start(MetricsCommand(samples=3, seed=1), RenderArgs())
        assert command_id == 1
        seen = collect(worker, finished(command_id))
    assert [s.state for s in seen] == ['queued', 'running', 'running', 'running', 'done']
    assert all(s.command_id == command_id and s.kind == 'metrics' for s in seen)
    assert seen[0].description == 'EQ metrics, 3 samples, seed 1'
    assert [s.done for s in seen[2:]] == [1, 2, 3] and seen[-1].total == 3
    assert len(woken) == 4                                      # Every status the worker thread posted.
    assert worker.poll_commands() == []


def test_commands_run_one_at_a_time_in_the_order_started():
    fake = FakeRenderer(gated=False)
    with RenderWorker(fake) as worker:
        ids = [worker.start(MetricsCommand(samples=2, seed=seed), RenderArgs()) for seed in (1, 2, 3)]
        seen = collect(worker, finished(*ids))
    assert fake.events == ['start 1', 'step 1', 'step 1', 'start 2', 'step 2', 'step 2', 'start 3', 'step 3', 'step 3']
    assert [s.command_id for s in seen if s.finished] == ids
    assert all(of(seen, i)[0].state == 'queued' for i in ids)


def test_a_waiting_request_is_rendered_before_the_next_chunk():
    fake = FakeRenderer()
    with RenderWorker(fake) as worker:
        command_id = worker.start(MetricsCommand(samples=3, seed=1), RenderArgs())
        fake.wait_in_step()
        stamp = worker.submit(RenderArgs(latent=LatentArgs(x=7)))
        fake.gate.release(3)
        assert worker.wait(timeout=5).stamp == stamp
        collect(worker, finished(command_id))
    assert fake.events == ['start 1', 'step 1', 'render 7', 'step 1', 'step 1']


def test_cancel_mid_command_posts_cancelled_and_runs_no_more_chunks():
    fake = FakeRenderer()
    with RenderWorker(fake) as worker:
        command_id = worker.start(MetricsCommand(samples=5, seed=1), RenderArgs())
        fake.gate.release()
        fake.wait_in_step(2)                                    # Blocked in the second chunk.
        worker.cancel(command_id)
        seen = collect(worker, finished(command_id))
        assert seen[-1].state == 'cancelled' and seen[-1].error is None
        fake.gate.release(10)
        # The worker goes on with the next command; cancelling a finished one changes nothing.
        other = worker.start(MetricsCommand(samples=1, seed=2), RenderArgs())
        collect(worker, finished(other))
        worker.cancel(command_id)
        assert worker.poll_commands() == []
    assert fake.events == ['start 1', 'step 1', 'abort 1', 'start 2', 'step 2']


def test_cancelling_a_queued_command_drops_it():
    fake = FakeRenderer()
    with RenderWorker(fake) as worker:
        first = worker.start(MetricsCommand(samples=1, seed=1), RenderArgs())
        fake.wait_in_step()
        second = worker.start(MetricsCommand(samples=1, seed=2), RenderArgs())
        worker.cancel(second)
        statuses = worker.poll_commands()                       # Posted at once, on the caller's thread.
        assert of(statuses, second)[-1].state == 'cancelled'
        fake.gate.release()
        collect(worker, finished(first))
        assert not worker.commands_busy
    assert fake.events == ['start 1', 'step 1']


def test_failures_are_statuses_and_the_worker_goes_on():
    fake = FakeRenderer(gated=False)
    with RenderWorker(fake) as worker:
        refused = worker.start(MetricsCommand(seed=666), RenderArgs())
        broken = worker.start(MetricsCommand(seed=665), RenderArgs())
        boom = worker.start(MetricsCommand(samples=3, seed=777), RenderArgs())
        seen = collect(worker, finished(refused, broken, boom))
        assert worker.submit(RenderArgs(latent=LatentArgs(x=3))) == worker.wait(timeout=5).stamp
    assert of(seen, refused)[-1].state == 'failed' and of(seen, refused)[-1].error == 'this network cannot do that'
    assert of(seen, broken)[-1].error == "KeyError: 'unexpected'"
    assert of(seen, boom)[-1].state == 'failed' and of(seen, boom)[-1].error == 'RuntimeError: boom in step'
    assert 'abort 777' in fake.events                           # The failed job was told to let go.


def test_a_render_function_without_commands_fails_them():
    def render(args, stamp, cancel, progress):
        return RenderResult(stamp=stamp)

    with RenderWorker(render) as worker:
        command_id = worker.start(SpectrumAverageCommand(seeds=2), RenderArgs())
        seen = collect(worker, finished(command_id))
    assert [s.state for s in seen] == ['queued', 'failed'] and 'no start_command' in seen[-1].error


def test_close_mid_command_is_prompt_and_cancels_everything():
    fake = FakeRenderer()
    worker = RenderWorker(fake)
    running = worker.start(MetricsCommand(samples=5, seed=1), RenderArgs())
    queued = worker.start(MetricsCommand(samples=5, seed=2), RenderArgs())
    fake.wait_in_step()
    start = time.perf_counter()
    worker.close()
    assert time.perf_counter() - start < 0.5
    worker._thread.join(1)
    assert not worker._thread.is_alive()
    seen = worker.poll_commands()
    assert of(seen, running)[-1].state == 'cancelled' and of(seen, queued)[-1].state == 'cancelled'
    assert fake.events == ['start 1', 'abort 1']
    with pytest.raises(RuntimeError, match='closed'):
        worker.start(MetricsCommand(), RenderArgs())


def test_caller_mistakes_raise():
    with RenderWorker(FakeRenderer()) as worker:
        with pytest.raises(TypeError, match='command'):
            worker.start('metrics', RenderArgs())
        with pytest.raises(TypeError, match='args'):
            worker.start(MetricsCommand(), None)
        with pytest.raises(TypeError, match='command_id'):
            worker.cancel('1')
        with pytest.raises(ValueError, match='command_id = 5'):
            worker.cancel(5)
        with pytest.raises(TypeError, match='args'):
            worker.submit({})

# ----------------------------------------------------------------------------
# SteppedJob: sg3 calls in lockstep with the render thread.


def test_stepped_job_runs_in_lockstep_and_aborts_at_its_poll():
    running = threading.Event()
    overlap = []

    def work(progress, cancel):
        done = 0
        progress(0, 5)
        while done < 5 and not cancel():
            running.set()
            time.sleep(0.01)
            running.clear()
            done += 1
            progress(done, 5)
        return done

    job = RA.SteppedJob(work)
    assert job.step() and job.done == 0                         # Up to the first poll: nothing computed yet.
    while job.step():
        overlap.append(running.is_set())                        # The caller runs only while the job waits.
    assert job.finished and job.result == 5 and job.done == 5 and not any(overlap)

    job = RA.SteppedJob(work)
    job.step()
    job.step()
    job.abort()
    assert job.finished and job.result == 1

    def broken(progress, cancel):
        cancel()
        raise RuntimeError('boom')
    job = RA.SteppedJob(broken)
    while job.step():
        pass
    assert isinstance(job.error, RuntimeError)

# ----------------------------------------------------------------------------
# The renderer's commands on tiny networks.


@pytest.fixture(scope='module')
def loader():
    return Loader()


def test_metrics_equal_compute_metrics_while_live_renders_interleave(loader):
    G = loader.nets['tiny:sg3']
    with RenderWorker(Renderer(load_fn=loader)) as worker:
        command_id = worker.start(MetricsCommand(samples=6, seed=3), request())
        seen = collect(worker, lambda seen: any(s.done >= 2 for s in seen))
        stamp = worker.submit(request(latent=LatentArgs(x=4)))
        live = worker.wait(timeout=30)
        seen = collect(worker, finished(command_id), seen=seen)
    assert live.stamp == stamp and live.error is None and live.image is not None
    final = seen[-1]
    assert final.state == 'done' and final.done == final.total == 6 and final.seconds > 0
    dones = [s.done for s in seen if s.state == 'running']
    assert dones == sorted(dones) and len(set(dones)) >= 4
    assert dict(final.psnr) == pytest.approx(equivariance.compute_metrics(G, num_samples=6, seed=3).psnr, rel=1e-9)


def test_metrics_cancel_keeps_partial_numbers_and_stylegan2_gets_the_reason(loader):
    with RenderWorker(Renderer(load_fn=loader)) as worker:
        refused = worker.start(MetricsCommand(samples=5), request('tiny:sg2'))
        long = worker.start(MetricsCommand(samples=500), request())
        seen = collect(worker, lambda seen: any(s.command_id == long and s.done >= 1 for s in seen))
        worker.cancel(long)
        seen = collect(worker, finished(refused, long), seen=seen)
        still = worker.start(MetricsCommand(samples=500), request())
        collect(worker, lambda seen: any(s.command_id == still and s.done >= 1 for s in seen))
    assert of(seen, refused)[-1].state == 'failed' and 'StyleGAN2' in of(seen, refused)[-1].error
    cancelled = of(seen, long)[-1]
    assert cancelled.state == 'cancelled' and 1 <= cancelled.done < 500 and len(cancelled.psnr) == 3
    # Closing the worker ends the job's helper thread too.
    deadline = time.monotonic() + 5
    while any(t.name == 'command-metrics' for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.name == 'command-metrics' for t in threading.enumerate())


def test_finished_average_is_shown_by_the_next_render(loader):
    G = loader.nets['tiny:sg3']
    renderer = Renderer(load_fn=loader)
    view = request(latent=LatentArgs(x=10.4), layer=LayerArgs(name='L1_36_16'),
        analysis=AnalysisArgs(spectrum=True, spectrum_average=True, average_seeds=3))
    before = renderer.render(view).analysis.spectrum
    assert before.count == 1 and any('No average' in n for n in before.notes)
    with RenderWorker(renderer) as worker:
        command_id = worker.start(SpectrumAverageCommand(seeds=3), view)
        seen = collect(worker, finished(command_id))
        assert seen[-1].state == 'done' and seen[-1].done == seen[-1].total == 3
        assert seen[-1].description == 'Spectrum of L1_36_16, average of 3 seeds from seed 10'
        worker.submit(view)
        after = worker.wait(timeout=30)
    shown = after.analysis.spectrum
    assert shown.count == 3 and shown.source == 'average of 3 seeds from seed 10'
    direct, design = spectra.average_layer_spectrum(G, 'L1_36_16', [10, 11, 12], beta=8.0)
    np.testing.assert_allclose(shown.db[:-1, :-1], spectra.to_db(direct.power, (-40.0, 20.0)), atol=1e-4)
    np.testing.assert_array_equal(after.image, pictures.spectrum_view(direct, design, 'L1_36_16', '', None, (-40.0, 20.0))[0])
    # Another K, or another seed, is not that average.
    other_k = dataclasses.replace(view, analysis=dataclasses.replace(view.analysis, average_seeds=4))
    assert renderer.render(other_k).analysis.spectrum.count == 1
    assert renderer.render(request(latent=LatentArgs(x=11), layer=view.layer, analysis=view.analysis)).analysis.spectrum.count == 1


def run_export(renderer: Renderer, command: ExportSpectrumCommand, view: RenderArgs) -> CommandStatus:
    with RenderWorker(renderer) as worker:
        command_id = worker.start(command, view)
        return collect(worker, finished(command_id))[-1]


def test_exports_write_the_view_as_shown(loader, tmp_path, monkeypatch):
    from sg3 import figures
    G = loader.nets['tiny:sg3']
    renderer = Renderer(load_fn=loader)
    view = request(latent=LatentArgs(x=2), analysis=AnalysisArgs(spectrum=True, spectrum_beta=4.0))
    (tmp_path / 'spectrum-output-00001.png').write_bytes(b'mine')
    titles, make = [], figures.make_spectrum_figure
    monkeypatch.setattr(figures, 'make_spectrum_figure', lambda *a, **k: (fig := make(*a, **k), titles.append(fig._suptitle.get_text()))[0])
    png = run_export(renderer, ExportSpectrumCommand(format='png', folder=str(tmp_path)), view)
    assert len(titles) == 1 and titles[0].startswith(f'{view.network.source}: output  (1 image')
    assert png.state == 'done' and png.done == png.total == 1 and png.path == str(tmp_path / 'spectrum-output-00002.png')
    assert (tmp_path / 'spectrum-output-00001.png').read_bytes() == b'mine'  # Numbered: nothing is overwritten.
    assert (tmp_path / 'spectrum-output-00002.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'

    npz = run_export(renderer, ExportSpectrumCommand(format='npz', folder=str(tmp_path / 'new')), view)
    assert npz.state == 'done' and npz.path == str(tmp_path / 'new' / 'spectrum-output-00001.npz')
    with torch.no_grad():
        img = G.synthesis(G.mapping(torch.from_numpy(np.random.RandomState(2).randn(1, G.z_dim).astype(np.float32)), None))
    data = np.load(npz.path)
    np.testing.assert_allclose(data['power'], spectra.power_spectrum(img, beta=4.0, sampling_rate=16).power, rtol=1e-6)
    assert int(data['count']) == 1 and float(data['cutoff']) == G.synthesis.L4_16_3.out_cutoff

    # The K-seed average, when the view shows it, is what is exported.
    averaged = dataclasses.replace(view, analysis=dataclasses.replace(view.analysis, spectrum_average=True, average_seeds=2))
    with RenderWorker(renderer) as worker:
        collect(worker, finished(worker.start(SpectrumAverageCommand(seeds=2), averaged)))
    data = np.load(run_export(renderer, ExportSpectrumCommand(format='npz', folder=str(tmp_path)), averaged).path)
    direct, _design = spectra.average_layer_spectrum(G, 'output', [2, 3], beta=4.0)
    assert int(data['count']) == 2
    np.testing.assert_allclose(data['power'], direct.power, rtol=1e-5)


def test_exports_that_cannot_be_made_fail_and_leave_no_file(loader, tmp_path):
    renderer = Renderer(load_fn=loader)
    off = run_export(renderer, ExportSpectrumCommand(folder=str(tmp_path)), request())
    assert off.state == 'failed' and off.error.startswith('Nothing exported: turn on the spectrum view')
    hidden = run_export(renderer, ExportSpectrumCommand(folder=str(tmp_path)),
        request(analysis=AnalysisArgs(eq_mode='eqt', spectrum=True)))
    assert hidden.state == 'failed' and 'equivariance heatmap' in hidden.error
    assert list(tmp_path.iterdir()) == []
    blocker = tmp_path / 'file'
    blocker.write_bytes(b'')
    unwritable = run_export(renderer, ExportSpectrumCommand(folder=str(blocker / 'sub')), request(analysis=AnalysisArgs(spectrum=True)))
    assert unwritable.state == 'failed' and unwritable.error.startswith(f'Could not export to {blocker / "sub"}')
    assert [p.name for p in tmp_path.iterdir()] == ['file']


def test_a_failed_write_removes_its_file(loader, tmp_path, monkeypatch):
    from sg3 import figures

    def broken(spectrum, design, f):
        f.write(b'half')
        raise OSError('disk full')
    monkeypatch.setattr(figures, 'export_npz', broken)
    status = run_export(Renderer(load_fn=loader), ExportSpectrumCommand(format='npz', folder=str(tmp_path)),
        request(analysis=AnalysisArgs(spectrum=True)))
    assert status.state == 'failed' and 'disk full' in status.error
    assert list(tmp_path.iterdir()) == []


def test_commands_run_in_float32_between_preview_renders(loader):
    renderer = Renderer(load_fn=loader)
    preview = PerformanceArgs(device='cpu', preview_bf16=True, interacting=True)
    cancel = threading.Event()
    job = renderer.start_command(MetricsCommand(samples=3, seed=2), request(), cancel)
    status = job.step(cancel)
    steps = 0
    while status.state == 'running':
        # A preview render between every chunk, as the worker interleaves them while the user drags.
        live = renderer.render(RenderArgs(network=request().network, latent=LatentArgs(x=steps + 0.5), performance=preview))
        assert live.precision == ('bfloat16' if sg3.ops.bfloat16_support('cpu')[0] else 'float32')
        status = job.step(cancel)
        steps += 1
        assert steps < 100
    assert status.state == 'done' and status.done == 3
    direct = equivariance.compute_metrics(loader.nets['tiny:sg3'], num_samples=3, seed=2)
    assert dict(status.psnr) == pytest.approx(direct.psnr, rel=1e-9)
    assert sg3.ops.get_conv_dtype() is None                     # Nothing leaks out of a render.
