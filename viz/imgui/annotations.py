"""Text and axes drawn over the analysis pictures in the UI font, at a constant screen size whatever the zoom, where
viz.core.figure_labels places them: the equivariance heatmap's panel titles and colour-bar numbers, the spectrum's
axes, ticks, legend and off-range markers.

The picture keeps margins around it for this text (`margins`); `Annotations.draw` writes it with imgui's background
draw list (over the image, under the windows), clipped to the image area. Each label drawn is reported to `emit` as a
LABEL line (key, text and screen rectangle) when it first appears or moves, for UI automation (`LabelWriter`, which
the spectrum view's profile plots use too).
"""

from __future__ import annotations

import json
from typing import Callable

import imgui

from viz.core import figure_labels
from viz.core.figure_labels import Label, Mark, inset
from viz.protocol import RenderResult

Rect = tuple[float, float, float, float]


def margins(result: RenderResult | None, font_size: float) -> tuple[float, float, float, float]:
    """Room (left, top, right, bottom) in screen units the picture of `result` leaves for its text."""
    return tuple(v * font_size for v in figure_labels.margins(result))  # type: ignore[return-value]


def measure(text: str) -> float:
    return imgui.calc_text_size(text)[0]


class LabelWriter:
    """Writes text on a dark box with a draw list and reports each label as a LABEL line when it first appears or
    moves (a label not written in a frame is forgotten, so it is reported again when it comes back)."""

    def __init__(self, emit: Callable[[str], None] | None = None) -> None:
        self.emit = emit
        self._logged: dict[str, list[float]] = {}
        self._drawn: set[str] = set()
        self._frame = -1.0

    def text(self, draw_list, x: float, y: float, text: str, rgba, anchor=(0.0, 0.0), key: str | None = None, top: float | None = None) -> None:
        """`text` with its `anchor` point at (x, y), its box kept below `top` (screen units) when given."""
        frame = imgui.get_time()
        if frame != self._frame:
            self._frame = frame
            for gone in set(self._logged) - self._drawn:
                del self._logged[gone]
            self._drawn = set()
        w, h = imgui.calc_text_size(text)
        x, y = round(x - anchor[0] * w), round(y - anchor[1] * h)
        if top is not None:
            y = max(y, round(top) + 2)
        draw_list.add_rect_filled(x - 2, y - 1, x + w + 2, y + h + 1, imgui.get_color_u32_rgba(0.1, 0.1, 0.1, 0.75))
        draw_list.add_text(x, y, imgui.get_color_u32_rgba(*rgba), text)
        key = key or text
        rect = [float(x), float(y), float(x + w), float(y + h)]
        self._drawn.add(key)
        if self.emit is not None and self._logged.get(key) != rect:
            self._logged[key] = rect
            self.emit(f'LABEL key={json.dumps(key)} text={json.dumps(text)} rect={json.dumps(rect)}')


class Annotations:
    def __init__(self, emit: Callable[[str], None]) -> None:
        self.writer = LabelWriter(emit)

    def draw(self, result: RenderResult | None, image_rect: Rect, image_size: tuple[int, int], area: Rect, fb_scale: float,
            font_size: float) -> None:
        """Write the text of `result`'s picture, drawn at `image_rect` (framebuffer pixels) for an image of `image_size`,
        clipped to the image area `area` (screen units, margins included)."""
        rx, ry, rw, rh = (v / fb_scale for v in image_rect)
        labels, marks = figure_labels.picture_labels(result, rw / image_size[0], measure, font_size)
        if not labels:
            return
        x, y, w, h = area
        draw_list = imgui.get_background_draw_list()
        draw_list.push_clip_rect(x, y, x + w, y + h, True)
        screen = lambda at, offset: (rx + at[0] * rw / image_size[0] + offset[0] * font_size,
            ry + at[1] * rh / image_size[1] + offset[1] * font_size)
        for mark in marks:
            self._mark(draw_list, mark, screen, font_size)
        for label in labels:
            self.writer.text(draw_list, *screen(label.at, label.offset), label.text, label.rgba, label.anchor, label.key, top=y)
        draw_list.pop_clip_rect()

    @staticmethod
    def _mark(draw_list, mark: Mark, screen, font_size: float) -> None:
        colour = imgui.get_color_u32_rgba(*mark.rgba)
        if mark.kind == 'tick':
            draw_list.add_line(*screen(mark.at, mark.start), *screen(mark.at, mark.end), colour)
        else:
            x, y = screen(mark.at, (0.0, 0.0))
            s = font_size * 0.4
            draw_list.add_triangle_filled(x, y, x - s, y - s * 1.5, x + s, y - s * 1.5, colour)


__all__ = ['Annotations', 'Label', 'LabelWriter', 'inset', 'margins', 'measure']
