"""The pictures of the analysis views (issue 6), composed in numpy on the render thread: colour maps, a small
the equivariance heatmap with its colour bar, and the spectrum with its filter markers and profiles.
Numpy arrays in and out (plus `sg3.spectra`'s dB and profile helpers): no torch calls, no imgui, no OpenGL.
`viz.render.analysis` renders the networks and calls these.

- Equivariance: reference (identity render, then the image operator) | generated (transformed input;
  for EQ-R the pseudo-rotated copy that is compared) | squared error, mean over channels, through a
  perceptual colour map with pixels outside the validity mask grey | colour bar (the front ends write its
  numbers and the panel titles in the UI font).
  The error panel is `colorize(error_map, scale_max)` exactly (see `colorize`).
- Spectrum: the power in dB through a colour map, +-Nyquist repeated on both borders so DC is at the
  centre, each bin `upscale` pixels wide, with the layer's cutoff f_c (solid), stopband f_t (dashed) and
  Nyquist s/2 (dotted) drawn over it: circles for radial filters, squares for separable ones.
"""

from __future__ import annotations

import math

import numpy as np

from sg3 import spectra
from sg3.colormaps import SPECTRUM_CMAP, colormap
from viz.protocol import ImagePanel, SpectrumView

# ----------------------------------------------------------------------------
# Colour maps: one definition (sg3.colormaps) for the live pictures and the exported figures.

ERROR_CMAP = 'viridis'                          # Equivariance error heatmap.
MASKED_RGB = (128, 128, 128)                    # Error panel pixels outside the validity mask.
BACKGROUND_RGB = (24, 24, 24)                   # Gaps between the panels.
MARKER_RGB = {'cutoff': (60, 230, 90), 'stopband': (255, 70, 60), 'nyquist': (250, 250, 250)}
MARKER_DASHES = {'cutoff': 0, 'stopband': 48, 'nyquist': 120}  # Dash segments around the shape (0 = solid).
SPECTRUM_MIN_SIZE = 256                         # Small spectra are enlarged to at least this many pixels.


def colorize(values: np.ndarray, vmax: float, vmin: float = 0.0, cmap: str = ERROR_CMAP) -> np.ndarray:
    """[H, W] values -> [H, W, 3] uint8: LUT[rint(clip((v - vmin) / (vmax - vmin), 0, 1) * 255)]."""
    span = max(float(vmax) - float(vmin), 1e-30)
    t = np.clip((np.asarray(values, dtype=np.float64) - vmin) / span, 0, 1)
    return colormap(cmap)[np.rint(np.nan_to_num(t) * 255).astype(np.int64)]

# ----------------------------------------------------------------------------
# Equivariance pictures.


def error_heatmap(error_map: np.ndarray, mask: np.ndarray, scale_max: float) -> np.ndarray:
    """The error panel: colorize(error_map, scale_max) with pixels outside the mask grey."""
    rgb = colorize(error_map, scale_max, cmap=ERROR_CMAP)
    rgb[~mask] = MASKED_RGB
    return rgb


def _colour_bar(height: int, width: int) -> np.ndarray:
    """Vertical colour bar: top = the top of the scale, bottom = 0 (the front ends write the numbers beside it)."""
    t = np.linspace(1, 0, height)[:, None].repeat(width, axis=1)
    return colorize(t, 1.0, cmap=ERROR_CMAP)


