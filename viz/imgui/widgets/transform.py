"""Input transform widget (StyleGAN3): translate, rotate, scale with fast / slow drag, animation,
rounding to whole output pixels, reset, and the "untransform" view."""

from __future__ import annotations

import dataclasses
import math

import imgui

from gui_utils import imgui_utils
from viz.protocol import TransformArgs
from viz.imgui.widgets.base import DRAG_BUTTON_TRANSFORM, FrameContext, Widget, current_network, label_width

NO_TRANSFORM_REASON = 'This network has no input transform (StyleGAN2 networks have none).'
DRAG_FAST = 2e-2                                # Image widths (or turns / 10 for rotation) per pixel, times the font size.
DRAG_SLOW = 4e-4
IMAGE_DRAG_DEG_PER_PIXEL = 0.5                  # Ctrl + right drag in the image: rotation per image pixel.


class TransformWidget(Widget):
    title = 'Input transform'
    field = 'transform'

    @dataclasses.dataclass
    class State:
        x: float = 0.0                          # Translation in image widths (positive: content moves right).
        y: float = 0.0                          # Translation in image heights (positive: content moves down).
        angle_deg: float = 0.0                  # Rotation, counter-clockwise on screen.
        scale: float = 1.0                      # Zoom factor.
        round_pixels: bool = False              # Round the translation to whole output pixels.
        anim_translate: bool = False            # Pan to the right over time.
        translate_speed: float = 0.02           # Image widths per second.
        anim_rotate: bool = False
        rotate_speed: float = 10.0              # Degrees per second.
        untransform: bool = False               # Resample the output back by the inverse transform.

    def reset_transform(self) -> None:
        """Back to the identity, keeping the speeds and the untransform choice."""
        st = self.state
        st.x = st.y = st.angle_deg = 0.0
        st.scale = 1.0
        st.anim_translate = st.anim_rotate = False

    def draw(self, ctx: FrameContext) -> TransformArgs:
        st = self.state
        fs = ctx.font_size
        net = current_network(ctx)
        available = net is None or net.has_transform
        res = (ctx.result.image_resolution if ctx.result is not None and ctx.result.image_resolution else None) or 256
        if available:
            self._handle_input(ctx, res)

        with imgui_utils.grayed_out(not available, NO_TRANSFORM_REASON):
            # Translation.
            imgui.text('Translate')
            imgui.same_line(label_width(ctx))
            with imgui_utils.item_width(fs * 9):
                changed, (x, y) = imgui.input_float2('##translate', st.x, st.y, format='%.4f')
            if changed and math.isfinite(x) and math.isfinite(y):
                st.x, st.y = x, y
            for label, step in (('Fast##translate', DRAG_FAST), ('Slow##translate', DRAG_SLOW)):
                imgui.same_line()
                dragging, dx, dy = imgui_utils.drag_button(label, speed=step / fs, fast=1, slow=1,
                    help='Drag to move the content (or right-drag in the image)')
                if dragging:
                    st.x += dx
                    st.y += dy
            imgui.text('')
            imgui.same_line(label_width(ctx))
            _clicked, st.anim_translate = imgui.checkbox('Animate##translate', st.anim_translate)
            imgui.same_line()
            _clicked, st.round_pixels = imgui.checkbox('Whole pixels', st.round_pixels)
            imgui_utils.tooltip('Round the translation to whole output pixels (integer translation)')

            # Rotation.
            imgui.text('Rotate')
            imgui.same_line(label_width(ctx))
            with imgui_utils.item_width(fs * 9):
                changed, angle = imgui.input_float('##rotate', st.angle_deg, format='%.3f deg')
            if changed and math.isfinite(angle):
                st.angle_deg = angle
            for label, step in (('Fast##rotate', DRAG_FAST), ('Slow##rotate', DRAG_SLOW)):
                imgui.same_line()
                dragging, dx, _dy = imgui_utils.drag_button(label, speed=step * 360 / fs, fast=1, slow=1,
                    help='Drag sideways to rotate (or Ctrl + right-drag in the image)')
                if dragging:
                    st.angle_deg += dx
            imgui.same_line()
            _clicked, st.anim_rotate = imgui.checkbox('Animate##rotate', st.anim_rotate)

            # Scale.
            imgui.text('Scale')
            imgui.same_line(label_width(ctx))
            with imgui_utils.item_width(fs * 9):
                changed, scale = imgui.slider_float('##scale', st.scale, 0.125, 8.0, format='x%.3f', flags=imgui.SLIDER_FLAGS_LOGARITHMIC)
            if changed and math.isfinite(scale):
                st.scale = scale

            # View and reset.
            _clicked, st.untransform = imgui.checkbox('Untransform', st.untransform)
            imgui_utils.tooltip('Resample the output back by the inverse transform (band-limited)')
            imgui.same_line()
            is_identity = st.x == 0 and st.y == 0 and st.angle_deg == 0 and st.scale == 1
            with imgui_utils.grayed_out(is_identity and not (st.anim_translate or st.anim_rotate)):
                if imgui.button('Reset##transform'):
                    self.reset_transform()

        if available:
            if st.anim_translate:
                st.x += ctx.frame_seconds * st.translate_speed
            if st.anim_rotate:
                st.angle_deg = (st.angle_deg + ctx.frame_seconds * st.rotate_speed) % 360
        x, y = st.x, st.y
        if st.round_pixels:
            x, y = round(x * res) / res, round(y * res) / res
        return TransformArgs(x=x, y=y, angle_deg=st.angle_deg, scale=st.scale, untransform=st.untransform)

    def _handle_input(self, ctx: FrameContext, res: int) -> None:
        st = self.state
        if 'reset_view' in ctx.keys:
            self.reset_transform()
        drag = ctx.image_drag
        if drag is None or drag.button != DRAG_BUTTON_TRANSFORM:
            return
        slow = 0.1 if drag.shift else 1.0
        if drag.ctrl:
            st.angle_deg += drag.dx * IMAGE_DRAG_DEG_PER_PIXEL * slow
        else:
            # Translation is in image widths, so the content follows the mouse.
            st.x += drag.dx / res * slow
            st.y += drag.dy / res * slow
