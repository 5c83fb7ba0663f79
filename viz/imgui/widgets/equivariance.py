"""Equivariance widget: the live heatmap (mode, layout, colour scale), the PSNR with a history plot while
dragging or animating, and the batch EQ-T / EQ-T_frac / EQ-R metrics as a background job.

RenderArgs has one `analysis` part for two widgets (this one and the spectrum widget). Both write their
settings into a shared `AnalysisLink` and both return the combined part, so whichever the app draws last
returns the complete request of this frame."""

from __future__ import annotations

import collections
import dataclasses
import math
from typing import Any

import imgui
import numpy as np

from gui_utils import imgui_utils
from viz.protocol import EQ_LAYOUTS, EQ_MODES, SEED_MODULO, AnalysisArgs, JobStatus
from viz.imgui.widgets.base import DIM_RGBA, ERROR_RGBA, WARNING_RGBA, FrameContext, Widget, current_network, label_width, message

MODE_LABELS = {'off': 'Off', 'eqt': 'EQ-T', 'eqt_frac': 'EQ-T frac', 'eqr': 'EQ-R'}
MODE_HELP = {
    'off': 'Show the normal image',
    'eqt': 'Integer translation: the input transform\'s translation rounded to whole pixels',
    'eqt_frac': 'Fractional translation: the input transform\'s translation, band-limited sub-pixel shift',
    'eqr': 'Rotation: the input transform\'s angle, band-limited rotation',
}
LAYOUT_LABELS = {'side': 'Side by side', 'reference': 'Reference', 'generated': 'Generated', 'error': 'Error'}
KIND_LABELS = {'eqt': 'EQ-T', 'eqt_frac': 'EQ-T_frac', 'eqr': 'EQ-R'}
HISTORY = 240                                   # PSNR values kept for the plot.
PSNR_PLOT_CAP = 100.0                           # Identical pictures (infinite PSNR) are plotted at this height.


def format_psnr(value: float) -> str:
    """'31.24 dB', 'inf dB (identical)', 'n/a (no valid pixels)'."""
    if math.isnan(value):
        return 'n/a (no valid pixels)'
    if math.isinf(value):
        return 'inf dB (identical)'
    return f'{value:.2f} dB'


def unavailable_reason(net: Any) -> str | None:
    """Why the loaded network cannot show equivariance (None if it can, or nothing is loaded yet)."""
    if net is None or net.has_transform:
        return None
    if net.architecture == 'stylegan2':
        return 'Not available: StyleGAN2 networks have no input transform.'
    return 'Not available: this network has no input transform.'

# ----------------------------------------------------------------------------
# The shared request part.


class AnalysisLink:
    """The `analysis` request part shared by the equivariance and spectrum widgets.

    Each widget writes its half every frame (`eq`, `spectrum`); jobs and exports are numbered here, one
    job at a time (a new job id cancels the running job in the renderer). `owner` is the view that last
    claimed the image area: turning one view on turns the other off."""

    def __init__(self) -> None:
        self.eq: dict[str, Any] = {}
        self.spectrum: dict[str, Any] = {}
        self.job: dict[str, Any] = {}
        self.export: dict[str, Any] = {}
        self.owner: str | None = None           # 'equivariance' | 'spectrum' | None.
        self.job_id = 0                         # The latest job id handed out.
        self.export_id = 0
        self.kind_job_ids: dict[str, int] = {}  # Kind -> id of the latest job of that kind.

    def args(self) -> AnalysisArgs:
        return AnalysisArgs(**self.eq, **self.spectrum, **self.job, **self.export)

    def start_job(self, kind: str, **params: Any) -> int:
        """Start a job ('metrics' with metrics_samples / metrics_seed, 'average' with average_seeds)."""
        self.job_id += 1
        self.job = {**{k: v for k, v in self.job.items() if k not in ('job_id', 'job_kind')}, **params,
            'job_id': self.job_id, 'job_kind': kind}
        if kind != 'none':
            self.kind_job_ids[kind] = self.job_id
        return self.job_id

    def cancel_job(self) -> int:
        return self.start_job('none')

    def start_export(self, fmt: str, folder: str) -> int:
        self.export_id += 1
        self.export = {'export_id': self.export_id, 'export_format': fmt, 'export_folder': folder}
        return self.export_id

    def job_status(self, ctx: FrameContext, kind: str) -> JobStatus | None:
        """The renderer's status of the latest job of `kind` started here (running or finished)."""
        analysis = ctx.result.analysis if ctx.result is not None else None
        job = analysis.job if analysis is not None else None
        if job is None or job.kind != kind or job.job_id != self.kind_job_ids.get(kind):
            return None
        return job

    def job_pending(self, kind: str, status: JobStatus | None) -> bool:
        """Is the current job of `kind`, and not yet reported or still running?"""
        current = self.job.get('job_kind') == kind and self.job.get('job_id') == self.job_id
        return current and (status is None or status.state == 'running')


