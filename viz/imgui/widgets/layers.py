"""Layers widget: every synthesis layer with its shape, dtype and (StyleGAN3) sampling rate and
cutoff; which layer and channels to show, normalise, gain, margins, and the layer's statistics."""

from __future__ import annotations

import dataclasses
import math

import imgui

from gui_utils import imgui_utils
from viz.protocol import LAYER_VIEWS, LayerArgs, LayerInfo
from viz.imgui.widgets.base import DIM_RGBA, WARNING_RGBA, FrameContext, Widget, label_width, message

OUTPUT = 'output'                               # Shown name of the generator output (LayerArgs.name = None).


def describe(info: LayerInfo) -> str:
    """One table row: shape, dtype, sampling rate and cutoff."""
    _n, c, h, w = info.shape
    text = f'{c:4d} x {h}x{w}  {info.dtype}'
    if info.sampling_rate is not None:
        text += f'  s={info.sampling_rate:g}'
    if info.cutoff is not None:
        text += f'  fc={info.cutoff:.3g}'
    if info.stopband is not None:
        text += f'  ft={info.stopband:.3g}'
    return text


class LayersWidget(Widget):
    title = 'Layers'
    field = 'layer'

    @dataclasses.dataclass
    class State:
        name: str | None = None                 # None = the generator output.
        view: str = 'rgb'                       # 'rgb' | 'channel'.
        channel: int = 0
        normalize: bool = False
        gain_db: float = 0.0
        crop_margins: bool = False

        def validate(self, where: str) -> None:
            if self.view not in LAYER_VIEWS:
                raise ValueError(f'{where}.view = {self.view!r}: expected one of {", ".join(LAYER_VIEWS)}')
            if self.channel < 0:
                raise ValueError(f'{where}.channel = {self.channel}: expected an integer >= 0')

    def draw(self, ctx: FrameContext) -> LayerArgs:
        st = self.state
        fs = ctx.font_size
        layers = ctx.result.layers if ctx.result is not None else ()
        self._draw_list(layers, fs)
        selected = next((info for info in layers if info.name == st.name), None)
        if st.name is not None and layers and selected is None:
            message(f'Layer {st.name} is not in this network.', WARNING_RGBA)
        channels = selected.channels if selected is not None else (layers[-1].channels if layers else 3)

        # View controls.
        imgui.text('View')
        imgui.same_line(label_width(ctx))
        for idx, (view, label) in enumerate((('rgb', 'RGB'), ('channel', 'One channel'))):
            if idx:
                imgui.same_line()
            if imgui.radio_button(f'{label}##view', st.view == view):
                st.view = view
        imgui.text('Channel')
        imgui.same_line(label_width(ctx))
        top = max(channels - (3 if st.view == 'rgb' else 1), 0)
        with imgui_utils.item_width(fs * 10), imgui_utils.grayed_out(top == 0):
            changed, channel = imgui.slider_int('##channel', min(st.channel, top), 0, top,
                format=('channels %d..' if st.view == 'rgb' else 'channel %d') + f' of {channels}')
        if changed:
            st.channel = int(channel)
        _clicked, st.normalize = imgui.checkbox('Normalize', st.normalize)
        imgui_utils.tooltip('Divide each shown channel by its largest magnitude')
        imgui.same_line()
        has_margin = selected is not None and selected.margin > 0
        with imgui_utils.grayed_out(not has_margin, 'This layer has no margin pixels'):
            _clicked, st.crop_margins = imgui.checkbox('Crop margins', st.crop_margins)
        imgui.text('Gain')
        imgui.same_line(label_width(ctx))
        changed, gain = imgui_utils.slider_with_reset('##gain', st.gain_db, -40.0, 40.0, 0.0, format='%+.1f dB', width=fs * 10)
        if changed and math.isfinite(gain):
            st.gain_db = float(gain)

        self._draw_stats(ctx)
        return LayerArgs(name=st.name, view=st.view, channel=min(st.channel, top) if layers else st.channel, normalize=st.normalize,
            gain_db=st.gain_db, crop_margins=st.crop_margins)

    def _draw_list(self, layers: tuple[LayerInfo, ...], fs: float) -> None:
        rows = len(layers) + 1
        height = min(rows, 12) * imgui.get_text_line_height_with_spacing() + fs * 0.6
        imgui.begin_child('##layers', 0, height, border=True)
        try:
            if imgui.selectable(f'{OUTPUT}##layer', self.state.name is None)[0]:
                self.state.name = None
            for info in layers:
                clicked, _ = imgui.selectable(f'{info.name}##layer', self.state.name == info.name)
                if clicked:
                    self.state.name = info.name
                imgui.same_line(fs * 8)
                message_text = describe(info) + (f'  margin {info.margin}' if info.margin else '')
                imgui.text(message_text)
            if not layers:
                message('The layer list appears after the first render.', DIM_RGBA)
        finally:
            imgui.end_child()

    def _draw_stats(self, ctx: FrameContext) -> None:
        stats = ctx.result.stats if ctx.result is not None else None
        if stats is None:
            return
        imgui.text(f'{stats.name}: mean {stats.mean:+.3g}  std {stats.std:.3g}  min {stats.min:+.3g}  max {stats.max:+.3g}')
        count = len(stats.channel_mean)
        if count:
            if self.state.view == 'rgb' and count >= 3:
                base = min(self.state.channel, count - 3)
                shown = range(base, base + 3)
            else:
                shown = [min(self.state.channel, count - 1) if self.state.view == 'channel' else 0]
            for c in shown:
                imgui.text(f'  ch {c}: mean {stats.channel_mean[c]:+.3g}  std {stats.channel_std[c]:.3g}  '
                    f'min {stats.channel_min[c]:+.3g}  max {stats.channel_max[c]:+.3g}')
