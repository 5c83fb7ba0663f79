"""The analysis half of rendering (issue 6): the live equivariance heatmap, the spectrum view, and the jobs of
background commands (EQ metrics, K-seed spectrum averages, spectrum export; see `RenderWorker.start`). Runs on
the render thread; no imgui, no OpenGL, no matplotlib at render time (the PNG export imports it inside
`sg3.figures`). The pictures themselves are composed in numpy by `viz.render.pictures`.

Metrics and averages run in `SteppedJob`s: the sg3 function runs on a helper thread in lockstep with the render
thread, pausing at each of its cancel polls (one batch or seed), so live renders interleave between chunks.
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
from viz.protocol import (SEED_MODULO, AnalysisResult, Command, CommandStatus, EquivarianceView, ExportSpectrumCommand,
    LayerStats, MetricsCommand, RenderArgs, RenderResult, SpectrumAverageCommand, seed_at)

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

# ----------------------------------------------------------------------------
# Command jobs (RenderWorker.start): `step(cancel)` does one chunk and returns the status, `abort()` stops.


# render(args, cancel) -> RenderResult: the renderer's normal path (exports render the view they save).
RenderViewFn = Callable[[RenderArgs, threading.Event], RenderResult]


class CommandJob:
    """What every command job has: its command, progress and clock, and the status they make."""

    def __init__(self, command: Command, total: int, description: str | None = None) -> None:
        self.command = command
        self.description = description or command.describe()
        self.done = 0
        self.total = total
        self._started = time.perf_counter()

    def status(self, state: str, **fields: Any) -> CommandStatus:
        """The current status (the worker fills in the command id)."""
        return CommandStatus(command_id=0, kind=self.command.kind, state=state, done=self.done, total=self.total,
            description=self.description, seconds=time.perf_counter() - self._started, **fields)


class SteppedCommand(CommandJob):
    """A command whose work is one long sg3 call `work(progress, cancel)` run in a SteppedJob: one step per poll
    (a batch, a seed). `outcome(result, state)` gives the final status's extra fields from the call's return
    value (None if it never ran) and may keep the result (e.g. cache an average when done)."""

    def __init__(self, command: Command, total: int, work: Callable[[Callable[[int, int], None], Callable[[], bool]], Any],
            outcome: Callable[[Any, str], dict], description: str | None = None) -> None:
        super().__init__(command, total, description)
        self._stepped = SteppedJob(work, name=f'command-{command.kind}')
        self._outcome = outcome

    def step(self, cancel: threading.Event) -> CommandStatus:
        more = self._stepped.step(cancel)
        if cancel.is_set():
            return self.abort()
        self._sync()
        return self.status('running') if more else self._final('done')

    def abort(self) -> CommandStatus:
        self._stepped.abort()
        return self._final('cancelled')

    def _sync(self) -> None:
        self.done, self.total = self._stepped.done, self._stepped.total or self.total

    def _final(self, state: str) -> CommandStatus:
        self._sync()
        if self._stepped.error is not None:
            return self.status('failed', error=_format_error(self._stepped.error))
        return self.status(state, **self._outcome(self._stepped.result, state))


def _metrics_outcome(metrics: equivariance.EquivarianceMetrics | None, state: str) -> dict:
    """The PSNRs so far (partial when cancelled)."""
    if metrics is None or not metrics.num_samples:
        return {}
    return {'psnr': tuple((kind, float(metrics.psnr[kind])) for kind in metrics.kinds)}


class _ExportJob(CommandJob):
    """One chunk: render the view as the live view shows it, then write the spectrum it recorded."""

    def __init__(self, command: ExportSpectrumCommand, args: RenderArgs, render: RenderViewFn,
            shown: Callable[[], 'tuple[spectra.Spectrum, spectra.LayerDesign | None, str] | None']) -> None:
        super().__init__(command, 1)
        self._args = args
        self._render = render
        self._shown = shown

    def step(self, cancel: threading.Event) -> CommandStatus:
        result = self._render(self._args, cancel)
        if cancel.is_set():
            return self.abort()
        shown = self._shown()
        if result.error is not None or shown is None:
            note = result.analysis.spectrum_note if result.analysis is not None else None
            return self.status('failed', error=f'Nothing exported: {result.error or note or "turn on the spectrum view to export it."}')
        spectrum, design, layer = shown
        command, a = self.command, self._args.analysis
        try:
            from sg3 import figures
            if command.format == 'png':
                title = f'{self._args.network.source}: {layer}'      # The network in the title, as the CLI's.
                write = lambda f: figures.spectrum_figure(spectrum, design, f, db_range=(a.spectrum_db_low, a.spectrum_db_high), title=title)
            else:
                write = lambda f: figures.export_npz(spectrum, design, f)
            path = files.write_numbered(command.folder, f'spectrum-{_safe_name(layer)}', command.format, write)
        except Exception as e:  # Reported in the status; no partial file is left (viz.files).
            return self.status('failed', error=f'Could not export to {command.folder}: {_format_error(e)}')
        self.done = 1
        return self.status('done', path=str(path))

    def abort(self) -> CommandStatus:
        return self.status('cancelled')

# ----------------------------------------------------------------------------
# The analysis state of one Renderer.


def _format_error(e: BaseException) -> str:
    return str(e) if isinstance(e, ValueError) else f'{type(e).__name__}: {e}'


def _view_seed(args: RenderArgs) -> int:
    """The integer seed of the view: at the floor of the latent position (averages start there)."""
    return seed_at(math.floor(args.latent.x), math.floor(args.latent.y))


def _safe_name(text: str) -> str:
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', text)


def _to_rgb(x: torch.Tensor) -> np.ndarray:
    """[C, H, W] image in [-1, 1] -> [H, W, 3] uint8 with the viewer's 8-bit conversion."""
    shown, _idx = render_ops.select_channels(x, 'rgb', 0)
    return render_ops.to_display(shown)