SHARED_LINK = AnalysisLink()                    # The link of widgets created without one (the app's).


def draw_job(status: JobStatus | None, pending: bool, fs: float) -> None:
    """Progress bar and state line of a job."""
    if status is None:
        if pending:
            message('Starting...', DIM_RGBA)
        return
    fraction = status.done / status.total if status.total else 0.0
    overlay = f'{status.done} / {status.total}'
    if status.state == 'running':
        imgui.progress_bar(fraction, (-1, 0), overlay)
    elif status.state == 'failed':
        message(f'Failed: {status.error}', ERROR_RGBA)
    elif status.state == 'cancelled':
        message(f'Cancelled after {overlay}' + (f' ({status.error})' if status.error else ''), WARNING_RGBA)
    else:
        message(f'Done: {overlay} in {status.seconds:.1f} s', DIM_RGBA)

# ----------------------------------------------------------------------------


class EquivarianceWidget(Widget):
    title = 'Equivariance'
    field = ('analysis',)

    @dataclasses.dataclass
    class State:
        mode: str = 'off'                       # 'off' | 'eqt' | 'eqt_frac' | 'eqr'.
        layout: str = 'side'                    # 'side' | 'reference' | 'generated' | 'error'.
        auto_scale: bool = True                 # Colour scale up to the largest error shown.
        scale_max: float = 0.01                 # Fixed colour-scale maximum (squared error).
        samples: int = 50                       # Batch metrics: N.
        seed: int = 0                           # Batch metrics: seed.

        def validate(self, where: str) -> None:
            if self.mode not in EQ_MODES:
                raise ValueError(f'{where}.mode = {self.mode!r}: expected one of {", ".join(EQ_MODES)}')
            if self.layout not in EQ_LAYOUTS:
                raise ValueError(f'{where}.layout = {self.layout!r}: expected one of {", ".join(EQ_LAYOUTS)}')
            if not self.scale_max > 0:
                raise ValueError(f'{where}.scale_max = {self.scale_max!r}: expected a squared error > 0')
            if self.samples < 1:
                raise ValueError(f'{where}.samples = {self.samples}: expected an integer >= 1')
            if not 0 <= self.seed < SEED_MODULO:
                raise ValueError(f'{where}.seed = {self.seed}: expected 0 .. {SEED_MODULO - 1}')

    def __init__(self, link: AnalysisLink | None = None) -> None:
        super().__init__()
        self.link = link if link is not None else SHARED_LINK
        self.history: collections.deque[float] = collections.deque(maxlen=HISTORY)
        self._history_key: tuple | None = None  # (stamp, mode) of the last value added.

    def set_state(self, d: dict) -> None:
        super().set_state(d)
        self.link.owner = None

    def draw(self, ctx: FrameContext) -> tuple[AnalysisArgs]:
        st = self.state
        fs = ctx.font_size
        if st.mode != 'off' and self.link.owner == 'spectrum':
            st.mode = 'off'                     # The spectrum view took the image area.
        analysis = ctx.result.analysis if ctx.result is not None else None
        reason = unavailable_reason(current_network(ctx)) or (analysis.equivariance_unavailable if analysis is not None else None)
        if reason:
            message(reason, WARNING_RGBA)
        with imgui_utils.grayed_out(reason is not None, reason):
            self._draw_controls(ctx, fs)
            self._draw_psnr(ctx, fs)
            imgui.separator()
            self._draw_metrics(ctx, fs)
        self.link.eq = {'eq_mode': st.mode, 'eq_layout': st.layout, 'eq_scale_max': 0.0 if st.auto_scale else float(st.scale_max)}
        return (self.link.args(),)

    def _draw_controls(self, ctx: FrameContext, fs: float) -> None:
        st = self.state
        imgui.text('Heatmap')
        imgui.same_line(label_width(ctx))
        for idx, mode in enumerate(EQ_MODES):
            if idx:
                imgui.same_line()
            if imgui.radio_button(f'{MODE_LABELS[mode]}##eqmode', st.mode == mode) and st.mode != mode:
                st.mode = mode
                self.history.clear()
                if mode != 'off':
                    self.link.owner = 'equivariance'
            imgui_utils.tooltip(MODE_HELP[mode])
        imgui.text('Layout')
        imgui.same_line(label_width(ctx))
        with imgui_utils.item_width(fs * 10):
            if imgui.begin_combo('##eqlayout', LAYOUT_LABELS[st.layout]):
                for layout in EQ_LAYOUTS:
                    if imgui.selectable(f'{LAYOUT_LABELS[layout]}##eqlayout', layout == st.layout)[0]:
                        st.layout = layout
                imgui.end_combo()
        imgui_utils.tooltip('Reference = generate, then transform; generated = transform the input, then generate')
        imgui.text('Scale')
        imgui.same_line(label_width(ctx))
        _clicked, st.auto_scale = imgui.checkbox('Auto##eqscale', st.auto_scale)
        imgui_utils.tooltip('Top of the colour scale = the largest squared error shown')
        imgui.same_line()
        with imgui_utils.grayed_out(st.auto_scale), imgui_utils.item_width(fs * 8):
            changed, value = imgui.slider_float('##eqscalemax', st.scale_max, 1e-6, 4.0, format='%.2e',
                flags=imgui.SLIDER_FLAGS_LOGARITHMIC)
        if changed and math.isfinite(value) and value > 0:
            st.scale_max = float(value)

    def _draw_psnr(self, ctx: FrameContext, fs: float) -> None:
        st = self.state
        analysis = ctx.result.analysis if ctx.result is not None else None
        view = analysis.equivariance if analysis is not None else None
        if view is None or st.mode == 'off':
            return
        key = (ctx.result.stamp, view.mode)
        if key != self._history_key:
            self._history_key = key
            self.history.append(view.psnr)
        text = format_psnr(view.psnr)
        if imgui.selectable(f'PSNR {text}##psnr', False, width=fs * 14)[0]:
            imgui.set_clipboard_text(f'{view.psnr:.4f}')
        imgui_utils.tooltip(f'{KIND_LABELS[view.mode]} of this latent and transform (peak 2, as the paper); click to copy\n'
            f'MSE {view.mse:.3e}, largest error {view.error_max:.3e}, colour scale 0 .. {view.scale_max:.3e}')
        imgui.same_line()
        message(f'{KIND_LABELS[view.mode]}  t = ({view.translate[0]:+.4f}, {view.translate[1]:+.4f})  '
            f'angle {view.angle_deg:+.2f} deg', DIM_RGBA)
        values = np.asarray([v for v in self.history if not math.isnan(v)], dtype=np.float32)
        if values.size >= 2:
            values = np.minimum(values, PSNR_PLOT_CAP).astype(np.float32)
            low, high = float(values.min()), float(values.max())
            imgui.plot_lines('##psnrhistory', values, overlay_text=f'{low:.1f} .. {high:.1f} dB', scale_min=low - 1,
                scale_max=high + 1, graph_size=(imgui.get_content_region_available_width(), fs * 3))
        for note in view.notes:
            message(note, DIM_RGBA)

    def _draw_metrics(self, ctx: FrameContext, fs: float) -> None:
        st = self.state
        imgui.text('Batch metrics (EQ-T, EQ-T_frac, EQ-R over random latents and transforms)')
        imgui.text('Samples')
        imgui.same_line(label_width(ctx))
        with imgui_utils.item_width(fs * 6):
            changed, value = imgui.input_int('##eqsamples', st.samples, 10, 100)
        if changed:
            st.samples = int(min(max(value, 1), 1_000_000))
        imgui.same_line()
        imgui.text('Seed')
        imgui.same_line()
        with imgui_utils.item_width(fs * 6):
            changed, value = imgui.input_int('##eqseed', st.seed)
        if changed:
            st.seed = int(min(max(value, 0), (1 << 31) - 1))
        status = self.link.job_status(ctx, 'metrics')
        pending = self.link.job_pending('metrics', status)
        if pending:
            if imgui.button('Cancel##eqmetrics'):
                self.link.cancel_job()
        elif imgui.button('Compute EQ metrics##eqmetrics'):
            self.link.start_job('metrics', metrics_samples=st.samples, metrics_seed=st.seed)
        imgui_utils.tooltip('Runs on the render thread between live renders; the same numbers as\n'
            'python -m sg3 equivariance --num N --seed S. Starting it cancels a running spectrum average.')
        status = self.link.job_status(ctx, 'metrics')
        draw_job(status, self.link.job_pending('metrics', status), fs)
        if status is not None and status.psnr:
            for kind, value in status.psnr:
                imgui.text(f'{KIND_LABELS[kind]:<10}')
                imgui.same_line(label_width(ctx))
                imgui.text(format_psnr(value))
