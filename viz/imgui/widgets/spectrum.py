"""Spectrum widget: the power spectrum of the layer chosen in the Layers widget as the image (Kaiser
beta, dB range, all channels or the selected one), with the layer's cutoff f_c, stopband f_t and Nyquist
s/2 as numbers and as marks on the radial profile and the 0 / 45 degree slices; an average over K seeds
as a background job; and export of the shown spectrum as a PNG figure or .npz into the capture folder.

Shares the `analysis` request part with the equivariance widget through an `AnalysisLink`."""

from __future__ import annotations

import dataclasses
import math
import pathlib

import imgui
import numpy as np

from gui_utils import imgui_utils
from viz.protocol import SPECTRUM_CHANNELS, AnalysisArgs, SpectrumView
from viz.imgui.widgets.base import DIM_RGBA, ERROR_RGBA, WARNING_RGBA, FrameContext, Widget, label_width, message
from viz.imgui.widgets.equivariance import SHARED_LINK, AnalysisLink, draw_job

MARKERS = (                                     # (SpectrumView field, label, RGBA) as drawn over the heatmap.
    ('cutoff', 'f_c', (0.24, 0.90, 0.35, 1.0)),
    ('stopband', 'f_t', (1.00, 0.27, 0.24, 1.0)),
    ('nyquist', 's/2', (0.98, 0.98, 0.98, 1.0)),
)
DEFAULT_FOLDER = 'captures'


def marker_text(view: SpectrumView) -> str:
    """'f_c 4  f_t 8  s/2 8 cycles per image (separable filter)'."""
    parts = [f'{label} {getattr(view, name):.4g}' for name, label, _ in MARKERS if getattr(view, name) is not None]
    kind = 'radial filter' if view.radial_filter else 'separable filter'
    return '  '.join(parts) + f' cycles per image ({kind})' if view.cutoff is not None else '  '.join(parts) + ' cycles per image'


