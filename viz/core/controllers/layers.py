"""Layers controller: which synthesis layer and channels to show, normalise, gain and margins."""

from __future__ import annotations

import dataclasses
from typing import Any

from viz.core.controller import Controller, Facts
from viz.protocol import LAYER_VIEWS, LayerArgs, LayerInfo

GAIN_RANGE = (-40.0, 40.0)                      # dB.


def selected_layer(facts: Facts, name: str | None) -> LayerInfo | None:
    layers = facts.result.layers if facts.result is not None else ()
    return next((info for info in layers if info.name == name), None)


class LayersController(Controller):
    key = 'layer'
    title = 'Layers'
    ACTIONS = ('select', 'set', 'reset')

    @dataclasses.dataclass(frozen=True)
    class State:
        name: str | None = None                 # None = the generator output.
        view: str = 'rgb'                       # 'rgb' | 'channel'.
        channel: int = 0
        normalize: bool = False
        gain_db: float = 0.0
        crop_margins: bool = False

        def validate(self, where: str) -> None:
            if self.view not in LAYER_VIEWS:
                raise ValueError(f'{where}.view = {self.view!r}: expected one of {", ".join(LAYER_VIEWS)}')
            if self.channel < 0:
                raise ValueError(f'{where}.channel = {self.channel}: expected an integer >= 0')
            if not GAIN_RANGE[0] <= self.gain_db <= GAIN_RANGE[1]:
                raise ValueError(f'{where}.gain_db = {self.gain_db}: expected dB in [{GAIN_RANGE[0]:g}, {GAIN_RANGE[1]:g}]')

    def select(self, name: str | None) -> None:
        """Show layer `name` (None = the generator output)."""
        self.update(name=name)

    def channel_count(self, facts: Facts) -> int:
        layers = facts.result.layers if facts.result is not None else ()
        selected = selected_layer(facts, self.state.name)
        return selected.channels if selected is not None else (layers[-1].channels if layers else 3)

    def top_channel(self, facts: Facts) -> int:
        """The largest first channel the view can show (RGB shows three)."""
        return max(self.channel_count(facts) - (3 if self.state.view == 'rgb' else 1), 0)

    def to_args(self, facts: Facts) -> dict[str, Any]:
        st = self.state
        known = facts.result is not None and bool(facts.result.layers)
        channel = min(st.channel, self.top_channel(facts)) if known else st.channel
        return {'layer': LayerArgs(name=st.name, view=st.view, channel=channel, normalize=st.normalize, gain_db=st.gain_db,
            crop_margins=st.crop_margins)}
