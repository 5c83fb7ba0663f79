"""Layers section: every synthesis layer with shape, dtype, sampling rate and cutoff; which layer and
channels to show, normalise, gain, margins, and the layer's statistics."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from viz.core.controllers.layers import GAIN_RANGE, selected_layer
from viz.core.texts import OUTPUT_NAME as OUTPUT, VIEW_LABELS, channel_format, describe_layer as describe, stats_lines
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
        with imgui_utils.item_width(fs * 10), imgui_utils.grayed_out(top == 0):
            changed, channel = imgui.slider_int('##channel', min(st.channel, top), 0, top,
                format=channel_format(st.view, channels))
        if changed:
            core.act('layer', 'set', channel=int(min(max(channel, 0), top)))
        checkbox(core, 'layer', 'normalize', 'Normalize')
        imgui_utils.tooltip('Divide each shown channel by its largest magnitude')
        imgui.same_line()
        with imgui_utils.grayed_out(selected is None or selected.margin == 0, 'This layer has no margin pixels'):
            checkbox(core, 'layer', 'crop_margins', 'Crop margins')
        label(ui, 'Gain')
        changed, gain = imgui_utils.slider_with_reset('##gain', st.gain_db, *GAIN_RANGE, 0.0, format='%+.1f dB', width=fs * 10)
        if finite(changed, gain):
            core.act('layer', 'set', gain_db=float(min(max(gain, GAIN_RANGE[0]), GAIN_RANGE[1])))
        self._draw_stats(core)

    @staticmethod
    def _draw_list(core, layers: tuple[LayerInfo, ...], fs: float) -> None:
        name = core.controllers['layer'].state.name
        height = min(len(layers) + 1, 12) * imgui.get_text_line_height_with_spacing() + fs * 0.6
        imgui.begin_child('##layers', 0, height, border=True)
        try:
            if imgui.selectable(f'{OUTPUT}##layer', name is None)[0]:
                core.act('layer', 'select', None)
            for info in layers:
                if imgui.selectable(f'{info.name}##layer', name == info.name)[0]:
                    core.act('layer', 'select', info.name)
                imgui.same_line(fs * 8)
                imgui.text(describe(info))
            if not layers:
                message('The layer list appears after the first render.', DIM_RGBA)
        finally:
            imgui.end_child()

    @staticmethod
    def _draw_stats(core) -> None:
        for line in stats_lines(core.result.stats if core.result is not None else None, core.controllers['layer'].state):
            imgui.text(line)
