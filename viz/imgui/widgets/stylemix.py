"""Style mixing widget: a second seed whose W replaces the ticked W indices."""

from __future__ import annotations

import dataclasses

import imgui

from gui_utils import imgui_utils
from viz.protocol import StyleMixArgs
from viz.imgui.widgets.base import DIM_RGBA, SEED_LIMIT, FrameContext, Widget, current_network, label_width, message

DEFAULT_NUM_WS = 16


def canonical_mask(mask) -> tuple[bool, ...]:
    """The mask without trailing False entries, so equal selections give equal requests whatever num_ws is."""
    mask = [bool(m) for m in mask]
    while mask and not mask[-1]:
        mask.pop()
    return tuple(mask)


class StyleMixWidget(Widget):
    title = 'Style mixing'
    field = 'mix'

    @dataclasses.dataclass
    class State:
        enabled: bool = False
        seed: int = 0
        mask: tuple[bool, ...] = ()             # Per W index (missing = not mixed).

        def validate(self, where: str) -> None:
            if not 0 <= self.seed <= SEED_LIMIT:
                raise ValueError(f'{where}.seed = {self.seed}: expected an integer in [0, {SEED_LIMIT}]')

    def draw(self, ctx: FrameContext) -> StyleMixArgs:
        st = self.state
        net = current_network(ctx)
        num_ws = net.num_ws if net is not None else max(len(st.mask), DEFAULT_NUM_WS)

        imgui.text('Mix seed')
        imgui.same_line(label_width(ctx))
        _clicked, st.enabled = imgui.checkbox('##enabled', st.enabled)
        imgui_utils.tooltip('Replace the ticked W vectors with those of the mix seed')
        imgui.same_line()
        with imgui_utils.item_width(ctx.font_size * 7), imgui_utils.grayed_out(not st.enabled):
            changed, seed = imgui.input_int('##seed', st.seed)
        if changed:
            st.seed = min(max(int(seed), 0), SEED_LIMIT)

        # One toggle per W index, with quick selections.
        with imgui_utils.grayed_out(not st.enabled, 'Enable mixing first'):
            imgui.text('W index')
            imgui.same_line(label_width(ctx))
            mask = (list(st.mask) + [False] * num_ws)[:max(num_ws, len(st.mask))]
            per_row = 8
            for idx in range(num_ws):
                if idx % per_row:
                    imgui.same_line()
                elif idx:
                    imgui.dummy(label_width(ctx) - imgui.get_style().item_spacing.x, 0)
                    imgui.same_line()
                _clicked, mask[idx] = imgui.checkbox(f'##w{idx}', mask[idx])
                imgui_utils.tooltip(f'W index {idx}')
            for idx, (label, chosen) in enumerate((('All', lambda i: True), ('None', lambda i: False),
                    ('Coarse', lambda i: i < num_ws // 3), ('Fine', lambda i: i >= 2 * num_ws // 3))):
                if idx:
                    imgui.same_line()
                if imgui.button(f'{label}##mix'):
                    mask = [chosen(i) for i in range(num_ws)]
            st.mask = canonical_mask(mask)
        if st.enabled and not any(st.mask):
            message('No W index ticked: nothing is mixed.', DIM_RGBA)
        return StyleMixArgs(enabled=st.enabled, seed=st.seed, mask=st.mask)
