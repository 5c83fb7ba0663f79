"""Where the text of the analysis pictures goes, for any front end: the equivariance heatmap's panel titles and
colour-bar numbers, the spectrum's axes in cycles per image with ticks, its legend of f_c, f_t and Nyquist, markers
outside the drawn range pinned to the edge with their value, and the axes of the spectrum's profile plots.

A place is a point of the picture (its pixels, x right, y down) plus an offset on the screen in font sizes, so the
text keeps one size at any zoom: the front end maps the point to the screen, adds offset * font size and puts the
text's `anchor` there (the fractions of its box: (0.5, 1) = bottom centre). Texts are measured by the front end
(`measure(text)`: width in screen pixels) where the layout depends on it.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from viz.core import plot_axes
from viz.core.texts import MARKERS
from viz.protocol import EquivarianceView, RenderResult, SpectrumView

RGBA = tuple[float, float, float, float]
Measure = Callable[[str], float]

TEXT_RGBA = (0.92, 0.92, 0.92, 1.0)
DIM_RGBA = (0.65, 0.65, 0.65, 1.0)
TITLES = {'reference': 'Reference', 'generated': 'Generated', 'error': 'Squared error'}   # The heatmap's panels.
SHORT_TITLES = {'reference': 'Ref.', 'generated': 'Gen.', 'error': 'Sq. error'}      # Where the panel is narrower than its title.
LEGEND_STYLE = {'cutoff': 'solid', 'stopband': 'dashed', 'nyquist': 'dotted'}   # As pictures.MARKER_DASHES draws them.
AXIS_TITLE = 'cycles per image'
TICK = 0.3                                      # Tick length in font sizes.


@dataclasses.dataclass(frozen=True)
class Label:
    key: str                                    # Stable name (UI automation, tests).
    text: str
    at: tuple[float, float]                     # Point of the picture, in its pixels.
    offset: tuple[float, float] = (0.0, 0.0)    # Added on the screen, in font sizes.
    anchor: tuple[float, float] = (0.0, 0.0)    # The point of the text's box put there.
    rgba: RGBA = TEXT_RGBA


@dataclasses.dataclass(frozen=True)
class Mark:
    kind: str                                   # 'tick': a line from `start` to `end`; 'pin': a triangle pointing down at `at`.
    at: tuple[float, float]                     # Point of the picture, in its pixels.
    start: tuple[float, float] = (0.0, 0.0)     # Offsets in font sizes.
    end: tuple[float, float] = (0.0, 0.0)
    rgba: RGBA = DIM_RGBA


def format_scale(value: float) -> str:
    """A colour-bar number: '0', '0.25', '1.2e-3'."""
    if value == 0:
        return '0'
    if 0.01 <= abs(value) < 100:
        return f'{value:.3g}'
    mantissa, exponent = f'{value:.1e}'.split('e')
    return f'{mantissa}e{int(exponent)}'


def margins(result: RenderResult | None) -> tuple[float, float, float, float]:
    """Room (left, top, right, bottom) in font sizes that the picture of `result` leaves around it for its text."""
    analysis = result.analysis if result is not None else None
    if analysis is None:
        return (0.0, 0.0, 0.0, 0.0)
    if analysis.equivariance is not None and len(analysis.equivariance.panels) > 1:
        return (0.0, 1.6, 5.0, 0.0)
    if analysis.spectrum is not None and result.image is not None:
        return (3.2, 1.6, 1.0, 3.0)
    return (0.0, 0.0, 0.0, 0.0)


def inset(area: tuple[float, float, float, float], room: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The area (x, y, w, h) less the margins (left, top, right, bottom), never below one unit."""
    x, y, w, h = area
    left, top, right, bottom = room
    return (x + left, y + top, max(w - left - right, 1.0), max(h - top - bottom, 1.0))


def readout_panels(result: RenderResult | None) -> tuple[tuple[str, int, int, int, int], ...]:
    """(title, x, y, width, height) of the pictures the image of `result` is made of (the side-by-side heatmap), for a
    pixel readout in the panel under the pointer; () for a single picture."""
    analysis = result.analysis if result is not None else None
    view = analysis.equivariance if analysis is not None else None
    if view is None or len(view.panels) < 2:
        return ()
    return tuple((TITLES.get(p.name, 'colour bar'), p.x, p.y, p.width, p.height) for p in view.panels)


def picture_labels(result: RenderResult | None, zoom: float, measure: Measure, font_size: float) -> tuple[list[Label], list[Mark]]:
    """The labels and marks of the analysis picture of `result` shown at `zoom` (screen pixels per picture pixel)."""
    analysis = result.analysis if result is not None else None
    if analysis is not None and analysis.equivariance is not None:
        return heatmap_labels(analysis.equivariance, zoom, measure), []
    if analysis is not None and analysis.spectrum is not None:
        return spectrum_labels(analysis.spectrum, measure, font_size)
    return [], []


def heatmap_labels(view: EquivarianceView, zoom: float, measure: Measure) -> list[Label]:
    """Each panel's title above it (the short one where the panel is narrower); the colour bar's top and bottom values
    beside it."""
    found = []
    for panel in view.panels:
        if panel.name in TITLES:
            title = TITLES[panel.name] if measure(TITLES[panel.name]) <= panel.width * zoom else SHORT_TITLES[panel.name]
            found.append(Label(f'title:{panel.name}', title, (panel.x + panel.width / 2, panel.y), (0.0, -TICK), (0.5, 1.0)))
        elif panel.name == 'colorbar':
            right = panel.x + panel.width
            found.append(Label('colorbar:top', format_scale(view.scale_max), (right, panel.y), (0.4, 0.0), (0.0, 0.0)))
            found.append(Label('colorbar:bottom', '0', (right, panel.y + panel.height), (0.4, 0.0), (0.0, 1.0)))
    return found


