"""Truncation and noise controller: psi with an optional cutoff, and the noise mode and seed (StyleGAN2)."""

from __future__ import annotations

import dataclasses
from typing import Any

from viz.core.controller import Controller, Facts
from viz.core.controllers.stylemix import SEED_LIMIT
from viz.protocol import NOISE_MODES, NoiseArgs, TruncationArgs

DEFAULT_NUM_WS = 16                             # Cutoff range before the first result.


class TruncNoiseController(Controller):
    key = 'trunc_noise'
    title = 'Truncation & noise'
    ACTIONS = ('set', 'reset')

    @dataclasses.dataclass(frozen=True)
    class State:
        psi: float = 1.0                        # Truncation psi.
        use_cutoff: bool = False                # Truncate only the first `cutoff` W indices?
        cutoff: int = 8
        noise_mode: str = 'const'               # 'const' | 'random' | 'none'.
        noise_seed: int = 0

        def validate(self, where: str) -> None:
            if not -4.0 <= self.psi <= 4.0:
                raise ValueError(f'{where}.psi = {self.psi}: expected a truncation psi in [-4, 4]')
            if self.noise_mode not in NOISE_MODES:
                raise ValueError(f'{where}.noise_mode = {self.noise_mode!r}: expected one of {", ".join(NOISE_MODES)}')
            if self.cutoff < 0:
                raise ValueError(f'{where}.cutoff = {self.cutoff}: expected an integer >= 0')
            if not 0 <= self.noise_seed <= SEED_LIMIT:
                raise ValueError(f'{where}.noise_seed = {self.noise_seed}: expected an integer in [0, {SEED_LIMIT}]')

    @staticmethod
    def num_ws(facts: Facts) -> int:
        return facts.network.num_ws if facts.network is not None else DEFAULT_NUM_WS

    def to_args(self, facts: Facts) -> dict[str, Any]:
        st = self.state
        cutoff = min(st.cutoff, self.num_ws(facts)) if st.use_cutoff else None
        return {'truncation': TruncationArgs(psi=st.psi, cutoff=cutoff), 'noise': NoiseArgs(mode=st.noise_mode, seed=st.noise_seed)}
