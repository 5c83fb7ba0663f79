"""Latent widget: seed, fractional position between seeds (drag here or in the image), animation,
snap, reset, and the class of conditional networks."""

from __future__ import annotations

import dataclasses
import math

import imgui

from gui_utils import imgui_utils
from viz.protocol import SEED_STEP_Y, LatentArgs
from viz.imgui.widgets.base import DRAG_BUTTON_LATENT, FrameContext, Widget, current_network, label_width

DRAG_SEEDS_PER_FONT = 4e-2                      # Drag button: seeds per mouse pixel, times the font size.
DRAG_SEEDS_PER_IMAGE = 4.0                      # Image drag: seeds per image width.
INT32_LIMIT = 1 << 31                           # imgui's integer fields hold int32.


class LatentWidget(Widget):
    title = 'Latent'
    field = 'latent'

    @dataclasses.dataclass
    class State:
        x: float = 0.0                          # Fractional seed position (see LatentArgs).
        y: float = 0.0
        anim: bool = False                      # Move along x over time?
        speed: float = 0.25                     # Animation speed in seeds per second.
        class_idx: int | None = None            # Chosen class; None = drawn from the seed.

    def seed(self) -> int:
        """The seed nearest to the current position, as shown (negative positions show negative
        numbers; the renderer takes them modulo 2**32)."""
        seed = round(self.state.x) + round(self.state.y) * SEED_STEP_Y
        return min(max(seed, -INT32_LIMIT), INT32_LIMIT - 1)

    def set_seed(self, seed: int) -> None:
        self.state.x, self.state.y = float(seed), 0.0

    def snap(self) -> None:
        self.state.x, self.state.y = float(round(self.state.x)), float(round(self.state.y))

    def draw(self, ctx: FrameContext) -> LatentArgs:
        st = self.state
        fs = ctx.font_size
        self._handle_input(ctx)

        # Seed and fractional offset.
        imgui.text('Seed')
        imgui.same_line(label_width(ctx))
        with imgui_utils.item_width(fs * 7):
            changed, seed = imgui.input_int('##seed', self.seed())
        if changed:
            self.set_seed(seed)
        imgui.same_line()
        frac_x, frac_y = st.x - round(st.x), st.y - round(st.y)
        with imgui_utils.item_width(fs * 7):
            changed, (fx, fy) = imgui.input_float2('##frac', frac_x, frac_y, format='%+.3f')
        imgui_utils.tooltip('Offset from the seed: the four neighbouring seeds are blended bilinearly')
        if changed and math.isfinite(fx) and math.isfinite(fy):
            st.x += fx - frac_x
            st.y += fy - frac_y
        imgui.same_line()
        dragging, dx, dy = imgui_utils.drag_button('Drag##latent', speed=DRAG_SEEDS_PER_FONT / fs,
            help='Move between seeds (or left-drag in the image)')
        if dragging:
            st.x += dx
            st.y += dy

        # Animation, snap, reset.
        imgui.text('Animate')
        imgui.same_line(label_width(ctx))
        _clicked, st.anim = imgui.checkbox('##anim', st.anim)
        imgui.same_line()
        with imgui_utils.item_width(fs * 9), imgui_utils.grayed_out(not st.anim):
            changed, speed = imgui.slider_float('##speed', st.speed, -5, 5, format='%.2f seeds/s')
        if changed:
            st.speed = speed
        imgui.same_line()
        with imgui_utils.grayed_out(st.x == round(st.x) and st.y == round(st.y)):
            if imgui.button('Snap'):
                self.snap()
        imgui.same_line()
        with imgui_utils.grayed_out(dataclasses.asdict(st) == dataclasses.asdict(self.State())):
            if imgui.button('Reset##latent'):
                self.reset()

        self._draw_class(ctx)
        st = self.state  # Reset replaced the state object.
        if st.anim:
            st.x += ctx.frame_seconds * st.speed
        return LatentArgs(x=st.x, y=st.y, class_idx=st.class_idx)

    def _handle_input(self, ctx: FrameContext) -> None:
        st = self.state
        keys = ctx.keys
        if 'next_seed' in keys or 'prev_seed' in keys:
            self.snap()
            st.x += 1 if 'next_seed' in keys else -1
        if 'next_seed_row' in keys or 'prev_seed_row' in keys:
            self.snap()
            st.y += 1 if 'next_seed_row' in keys else -1
        if 'toggle_animation' in keys:
            st.anim = not st.anim
        if 'reset_view' in keys:
            self.snap()
        drag = ctx.image_drag
        if drag is not None and drag.button == DRAG_BUTTON_LATENT and not drag.ctrl:
            res = ctx.result.image_resolution if ctx.result is not None and ctx.result.image_resolution else 256
            factor = DRAG_SEEDS_PER_IMAGE / res * (0.1 if drag.shift else 1.0)
            st.x += drag.dx * factor
            st.y += drag.dy * factor

    def _draw_class(self, ctx: FrameContext) -> None:
        st = self.state
        net = current_network(ctx)
        c_dim = net.c_dim if net is not None else 0
        if c_dim == 0:
            return
        imgui.text('Class')
        imgui.same_line(label_width(ctx))
        clicked, chosen = imgui.checkbox('##choose_class', st.class_idx is not None)
        imgui_utils.tooltip('Choose the class; unticked, each seed draws its own class')
        if clicked:
            st.class_idx = 0 if chosen else None
        imgui.same_line()
        with imgui_utils.grayed_out(st.class_idx is None, 'Tick the box to choose a class'):
            with imgui_utils.item_width(ctx.font_size * 7):
                changed, idx = imgui.input_int('##class', st.class_idx if st.class_idx is not None else 0)
        if changed and st.class_idx is not None:
            st.class_idx = min(max(idx, 0), c_dim - 1)
        imgui.same_line()
        imgui.text(f'of {c_dim}')
