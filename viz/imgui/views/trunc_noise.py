"""Truncation and noise section: psi, cutoff, noise mode and seed."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from viz.core.controllers.stylemix import SEED_LIMIT
from viz.protocol import NOISE_MODES
from viz.imgui.views.base import Ui, checkbox, finite, input_int, label, radio, shown_network

NO_NOISE_REASON = 'This network has no noise inputs (StyleGAN3 networks have none).'


class TruncNoiseView:
    title = 'Truncation & noise'

    def draw(self, core, ui: Ui) -> None:
        ctrl = core.controllers['trunc_noise']
        st = ctrl.state
        fs = ui.font_size
        num_ws = ctrl.num_ws(core.facts)
        label(ui, 'Truncate')
        changed, psi = imgui_utils.slider_with_reset('##psi', st.psi, -1.0, 2.0, 1.0, format='psi %.2f', width=fs * 14,
            help='W = w_avg + psi * (W - w_avg); 1 = no truncation')
        if finite(changed, psi):
            core.act('trunc_noise', 'set', psi=float(min(max(psi, -4.0), 4.0)))
        label(ui, 'Cutoff')
        checkbox(core, 'trunc_noise', 'use_cutoff', '##use_cutoff')
        imgui_utils.tooltip('Truncate only the W indices below the cutoff (coarse styles)')
        imgui.same_line()
        with imgui_utils.grayed_out(not st.use_cutoff):
            changed, cutoff = imgui_utils.slider('##cutoff', min(st.cutoff, num_ws), 0, num_ws, integer=True, format='first %d ws',
                width=fs * 14)
        if changed:
            core.act('trunc_noise', 'set', cutoff=int(min(max(cutoff, 0), num_ws)))

        net = shown_network(core)                              # A failed load keeps the shown network's noise inputs.
        with imgui_utils.grayed_out(net is not None and not net.has_noise, NO_NOISE_REASON):
            label(ui, 'Noise')
            radio(core, 'trunc_noise', 'noise_mode', {mode: mode for mode in NOISE_MODES}, 'noise')
            imgui.same_line()
            with imgui_utils.grayed_out(st.noise_mode != 'random'):
                changed, seed = input_int('##noise_seed', st.noise_seed, 0, SEED_LIMIT, fs * 6)
            imgui_utils.tooltip('Seed of the random noise, so a frame can be reproduced')
            if changed:
                core.act('trunc_noise', 'set', noise_seed=seed)