def compose_equivariance(
    reference: np.ndarray,                      # [H, W, 3] uint8.
    generated: np.ndarray,                      # [H, W, 3] uint8.
    error_map: np.ndarray,                      # [H, W] float squared error (mean over channels).
    mask:      np.ndarray,                      # [H, W] bool.
    scale_max: float,                           # Squared error at the top of the colour scale.
    layout:    str = 'side',                    # 'side' | 'reference' | 'generated' | 'error'.
) -> tuple[np.ndarray, tuple[ImagePanel, ...]]:
    """The image area's picture and where each part is."""
    H, W = error_map.shape
    if layout == 'reference':
        return np.ascontiguousarray(reference), (ImagePanel('reference', 0, 0, W, H),)
    if layout == 'generated':
        return np.ascontiguousarray(generated), (ImagePanel('generated', 0, 0, W, H),)
    gap = max(2, W // 64)
    bar_width = max(6, W // 16)
    parts = [('reference', reference), ('generated', generated)] if layout == 'side' else []
    parts.append(('error', error_heatmap(error_map, mask, scale_max)))
    parts.append(('colorbar', _colour_bar(H, bar_width)))
    total = sum(p.shape[1] for _, p in parts) + gap * (len(parts) - 1)
    image = np.empty((H, total, 3), dtype=np.uint8)
    image[:] = BACKGROUND_RGB
    panels = []
    x = 0
    for name, pixels in parts:
        image[:pixels.shape[0], x:x + pixels.shape[1]] = pixels
        panels.append(ImagePanel(name, x, 0, pixels.shape[1], pixels.shape[0]))
        x += pixels.shape[1] + gap
    return image, tuple(panels)

# ----------------------------------------------------------------------------
# Spectrum pictures.


def _wrap(power: np.ndarray) -> np.ndarray:
    """Repeat the -Nyquist row and column at +Nyquist, so DC is at the exact centre."""
    power = np.concatenate([power, power[:1]], axis=0)
    return np.concatenate([power, power[:, :1]], axis=1)


def _ring(shape: tuple[int, int], centre: tuple[float, float], radius: tuple[float, float], round_shape: bool,
        dashes: int, thickness: float) -> np.ndarray:
    """Boolean [H, W] outline of a circle (round_shape) or square around `centre` (x, y) with `radius`
    (x, y) in pixels, measured at pixel centres; dashed with `dashes` segments around (0 = solid)."""
    H, W = shape
    dy = (np.arange(H) + 0.5 - centre[1])[:, None] / radius[1]
    dx = (np.arange(W) + 0.5 - centre[0])[None, :] / radius[0]
    dist = np.hypot(dx, dy) if round_shape else np.maximum(np.abs(dx), np.abs(dy))
    on = np.abs(dist - 1) * radius[0] <= thickness / 2
    if dashes:
        angle = np.arctan2(dy, dx) + math.pi
        on &= (np.floor(angle / (2 * math.pi) * dashes).astype(np.int64) % 2) == 0
    return on


def spectrum_picture(
    spectrum: spectra.Spectrum,                 # Centred power spectrum.
    design:   spectra.LayerDesign | None,       # Markers; None = only Nyquist.
    db_range: tuple[float, float],              # Colour range.
) -> tuple[np.ndarray, np.ndarray, int, tuple[ImagePanel, ...]]:
    """(image [H', W', 3] uint8, dB heatmap [n + 1, m + 1] float32, upscale, panels) with the markers drawn."""
    low, high = db_range
    db = spectra.to_db(_wrap(spectrum.power), db_range=(low, high)).astype(np.float32)
    n, m = db.shape
    upscale = max(1, math.ceil(SPECTRUM_MIN_SIZE / max(n, m)))
    image = colorize(db, high, low, cmap=SPECTRUM_CMAP)
    image = np.ascontiguousarray(image.repeat(upscale, axis=0).repeat(upscale, axis=1))
    centre = ((m // 2 + 0.5) * upscale, (n // 2 + 0.5) * upscale)              # Pixel centre of the DC bin.
    bins = (spectrum.power.shape[1] * upscale, spectrum.power.shape[0] * upscale)  # Pixels per cycle per pixel.
    thickness = max(1.0, upscale / 3)
    for field, f in marker_frequencies(design):
        radius = (f * bins[0], f * bins[1])
        round_shape = field != 'nyquist' and bool(getattr(design, 'radial', False))
        ring = _ring(image.shape[:2], centre, radius, round_shape, MARKER_DASHES[field], thickness)
        image[ring] = MARKER_RGB[field]
    return image, db, upscale, (ImagePanel('spectrum', 0, 0, image.shape[1], image.shape[0]),)


def marker_frequencies(design: spectra.LayerDesign | None) -> list[tuple[str, float]]:
    """(field, cycles per pixel) of the markers to draw: cutoff, stopband (if designed) and Nyquist."""
    if design is None:
        return [('nyquist', 0.5)]
    out = [(field, design.per_pixel(getattr(design, field))) for field in ('cutoff', 'stopband')
        if getattr(design, field) is not None]
    return out + [('nyquist', 0.5)]


def _profile_db(freqs: np.ndarray, power: np.ndarray, sampling_rate: float, db_range: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    low, high = db_range
    db = np.clip(spectra.to_db(power, db_range=None), low - 20, high + 20)
    return (freqs * sampling_rate).astype(np.float32), db.astype(np.float32)


def spectrum_view(spectrum: spectra.Spectrum, design: spectra.LayerDesign | None, layer: str, source: str,
        channel: int | None, db_range: tuple[float, float], notes: tuple[str, ...] = ()) -> tuple[np.ndarray, SpectrumView]:
    """The picture and the result part of one spectrum."""
    image, db, upscale, panels = spectrum_picture(spectrum, design, db_range)
    radial = spectra.radial_profile(spectrum)
    radial_freqs, radial_db = _profile_db(radial.freqs, radial.power, spectrum.sampling_rate, db_range)
    empty = np.zeros([0], dtype=np.float32)
    slices = (empty, empty, empty, empty)
    try:
        slice0, slice45 = spectra.slice_profiles(spectrum)
        slices = (*_profile_db(slice0.freqs, slice0.power, spectrum.sampling_rate, db_range),
            *_profile_db(slice45.freqs, slice45.power, spectrum.sampling_rate, db_range))
    except spectra.SpectrumError as e:
        notes = notes + (f'No slices: {e}',)
    view = SpectrumView(layer=layer, source=source, count=spectrum.count, channel=channel, beta=spectrum.beta,
        db_range=(float(db_range[0]), float(db_range[1])), sampling_rate=float(spectrum.sampling_rate),
        cutoff=None if design is None else design.cutoff, stopband=None if design is None else design.stopband,
        nyquist=spectrum.sampling_rate / 2, radial_filter=bool(getattr(design, 'radial', False)), db=db, upscale=upscale,
        radial_freqs=radial_freqs, radial_db=radial_db, slice0_freqs=slices[0], slice0_db=slices[1],
        slice45_freqs=slices[2], slice45_db=slices[3], panels=panels, notes=notes)
    return image, view
