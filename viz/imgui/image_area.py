"""The image area of the window: the newest image as a texture, fit / zoom / pan, and mouse handling.

Rectangles come in screen coordinates (those of imgui and the mouse) and are drawn in framebuffer pixels
(`fb_scale` of them per screen unit, 2 on a retina display), so at zoom 1 one image pixel is one
framebuffer pixel.
"""

from __future__ import annotations

import imgui
import numpy as np

from gui_utils import gl_utils, image_view
from viz.core.controller import ImageDrag
from viz.core.preview import NEUTRAL_RGBA

Rect = tuple[float, float, float, float]


def scaled(rect: Rect, s: float) -> Rect:
    return tuple(v * s for v in rect)


class ImageArea:
    def __init__(self, filter: str = 'nearest'):
        self.mouse = image_view.MouseZoom()          # Zoom steps, pan and drag scale (shared with the Tk window).
        self.view = self.mouse.view
        self.program = gl_utils.ImageProgram()
        self.texture: gl_utils.Texture | None = None
        self.image: np.ndarray | None = None         # The image in the texture, uint8 [H, W, 3].
        self.filter = filter
        self.drag_button: int | None = None          # Mouse button of a drag that started in the area.

    @property
    def image_size(self) -> tuple[int, int] | None:
        return None if self.image is None else (self.image.shape[1], self.image.shape[0])

    def set_image(self, image: np.ndarray) -> None:
        if self.texture is None:
            self.texture = gl_utils.Texture(filter=self.filter)
        self.texture.upload(image)
        self.image = image

    def set_filter(self, filter: str) -> None:
        self.filter = filter
        if self.texture is not None:
            self.texture.set_filter(filter)

    def zoom(self, area: Rect, fb_scale: float) -> float | None:
        size = self.image_size
        return None if size is None else self.view.effective_zoom(scaled(area, fb_scale), size)

    def handle_mouse(self, area: Rect, fb_scale: float, output_resolution: int | None, span: int | None = None) -> ImageDrag | None:
        """Wheel zooms in whole steps around the cursor, middle-drag pans; left and right drags that start
        in the area are returned for the view core, in output-image pixels. `span` is the width, in shown-image
        pixels, of one output image (None = the whole shown image, e.g. not the side-by-side heatmap)."""
        io = imgui.get_io()
        mx, my = io.mouse_pos
        ax, ay, aw, ah = area
        over_area = not io.want_capture_mouse and ax <= mx < ax + aw and ay <= my < ay + ah
        area_fb = scaled(area, fb_scale)
        size = self.image_size
        if over_area and size is not None and io.mouse_wheel:
            self.mouse.wheel(io.mouse_wheel, (mx * fb_scale, my * fb_scale), area_fb, size)

        if self.drag_button is None and over_area:
            for button in (0, 1, 2):
                if imgui.is_mouse_clicked(button):
                    self.drag_button = button
                    break
        if self.drag_button is None:
            return None
        if not imgui.is_mouse_down(self.drag_button):
            self.drag_button = None
            return None
        dx, dy = io.mouse_delta
        if (dx == 0 and dy == 0) or size is None:
            return None
        if self.drag_button == 2:
            self.view.pan_by(dx * fb_scale, dy * fb_scale)
            return None
        factor = fb_scale * self.mouse.drag_scale(area_fb, size, output_resolution, span)  # Screen units -> output-image pixels.
        return ImageDrag(dx=dx * factor, dy=dy * factor, button=self.drag_button, shift=bool(io.key_shift),
            ctrl=bool(io.key_ctrl), alt=bool(io.key_alt))

    def draw(self, area: Rect, fb_scale: float, framebuffer_size: tuple[int, int], warp: np.ndarray | None = None):
        """Draw the image clipped to the area, through `warp` (the transform preview, viz.core.preview: texture
        coordinates drawn -> read; grey where it reads outside the image) if given; returns (rect, clip, zoom) in
        framebuffer pixels, or None."""
        size = self.image_size
        if self.texture is None or size is None:
            return None
        area_fb = scaled(area, fb_scale)
        rect = self.view.image_rect(area_fb, size)
        clip = tuple(int(round(v)) for v in area_fb)
        self.program.draw(self.texture, framebuffer_size, rect, clip=clip, warp=warp, neutral=NEUTRAL_RGBA)
        return rect, clip, self.view.effective_zoom(area_fb, size)

    def pixel_text(self, area: Rect, fb_scale: float, panels: tuple[tuple[str, int, int, int, int], ...] = ()) -> str | None:
        """'x 12, y 34: 200 10 5' for the image pixel under the mouse ('error x 2, y 34: ...' in the panel under it
        when the image is made of `panels`), or None."""
        io = imgui.get_io()
        mx, my = io.mouse_pos
        ax, ay, aw, ah = area
        if self.image is None or io.want_capture_mouse or not (ax <= mx < ax + aw and ay <= my < ay + ah):
            return None
        return self.view.readout((mx * fb_scale, my * fb_scale), scaled(area, fb_scale), self.image, panels)

    def delete(self) -> None:
        if self.texture is not None:
            self.texture.delete()
            self.texture = None
        self.program.delete()
