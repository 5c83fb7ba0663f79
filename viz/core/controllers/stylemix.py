"""Style mixing controller: replace chosen W indices with those of a second seed."""

from __future__ import annotations

import dataclasses
from typing import Any

from viz.core.controller import ActionError, Controller, Facts
from viz.protocol import StyleMixArgs

SEED_LIMIT = (1 << 31) - 1                      # Largest seed a toolkit's integer field holds (int32).
DEFAULT_NUM_WS = 16                             # W indices offered before the first result.
MAX_WS = 64                                     # Most W indices a mask may name (NVIDIA's networks have at most 18).
PRESETS = ('all', 'none', 'coarse', 'fine')     # Quick selections of W indices.


def canonical_mask(mask: list[bool] | tuple[bool, ...]) -> tuple[bool, ...]:
    """The mask without trailing False entries (so equal selections compare equal)."""
    mask = list(mask)
    while mask and not mask[-1]:
        mask.pop()
    return tuple(mask)


def preset_mask(preset: str, num_ws: int) -> tuple[bool, ...]:
    """'all', 'none', 'coarse' (the first third) or 'fine' (the last third) of num_ws W indices."""
    chosen = {'all': lambda i: True, 'none': lambda i: False, 'coarse': lambda i: i < num_ws // 3,
        'fine': lambda i: i >= 2 * num_ws // 3}
    if preset not in chosen:
        raise ActionError(f'style-mix preset {preset!r}: expected one of {", ".join(PRESETS)}')
    if isinstance(num_ws, bool) or not isinstance(num_ws, int) or not 0 <= num_ws <= MAX_WS:
        raise ActionError(f'style-mix preset of {num_ws!r} W indices: expected an integer in [0, {MAX_WS}]')
    return canonical_mask([chosen[preset](i) for i in range(num_ws)])


def num_ws_of(facts: Facts, mask: tuple[bool, ...]) -> int:
    net = facts.network
    return net.num_ws if net is not None else max(len(mask), DEFAULT_NUM_WS)


class StyleMixController(Controller):
    key = 'mix'
    title = 'Style mixing'
    ACTIONS = ('set', 'toggle_index', 'preset', 'reset')

    @dataclasses.dataclass(frozen=True)
    class State:
        enabled: bool = False
        seed: int = 0
        mask: tuple[bool, ...] = ()             # Per W index (missing = not mixed).

        def validate(self, where: str) -> None:
            if not 0 <= self.seed <= SEED_LIMIT:
                raise ValueError(f'{where}.seed = {self.seed}: expected an integer in [0, {SEED_LIMIT}]')
            if len(self.mask) > MAX_WS:
                raise ValueError(f'{where}.mask: {len(self.mask)} entries; expected at most {MAX_WS} (one per W index)')

    def toggle_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_WS:
            raise ActionError(f'W index {index!r}: expected an integer in [0, {MAX_WS - 1}]')
        mask = list(self.state.mask) + [False] * (index + 1 - len(self.state.mask))
        mask[index] = not mask[index]
        self.update(mask=canonical_mask(mask))

    def preset(self, preset: str, num_ws: int) -> None:
        self.update(mask=preset_mask(preset, num_ws))

    def to_args(self, facts: Facts) -> dict[str, Any]:
        st = self.state
        return {'mix': StyleMixArgs(enabled=st.enabled, seed=st.seed, mask=st.mask)}