class AnalysisRenderer:
    """Equivariance, spectrum and command jobs for `viz.render.renderer.Renderer` (one per renderer, render thread only)."""

    def __init__(self, max_identities: int = 4, max_averages: int = 8) -> None:
        self._identities = LRU(max_identities)  # Identity renders (everything but the transform).
        self._averages = LRU(max_averages)      # Average key -> (Spectrum, LayerDesign | None).
        self._parts: dict[str, Any] = {}        # AnalysisResult fields of the render in progress.
        self._shown: tuple[spectra.Spectrum, spectra.LayerDesign | None, str] | None = None  # Spectrum of the last render.

    # ------------------------------------------------------------------------
    # Per render.

    def begin(self) -> None:
        self._parts = {}
        self._shown = None

    def finish(self, fields: dict) -> None:
        """Put the AnalysisResult into the result fields."""
        fields['analysis'] = AnalysisResult(**self._parts)

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
        return (net_key, layer, channel, a.spectrum_beta, args.truncation.psi, args.noise.mode, _view_seed(args), a.average_seeds)

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

    # ------------------------------------------------------------------------
    # Commands.

    def start_command(self, command: Command, G: torch.nn.Module, net_key: tuple, args: RenderArgs,
            render: RenderViewFn) -> CommandJob:
        """The job of a RenderWorker command for the view `args` on network G. Raises a ValueError saying why when
        the command cannot run on this network (no input transform for metrics, unknown layer for an average)."""
        if isinstance(command, MetricsCommand):
            equivariance.input_transform(G)     # EquivarianceUnavailableError with the reason (StyleGAN2).
            # Every core: the user waits for the numbers, and the helper threads keep the render thread's lower priority.
            work = lambda progress, cancel: equivariance.compute_metrics(G, num_samples=command.samples, seed=command.seed,
                progress=progress, cancel=cancel, num_threads=sg3.ops.available_cores())
            return SteppedCommand(command, command.samples, work, _metrics_outcome)
        if isinstance(command, SpectrumAverageCommand):
            return self._average_job(command, G, net_key, args)
        if isinstance(command, ExportSpectrumCommand):
            settled = dataclasses.replace(args, performance=dataclasses.replace(args.performance, interacting=False))
            return _ExportJob(command, settled, render, lambda: self._shown)
        raise TypeError(f'command = {command!r}: expected a MetricsCommand, SpectrumAverageCommand or ExportSpectrumCommand')

    def _average_job(self, command: SpectrumAverageCommand, G: torch.nn.Module, net_key: tuple, args: RenderArgs) -> CommandJob:
        """The K-seed average of the view's layer from the view's seed; when done it goes into the cache under the
        key that spectrum() looks up for a view with average_seeds == K."""
        args = dataclasses.replace(args, analysis=dataclasses.replace(args.analysis, average_seeds=command.seeds))
        a = args.analysis
        layer = args.layer.name or spectra.OUTPUT
        design = spectra.layer_design(G, layer)  # SpectrumError naming the layer if it has no design.
        channel = None if a.spectrum_channels == 'all' else min(args.layer.channel, (design.channels or 1) - 1)
        key = self._average_key(net_key, args, layer, channel)
        seed = _view_seed(args)
        seeds = [(seed + i) % SEED_MODULO for i in range(command.seeds)]
        work = lambda progress, cancel: spectra.average_layer_spectrum(G, layer, seeds, beta=a.spectrum_beta, channel=channel,
            truncation_psi=args.truncation.psi, noise_mode=args.noise.mode, progress=progress, cancel=cancel)

        def outcome(result: tuple[spectra.Spectrum, spectra.LayerDesign] | None, state: str) -> dict:
            if state == 'done' and result is not None:
                self._averages[key] = result
            return {}
        return SteppedCommand(command, command.seeds, work, outcome,
            description=f'Spectrum of {layer}, average of {command.seeds} seeds from seed {seed}')
