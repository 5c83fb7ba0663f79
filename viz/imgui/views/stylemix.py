"""Style mixing section: the mix seed and one toggle per W index, with quick selections."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from viz.core.controllers.stylemix import PRESETS, SEED_LIMIT, num_ws_of
from viz.imgui.views.base import DIM_RGBA, Ui, checkbox, input_int, label, message

PER_ROW = 8                                     # W toggles per row at most.


class StyleMixView:
    title = 'Style mixing'

    def draw(self, core, ui: Ui) -> None:
        st = core.controllers['mix'].state
        num_ws = num_ws_of(core.facts, st.mask)
        label(ui, 'Mix seed')
        checkbox(core, 'mix', 'enabled', '##enabled')
        imgui_utils.tooltip('Replace the ticked W vectors with those of the mix seed')
        imgui.same_line()
        with imgui_utils.grayed_out(not st.enabled):
            changed, seed = input_int('##seed', st.seed, 0, SEED_LIMIT, ui.font_size * 7)
        if changed:
            core.act('mix', 'set', seed=seed)

        with imgui_utils.grayed_out(not st.enabled, 'Enable mixing first'):
            per_row = self._per_row(ui, num_ws)
            label(ui, 'W index')
            for idx in range(num_ws):
                if idx % per_row:
                    imgui.same_line()
                elif idx:
                    imgui.dummy(ui.label_width - imgui.get_style().item_spacing.x, 0)
                    imgui.same_line()
                on = idx < len(st.mask) and st.mask[idx]
                if imgui.checkbox(f'{idx}##w{idx}', on)[0]:
                    core.act('mix', 'toggle_index', idx)
                imgui_utils.tooltip(f'W index {idx}')
            for idx, preset in enumerate(PRESETS):
                if idx:
                    imgui.same_line()
                if imgui.button(f'{preset.capitalize()}##mix'):
                    core.act('mix', 'preset', preset, num_ws)
        if st.enabled and not any(st.mask):
            message('No W index ticked: nothing is mixed.', DIM_RGBA)

    @staticmethod
    def _per_row(ui: Ui, num_ws: int) -> int:
        """How many numbered W boxes fit in a row right of the label column (at most PER_ROW)."""
        style = imgui.get_style()
        box = imgui.get_frame_height() + style.item_inner_spacing.x + imgui.calc_text_size(str(max(num_ws - 1, 0)))[0] + style.item_spacing.x
        room = imgui.get_content_region_available_width() - ui.label_width + style.item_spacing.x
        return int(min(max(room // box, 1), PER_ROW))
