"""Where an image sits in an area of the screen: fit, zoom in whole steps, pan, and what is under a point.

Toolkit-neutral maths (no GL, no windowing): the GLFW / imgui window and the Tk window both use it, for
drawing with OpenGL or without. Rectangles are (x, y, width, height) in pixels with the origin at the top left.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

Rect = tuple[float, float, float, float]

#----------------------------------------------------------------------------

def zoom_levels(max_zoom: int = 32, min_zoom_divisor: int = 16) -> list[float]:
    """The zoom factors the mouse wheel steps through: 1/16, ..., 1/2, 1, 2, ..., 32."""
    return [1 / d for d in range(min_zoom_divisor, 1, -1)] + [float(z) for z in range(1, max_zoom + 1)]

@dataclasses.dataclass
class ImageView:
    """Where an image sits in an area: zoom (framebuffer pixels per image pixel; None = fit) and pan.

    Fit fills the area (a 256 px image in a 480 px area at 1.875x); the wheel steps through whole zooms (so pixels
    stay square and crisp) and fractions below 1. The image is centred in the area and then moved by `pan` pixels.
    Drawn rectangles are rounded to whole pixels, so at a whole zoom every image pixel covers exactly
    zoom x zoom framebuffer pixels.
    """
    zoom: float | None = None
    pan: tuple[float, float] = (0.0, 0.0)

    @staticmethod
    def fit_zoom(area_size: tuple[float, float], image_size: tuple[int, int]) -> float:
        (aw, ah), (iw, ih) = area_size, image_size
        if iw <= 0 or ih <= 0 or aw <= 0 or ah <= 0:
            return 1.0
        return min(aw / iw, ah / ih)

    def effective_zoom(self, area: tuple[float, float, float, float], image_size: tuple[int, int]) -> float:
        return self.zoom if self.zoom is not None else self.fit_zoom(area[2:], image_size)

    def image_rect(self, area: tuple[float, float, float, float], image_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """The rectangle (x, y, w, h), in whole pixels, the image covers."""
        ax, ay, aw, ah = area
        iw, ih = image_size
        z = self.effective_zoom(area, image_size)
        w = max(int(round(iw * z)), 1)
        h = max(int(round(ih * z)), 1)
        x = int(math.floor(ax + (aw - w) / 2 + self.pan[0] + 0.5))
        y = int(math.floor(ay + (ah - h) / 2 + self.pan[1] + 0.5))
        return (x, y, w, h)

    def to_image(self, point: tuple[float, float], area, image_size) -> tuple[float, float]:
        """Image coordinates (pixel (i, j) spans [i, i+1) x [j, j+1)) of a framebuffer point."""
        x, y, w, h = self.image_rect(area, image_size)
        return ((point[0] - x) * image_size[0] / w, (point[1] - y) * image_size[1] / h)

    def pixel_at(self, point, area, image_size) -> tuple[int, int] | None:
        """The integer pixel (column, row) under a framebuffer point, or None outside the image."""
        fx, fy = self.to_image(point, area, image_size)
        i, j = math.floor(fx), math.floor(fy)
        return (i, j) if 0 <= i < image_size[0] and 0 <= j < image_size[1] else None

    def pan_by(self, dx: float, dy: float) -> None:
        self.pan = (self.pan[0] + dx, self.pan[1] + dy)

    def zoom_step(self, steps: int, anchor: tuple[float, float], area, image_size) -> None:
        """Zoom `steps` levels in (positive) or out, keeping the image point under `anchor` in place."""
        if steps == 0:
            return
        levels = zoom_levels()
        z = self.effective_zoom(area, image_size)
        if steps > 0:
            bigger = [l for l in levels if l > z * (1 + 1e-6)]
            new_zoom = bigger[min(steps, len(bigger)) - 1] if bigger else levels[-1]
        else:
            smaller = [l for l in levels if l < z * (1 - 1e-6)]
            new_zoom = smaller[-min(-steps, len(smaller))] if smaller else levels[0]
        fx, fy = self.to_image(anchor, area, image_size)
        ax, ay, aw, ah = area
        iw, ih = image_size
        # Choose the pan that puts image point (fx, fy) at the anchor at the new zoom.
        self.zoom = new_zoom
        self.pan = (anchor[0] - (ax + (aw - iw * new_zoom) / 2) - fx * new_zoom,
                    anchor[1] - (ay + (ah - ih * new_zoom) / 2) - fy * new_zoom)

    def reset(self) -> None:
        """Back to fit, centred."""
        self.zoom = None
        self.pan = (0.0, 0.0)

    def readout(self, point: tuple[float, float], area, image: np.ndarray,
            panels: tuple[tuple[str, int, int, int, int], ...] = ()) -> str | None:
        """'x 12, y 34: 200 10 5' for the pixel of `image` (uint8 [H, W, C]) under a point, or None outside it. With
        `panels` ((name, x, y, width, height) of the pictures the image is made of), 'error x 2, y 34: ...' with
        coordinates in the panel under the point, or None between panels."""
        hit = self.pixel_at(point, area, (image.shape[1], image.shape[0]))
        if hit is None:
            return None
        value = ' '.join(str(int(v)) for v in np.atleast_1d(image[hit[1], hit[0]]))
        if not panels:
            return f'x {hit[0]}, y {hit[1]}: {value}'
        for name, x, y, w, h in panels:
            if x <= hit[0] < x + w and y <= hit[1] < y + h:
                return f'{name} x {hit[0] - x}, y {hit[1] - y}: {value}'
        return None

#----------------------------------------------------------------------------

class MouseZoom:
    """The mouse over an image view: wheel motion in whole zoom steps around the cursor (fractional wheel
    motion, from touchpads, adds up until it makes a step), middle-drag pan, and drag motion on screen as
    motion in the pixels of the image shown or of the generator's output."""

    def __init__(self, view: ImageView | None = None):
        self.view = view or ImageView()
        self._wheel = 0.0                       # Wheel motion not yet turned into zoom steps.

    def wheel(self, amount: float, point: tuple[float, float], area: Rect, image_size: tuple[int, int]) -> None:
        """Zoom by `amount` wheel notches (positive: in) around `point`."""
        self._wheel += amount
        steps = int(self._wheel)
        self._wheel -= steps
        self.view.zoom_step(steps, point, area, image_size)

    def drag_scale(self, area: Rect, image_size: tuple[int, int], output_resolution: int | None = None, span: int | None = None) -> float:
        """Output-image pixels per screen pixel of drag. `span` is the width, in shown-image pixels, of one
        output image (one panel of a side-by-side picture; None = the whole image)."""
        zoom = self.view.effective_zoom(area, image_size)
        return 1.0 / zoom * (output_resolution or image_size[0]) / (span or image_size[0])