class SpectrumWidget(Widget):
    title = 'Spectrum'
    field = ('analysis',)

    @dataclasses.dataclass
    class State:
        enabled: bool = False                   # Show the spectrum as the image.
        beta: float = 8.0                       # Kaiser window shape.
        db_low: float = -40.0                   # Colour range in dB.
        db_high: float = 20.0
        channels: str = 'all'                   # 'all' | 'selected' (the Layers widget's channel).
        average_seeds: int = 8                  # K of the average.
        show_average: bool = False              # Show the K-seed average when one is known for these settings.
        export_dir: str = DEFAULT_FOLDER        # Export folder when the app does not say where captures go.

        def validate(self, where: str) -> None:
            if self.channels not in SPECTRUM_CHANNELS:
                raise ValueError(f'{where}.channels = {self.channels!r}: expected one of {", ".join(SPECTRUM_CHANNELS)}')
            if self.beta < 0:
                raise ValueError(f'{where}.beta = {self.beta}: expected a Kaiser beta >= 0')
            if not self.db_low < self.db_high:
                raise ValueError(f'{where}.db_high = {self.db_high}: expected more than db_low = {self.db_low}')
            if self.average_seeds < 1:
                raise ValueError(f'{where}.average_seeds = {self.average_seeds}: expected an integer >= 1')

    def __init__(self, link: AnalysisLink | None = None) -> None:
        super().__init__()
        self.link = link if link is not None else SHARED_LINK

    def set_state(self, d: dict) -> None:
        super().set_state(d)
        self.link.owner = None

    def export_folder(self, ctx: FrameContext) -> str:
        """The app's capture folder if it passes one, else this widget's own folder."""
        folder = ctx.capture_dir
        return str(folder) if folder else self.state.export_dir

    def draw(self, ctx: FrameContext) -> tuple[AnalysisArgs]:
        st = self.state
        fs = ctx.font_size
        if st.enabled and self.link.owner == 'equivariance':
            st.enabled = False                  # The equivariance heatmap took the image area.
        analysis = ctx.result.analysis if ctx.result is not None else None
        view = analysis.spectrum if analysis is not None else None
        layer = ctx.result.args.layer.name if ctx.result is not None and ctx.result.args is not None else None

        clicked, enabled = imgui.checkbox('Show spectrum##spectrum', st.enabled)
        if clicked:
            st.enabled = enabled
            if enabled:
                self.link.owner = 'spectrum'
        imgui_utils.tooltip('Show the power spectrum of the layer chosen in the Layers widget instead of its values')
        imgui.same_line()
        message(f'of {layer or "output"} (choose in Layers)', DIM_RGBA)
        self._draw_settings(ctx, fs)
        if st.enabled and analysis is not None and analysis.spectrum_note:
            message(analysis.spectrum_note, WARNING_RGBA)
        if st.enabled and view is not None:
            self._draw_view(view, fs)
        imgui.separator()
        self._draw_average(ctx, fs)
        imgui.separator()
        self._draw_export(ctx, view)
        self.link.spectrum = {'spectrum': st.enabled, 'spectrum_beta': float(st.beta), 'spectrum_db_low': float(st.db_low),
            'spectrum_db_high': float(st.db_high), 'spectrum_channels': st.channels, 'spectrum_average': st.show_average}
        return (self.link.args(),)

    def _draw_settings(self, ctx: FrameContext, fs: float) -> None:
        st = self.state
        imgui.text('Window')
        imgui.same_line(label_width(ctx))
        changed, beta = imgui_utils.slider_with_reset('Kaiser beta##spectrum', st.beta, 0.0, 20.0, 8.0, format='%.1f', width=fs * 8,
            help='Shape of the Kaiser window: 0 = rectangular, larger = less leakage, wider peaks')
        if changed and math.isfinite(beta):
            st.beta = float(min(max(beta, 0.0), 20.0))
        imgui.text('Range')
        imgui.same_line(label_width(ctx))
        with imgui_utils.item_width(fs * 10):
            changed, (low, high) = imgui.input_float2('dB##spectrumrange', st.db_low, st.db_high, format='%.0f')
        imgui_utils.tooltip('Colour range of the heatmap in dB (bottom, top)')
        if changed and math.isfinite(low) and math.isfinite(high):
            st.db_low = float(min(max(low, -400.0), 399.0))
            st.db_high = float(min(max(high, st.db_low + 1), 400.0))
        imgui.text('Channels')
        imgui.same_line(label_width(ctx))
        for idx, (value, label) in enumerate((('all', 'All'), ('selected', 'Selected in Layers'))):
            if idx:
                imgui.same_line()
            if imgui.radio_button(f'{label}##spectrumchannels', st.channels == value):
                st.channels = value

    def _draw_view(self, view: SpectrumView, fs: float) -> None:
        message(marker_text(view), DIM_RGBA)
        what = f'{view.layer}, {view.source}' + ('' if view.channel is None else f', channel {view.channel}')
        message(f'{what}; sampling rate {view.sampling_rate:g}', DIM_RGBA)
        for note in view.notes:
            message(note, WARNING_RGBA)
        width = imgui.get_content_region_available_width()
        low, high = view.db_range
        plots = (('Radial mean', view.radial_freqs, view.radial_db, 1.0),
            ('0 deg slice', view.slice0_freqs, view.slice0_db, 1.0),
            ('45 deg slice', view.slice45_freqs, view.slice45_db, 1.0 if view.radial_filter else math.sqrt(2)))
        for label, freqs, db, diagonal in plots:
            if len(db) < 2:
                continue
            imgui.plot_lines(f'##{label}', np.ascontiguousarray(db, dtype=np.float32), overlay_text=label,
                scale_min=low, scale_max=high, graph_size=(width, fs * 4))
            self._draw_marks(view, float(freqs[0]), float(freqs[-1]), diagonal)
        message(f'Plots: 0 .. {view.nyquist * math.sqrt(2):.4g} cycles per image (radial, 45 deg), '
            f'0 .. {view.nyquist:.4g} (0 deg); {low:g} .. {high:g} dB', DIM_RGBA)

    @staticmethod
    def _draw_marks(view: SpectrumView, f0: float, f1: float, diagonal: float) -> None:
        """Vertical lines on the last plot at the marker frequencies (times `diagonal` for a square's 45 degree crossing)."""
        x0, y0 = imgui.get_item_rect_min()
        x1, y1 = imgui.get_item_rect_max()
        pad = imgui.get_style().frame_padding
        x0, x1, y0, y1 = x0 + pad[0], x1 - pad[0], y0 + pad[1], y1 - pad[1]
        draw_list = imgui.get_window_draw_list()
        for name, _label, rgba in MARKERS:
            value = getattr(view, name)
            if value is None or f1 <= f0:
                continue
            f = value * (diagonal if name != 'nyquist' else 1.0)
            if f0 <= f <= f1:
                x = x0 + (f - f0) / (f1 - f0) * (x1 - x0)
                draw_list.add_line(x, y0, x, y1, imgui.get_color_u32_rgba(*rgba), 1.0)

    def _draw_average(self, ctx: FrameContext, fs: float) -> None:
        st = self.state
        imgui.text('Average')
        imgui.same_line(label_width(ctx))
        with imgui_utils.item_width(fs * 6):
            changed, value = imgui.input_int('seeds##spectrumk', st.average_seeds, 1, 10)
        if changed:
            st.average_seeds = int(min(max(value, 1), 100_000))
        imgui.same_line()
        status = self.link.job_status(ctx, 'average')
        pending = self.link.job_pending('average', status)
        if pending:
            if imgui.button('Cancel##spectrumaverage'):
                self.link.cancel_job()
        elif imgui.button('Average over K seeds##spectrumaverage'):
            self.link.start_job('average', average_seeds=st.average_seeds)
            st.show_average = True
            if not st.enabled:
                st.enabled = True
                self.link.owner = 'spectrum'
        imgui_utils.tooltip('Average the spectrum of this layer over K seeds from the current one, in the background.\n'
            'Starting it cancels running EQ metrics.')
        status = self.link.job_status(ctx, 'average')
        draw_job(status, self.link.job_pending('average', status), fs)
        _clicked, st.show_average = imgui.checkbox('Show average##spectrum', st.show_average)
        imgui_utils.tooltip('Show the K-seed average when one was computed for this layer, seed and settings')

    def _draw_export(self, ctx: FrameContext, view: SpectrumView | None) -> None:
        st = self.state
        folder = self.export_folder(ctx)
        imgui.text('Export')
        imgui.same_line(label_width(ctx))
        problem = None if view is not None else 'Turn on the spectrum view to export it'
        if folder.strip() and pathlib.Path(folder).expanduser().is_file():
            problem = f'{folder} is a file, not a folder'
        with imgui_utils.grayed_out(problem is not None, problem):
            if imgui.button('Save PNG figure##spectrum'):
                self.link.start_export('png', folder)
            imgui_utils.tooltip('Heatmap, radial profile and slices in cycles per image with the markers (matplotlib)')
            imgui.same_line()
            if imgui.button('Save .npz##spectrum'):
                self.link.start_export('npz', folder)
            imgui_utils.tooltip('Spectrum, profiles and the layer design as arrays (also readable by avg_spectra.py)')
        if ctx.capture_dir is None:
            imgui.text('Folder')
            imgui.same_line(label_width(ctx))
            with imgui_utils.item_width(-1):
                changed, text = imgui.input_text('##spectrumfolder', st.export_dir, 1024)
            if changed:
                st.export_dir = text
        else:
            message(f'into {folder}', DIM_RGBA)
        analysis = ctx.result.analysis if ctx.result is not None else None
        export = analysis.export if analysis is not None else None
        if export is not None and export.export_id == self.link.export_id:
            if export.error:
                message(export.error, ERROR_RGBA)
            else:
                message(f'Saved {export.path}', DIM_RGBA)
        elif self.link.export.get('export_id') == self.link.export_id and self.link.export_id:
            message('Saving...', DIM_RGBA)
