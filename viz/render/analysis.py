"""The analysis half of rendering (issue 6): the live equivariance heatmap, the spectrum view, background
jobs (EQ metrics, K-seed spectrum averages) and spectrum export. Runs on the render thread; no imgui, no
OpenGL, no matplotlib at render time (the PNG export imports it inside `sg3.figures`). The pictures
themselves are composed in numpy by `viz.render.pictures`.

Jobs run in `SteppedJob`s: the sg3 function runs on a helper thread in lockstep with the render thread,
pausing at each of its cancel polls (one batch or seed), so live renders interleave between chunks.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import time
from typing import Any, Callable

import numpy as np
import torch

import sg3.ops
from sg3 import equivariance, spectra
from viz import files
from viz.render import ops as render_ops
from viz.render.cache import LRU
from viz.render.pictures import compose_equivariance, spectrum_view
from viz.protocol import (SEED_MODULO, AnalysisArgs, AnalysisResult, EquivarianceView, ExportStatus, JobStatus,
    LayerStats, RenderArgs, RenderResult, seed_at)

# ----------------------------------------------------------------------------
# Background jobs in lockstep with the render thread.


class SteppedJob:
    """Runs `fn(progress, cancel)` on a helper thread in lockstep with its caller.

    `fn` is a long sg3 computation that calls `progress(done, total)` and polls `cancel()` between chunks
    (a batch, a seed). `step()` lets it run until its next poll and returns; meanwhile the job waits, so
    the caller can use the same network for a live render. Exactly one of the two threads runs at a time.
    """

    def __init__(self, fn: Callable[[Callable[[int, int], None], Callable[[], bool]], Any], name: str = 'analysis-job') -> None:
        self._fn = fn
        self._name = name
        self._cond = threading.Condition()
        self._job_turn = False                  # The job may run (else it waits at a poll).
        self._abort = False                     # Its next poll returns True.
        self._thread: threading.Thread | None = None
        self.finished = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = 0
        self.total = 0
        self.steps = 0                          # Completed step() calls.

    def _progress(self, done: int, total: int) -> None:
        self.done, self.total = int(done), int(total)

    def _poll(self) -> bool:
        """The job's cancel callback: hand the turn back and wait for the next step."""
        with self._cond:
            self._job_turn = False
            self._cond.notify_all()
            while not self._job_turn and not self._abort:
                self._cond.wait()
            return self._abort

    def _main(self) -> None:
        try:
            self.result = self._fn(self._progress, self._poll)
        except BaseException as e:  # Reported as the job's error.
            self.error = e
        finally:
            with self._cond:
                self.finished = True
                self._job_turn = False
                self._cond.notify_all()

    def step(self, cancel: threading.Event | None = None) -> bool:
        """Run the job up to its next poll (or its end). Returns True while it has more to do. If `cancel`
        gets set meanwhile, the job is told to stop and step returns without waiting for the chunk."""
        with self._cond:
            if self.finished:
                return False
            if cancel is not None and cancel.is_set():
                self._abort = True              # Its poll returns True and it ends on its own.
                self._cond.notify_all()
                return False
            self._job_turn = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify_all()
            while self._job_turn and not self.finished:
                self._cond.wait(0.05)
                if cancel is not None and cancel.is_set():
                    self._abort = True
                    self._cond.notify_all()
                    return False
            self.steps += 1
            return not self.finished

    def abort(self) -> None:
        """Stop the job at its poll and wait until it has returned (quick: between steps it waits at a poll)."""
        with self._cond:
            self._abort = True
            self._cond.notify_all()
            if self._thread is None:
                self.finished = True
                return
            while not self.finished:
                self._cond.wait()


@dataclasses.dataclass
class _Job:
    job_id: int
    kind: str                                   # 'metrics' | 'average'.
    description: str
    total: int                                  # Samples or seeds asked for.
    net_key: tuple
    stepped: SteppedJob
    started: float                              # time.perf_counter() at the start.
    average_key: tuple | None = None            # Where an average goes in the cache.
    design: spectra.LayerDesign | None = None
    aborted: bool = False

# ----------------------------------------------------------------------------
# The analysis state of one Renderer.


def _format_error(e: BaseException) -> str:
    return str(e) if isinstance(e, ValueError) else f'{type(e).__name__}: {e}'


def _safe_name(text: str) -> str:
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', text)


def _to_rgb(x: torch.Tensor) -> np.ndarray:
    """[C, H, W] image in [-1, 1] -> [H, W, 3] uint8 with the viewer's 8-bit conversion."""
    shown, _idx = render_ops.select_channels(x, 'rgb', 0)
    return render_ops.to_display(shown)