def spectrum_labels(view: SpectrumView, measure: Measure, font_size: float) -> tuple[list[Label], list[Mark]]:
    """Axes in cycles per image under and left of the heatmap with ticks, the legend above it, and a pin at the edge of
    the x axis with its value for each marker beyond the drawn range."""
    rows, columns = view.db.shape                               # n + 1, m + 1: +-Nyquist both included.
    n, m, up = rows - 1, columns - 1, view.upscale
    centre = ((m // 2 + 0.5) * up, (n // 2 + 0.5) * up)        # Pixel centre of the DC bin (pictures.spectrum_picture).
    pixel = lambda fx, fy: (centre[0] + fx / view.sampling_rate * m * up, centre[1] + fy / view.sampling_rate * n * up)
    left, top, right, bottom = 0.0, 0.0, float(columns * up), float(rows * up)
    labels, marks = [], []
    step = plot_axes.nice_step(2 * view.nyquist, 4)
    for value in plot_axes.nice_ticks(-view.nyquist, view.nyquist, 4):
        text = plot_axes.tick_label(value, step)
        x, y = pixel(value, value)
        marks += [Mark('tick', (x, bottom), (0.0, 0.0), (0.0, TICK)), Mark('tick', (left, y), (-TICK, 0.0), (0.0, 0.0))]
        labels += [Label(f'x:{value:g}', text, (x, bottom), (0.0, TICK + 0.05), (0.5, 0.0), DIM_RGBA),
            Label(f'y:{value:g}', text, (left, y), (-TICK - 0.05, 0.0), (1.0, 0.5), DIM_RGBA)]
    labels.append(Label('x:title', AXIS_TITLE, ((left + right) / 2, bottom), (0.0, 1.5), (0.5, 0.0), DIM_RGBA))
    x = 0.0
    for field, name, rgba in MARKERS:
        value = getattr(view, field)
        if value is None:
            continue
        text = f'{name} {value:.4g} ({LEGEND_STYLE[field]})'
        labels.append(Label(f'legend:{field}', text, (left, top), (x, -TICK), (0.0, 1.0), rgba))
        x += measure(text) / font_size + 1.0
        placed = plot_axes.place(value, -view.nyquist, view.nyquist, name)
        if not placed.inside:
            edge = (right if placed.fraction == 1.0 else left, bottom)
            marks.append(Mark('pin', edge, rgba=rgba))
            labels.append(Label(f'edge:{field}', placed.text, edge, (0.0, -0.7), (placed.fraction, 1.0), rgba))
    return labels, marks


# ----------------------------------------------------------------------------
# The profile plots (radial mean, 0 and 45 degree slices).


@dataclasses.dataclass(frozen=True)
class PlotMarker:
    key: str                                    # The SpectrumView field: 'cutoff', 'stopband', 'nyquist'.
    fraction: float                             # Across the plot, 0 = left; an outside marker sits at 0 or 1.
    text: str                                   # Its label; with its value and an arrow where it lies outside.
    inside: bool
    rgba: RGBA


@dataclasses.dataclass(frozen=True)
class PlotAxes:
    x_ticks: tuple[tuple[float, str], ...]      # (fraction from the left, text), cycles per image.
    y_ticks: tuple[tuple[float, str], ...]      # (fraction from the bottom, text), dB.
    markers: tuple[PlotMarker, ...]


def axis_ticks(low: float, high: float, count: int) -> tuple[tuple[float, str], ...]:
    """(fraction from `low`, text) of the round values between `low` and `high`."""
    if not high > low:
        return ()
    step = plot_axes.nice_step(high - low, count)
    return tuple(((value - low) / (high - low), plot_axes.tick_label(value, step)) for value in plot_axes.nice_ticks(low, high, count))


def profile_axes(view: SpectrumView, freqs, diagonal: float) -> PlotAxes:
    """Ticks of a profile plot over `freqs` (cycles per image) and the view's dB range, and its markers: f_c and f_t
    (times `diagonal` on a 45 degree slice of a square band limit) and Nyquist, at their place or pinned to the edge."""
    f0, f1 = float(freqs[0]), float(freqs[-1])
    low, high = view.db_range
    markers = []
    for field, name, rgba in MARKERS:
        value = getattr(view, field)
        if value is None or not f1 > f0:
            continue
        placed = plot_axes.place(value * (diagonal if field != 'nyquist' else 1.0), f0, f1, name)
        markers.append(PlotMarker(field, placed.fraction, placed.text, placed.inside, rgba))
    y_ticks = axis_ticks(low, high, 3)
    if y_ticks:                                 # The unit on the top tick.
        y_ticks = y_ticks[:-1] + ((y_ticks[-1][0], f'{y_ticks[-1][1]} dB'),)
    return PlotAxes(axis_ticks(f0, f1, 4), y_ticks, tuple(markers))


def plot_label_width(axes: PlotAxes, measure: Measure) -> float:
    """Room left of a plot for its widest dB label, in screen pixels."""
    return max((measure(text) for _, text in axes.y_ticks), default=0.0)
