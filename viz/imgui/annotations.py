"""Text and axes drawn over the analysis pictures in the UI font, at a constant screen size whatever the zoom: the
equivariance heatmap's panel titles and colour-bar numbers, the spectrum's axes in cycles per image with ticks, its
legend of f_c, f_t and Nyquist, and markers outside the drawn range pinned to its edge with their value.

The picture keeps margins around it for this text (`margins`); `draw` writes it with imgui's background draw list
(over the image, under the windows), clipped to the image area. Each label drawn is reported to `emit` as a
LABEL line (text and screen rectangle) when it first appears or moves, for UI automation.
"""

from __future__ import annotations

import json
from typing import Callable

import imgui

from gui_utils import plot_axes
from viz.core.texts import MARKERS
from viz.protocol import RenderResult

Rect = tuple[float, float, float, float]

TITLES = {'reference': 'Reference', 'generated': 'Generated', 'error': 'Squared error'}   # The heatmap's panels.
SHORT_TITLES = {'reference': 'Ref.', 'generated': 'Gen.', 'error': 'Sq. error'}      # Where the panel is narrower than its title.
TEXT_RGBA = (0.92, 0.92, 0.92, 1.0)
DIM_RGBA = (0.65, 0.65, 0.65, 1.0)
LEGEND_STYLE = {'cutoff': 'solid', 'stopband': 'dashed', 'nyquist': 'dotted'}   # As pictures.MARKER_DASHES draws them.


def format_scale(value: float) -> str:
    """A colour-bar number: '0', '0.25', '1.2e-3'."""
    if value == 0:
        return '0'
    if 0.01 <= abs(value) < 100:
        return f'{value:.3g}'
    mantissa, exponent = f'{value:.1e}'.split('e')
    return f'{mantissa}e{int(exponent)}'


def margins(result: RenderResult | None, font_size: float) -> tuple[float, float, float, float]:
    """Room (left, top, right, bottom) in screen units the picture of `result` leaves for its text."""
    analysis = result.analysis if result is not None else None
    if analysis is None:
        return (0.0, 0.0, 0.0, 0.0)
    if analysis.equivariance is not None and len(analysis.equivariance.panels) > 1:
        return (0.0, font_size * 1.6, font_size * 5.0, 0.0)
    if analysis.spectrum is not None and result.image is not None:
        return (font_size * 3.2, font_size * 1.6, font_size * 1.0, font_size * 3.0)
    return (0.0, 0.0, 0.0, 0.0)


def inset(area: Rect, room: tuple[float, float, float, float]) -> Rect:
    """The area (x, y, w, h) less the margins (left, top, right, bottom), never below one unit."""
    x, y, w, h = area
    left, top, right, bottom = room
    return (x + left, y + top, max(w - left - right, 1.0), max(h - top - bottom, 1.0))


