"""Spectrum section: the power spectrum of the layer chosen in Layers (Kaiser beta, dB range, all channels
or the selected one), with the layer's cutoff f_c, stopband f_t and Nyquist s/2 as numbers and as marks on
the radial profile and the 0 / 45 degree slices; the K-seed average and the exports as background commands."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from viz.core import figure_labels
from viz.core.texts import CHANNEL_LABELS, MARKERS, export_text, marker_text, plot_range_text, spectrum_caption, spectrum_plots
from viz.core.controllers.analysis import BETA_LIMIT
from viz.core.controllers.capture import folder_problem
from viz import protocol
from viz.imgui.annotations import LabelWriter, measure
from viz.imgui.views.base import DIM_RGBA, TONE_RGBA, WARNING_RGBA, Ui, checkbox, command_button, draw_command, finite, float2_edit, input_int, label, message, radio

__all__ = ['SpectrumView', 'MARKERS', 'marker_text']


class SpectrumView:
    title = 'Spectrum'

    def __init__(self) -> None:
        self.labels = LabelWriter()             # The profile plots' axes and off-range markers.

    def draw(self, core, ui: Ui) -> None:
        st = core.analysis.state
        analysis = core.result.analysis if core.result is not None else None
        view = analysis.spectrum if analysis is not None else None
        clicked, on = imgui.checkbox('Show spectrum##spectrum', st.spectrum)
        if clicked:
            core.act('analysis', 'show_spectrum', on)
        imgui_utils.tooltip('Show the power spectrum of the layer chosen in Layers instead of its values')
        imgui.same_line()
        message(f'of {core.controllers["layer"].state.name or "output"} (choose in Layers)', DIM_RGBA)
        self._draw_settings(core, ui)
        if st.spectrum and analysis is not None and analysis.spectrum_note:
            message(analysis.spectrum_note, WARNING_RGBA)
        if st.spectrum and view is not None:
            self._draw_view(view, ui)
        imgui.separator()
        self._draw_average(core, ui)
        imgui.separator()
        self._draw_export(core, ui, view)

    @staticmethod
    def _draw_settings(core, ui: Ui) -> None:
        st = core.analysis.state
        fs = ui.font_size
        label(ui, 'Window')
        changed, beta = imgui_utils.slider_with_reset('Kaiser beta##spectrum', st.spectrum_beta, 0.0, BETA_LIMIT, 8.0, format='%.1f',
            width=fs * 11, help='Shape of the Kaiser window: 0 = rectangular, larger = less leakage, wider peaks')
        if finite(changed, beta):
            core.act('analysis', 'set', spectrum_beta=float(min(max(beta, 0.0), BETA_LIMIT)))
        label(ui, 'Range')
        with imgui_utils.item_width(fs * 10):
            changed, (low, high) = imgui.input_float2('dB##spectrumrange', st.spectrum_db_low, st.spectrum_db_high, format='%.0f')
        imgui_utils.tooltip('Colour range of the heatmap in dB (bottom, top)')
        if finite(changed, low, high):
            core.act('analysis', 'set_db_range', *float2_edit((st.spectrum_db_low, st.spectrum_db_high), (low, high)))
        label(ui, 'Channels')
        radio(core, 'analysis', 'spectrum_channels', CHANNEL_LABELS, 'spectrumchannels')

    def _draw_view(self, view: protocol.SpectrumView, ui: Ui) -> None:
        message(marker_text(view), DIM_RGBA)
        message(spectrum_caption(view), DIM_RGBA)
        for note in view.notes:
            message(note, WARNING_RGBA)
        self.labels.emit = ui.emit
        for name, freqs, db, diagonal in spectrum_plots(view):
            self._draw_plot(view, name, db, figure_labels.profile_axes(view, freqs, diagonal), ui)
        message(plot_range_text(view), DIM_RGBA)

    def _draw_plot(self, view: protocol.SpectrumView, name: str, db, axes: figure_labels.PlotAxes, ui: Ui) -> None:
        """A profile plot with dB ticks left of it, frequency ticks under it and the design markers: a line where each
        lies inside, a pin at the edge with its value where it lies beyond."""
        fs, tick = ui.font_size, ui.font_size * figure_labels.TICK
        width = imgui.get_content_region_available_width()
        room = figure_labels.plot_label_width(axes, measure) + tick + fs * 0.3
        imgui.set_cursor_pos_x(imgui.get_cursor_pos_x() + room)
        imgui.plot_lines(f'##{name}', db, overlay_text=name, scale_min=view.db_range[0], scale_max=view.db_range[1],
            graph_size=(max(width - room, fs * 4), fs * 4))
        (left, top), (right, bottom) = imgui.get_item_rect_min(), imgui.get_item_rect_max()
        pad = imgui.get_style().frame_padding
        x0, x1, y0, y1 = left + pad[0], right - pad[0], top + pad[1], bottom - pad[1]
        draw_list = imgui.get_window_draw_list()
        grey = imgui.get_color_u32_rgba(*DIM_RGBA)
        for fraction, text in axes.x_ticks:
            x = x0 + fraction * (x1 - x0)
            draw_list.add_line(x, bottom, x, bottom + tick, grey)
            self.labels.text(draw_list, x, bottom + tick, text, DIM_RGBA, (1.0 if fraction > 0.95 else 0.5, 0.0), f'{name}:x:{text}')
        for fraction, text in axes.y_ticks:
            y = y1 - fraction * (y1 - y0)
            draw_list.add_line(left - tick, y, left, y, grey)
            self.labels.text(draw_list, left - tick - 2, y, text, DIM_RGBA, (1.0, 0.5), f'{name}:y:{text}')
        stacked = {0.0: 0, 1.0: 0}                  # Pinned markers at each end so far: the next goes above them.
        for marker in axes.markers:
            x = x0 + marker.fraction * (x1 - x0)
            colour = imgui.get_color_u32_rgba(*marker.rgba)
            if marker.inside:
                draw_list.add_line(x, y0, x, y1, colour, 1.0)
                continue
            s, y = fs * 0.35, y1 - stacked[marker.fraction] * (imgui.get_text_line_height() + 2)
            stacked[marker.fraction] += 1
            draw_list.add_triangle_filled(x, y, x - s, y - s * 1.5, x + s, y - s * 1.5, colour)
            self.labels.text(draw_list, x, y - s * 1.6, marker.text, marker.rgba, (marker.fraction, 1.0), f'{name}:edge:{marker.key}')
        imgui.dummy(width, tick + imgui.get_text_line_height())

    @staticmethod
    def _draw_average(core, ui: Ui) -> None:
        st = core.analysis.state
        label(ui, 'Average')
        changed, value = input_int('seeds##spectrumk', st.average_seeds, 1, 100_000, ui.font_size * 6, 1, 10)
        if changed:
            core.act('analysis', 'set', average_seeds=value)
        imgui.same_line()
        command_button(core, 'average', 'Average over K seeds##spectrumaverage', 'average_spectrum')
        imgui_utils.tooltip('Average the spectrum of this layer over K seeds from the current one, in the background')
        draw_command(core.command_status('average'))
        checkbox(core, 'analysis', 'show_average', 'Show average##spectrum')
        imgui_utils.tooltip('Show the K-seed average when one was computed for this layer, seed and settings')

    @staticmethod
    def _draw_export(core, ui: Ui, view: protocol.SpectrumView | None) -> None:
        folder = core.capture.state.folder
        label(ui, 'Export')
        problem = folder_problem(folder) or (None if view is not None else 'Turn on the spectrum view to export it')
        with imgui_utils.grayed_out(problem is not None, problem):
            if imgui.button('Save PNG figure##spectrum'):
                core.act('app', 'export_spectrum', 'png')
            imgui_utils.tooltip('Heatmap, radial profile and slices in cycles per image with the markers (matplotlib)')
            imgui.same_line()
            if imgui.button('Save .npz##spectrum'):
                core.act('app', 'export_spectrum', 'npz')
            imgui_utils.tooltip('Spectrum, profiles and the layer design as arrays')
        message(f'into {folder} (the capture folder)', DIM_RGBA)
        shown = export_text(core.command_status('export'))
        if shown is not None:
            message(shown[0], TONE_RGBA[shown[1]])
