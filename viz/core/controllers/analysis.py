"""Analysis controller: the equivariance heatmap and the spectrum view (one request part, so turning one
on turns the other off), and the parameters of their background commands (batch EQ metrics, the K-seed
spectrum average). The commands themselves are started by the view core (`ViewCore.act('app', ...)`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from viz.core.controller import Controller, Facts
from viz.protocol import EQ_LAYOUTS, EQ_MODES, SEED_MODULO, SPECTRUM_CHANNELS, AnalysisArgs, MetricsCommand, SpectrumAverageCommand

DB_LIMIT = 400.0                                # Spectrum colour range limits (dB).
BETA_LIMIT = 20.0                               # Largest Kaiser beta offered.


def unavailable_reason(facts: Facts) -> str | None:
    """Why the loaded network cannot show equivariance (None if it can, or nothing is loaded yet)."""
    net = facts.network
    if net is None or net.has_transform:
        return None
    if net.architecture == 'stylegan2':
        return 'Not available: StyleGAN2 networks have no input transform.'
    return 'Not available: this network has no input transform.'


class AnalysisController(Controller):
    key = 'analysis'
    title = 'Analysis'
    ACTIONS = ('set_eq_mode', 'show_spectrum', 'set_db_range', 'set', 'reset')

    @dataclasses.dataclass(frozen=True)
    class State:
        eq_mode: str = 'off'                    # 'off' | 'eqt' | 'eqt_frac' | 'eqr'.
        eq_layout: str = 'side'                 # 'side' | 'reference' | 'generated' | 'error'.
        eq_auto_scale: bool = True              # Colour scale up to the largest error shown.
        eq_scale_max: float = 0.01              # Fixed colour-scale maximum (squared error).
        metrics_samples: int = 50               # Batch metrics: N.
        metrics_seed: int = 0                   # Batch metrics: seed.
        spectrum: bool = False                  # Show the spectrum of the layer chosen in Layers as the image.
        spectrum_beta: float = 8.0              # Kaiser window shape.
        spectrum_db_low: float = -40.0          # Colour range in dB.
        spectrum_db_high: float = 20.0
        spectrum_channels: str = 'all'          # 'all' | 'selected' (the Layers channel).
        average_seeds: int = 8                  # K of the average.
        show_average: bool = False              # Show the K-seed average when one is known for these settings.

        def validate(self, where: str) -> None:
            if self.eq_mode not in EQ_MODES:
                raise ValueError(f'{where}.eq_mode = {self.eq_mode!r}: expected one of {", ".join(EQ_MODES)}')
            if self.eq_layout not in EQ_LAYOUTS:
                raise ValueError(f'{where}.eq_layout = {self.eq_layout!r}: expected one of {", ".join(EQ_LAYOUTS)}')
            if not 0 < self.eq_scale_max <= 4:
                raise ValueError(f'{where}.eq_scale_max = {self.eq_scale_max!r}: expected a squared error in (0, 4]')
            if not 1 <= self.metrics_samples <= 1_000_000:
                raise ValueError(f'{where}.metrics_samples = {self.metrics_samples}: expected 1 .. 1000000')
            if not 0 <= self.metrics_seed < SEED_MODULO:
                raise ValueError(f'{where}.metrics_seed = {self.metrics_seed}: expected 0 .. {SEED_MODULO - 1}')
            if self.spectrum_channels not in SPECTRUM_CHANNELS:
                raise ValueError(f'{where}.spectrum_channels = {self.spectrum_channels!r}: expected one of {", ".join(SPECTRUM_CHANNELS)}')
            if not 0 <= self.spectrum_beta <= BETA_LIMIT:
                raise ValueError(f'{where}.spectrum_beta = {self.spectrum_beta}: expected a Kaiser beta in [0, {BETA_LIMIT:g}]')
            if not -DB_LIMIT <= self.spectrum_db_low < self.spectrum_db_high <= DB_LIMIT:
                raise ValueError(f'{where}.spectrum_db_low, spectrum_db_high = {self.spectrum_db_low}, {self.spectrum_db_high}: '
                    f'expected -{DB_LIMIT:g} <= low < high <= {DB_LIMIT:g}')
            if not 1 <= self.average_seeds <= 100_000:
                raise ValueError(f'{where}.average_seeds = {self.average_seeds}: expected 1 .. 100000')

    def set_eq_mode(self, mode: str) -> None:
        """Show the heatmap of `mode` ('off' to hide it); the spectrum view gives way."""
        self.update(eq_mode=mode, spectrum=self.state.spectrum and mode == 'off')

    def show_spectrum(self, on: bool) -> None:
        """Show the spectrum instead of the layer's values; the heatmap gives way."""
        self.update(spectrum=bool(on), eq_mode='off' if on else self.state.eq_mode)

    def set_db_range(self, low: float, high: float) -> None:
        """The spectrum's colour range in dB, as typed: clamped to the limits, the top at least 1 dB above the bottom."""
        low = float(min(max(low, -DB_LIMIT), DB_LIMIT - 1))
        self.update(spectrum_db_low=low, spectrum_db_high=float(min(max(high, low + 1), DB_LIMIT)))

    def metrics_command(self) -> MetricsCommand:
        return MetricsCommand(samples=self.state.metrics_samples, seed=self.state.metrics_seed)

    def average_command(self) -> SpectrumAverageCommand:
        """The command of "Average over K seeds"; the view shows the average (spectrum on) once it is done."""
        self.update(spectrum=True, eq_mode='off', show_average=True)
        return SpectrumAverageCommand(seeds=self.state.average_seeds)

    def to_args(self, facts: Facts) -> dict[str, Any]:
        st = self.state
        return {'analysis': AnalysisArgs(eq_mode=st.eq_mode, eq_layout=st.eq_layout,
            eq_scale_max=0.0 if st.eq_auto_scale else float(st.eq_scale_max), spectrum=st.spectrum,
            spectrum_beta=float(st.spectrum_beta), spectrum_db_low=float(st.spectrum_db_low), spectrum_db_high=float(st.spectrum_db_high),
            spectrum_channels=st.spectrum_channels, spectrum_average=st.show_average, average_seeds=st.average_seeds)}