class Annotations:
    def __init__(self, emit: Callable[[str], None]) -> None:
        self.emit = emit
        self._logged: dict[str, list[float]] = {}
        self._drawn: set[str] = set()

    def draw(self, result: RenderResult | None, image_rect: Rect, image_size: tuple[int, int], area: Rect, fb_scale: float,
            font_size: float) -> None:
        """Write the text of `result`'s picture, drawn at `image_rect` (framebuffer pixels) for an image of `image_size`,
        clipped to the image area `area` (screen units, margins included)."""
        self._drawn = set()
        analysis = result.analysis if result is not None else None
        if analysis is not None:
            x, y, w, h = area
            draw_list = imgui.get_background_draw_list()
            draw_list.push_clip_rect(x, y, x + w, y + h, True)
            rx, ry, rw, rh = (v / fb_scale for v in image_rect)
            to_screen = lambda px, py: (rx + px * rw / image_size[0], ry + py * rh / image_size[1])
            if analysis.equivariance is not None:
                self._draw_heatmap(draw_list, analysis.equivariance, to_screen, font_size, top=y)
            elif analysis.spectrum is not None:
                self._draw_spectrum(draw_list, analysis.spectrum, to_screen, font_size)
            draw_list.pop_clip_rect()
        for gone in set(self._logged) - self._drawn:
            del self._logged[gone]

    def _text(self, draw_list, x: float, y: float, text: str, rgba=TEXT_RGBA, anchor=(0.0, 0.0), key: str | None = None) -> None:
        """`text` with its `anchor` point (fractions of its size: (0.5, 1) = bottom centre) at (x, y), on a dark box."""
        w, h = imgui.calc_text_size(text)
        x, y = round(x - anchor[0] * w), round(y - anchor[1] * h)
        draw_list.add_rect_filled(x - 2, y - 1, x + w + 2, y + h + 1, imgui.get_color_u32_rgba(0.1, 0.1, 0.1, 0.75))
        draw_list.add_text(x, y, imgui.get_color_u32_rgba(*rgba), text)
        key = key or text
        rect = [float(x), float(y), float(x + w), float(y + h)]
        self._drawn.add(key)
        if self._logged.get(key) != rect:
            self._logged[key] = rect
            self.emit(f'LABEL key={json.dumps(key)} text={json.dumps(text)} rect={json.dumps(rect)}')

    def _draw_heatmap(self, draw_list, view, to_screen, font_size: float, top: float) -> None:
        """Each panel's title above it (kept below the area's `top` when the panel reaches above it); the colour bar's
        top and bottom values beside it."""
        for panel in view.panels:
            x0, y0 = to_screen(panel.x, panel.y)
            x1, y1 = to_screen(panel.x + panel.width, panel.y + panel.height)
            if panel.name in TITLES:
                bottom = max(y0 - font_size * 0.3, top + imgui.get_text_line_height() + 2)
                title = TITLES[panel.name]
                if imgui.calc_text_size(title)[0] > x1 - x0:
                    title = SHORT_TITLES[panel.name]
                self._text(draw_list, (x0 + x1) / 2, bottom, title, anchor=(0.5, 1.0), key=f'title:{panel.name}')
            elif panel.name == 'colorbar':
                pad = font_size * 0.4
                self._text(draw_list, x1 + pad, y0, format_scale(view.scale_max), anchor=(0.0, 0.0), key='colorbar:top')
                self._text(draw_list, x1 + pad, y1, '0', anchor=(0.0, 1.0), key='colorbar:bottom')

    def _draw_spectrum(self, draw_list, view, to_screen, font_size: float) -> None:
        """Axes in cycles per image under and left of the heatmap, ticks, the legend above, off-range markers at the edge."""
        rows, columns = view.db.shape                               # n + 1, m + 1: +-Nyquist both included.
        n, m = rows - 1, columns - 1
        up = view.upscale
        centre = ((m // 2 + 0.5) * up, (n // 2 + 0.5) * up)        # Pixel centre of the DC bin (pictures.spectrum_picture).
        pixel = lambda fx, fy: to_screen(centre[0] + fx / view.sampling_rate * m * up, centre[1] + fy / view.sampling_rate * n * up)
        (left, top), (right, bottom) = to_screen(0, 0), to_screen(columns * up, rows * up)
        grey = imgui.get_color_u32_rgba(*DIM_RGBA)
        low, high = -view.nyquist, view.nyquist
        step = plot_axes.nice_step(high - low, 4)
        for value in plot_axes.nice_ticks(low, high, 4):
            x, _ = pixel(value, 0)
            draw_list.add_line(x, bottom, x, bottom + font_size * 0.3, grey)
            self._text(draw_list, x, bottom + font_size * 0.35, plot_axes.tick_label(value, step), DIM_RGBA, (0.5, 0.0), key=f'x:{value:g}')
            _, y = pixel(0, value)
            draw_list.add_line(left - font_size * 0.3, y, left, y, grey)
            self._text(draw_list, left - font_size * 0.35, y, plot_axes.tick_label(value, step), DIM_RGBA, (1.0, 0.5), key=f'y:{value:g}')
        self._text(draw_list, (left + right) / 2, bottom + font_size * 1.5, 'cycles per image', DIM_RGBA, (0.5, 0.0), key='x:title')
        self._draw_legend(draw_list, view, (left, top, right, bottom), pixel, font_size)

    def _draw_legend(self, draw_list, view, box: Rect, pixel, font_size: float) -> None:
        """f_c, f_t and s/2 with their values and line styles above the heatmap; a marker beyond the drawn range gets a
        mark at the edge of the x axis with its value."""
        left, top, right, bottom = box
        x = left
        for field, text, rgba in MARKERS:
            value = getattr(view, field)
            if value is None:
                continue
            label = f'{text} {value:.4g} ({LEGEND_STYLE[field]})'
            self._text(draw_list, x, top - font_size * 0.3, label, rgba, (0.0, 1.0), key=f'legend:{field}')
            x += imgui.calc_text_size(label)[0] + font_size
            placed = plot_axes.place(value, -view.nyquist, view.nyquist, text)
            if not placed.inside:
                px = right if placed.fraction == 1.0 else left
                draw_list.add_triangle_filled(px, bottom, px - font_size * 0.4, bottom - font_size * 0.6, px + font_size * 0.4,
                    bottom - font_size * 0.6, imgui.get_color_u32_rgba(*rgba))
                self._text(draw_list, px, bottom - font_size * 0.7, placed.text, rgba, (placed.fraction, 1.0), key=f'edge:{field}')
