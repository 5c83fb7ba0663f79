"""Performance section: GUI frame time and render time plots, FPS cap, vsync, device, force fp32, the
bfloat16 preview while dragging (offered where the renderer reports that the device runs bfloat16 fast), and the
transform preview (StyleGAN3: the last image moved along while the input transform changes)."""

from __future__ import annotations

import imgui
import numpy as np

from gui_utils import imgui_utils
from viz.core.controllers.performance import DEVICES, FPS_RANGE, preview_unavailable
from viz.core.texts import PREVIEW_HELP, PREVIEW_LABEL, TRANSFORM_PREVIEW_HELP, TRANSFORM_PREVIEW_LABEL, summarize_ms
from viz.imgui.views.base import DIM_RGBA, WARNING_RGBA, Ui, checkbox, combo, finite, label, message, shown_network

__all__ = ['PerformanceView', 'PREVIEW_LABEL']


class PerformanceView:
    title = 'Performance'

    def draw(self, core, ui: Ui) -> None:
        st = core.performance.state
        fs = ui.font_size
        width = imgui.get_content_region_available_width()
        for name, values in (('GUI', ui.gui_frame_times), ('Render', tuple(core.render_times))):
            data = np.asarray(values, dtype=np.float32) * 1e3
            imgui.text(f'{name}: {summarize_ms(values)}')
            if data.size:
                imgui.plot_lines(f'##{name}', data, scale_min=0.0, scale_max=float(max(data.max(), 1.0)) * 1.1, graph_size=(width, fs * 3))

        label(ui, 'FPS cap')
        changed, fps = imgui_utils.slider_with_reset('##fps', st.fps_limit, *FPS_RANGE, 60.0, format='%.0f fps', width=fs * 14,
            help='Upper limit of the GUI frame rate; the GUI idles when nothing changes')
        if finite(changed, fps):
            core.act('performance', 'set', fps_limit=float(min(max(fps, FPS_RANGE[0]), FPS_RANGE[1])))
        checkbox(core, 'performance', 'vsync', 'Vsync')
        imgui.same_line()
        checkbox(core, 'performance', 'force_fp32', 'Force FP32')
        imgui_utils.tooltip('Run the layers that would use FP16 on CUDA in FP32 instead')
        self._draw_preview(core)
        checkbox(core, 'performance', 'transform_preview', TRANSFORM_PREVIEW_LABEL)
        imgui_utils.tooltip(TRANSFORM_PREVIEW_HELP)
        label(ui, 'Device')
        with imgui_utils.item_width(fs * 8):
            picked = combo('##device', st.device, {d: d for d in (*DEVICES, *([st.device] if st.device not in DEVICES else []))})
        if picked is not None:
            core.act('performance', 'set', device=picked)
        imgui_utils.tooltip('auto = CUDA if available, else Apple MPS, else the CPU')
        net = shown_network(core)
        if net is not None:
            imgui.same_line()
            message(f'rendering on {net.device}', DIM_RGBA)
        result = core.result
        if result is not None and result.network is None and result.error and st.device != (net.device if net else None):
            message(f'Not rendering on {st.device}: {result.error}', WARNING_RGBA)

    @staticmethod
    def _draw_preview(core) -> None:
        """The preview checkbox, greyed with the reason where the device has no fast bfloat16 (the user's choice
        is kept in the state either way)."""
        st = core.performance.state
        unavailable = preview_unavailable(core.facts)
        with imgui_utils.grayed_out(unavailable is not None, unavailable):
            clicked, value = imgui.checkbox(PREVIEW_LABEL, st.preview_bf16 and unavailable is None)
        if clicked and unavailable is None:
            core.act('performance', 'set', preview_bf16=value)
        if unavailable is None:
            net = core.facts.network
            imgui_utils.tooltip(PREVIEW_HELP + (f' ({net.bf16_reason})' if net is not None and net.bf16_reason else ''))
        else:
            message(unavailable, DIM_RGBA)
