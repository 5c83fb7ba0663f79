"""Performance controller: render device, fp32, the bfloat16 preview while dragging, the transform preview, and
the GUI's frame-rate cap and vsync (front-end settings kept with the view, outside the request)."""

from __future__ import annotations

import dataclasses
from typing import Any

from viz.core.controller import Controller, Facts
from viz.protocol import PerformanceArgs

DEVICES = ('auto', 'cpu', 'cuda', 'mps')
FPS_RANGE = (5.0, 240.0)


def preview_unavailable(facts: Facts) -> str | None:
    """Why the bfloat16 preview cannot be used on the current device (None if it can or nothing is loaded)."""
    net = facts.network
    return None if net is None or net.bf16_supported else f'Unavailable: {net.bf16_reason}'


class PerformanceController(Controller):
    key = 'performance'
    title = 'Performance'
    ACTIONS = ('set', 'reset')

    @dataclasses.dataclass(frozen=True)
    class State:
        fps_limit: float = 60.0                 # GUI frame-rate cap (frames per second).
        vsync: bool = False                     # Sync buffer swaps to the display.
        device: str = 'auto'                    # Render device.
        force_fp32: bool = False                # Disable fp16 layers.
        preview_bf16: bool = False              # bfloat16 preview while dragging (where the device supports it).
        transform_preview: bool = True          # StyleGAN3: show the last image moved by a transform change until the exact one arrives.

        def validate(self, where: str) -> None:
            if self.device not in DEVICES and not (self.device.startswith('cuda:') and self.device[5:].isdigit()):
                raise ValueError(f'{where}.device = {self.device!r}: expected one of {", ".join(DEVICES)} or cuda:N')
            if not FPS_RANGE[0] <= self.fps_limit <= FPS_RANGE[1]:
                raise ValueError(f'{where}.fps_limit = {self.fps_limit}: expected frames per second in [{FPS_RANGE[0]:g}, {FPS_RANGE[1]:g}]')

    def to_args(self, facts: Facts) -> dict[str, Any]:
        st = self.state
        preview = st.preview_bf16 and preview_unavailable(facts) is None
        return {'performance': PerformanceArgs(device=st.device, force_fp32=st.force_fp32, preview_bf16=preview)}
