"""Directions controller: the basis of directions in W (SeFa, PCA on W, StyleGAN3's pose subspace, a file), the W-index
range edits apply to, one strength per direction, keep pose, the user's names, and an imported W / W+ file with the
index of its latent. The commands (PCA, thumbnails, save, export) are started by the view core
(viz.core.directions_actions)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from viz.core.controller import ActionError, Controller, Facts
from viz.core.controllers.stylemix import MAX_WS
from viz.protocol import DIRECTION_BASES, MAX_DIRECTIONS, SEED_MODULO, DirectionsArgs

STRENGTH_LIMIT = 10.0                           # Strengths are in sigma; sliders span +-5.
NAME_LIMIT = 100                                # Characters of a direction's name.
SHOWN_SLIDERS = 10                              # Sliders shown (the first directions: largest eigenvalue / variance).
SLIDER_RANGE = 5.0                              # Sliders span +-5 sigma (typed values up to STRENGTH_LIMIT).


def count_of(facts: Facts) -> int:
    """Directions of the current basis (from the newest result)."""
    info = facts.result.directions if facts.result is not None else None
    return len(info.names) if info is not None else 0


def latent_count_of(facts: Facts) -> int:
    info = facts.result.directions if facts.result is not None else None
    return info.latent_count if info is not None else 0


def latent_position(state: 'DirectionsController.State', count: int) -> str:
    """'2 of 3' for the imported latent shown, 'none' without a latent file."""
    return f'{state.latent_index + 1} of {count}' if state.latents else 'none'


def sigma_help(facts: Facts, index: int) -> str:
    """The tooltip of direction `index`'s slider."""
    info = facts.result.directions if facts.result is not None else None
    return f'sigma = {info.sigmas[index]:.4g} (spread of W along it)' if info is not None and index < len(info.sigmas) else ''