class AnalysisRenderer:
    """Equivariance, spectrum, jobs and exports for `viz.render.renderer.Renderer` (one per renderer, render thread only)."""

    def __init__(self, max_identities: int = 4, max_averages: int = 8) -> None:
        self._identities = LRU(max_identities)  # Identity renders (everything but the transform).
        self._averages = LRU(max_averages)      # Average key -> (Spectrum, LayerDesign | None).
        self._job: _Job | None = None           # The running job.
        self._job_status: JobStatus | None = None
        self._job_seen = 0                      # Last AnalysisArgs.job_id acted on.
        self._export_seen = 0
        self._export_status: ExportStatus | None = None
        self._parts: dict[str, Any] = {}        # AnalysisResult fields of the render in progress.
        self._shown: tuple[spectra.Spectrum, spectra.LayerDesign | None, str] | None = None  # Spectrum of the last render.
        self._last: RenderResult | None = None  # The last final result (job results are copies of it).
        self._last_net_key: tuple | None = None

    # ------------------------------------------------------------------------
    # Per render.

    def begin(self) -> None:
        self._parts = {}
        self._shown = None

    def finish(self, args: RenderArgs, fields: dict) -> None:
        """Export if asked, then put the AnalysisResult into the result fields."""
        a = args.analysis
        if a.export_id != self._export_seen:
            self._export_seen = a.export_id
            if a.export_id:
                self._export_status = self._export(a)
        fields['analysis'] = AnalysisResult(**self._parts, job=self._job_status, export=self._export_status)

    def remember(self, result: RenderResult, net_key: tuple | None) -> None:
        self._last = result
        self._last_net_key = net_key

    # ------------------------------------------------------------------------
    # Equivariance.

    @staticmethod
    def unavailable(G: torch.nn.Module) -> str | None:
        """Why this network cannot show equivariance, or None."""
        try:
            equivariance.input_transform(G)
        except equivariance.EquivarianceUnavailableError as e:
            return str(e)
        return None

    def wants_equivariance(self, G: torch.nn.Module, args: RenderArgs) -> bool:
        """Is the heatmap asked for and possible? Records the reason if not possible."""
        a = args.analysis
        if a.eq_mode == 'off':
            return False
        reason = self.unavailable(G)
        if reason is not None:
            self._parts['equivariance_unavailable'] = reason
            return False
        if a.spectrum:
            self._parts['spectrum_note'] = 'The equivariance heatmap is shown; turn it off to see the spectrum.'
        return True

    def equivariance(self, G: torch.nn.Module, net_key: tuple, args: RenderArgs, ws: torch.Tensor, fields: dict) -> None:
        """Render the pair for the current latent and transform (one forward pass when the identity is cached)."""
        a, t = args.analysis, args.transform
        mode = a.eq_mode
        notes = []
        if t.scale != 1:
            notes.append('The scale is not part of the comparison.')
        if mode == 'eqr' and (t.x != 0 or t.y != 0):
            notes.append('EQ-R compares rotations: the translation is left out.')
        if mode != 'eqr' and t.angle_deg % 360 != 0:
            notes.append(f'{equivariance.LABELS[mode]} compares translations: the rotation is left out.')
        if t.untransform:
            notes.append('Untransform does not apply to the comparison.')
        # The cached identity render is only reused at the precision it was rendered in (fp16 layers, bfloat16 previews).
        precision = (args.performance.force_fp32, sg3.ops.get_conv_dtype())
        key = (net_key, args.latent, args.mix, args.truncation, args.noise, precision)
        identity = self._identities.get(key)
        devices = [ws.device.index or 0] if ws.device.type == 'cuda' else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(args.noise.seed)
            pair = equivariance.equivariance_pair(G, ws[:1], mode=mode, translate=(t.x, t.y), angle=math.radians(t.angle_deg),
                identity=identity, noise_mode=args.noise.mode)
        if identity is None:
            self._identities[key] = pair.identity.detach()

        # Compose the picture.
        error_map = pair.error[0].mean(dim=0).to(torch.float32).cpu().numpy()
        mask = (pair.mask[0] > 0).all(dim=0).cpu().numpy()
        error_max = float(error_map[mask].max()) if mask.any() else 0.0
        scale_max = a.eq_scale_max if a.eq_scale_max > 0 else (error_max if error_max > 0 else 1.0)
        image, panels = compose_equivariance(_to_rgb(pair.reference[0]), _to_rgb(pair.compared[0]), error_map, mask,
            scale_max, a.eq_layout)
        fields['image'] = image
        fields['stats'] = LayerStats(name='output', **render_ops.channel_stats(pair.generated[0].to(torch.float32)))
        self._parts['equivariance'] = EquivarianceView(mode=mode, translate=pair.translate, angle_deg=math.degrees(pair.angle),
            psnr=float(pair.psnr), mse=float(pair.mse), error_max=error_max, scale_max=float(scale_max), error_map=error_map,
            mask=mask, panels=panels, identity_reused=identity is not None, notes=tuple(notes))

    # ------------------------------------------------------------------------
    # Spectrum.

    @staticmethod
    def _design(G: torch.nn.Module, layer: str) -> tuple[spectra.LayerDesign | None, str | None]:
        try:
            return spectra.layer_design(G, layer), None
        except spectra.SpectrumError as e:
            return None, f'No filter design for this layer: {e}'

    @staticmethod
    def _average_key(net_key: tuple, args: RenderArgs, layer: str, channel: int | None) -> tuple:
        a = args.analysis
        seed = seed_at(math.floor(args.latent.x), math.floor(args.latent.y))
        return (net_key, layer, channel, a.spectrum_beta, args.truncation.psi, args.noise.mode, seed, a.average_seeds)

    def spectrum(self, G: torch.nn.Module, net_key: tuple, args: RenderArgs, x: torch.Tensor, fields: dict) -> None:
        """The spectrum of the rendered layer `x` [N, C, H, W] (or the K-seed average, if asked and known) as the picture."""
        a = args.analysis
        layer = args.layer.name or spectra.OUTPUT
        design, note = self._design(G, layer)
        notes = (note,) if note else ()
        channel = None if a.spectrum_channels == 'all' else min(args.layer.channel, x.shape[1] - 1)
        average = self._averages.get(self._average_key(net_key, args, layer, channel)) if a.spectrum_average else None
        if average is not None:
            spectrum = average[0]
            source = f'average of {spectrum.count} seeds from seed {self._average_key(net_key, args, layer, channel)[6]}'
        else:
            if a.spectrum_average:
                notes += ('No average for these settings yet: showing this latent.',)
            shown = x[:1] if channel is None else x[:1, channel:channel + 1]
            spectrum = spectra.power_spectrum(shown.to(torch.float32), beta=a.spectrum_beta,
                sampling_rate=None if design is None else design.sampling_rate)
            source = 'this latent'
        image, view = spectrum_view(spectrum, design, layer, source, channel, (a.spectrum_db_low, a.spectrum_db_high), notes)
        fields['image'] = image
        self._parts['spectrum'] = view
        self._shown = (spectrum, design, layer)

    def _export(self, a: AnalysisArgs) -> ExportStatus:
        if self._shown is None:
            reason = self._parts.get('spectrum_note') or 'Turn on the spectrum view to export it.'
            return ExportStatus(export_id=a.export_id, error=f'Nothing exported: {reason}')
        spectrum, design, layer = self._shown
        try:
            from sg3 import figures
            if a.export_format == 'png':
                write = lambda f: figures.spectrum_figure(spectrum, design, f, db_range=(a.spectrum_db_low, a.spectrum_db_high))
            else:
                write = lambda f: figures.export_npz(spectrum, design, f)
            path = files.write_numbered(a.export_folder, f'spectrum-{_safe_name(layer)}', a.export_format, write)
        except Exception as e:  # Reported in the widget; the render goes on; no partial file is left (viz.files).
            return ExportStatus(export_id=a.export_id, error=f'Could not export to {a.export_folder}: {_format_error(e)}')
        return ExportStatus(export_id=a.export_id, path=str(path))

    # ------------------------------------------------------------------------
    # Jobs.

    def update_jobs(self, G: torch.nn.Module, net_key: tuple, args: RenderArgs) -> None:
        """Start, cancel or keep the background job according to the request (called once per render)."""
        a = args.analysis
        if a.job_id != self._job_seen:
            self._job_seen = a.job_id
            self._stop_job()
            if a.job_kind != 'none' and a.job_id:
                self._start_job(G, net_key, args)
        elif self._job is not None and self._job.net_key != net_key:
            self._stop_job('Cancelled: the network changed.')

    def _stop_job(self, why: str | None = None) -> None:
        job = self._job
        if job is None:
            return
        job.aborted = True
        job.stepped.abort()
        self._finish_job(job, why)

    def _start_job(self, G: torch.nn.Module, net_key: tuple, args: RenderArgs) -> None:
        a = args.analysis
        if a.job_kind == 'metrics':
            description = f'EQ metrics, {a.metrics_samples} samples, seed {a.metrics_seed}'
            total = a.metrics_samples
            reason = self.unavailable(G)
            fn = lambda progress, cancel: equivariance.compute_metrics(G, num_samples=a.metrics_samples, seed=a.metrics_seed,
                progress=progress, cancel=cancel)
            design = key = None
        else:
            layer = args.layer.name or spectra.OUTPUT
            design, reason = self._design(G, layer)
            seed = seed_at(math.floor(args.latent.x), math.floor(args.latent.y))
            seeds = [(seed + i) % SEED_MODULO for i in range(a.average_seeds)]
            channel = None
            if a.spectrum_channels == 'selected':
                channels = (design.channels if design is not None else None) or 1
                channel = min(args.layer.channel, channels - 1)
            description = f'Spectrum of {layer}, average of {a.average_seeds} seeds from seed {seed}'
            total = a.average_seeds
            key = self._average_key(net_key, args, layer, channel)
            fn = lambda progress, cancel: spectra.average_layer_spectrum(G, layer, seeds, beta=a.spectrum_beta, channel=channel,
                truncation_psi=args.truncation.psi, noise_mode=args.noise.mode, progress=progress, cancel=cancel)
        if reason is not None:
            self._job_status = JobStatus(job_id=a.job_id, kind=a.job_kind, state='failed', done=0, total=total,
                description=description, error=reason)
            return
        self._job = _Job(job_id=a.job_id, kind=a.job_kind, description=description, total=total, net_key=net_key,
            stepped=SteppedJob(fn, name=f'analysis-{a.job_kind}'), started=time.perf_counter(), average_key=key, design=design)
        self._job_status = self._status(self._job, 'running')

    def _status(self, job: _Job, state: str, error: str | None = None, psnr: tuple = ()) -> JobStatus:
        s = job.stepped
        return JobStatus(job_id=job.job_id, kind=job.kind, state=state, done=s.done, total=s.total or job.total, description=job.description,
            error=error, psnr=psnr, seconds=time.perf_counter() - job.started)

    def _finish_job(self, job: _Job, why: str | None = None) -> None:
        """Record the outcome of a job that has returned; averages go into the cache."""
        self._job = None
        s = job.stepped
        if s.error is not None:
            self._job_status = self._status(job, 'failed', error=_format_error(s.error))
            return
        state = 'cancelled' if job.aborted else 'done'
        if job.kind == 'metrics':
            metrics = s.result
            psnr = tuple((kind, float(metrics.psnr[kind])) for kind in metrics.kinds) if metrics is not None and metrics.num_samples else ()
            self._job_status = self._status(job, state, error=why, psnr=psnr)
            return
        if state == 'done' and s.result is not None:
            self._averages[job.average_key] = s.result
        self._job_status = self._status(job, state, error=why)

    def step_job(self, cancel: threading.Event) -> RenderResult | None:
        """One chunk of the running job; returns the last result with the job's progress (and, when an average
        for the shown spectrum has just finished, the averaged spectrum), or None when no job runs."""
        job = self._job
        if job is None or self._last is None:
            return None
        more = job.stepped.step(cancel)
        if cancel.is_set():
            return None
        if more:
            self._job_status = self._status(job, 'running')
        else:
            self._finish_job(job)
        analysis = self._last.analysis or AnalysisResult()
        changes: dict[str, Any] = {}
        args = self._last.args
        if not more and job.kind == 'average' and args is not None and self._shows_average(args, job):
            spectrum, design = self._averages[job.average_key]
            layer = job.average_key[1]
            image, view = spectrum_view(spectrum, design, layer, f'average of {spectrum.count} seeds from seed {job.average_key[6]}',
                job.average_key[2], (args.analysis.spectrum_db_low, args.analysis.spectrum_db_high))
            changes['image'] = image
            analysis = dataclasses.replace(analysis, spectrum=view)
            self._shown = (spectrum, design, layer)
        self._last = dataclasses.replace(self._last, analysis=dataclasses.replace(analysis, job=self._job_status), **changes)
        return self._last

    def _shows_average(self, args: RenderArgs, job: _Job) -> bool:
        """Does the last shown picture want this finished average?"""
        a = args.analysis
        shown = self._last.analysis.spectrum if self._last.analysis is not None else None
        if not (a.spectrum and a.spectrum_average and shown is not None and job.average_key in self._averages):
            return False
        return self._average_key(self._last_net_key, args, shown.layer, shown.channel) == job.average_key
