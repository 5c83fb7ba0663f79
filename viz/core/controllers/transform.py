"""Input transform controller (StyleGAN3): translate, rotate, scale, their animation, rounding to whole
output pixels, reset, and the "untransform" view."""

from __future__ import annotations

import dataclasses
from typing import Any

from viz.core.controller import DRAG_BUTTON_TRANSFORM, Controller, Facts, ImageDrag
from viz.protocol import TransformArgs

NO_TRANSFORM_REASON = 'This network has no input transform (StyleGAN2 networks have none).'
IMAGE_DRAG_DEG_PER_PIXEL = 0.5                  # Ctrl + right drag in the image: rotation per image pixel.
SLOW_DRAG = 0.1                                 # Shift held: drags move this much slower.
SCALE_RANGE = (0.125, 8.0)


def available(facts: Facts) -> bool:
    """Can the network take an input transform? (Assumed yes before the first result.)"""
    return facts.network is None or facts.network.has_transform


class TransformController(Controller):
    key = 'transform'
    title = 'Input transform'
    ACTIONS = ('set', 'translate', 'rotate', 'reset_transform', 'reset')

    @dataclasses.dataclass(frozen=True)
    class State:
        x: float = 0.0                          # Translation in image widths (positive: content moves right).
        y: float = 0.0                          # Translation in image heights (positive: content moves down).
        angle_deg: float = 0.0                  # Rotation, counter-clockwise on screen.
        scale: float = 1.0                      # Zoom factor.
        round_pixels: bool = False              # Round the translation to whole output pixels.
        anim_translate: bool = False            # Pan to the right over time.
        translate_speed: float = 0.02           # Image widths per second.
        anim_rotate: bool = False
        rotate_speed: float = 10.0              # Degrees per second.
        untransform: bool = False               # Resample the output back by the inverse transform.

        def validate(self, where: str) -> None:
            if not SCALE_RANGE[0] <= self.scale <= SCALE_RANGE[1]:
                raise ValueError(f'{where}.scale = {self.scale}: expected a zoom factor in [{SCALE_RANGE[0]}, {SCALE_RANGE[1]}]')

    def is_identity(self) -> bool:
        st = self.state
        return st.x == 0 and st.y == 0 and st.angle_deg == 0 and st.scale == 1

    def translate(self, dx: float, dy: float) -> None:
        """Move the content by (dx, dy) image widths / heights."""
        self.update(x=self.state.x + dx, y=self.state.y + dy)

    def rotate(self, degrees: float) -> None:
        self.update(angle_deg=self.state.angle_deg + degrees)

    def reset_transform(self) -> None:
        """Back to the identity, keeping the speeds and the untransform choice."""
        self.update(x=0.0, y=0.0, angle_deg=0.0, scale=1.0, anim_translate=False, anim_rotate=False)

    def step(self, dt: float, facts: Facts) -> None:
        st = self.state
        if dt <= 0 or not available(facts) or not (st.anim_translate or st.anim_rotate):
            return
        self.update(x=st.x + dt * st.translate_speed if st.anim_translate else st.x,
            angle_deg=(st.angle_deg + dt * st.rotate_speed) % 360 if st.anim_rotate else st.angle_deg)

    def image_drag(self, drag: ImageDrag, facts: Facts) -> None:
        if drag.button != DRAG_BUTTON_TRANSFORM or not available(facts):
            return
        slow = SLOW_DRAG if drag.shift else 1.0
        if drag.ctrl:
            self.rotate(drag.dx * IMAGE_DRAG_DEG_PER_PIXEL * slow)
        else:
            # Translation is in image widths, so the content follows the mouse.
            self.translate(drag.dx / facts.resolution * slow, drag.dy / facts.resolution * slow)

    def to_args(self, facts: Facts) -> dict[str, Any]:
        st = self.state
        x, y = st.x, st.y
        if st.round_pixels:
            res = facts.resolution
            x, y = round(x * res) / res, round(y * res) / res
        return {'transform': TransformArgs(x=x, y=y, angle_deg=st.angle_deg, scale=st.scale, untransform=st.untransform)}
