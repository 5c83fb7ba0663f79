"""Input transform section (StyleGAN3): translate, rotate, scale with fast / slow drag, animation, whole
pixels, untransform, reset."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from viz.core.controllers.transform import NO_TRANSFORM_REASON, SCALE_RANGE, available
from viz.imgui.views.base import Ui, checkbox, finite, float2_edit, label

DRAG_FAST = 2e-2                                # Image widths (or turns / 10 for rotation) per pixel, times the font size.
DRAG_SLOW = 4e-4


class TransformView:
    title = 'Input transform'

    def draw(self, core, ui: Ui) -> None:
        ctrl = core.controllers['transform']
        st = ctrl.state
        fs = ui.font_size
        with imgui_utils.grayed_out(not available(core.facts), NO_TRANSFORM_REASON):
            label(ui, 'Translate')
            with imgui_utils.item_width(fs * 9):
                changed, (x, y) = imgui.input_float2('##translate', st.x, st.y, format='%.4f')
            if finite(changed, x, y):
                x, y = float2_edit((st.x, st.y), (x, y))
                core.act('transform', 'set', x=x, y=y)
            for name, step in (('Fast##translate', DRAG_FAST), ('Slow##translate', DRAG_SLOW)):
                imgui.same_line()
                dragging, dx, dy = imgui_utils.drag_button(name, speed=step / fs, fast=1, slow=1,
                    help='Drag to move the content (or right-drag in the image)')
                if dragging:
                    core.act('transform', 'translate', dx, dy)
            label(ui, '')
            checkbox(core, 'transform', 'anim_translate', 'Animate##translate')
            imgui.same_line()
            checkbox(core, 'transform', 'round_pixels', 'Whole pixels')
            imgui_utils.tooltip('Round the translation to whole output pixels (integer translation)')

            label(ui, 'Rotate')
            with imgui_utils.item_width(fs * 9):
                changed, angle = imgui.input_float('##rotate', st.angle_deg, format='%.3f deg')
            if finite(changed, angle):
                core.act('transform', 'set', angle_deg=angle)
            for name, step in (('Fast##rotate', DRAG_FAST), ('Slow##rotate', DRAG_SLOW)):
                imgui.same_line()
                dragging, dx, _dy = imgui_utils.drag_button(name, speed=step * 360 / fs, fast=1, slow=1,
                    help='Drag sideways to rotate (or Ctrl + right-drag in the image)')
                if dragging:
                    core.act('transform', 'rotate', dx)
            imgui.same_line()
            checkbox(core, 'transform', 'anim_rotate', 'Animate##rotate')

            label(ui, 'Scale')
            changed, scale = imgui_utils.slider('##scale', st.scale, *SCALE_RANGE, format='x%.3f', width=fs * 13, logarithmic=True)
            if finite(changed, scale):
                core.act('transform', 'set', scale=float(min(max(scale, SCALE_RANGE[0]), SCALE_RANGE[1])))
            checkbox(core, 'transform', 'untransform', 'Untransform')
            imgui_utils.tooltip('Resample the output back by the inverse transform (band-limited)')
            imgui.same_line()
            with imgui_utils.grayed_out(ctrl.is_identity() and not (st.anim_translate or st.anim_rotate)):
                if imgui.button('Reset##transform'):
                    core.act('transform', 'reset_transform')
