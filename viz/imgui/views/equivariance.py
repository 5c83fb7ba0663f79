"""Equivariance section: the live heatmap (mode, layout, colour scale), the PSNR with its history while
dragging or animating, and the batch EQ-T / EQ-T_frac / EQ-R metrics as a background command."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from viz.core.controllers.analysis import unavailable_reason
from viz.core.texts import (KIND_LABELS, LAYOUT_LABELS, METRICS_HELP, METRICS_NOTE, MODE_HELP, MODE_LABELS, format_psnr, psnr_detail,
    psnr_help, psnr_history)
from viz.protocol import EQ_LAYOUTS, EQ_MODES, SEED_MODULO
from viz.imgui.views.base import DIM_RGBA, WARNING_RGBA, Ui, checkbox, command_button, combo, draw_command, finite, input_int, label, message

__all__ = ['EquivarianceView', 'MODE_HELP', 'format_psnr']


class EquivarianceView:
    title = 'Equivariance'

    def draw(self, core, ui: Ui) -> None:
        analysis = core.result.analysis if core.result is not None else None
        reason = unavailable_reason(core.facts) or (analysis.equivariance_unavailable if analysis is not None else None)
        if reason:
            message(reason, WARNING_RGBA)
        with imgui_utils.grayed_out(reason is not None, reason):
            self._draw_controls(core, ui)
            self._draw_psnr(core, ui)
            imgui.separator()
            self._draw_metrics(core, ui)

    @staticmethod
    def _draw_controls(core, ui: Ui) -> None:
        st = core.analysis.state
        fs = ui.font_size
        label(ui, 'Heatmap')
        for idx, mode in enumerate(EQ_MODES):
            if idx:
                imgui.same_line()
            if imgui.radio_button(f'{MODE_LABELS[mode]}##eqmode', st.eq_mode == mode) and st.eq_mode != mode:
                core.act('analysis', 'set_eq_mode', mode)
            imgui_utils.tooltip(MODE_HELP[mode])
        label(ui, 'Layout')
        with imgui_utils.item_width(fs * 10):
            picked = combo('##eqlayout', st.eq_layout, {layout: LAYOUT_LABELS[layout] for layout in EQ_LAYOUTS})
        if picked is not None:
            core.act('analysis', 'set', eq_layout=picked)
        imgui_utils.tooltip('Reference = generate, then transform; generated = transform the input, then generate')
        label(ui, 'Scale')
        checkbox(core, 'analysis', 'eq_auto_scale', 'Auto##eqscale')
        imgui_utils.tooltip('Top of the colour scale = the largest squared error shown')
        imgui.same_line()
        with imgui_utils.grayed_out(st.eq_auto_scale):
            changed, value = imgui_utils.slider('##eqscalemax', st.eq_scale_max, 1e-6, 4.0, format='%.2e', width=fs * 12, logarithmic=True)
        if finite(changed, value) and value > 0:
            core.act('analysis', 'set', eq_scale_max=float(min(value, 4.0)))

    @staticmethod
    def _draw_psnr(core, ui: Ui) -> None:
        analysis = core.result.analysis if core.result is not None else None
        view = analysis.equivariance if analysis is not None else None
        if view is None or core.analysis.state.eq_mode == 'off':
            return
        if imgui.selectable(f'PSNR {format_psnr(view.psnr)}##psnr', False, width=ui.font_size * 14)[0]:
            imgui.set_clipboard_text(f'{view.psnr:.4f}')
        imgui_utils.tooltip(psnr_help(view))
        imgui.same_line()
        message(psnr_detail(view), DIM_RGBA)
        history = psnr_history(core.psnr_history)
        if history is not None:
            values, caption = history
            imgui.plot_lines('##psnrhistory', values, overlay_text=caption, scale_min=float(values.min()) - 1,
                scale_max=float(values.max()) + 1, graph_size=(imgui.get_content_region_available_width(), ui.font_size * 3))
        for note in view.notes:
            message(note, DIM_RGBA)

    @staticmethod
    def _draw_metrics(core, ui: Ui) -> None:
        st = core.analysis.state
        message(METRICS_NOTE, DIM_RGBA)
        label(ui, 'Samples')
        changed, value = input_int('##eqsamples', st.metrics_samples, 1, 1_000_000, ui.font_size * 6, 10, 100)
        if changed:
            core.act('analysis', 'set', metrics_samples=value)
        imgui.same_line()
        imgui.text('Seed')
        imgui.same_line()
        changed, value = input_int('##eqseed', st.metrics_seed, 0, SEED_MODULO - 1, ui.font_size * 6)
        if changed:
            core.act('analysis', 'set', metrics_seed=value)
        command_button(core, 'metrics', 'Compute EQ metrics##eqmetrics', 'compute_metrics')
        imgui_utils.tooltip(METRICS_HELP)
        status = core.command_status('metrics')
        draw_command(status)
        found = dict(status.psnr) if status is not None else {}
        for kind, text in KIND_LABELS.items():                  # Every row always, so nothing moves when results come.
            label(ui, text)
            imgui.text(format_psnr(found[kind]) if kind in found else '-')
