"""Latent controller: the fractional seed position (drag between seeds, step, snap), its animation, and
the class of conditional networks."""

from __future__ import annotations

import dataclasses
from typing import Any

from viz.core.controller import DRAG_BUTTON_LATENT, ActionError, Controller, Facts, ImageDrag
from viz.protocol import SEED_STEP_Y, LatentArgs

DRAG_SEEDS_PER_IMAGE = 4.0                      # Image drag: seeds per image width.
SLOW_DRAG = 0.1                                 # Shift held: drags move this much slower.
INT32_LIMIT = 1 << 31                           # Seeds shown are clamped to int32 (what toolkits' integer fields hold).


class LatentController(Controller):
    key = 'latent'
    title = 'Latent'
    ACTIONS = ('set_seed', 'move', 'next_seed', 'prev_seed', 'next_seed_row', 'prev_seed_row', 'snap',
        'toggle_animation', 'set', 'set_class', 'reset')

    @dataclasses.dataclass(frozen=True)
    class State:
        x: float = 0.0                          # Fractional seed position (see LatentArgs).
        y: float = 0.0
        anim: bool = False                      # Move along x over time?
        speed: float = 0.25                     # Animation speed in seeds per second.
        class_idx: int | None = None            # Chosen class; None = drawn from the seed.

        def validate(self, where: str) -> None:
            if not -5.0 <= self.speed <= 5.0:
                raise ValueError(f'{where}.speed = {self.speed}: expected seeds per second in [-5, 5]')
            if self.class_idx is not None and self.class_idx < 0:
                raise ValueError(f'{where}.class_idx = {self.class_idx}: expected an integer >= 0 or null')

    def seed(self) -> int:
        """The seed nearest to the current position, as shown (negative positions show negative numbers;
        the renderer takes them modulo 2**32)."""
        seed = round(self.state.x) + round(self.state.y) * SEED_STEP_Y
        return min(max(seed, -INT32_LIMIT), INT32_LIMIT - 1)

    def is_snapped(self) -> bool:
        return self.state.x == round(self.state.x) and self.state.y == round(self.state.y)

    # ------------------------------------------------------------------------
    # Actions.

    def set_seed(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ActionError(f'seed {seed!r}: expected an integer')
        self.update(x=float(seed), y=0.0)

    def move(self, dx: float, dy: float = 0.0) -> None:
        """Move the position by (dx, dy) seeds (a drag, or a fractional offset typed in)."""
        self.update(x=self.state.x + dx, y=self.state.y + dy)

    def _step_snapped(self, dx: int, dy: int) -> None:
        self.update(x=float(round(self.state.x) + dx), y=float(round(self.state.y) + dy))

    def next_seed(self) -> None:
        self._step_snapped(1, 0)

    def prev_seed(self) -> None:
        self._step_snapped(-1, 0)

    def next_seed_row(self) -> None:
        self._step_snapped(0, 1)

    def prev_seed_row(self) -> None:
        self._step_snapped(0, -1)

    def snap(self) -> None:
        self._step_snapped(0, 0)

    def toggle_animation(self) -> None:
        self.update(anim=not self.state.anim)

    def set_class(self, class_idx: int | None) -> None:
        """Choose a class (None: each seed draws its own)."""
        self.update(class_idx=class_idx)

    # ------------------------------------------------------------------------

    def step(self, dt: float, facts: Facts) -> None:
        if self.state.anim and dt > 0:
            self.update(x=self.state.x + dt * self.state.speed)

    def image_drag(self, drag: ImageDrag, facts: Facts) -> None:
        if drag.button != DRAG_BUTTON_LATENT or drag.ctrl:
            return
        factor = DRAG_SEEDS_PER_IMAGE / facts.resolution * (SLOW_DRAG if drag.shift else 1.0)
        self.move(drag.dx * factor, drag.dy * factor)

    def to_args(self, facts: Facts) -> dict[str, Any]:
        st = self.state
        net = facts.network
        class_idx = st.class_idx
        if class_idx is not None and net is not None and net.c_dim > 0:
            class_idx = min(class_idx, net.c_dim - 1)
        return {'latent': LatentArgs(x=st.x, y=st.y, class_idx=class_idx)}
