"""Layers section: every synthesis layer with shape, dtype, sampling rate and cutoff; which layer and
channels to show, normalise, gain, margins, and the layer's statistics."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from viz.core.controllers.layers import GAIN_RANGE, selected_layer
from viz.core.texts import LAYER_COLUMNS, OUTPUT_NAME as OUTPUT, VIEW_LABELS, channel_format, layer_row, stats_lines
from viz.protocol import LayerInfo
from viz.imgui.views.base import DIM_RGBA, WARNING_RGBA, Ui, checkbox, finite, label, message, radio


class LayersView:
    title = 'Layers'

    def draw(self, core, ui: Ui) -> None:
        ctrl = core.controllers['layer']
        st = ctrl.state
        facts = core.facts
        fs = ui.font_size
        layers = facts.result.layers if facts.result is not None else ()
        self._draw_list(core, layers, fs)
        selected = selected_layer(facts, st.name)
        if st.name is not None and layers and selected is None:
            message(f'Layer {st.name} is not in this network.', WARNING_RGBA)
        channels = ctrl.channel_count(facts)

        label(ui, 'View')
        radio(core, 'layer', 'view', VIEW_LABELS, 'view')
        label(ui, 'Channel')
        top = ctrl.top_channel(facts)
        with imgui_utils.grayed_out(top == 0):
            changed, channel = imgui_utils.slider('##channel', min(st.channel, top), 0, top, integer=True,
                format=channel_format(st.view, channels), width=fs * 16)
        if changed:
            core.act('layer', 'set', channel=int(min(max(channel, 0), top)))
        checkbox(core, 'layer', 'normalize', 'Normalize')
        imgui_utils.tooltip('Divide each shown channel by its largest magnitude')
        imgui.same_line()
        with imgui_utils.grayed_out(selected is None or selected.margin == 0, 'This layer has no margin pixels'):
            checkbox(core, 'layer', 'crop_margins', 'Crop margins')
        label(ui, 'Gain')
        changed, gain = imgui_utils.slider_with_reset('##gain', st.gain_db, *GAIN_RANGE, 0.0, format='%+.1f dB', width=fs * 14)
        if finite(changed, gain):
            core.act('layer', 'set', gain_db=float(min(max(gain, GAIN_RANGE[0]), GAIN_RANGE[1])))
        self._draw_stats(core)

    @staticmethod
    def _draw_list(core, layers: tuple[LayerInfo, ...], fs: float) -> None:
        """The layer table: every row shown (the wheel scrolls the pane over it, not the table); the columns that
        do not fit scroll sideways, with a scroll bar under the table and the name column kept in place."""
        name = core.controllers['layer'].state.name
        rows = len(layers) + 2                                  # Header, output, layers.
        scrollbar = imgui.get_style().scrollbar_size
        height = rows * imgui.get_frame_height() + scrollbar + fs * 0.5
        flags = (imgui.TABLE_SCROLL_X | imgui.TABLE_BORDERS_OUTER | imgui.TABLE_SIZING_FIXED_FIT | imgui.TABLE_ROW_BACKGROUND
            | imgui.TABLE_NO_SAVED_SETTINGS)
        if not imgui.begin_table('##layers', len(LAYER_COLUMNS), flags, 0, height):
            return
        imgui.table_setup_scroll_freeze(1, 1)
        for column in LAYER_COLUMNS:
            imgui.table_setup_column(column)
        imgui.table_headers_row()
        for info, cells in [(None, (OUTPUT,) + ('',) * (len(LAYER_COLUMNS) - 1))] + [(info, layer_row(info)) for info in layers]:
            imgui.table_next_row(0, imgui.get_frame_height())
            imgui.table_next_column()
            selected = (info.name if info is not None else None) == name
            if imgui.selectable(f'{cells[0]}##layer', selected, imgui.SELECTABLE_SPAN_ALL_COLUMNS)[0]:
                core.act('layer', 'select', info.name if info is not None else None)
            for cell in cells[1:]:
                imgui.table_next_column()
                imgui.text(cell)
        imgui.end_table()
        if not layers:
            message('The layer list appears after the first render.', DIM_RGBA)

    @staticmethod
    def _draw_stats(core) -> None:
        for line in stats_lines(core.result.stats if core.result is not None else None, core.controllers['layer'].state):
            imgui.text(line)