class DirectionsController(Controller):
    key = 'directions'
    title = 'Directions'
    ACTIONS = ('set', 'set_basis', 'load_directions', 'set_strength', 'reset_strengths', 'set_range', 'rename', 'import_latents',
        'clear_latents', 'next_latent', 'prev_latent', 'reset')

    @dataclasses.dataclass(frozen=True)
    class State:
        basis: str = 'none'                     # 'none' | 'sefa' | 'pca' | 'pose' | 'file'.
        source: str = ''                        # Direction file of basis 'file'.
        first: int = 0                          # Edits apply to W indices [first, last); last None = all.
        last: int | None = None
        strengths: tuple[float, ...] = ()       # Per direction, in sigma.
        keep_pose: bool = False
        names: tuple[str, ...] = ()             # The user's names ('' = the set's own).
        pca_samples: int = 10_000
        pca_seed: int = 0
        latents: str = ''                       # Imported W / W+ file.
        latent_index: int = 0
        thumbnails: bool = False                # Show the thumbnail strips in the image area.

        def validate(self, where: str) -> None:
            if self.basis not in DIRECTION_BASES:
                raise ValueError(f'{where}.basis = {self.basis!r}: expected one of {", ".join(DIRECTION_BASES)}')
            if not 0 <= self.first < MAX_WS or (self.last is not None and not self.first < self.last <= MAX_WS):
                raise ValueError(f'{where}.first, last = {self.first}, {self.last}: expected 0 <= first < last <= {MAX_WS} (last null = all)')
            if len(self.strengths) > MAX_DIRECTIONS or any(abs(s) > STRENGTH_LIMIT for s in self.strengths):
                raise ValueError(f'{where}.strengths: expected at most {MAX_DIRECTIONS} numbers in [-{STRENGTH_LIMIT:g}, {STRENGTH_LIMIT:g}]')
            if len(self.names) > MAX_DIRECTIONS or any(len(n) > NAME_LIMIT for n in self.names):
                raise ValueError(f'{where}.names: expected at most {MAX_DIRECTIONS} names of at most {NAME_LIMIT} characters')
            if not 2 <= self.pca_samples <= 1_000_000 or not 0 <= self.pca_seed < SEED_MODULO:
                raise ValueError(f'{where}.pca_samples, pca_seed = {self.pca_samples}, {self.pca_seed}: expected 2 .. 1000000 and 0 .. 2**32 - 1')
            if self.latent_index < 0:
                raise ValueError(f'{where}.latent_index = {self.latent_index}: expected an integer >= 0')

    # ------------------------------------------------------------------------
    # Actions.

    def set_basis(self, basis: str) -> None:
        """Another basis: its strengths start at 0 and its names are its own."""
        self.update(basis=basis, strengths=(), names=())

    def load_directions(self, path: str) -> None:
        """Directions from a .npy / .npz file (the renderer reads it; a bad file shows its error in the image area)."""
        if not isinstance(path, str) or not path.strip():
            raise ActionError('direction file: expected the path of a .npy or .npz file')
        self.update(basis='file', source=path.strip(), strengths=(), names=())

    def set_strength(self, index: int, value: float) -> None:
        """Strength of direction `index` in sigma (clamped to +-STRENGTH_LIMIT)."""
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_DIRECTIONS:
            raise ActionError(f'direction {index!r}: expected an integer in [0, {MAX_DIRECTIONS - 1}]')
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ActionError(f'strength {value!r}: expected a finite number')
        strengths = list(self.state.strengths) + [0.0] * (index + 1 - len(self.state.strengths))
        strengths[index] = float(min(max(value, -STRENGTH_LIMIT), STRENGTH_LIMIT))
        while strengths and strengths[-1] == 0:
            strengths.pop()
        self.update(strengths=tuple(strengths))

    def reset_strengths(self) -> None:
        self.update(strengths=())

    def set_range(self, first: int, last: int | None) -> None:
        """W indices [first, last) the edits apply to (last None = to the end)."""
        self.update(first=first, last=last)

    def rename(self, index: int, name: str) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_DIRECTIONS:
            raise ActionError(f'direction {index!r}: expected an integer in [0, {MAX_DIRECTIONS - 1}]')
        names = list(self.state.names) + [''] * (index + 1 - len(self.state.names))
        names[index] = str(name).strip()
        while names and not names[-1]:
            names.pop()
        self.update(names=tuple(names))

    def import_latents(self, path: str) -> None:
        """A W / W+ file replaces the seed's W (its first latent; step with next / prev)."""
        if not isinstance(path, str) or not path.strip():
            raise ActionError('latent file: expected the path of a .npy or .npz file')
        self.update(latents=path.strip(), latent_index=0)

    def clear_latents(self) -> None:
        self.update(latents='', latent_index=0)

    def next_latent(self, count: int = 0) -> None:
        """The next latent of the imported file (`count`: its N when known, to stop at the last)."""
        index = self.state.latent_index + 1
        self.update(latent_index=min(index, count - 1) if isinstance(count, int) and count > 0 else index)

    def prev_latent(self) -> None:
        self.update(latent_index=max(self.state.latent_index - 1, 0))

    # ------------------------------------------------------------------------

    def name(self, index: int, facts: Facts) -> str:
        """The shown name of direction `index`: the user's, else the set's own."""
        names = self.state.names
        if index < len(names) and names[index]:
            return names[index]
        info = facts.result.directions if facts.result is not None else None
        return info.names[index] if info is not None and index < len(info.names) else f'd{index}'

    def to_args(self, facts: Facts) -> dict[str, Any]:
        st = self.state
        return {'directions': DirectionsArgs(basis=st.basis, source=st.source, first=st.first, last=st.last, strengths=st.strengths,
            keep_pose=st.keep_pose, pca_samples=st.pca_samples, pca_seed=st.pca_seed, latents=st.latents,
            latent_index=st.latent_index, thumbnails=st.thumbnails)}
