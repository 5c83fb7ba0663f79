"""Latent section: seed, fractional offset, drag between seeds, animation, snap, reset, class."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from viz.imgui.views.base import INT32_LIMIT, Ui, finite, float2_edit, input_int, label

DRAG_SEEDS_PER_FONT = 4e-2                      # Drag button: seeds per mouse pixel, times the font size.


class LatentView:
    title = 'Latent'

    def draw(self, core, ui: Ui) -> None:
        latent = core.controllers['latent']
        st = latent.state
        fs = ui.font_size

        # Seed and fractional offset.
        label(ui, 'Seed')
        with imgui_utils.item_width(fs * 7):
            changed, seed = imgui.input_int('##seed', latent.seed())
        if changed:
            core.act('latent', 'set_seed', int(min(max(seed, -INT32_LIMIT - 1), INT32_LIMIT)))
        imgui.same_line()
        frac_x, frac_y = st.x - round(st.x), st.y - round(st.y)
        with imgui_utils.item_width(fs * 7):
            changed, (fx, fy) = imgui.input_float2('##frac', frac_x, frac_y, format='%+.3f')
        imgui_utils.tooltip('Offset from the seed: the four neighbouring seeds are blended bilinearly')
        if finite(changed, fx, fy):
            fx, fy = float2_edit((frac_x, frac_y), (fx, fy))
            core.act('latent', 'move', fx - frac_x, fy - frac_y)
        imgui.same_line()
        dragging, dx, dy = imgui_utils.drag_button('Drag##latent', speed=DRAG_SEEDS_PER_FONT / fs,
            help='Move between seeds (or left-drag in the image)')
        if dragging:
            core.act('latent', 'move', dx, dy)

        # Animation, snap, reset.
        label(ui, 'Animate')
        clicked, _ = imgui.checkbox('##anim', st.anim)
        if clicked:
            core.act('latent', 'toggle_animation')
        imgui.same_line()
        with imgui_utils.grayed_out(not st.anim):
            changed, speed = imgui_utils.slider('##speed', st.speed, -5, 5, format='%.2f seeds/s', width=fs * 13)
        if finite(changed, speed):
            core.act('latent', 'set', speed=float(min(max(speed, -5.0), 5.0)))
        imgui.same_line()
        with imgui_utils.grayed_out(latent.is_snapped()):
            if imgui.button('Snap'):
                core.act('latent', 'snap')
        imgui.same_line()
        with imgui_utils.grayed_out(st == latent.State()):
            if imgui.button('Reset##latent'):
                core.act('latent', 'reset')
        self._draw_class(core, ui)

    @staticmethod
    def _draw_class(core, ui: Ui) -> None:
        st = core.controllers['latent'].state
        net = core.facts.network
        c_dim = net.c_dim if net is not None else 0
        if c_dim == 0:
            return
        label(ui, 'Class')
        clicked, chosen = imgui.checkbox('##choose_class', st.class_idx is not None)
        imgui_utils.tooltip('Choose the class; unticked, each seed draws its own class')
        if clicked:
            core.act('latent', 'set_class', 0 if chosen else None)
        imgui.same_line()
        with imgui_utils.grayed_out(st.class_idx is None, 'Tick the box to choose a class'):
            changed, idx = input_int('##class', st.class_idx or 0, 0, c_dim - 1, ui.font_size * 7, step_fast=10)
        if changed and st.class_idx is not None:
            core.act('latent', 'set_class', idx)
        imgui.same_line()
        imgui.text(f'of {c_dim}')
