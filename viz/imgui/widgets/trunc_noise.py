"""Truncation and noise widget: psi and cutoff; noise mode and seed for networks with noise inputs.
draw() returns two parts: (TruncationArgs, NoiseArgs)."""

from __future__ import annotations

import dataclasses

import imgui

from gui_utils import imgui_utils
from viz.protocol import NOISE_MODES, NoiseArgs, TruncationArgs
from viz.imgui.widgets.base import SEED_LIMIT, FrameContext, Widget, current_network, label_width

NO_NOISE_REASON = 'This network has no noise inputs (StyleGAN3 networks never do).'


class TruncNoiseWidget(Widget):
    title = 'Truncation & noise'
    field = ('truncation', 'noise')

    @dataclasses.dataclass
    class State:
        psi: float = 1.0                        # Truncation psi.
        use_cutoff: bool = False                # Truncate only the first `cutoff` W indices?
        cutoff: int = 8
        noise_mode: str = 'const'               # 'const' | 'random' | 'none'.
        noise_seed: int = 0

        def validate(self, where: str) -> None:
            if self.noise_mode not in NOISE_MODES:
                raise ValueError(f'{where}.noise_mode = {self.noise_mode!r}: expected one of {", ".join(NOISE_MODES)}')
            if self.cutoff < 0:
                raise ValueError(f'{where}.cutoff = {self.cutoff}: expected an integer >= 0')
            if not 0 <= self.noise_seed <= SEED_LIMIT:
                raise ValueError(f'{where}.noise_seed = {self.noise_seed}: expected an integer in [0, {SEED_LIMIT}]')

    def draw(self, ctx: FrameContext) -> tuple[TruncationArgs, NoiseArgs]:
        st = self.state
        fs = ctx.font_size
        net = current_network(ctx)
        num_ws = net.num_ws if net is not None else 16

        imgui.text('Truncate')
        imgui.same_line(label_width(ctx))
        changed, psi = imgui_utils.slider_with_reset('Psi##trunc', st.psi, -1.0, 2.0, 1.0, format='psi %.2f', width=fs * 10,
            help='W = w_avg + psi * (W - w_avg); 1 = no truncation')
        if changed:
            st.psi = float(psi)
        imgui.text('Cutoff')
        imgui.same_line(label_width(ctx))
        _clicked, st.use_cutoff = imgui.checkbox('##use_cutoff', st.use_cutoff)
        imgui_utils.tooltip('Truncate only the W indices below the cutoff (coarse styles)')
        imgui.same_line()
        with imgui_utils.grayed_out(not st.use_cutoff), imgui_utils.item_width(fs * 10):
            changed, cutoff = imgui.slider_int('##cutoff', min(st.cutoff, num_ws), 0, num_ws, format='first %d ws')
        if changed:
            st.cutoff = int(cutoff)

        has_noise = net is None or net.has_noise
        with imgui_utils.grayed_out(not has_noise, NO_NOISE_REASON):
            imgui.text('Noise')
            imgui.same_line(label_width(ctx))
            for idx, mode in enumerate(NOISE_MODES):
                if idx:
                    imgui.same_line()
                if imgui.radio_button(f'{mode}##noise', st.noise_mode == mode):
                    st.noise_mode = mode
            imgui.same_line()
            with imgui_utils.grayed_out(st.noise_mode != 'random'), imgui_utils.item_width(fs * 6):
                changed, seed = imgui.input_int('##noise_seed', st.noise_seed)
            imgui_utils.tooltip('Seed of the random noise, so a frame can be reproduced')
            if changed:
                st.noise_seed = min(max(int(seed), 0), SEED_LIMIT)

        trunc = TruncationArgs(psi=st.psi, cutoff=min(st.cutoff, num_ws) if st.use_cutoff else None)
        return trunc, NoiseArgs(mode=st.noise_mode, seed=st.noise_seed)
