"""Performance widget: GUI frame time and render time plots, FPS cap, vsync, device, force fp32, and the
bfloat16 preview while dragging (offered where the renderer reports that the device runs bfloat16 fast).

The FPS cap and vsync are GUI settings, not part of the request: the app reads `state.fps_limit` and
`state.vsync` each frame."""

from __future__ import annotations

import collections
import dataclasses
import math

import imgui
import numpy as np

from gui_utils import imgui_utils
from viz.protocol import PerformanceArgs
from viz.imgui.widgets.base import DIM_RGBA, FrameContext, Widget, current_network, label_width, message

DEVICES = ('auto', 'cpu', 'cuda', 'mps')
HISTORY = 120                                   # Render times kept for the plot.
PREVIEW_LABEL = 'bf16 preview while dragging'
PREVIEW_HELP = ('While you drag in the image or hold a control, run the convolutions in bfloat16: up to 1.2-1.4x faster '
    'for StyleGAN3-R and StyleGAN2 networks (StyleGAN3-T: unchanged), slightly less exact, tagged "bf16 preview" on the image. '
    'Releasing renders the exact float32 image')


def summarize_ms(seconds) -> str:
    """'mean 12.3 ms, p95 20.1 ms' for a sequence of durations in seconds."""
    values = np.asarray(seconds, dtype=np.float64) * 1e3
    if values.size == 0:
        return 'no data'
    return f'mean {values.mean():.1f} ms, p95 {np.percentile(values, 95):.1f} ms'


class PerformanceWidget(Widget):
    title = 'Performance'
    field = 'performance'

    @dataclasses.dataclass
    class State:
        fps_limit: float = 60.0                 # GUI frame-rate cap (frames per second).
        vsync: bool = False                     # Sync buffer swaps to the display.
        device: str = 'auto'                    # Render device.
        force_fp32: bool = False                # Disable fp16 layers.
        preview_bf16: bool = False              # bfloat16 preview while dragging (where the device supports it).

        def validate(self, where: str) -> None:
            if self.device not in DEVICES and not self.device.startswith('cuda:'):
                raise ValueError(f'{where}.device = {self.device!r}: expected one of {", ".join(DEVICES)} or cuda:N')
            if not 1 <= self.fps_limit <= 1000:
                raise ValueError(f'{where}.fps_limit = {self.fps_limit}: expected frames per second in [1, 1000]')

    def __init__(self) -> None:
        super().__init__()
        self.render_times: collections.deque[float] = collections.deque(maxlen=HISTORY)
        self._last_stamp: int | None = None

    def draw(self, ctx: FrameContext) -> PerformanceArgs:
        st = self.state
        fs = ctx.font_size
        result = ctx.result
        if result is not None and result.stamp != self._last_stamp and result.loading is None and result.error is None:
            self._last_stamp = result.stamp
            self.render_times.append(float(result.render_seconds))

        # Plots.
        width = imgui.get_content_region_available_width()
        for label, values in (('GUI', ctx.gui_frame_times), ('Render', tuple(self.render_times))):
            data = np.asarray(values, dtype=np.float32) * 1e3
            imgui.text(f'{label}: {summarize_ms(values)}')
            if data.size:
                imgui.plot_lines(f'##{label}', data, scale_min=0.0, scale_max=float(max(data.max(), 1.0)) * 1.1,
                    graph_size=(width, fs * 3))

        # Settings.
        imgui.text('FPS cap')
        imgui.same_line(label_width(ctx))
        changed, fps = imgui_utils.slider_with_reset('##fps', st.fps_limit, 5.0, 240.0, 60.0, format='%.0f fps',
            width=fs * 10, help='Upper limit of the GUI frame rate; the GUI idles when nothing changes')
        if changed and math.isfinite(fps):
            st.fps_limit = float(min(max(fps, 5.0), 240.0))
        _clicked, st.vsync = imgui.checkbox('Vsync', st.vsync)
        imgui.same_line()
        _clicked, st.force_fp32 = imgui.checkbox('Force FP32', st.force_fp32)
        imgui_utils.tooltip('Run the layers that would use FP16 on CUDA in FP32 instead')
        preview_bf16 = self._draw_preview(ctx)
        imgui.text('Device')
        imgui.same_line(label_width(ctx))
        options = list(DEVICES) + ([st.device] if st.device not in DEVICES else [])
        with imgui_utils.item_width(fs * 8):
            if imgui.begin_combo('##device', st.device):
                for option in options:
                    if imgui.selectable(option, option == st.device)[0]:
                        st.device = option
                imgui.end_combo()
        imgui_utils.tooltip('auto = CUDA if available, else Apple MPS, else the CPU')
        net = current_network(ctx)
        if net is not None:
            imgui.same_line()
            message(f'rendering on {net.device}', DIM_RGBA)
        return PerformanceArgs(device=st.device, force_fp32=st.force_fp32, preview_bf16=preview_bf16)

    def _draw_preview(self, ctx: FrameContext) -> bool:
        """The preview checkbox, greyed with the reason where the device has no fast bfloat16; returns whether
        the preview is asked for (the user's choice is kept in the state either way)."""
        st = self.state
        net = current_network(ctx)
        unavailable = None if net is None or net.bf16_supported else f'Unavailable: {net.bf16_reason}'
        with imgui_utils.grayed_out(unavailable is not None, unavailable):
            clicked, value = imgui.checkbox(PREVIEW_LABEL, st.preview_bf16 and unavailable is None)
        if clicked and unavailable is None:
            st.preview_bf16 = value
        if unavailable is None:
            reason = f' ({net.bf16_reason})' if net is not None and net.bf16_reason else ''
            imgui_utils.tooltip(PREVIEW_HELP + reason)
        else:
            message(unavailable, DIM_RGBA)
        return st.preview_bf16 and unavailable is None
