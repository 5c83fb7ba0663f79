"""The pictures of the analysis views (issue 6), composed in numpy on the render thread: colour maps, a small
pixel font, the equivariance heatmap with its colour bar, and the spectrum with its filter markers and profiles.
Numpy arrays in and out (plus `sg3.spectra`'s dB and profile helpers): no torch calls, no imgui, no OpenGL.
`viz.render.analysis` renders the networks and calls these.

- Equivariance: reference (identity render, then the image operator) | generated (transformed input;
  for EQ-R the pseudo-rotated copy that is compared) | squared error, mean over channels, through a
  perceptual colour map with pixels outside the validity mask grey | colour bar with its scale.
  The error panel is `colorize(error_map, scale_max)` exactly (see `colorize`).
- Spectrum: the power in dB through a colour map, +-Nyquist repeated on both borders so DC is at the
  centre, each bin `upscale` pixels wide, with the layer's cutoff f_c (solid), stopband f_t (dashed) and
  Nyquist s/2 (dotted) drawn over it: circles for radial filters, squares for separable ones.
"""

from __future__ import annotations

import math

import numpy as np

from sg3 import spectra
from viz.protocol import ImagePanel, SpectrumView

# ----------------------------------------------------------------------------
# Colour maps: 17 samples of matplotlib's viridis and inferno (sRGB, 0..255), linearly interpolated to 256.

_CONTROL_POINTS = {
    'viridis': ((68, 1, 84), (72, 24, 106), (71, 45, 123), (66, 64, 134), (59, 82, 139), (51, 99, 141), (44, 114, 142),
        (38, 130, 142), (33, 145, 140), (31, 160, 136), (40, 174, 128), (63, 188, 115), (94, 201, 98), (132, 212, 75),
        (173, 220, 48), (216, 226, 25), (253, 231, 37)),
    'inferno': ((0, 0, 4), (11, 7, 36), (33, 12, 74), (61, 9, 101), (87, 16, 110), (113, 25, 110), (138, 34, 106),
        (163, 44, 97), (188, 55, 84), (210, 70, 68), (228, 90, 49), (241, 115, 29), (249, 142, 9), (252, 172, 17),
        (249, 203, 53), (242, 234, 105), (252, 255, 164)),
}
ERROR_CMAP = 'viridis'                          # Equivariance error heatmap.
SPECTRUM_CMAP = 'inferno'                       # Spectrum heatmap.
MASKED_RGB = (128, 128, 128)                    # Error panel pixels outside the validity mask.
BACKGROUND_RGB = (24, 24, 24)                   # Gaps and the label strip.
LABEL_RGB = (235, 235, 235)
MARKER_RGB = {'cutoff': (60, 230, 90), 'stopband': (255, 70, 60), 'nyquist': (250, 250, 250)}
MARKER_DASHES = {'cutoff': 0, 'stopband': 48, 'nyquist': 120}  # Dash segments around the shape (0 = solid).
SPECTRUM_MIN_SIZE = 256                         # Small spectra are enlarged to at least this many pixels.


def colormap(name: str) -> np.ndarray:
    """[256, 3] uint8 lookup table."""
    points = np.asarray(_CONTROL_POINTS[name], dtype=np.float64)
    t = np.linspace(0, 1, 256)
    knots = np.linspace(0, 1, len(points))
    return np.stack([np.rint(np.interp(t, knots, points[:, c])) for c in range(3)], axis=1).astype(np.uint8)


_LUTS = {name: colormap(name) for name in _CONTROL_POINTS}


def colorize(values: np.ndarray, vmax: float, vmin: float = 0.0, cmap: str = ERROR_CMAP) -> np.ndarray:
    """[H, W] values -> [H, W, 3] uint8: LUT[rint(clip((v - vmin) / (vmax - vmin), 0, 1) * 255)]."""
    span = max(float(vmax) - float(vmin), 1e-30)
    t = np.clip((np.asarray(values, dtype=np.float64) - vmin) / span, 0, 1)
    return _LUTS[cmap][np.rint(np.nan_to_num(t) * 255).astype(np.int64)]

# ----------------------------------------------------------------------------
# A 3x5 pixel font for the colour bar's numbers.

_GLYPHS = {
    '0': '111101101101111', '1': '010110010010111', '2': '111001111100111', '3': '111001111001111',
    '4': '101101111001001', '5': '111100111001111', '6': '111100111101111', '7': '111001001001001',
    '8': '111101111101111', '9': '111101111001111', '.': '000000000000010', '-': '000000111000000',
    '+': '000010111010000', 'e': '000111111100111', ' ': '000000000000000',
}


def text_size(text: str, scale: int) -> tuple[int, int]:
    """(width, height) in pixels of `text` drawn by draw_text."""
    return (4 * len(text) - 1) * scale if text else 0, 5 * scale


def draw_text(image: np.ndarray, x: int, y: int, text: str, scale: int, rgb: tuple[int, int, int]) -> None:
    """Draw digits, '.', '-', '+', 'e' into [H, W, 3] uint8 at (x, y) = top left; clipped to the image."""
    H, W = image.shape[:2]
    for i, ch in enumerate(text):
        bits = np.array([int(b) for b in _GLYPHS[ch]], dtype=bool).reshape(5, 3)
        glyph = np.kron(bits, np.ones((scale, scale), dtype=bool))
        x0 = x + 4 * scale * i
        ys, xs = np.nonzero(glyph)
        ys, xs = ys + y, xs + x0
        keep = (ys >= 0) & (ys < H) & (xs >= 0) & (xs < W)
        image[ys[keep], xs[keep]] = rgb


def format_scale(value: float) -> str:
    """Short number for the colour bar: '0', '0.25', '1.2e-3'."""
    if value == 0:
        return '0'
    if 0.01 <= abs(value) < 100:
        return f'{value:.3g}'
    mantissa, exponent = f'{value:.1e}'.split('e')
    return f'{mantissa}e{int(exponent)}'

# ----------------------------------------------------------------------------
# Equivariance pictures.


def error_heatmap(error_map: np.ndarray, mask: np.ndarray, scale_max: float) -> np.ndarray:
    """The error panel: colorize(error_map, scale_max) with pixels outside the mask grey."""
    rgb = colorize(error_map, scale_max, cmap=ERROR_CMAP)
    rgb[~mask] = MASKED_RGB
    return rgb


def _colour_bar(height: int, width: int, label_width: int, scale: int, scale_max: float) -> np.ndarray:
    """Vertical colour bar (top = scale_max, bottom = 0) with the two values written to its right."""
    bar = np.empty((height, width + label_width, 3), dtype=np.uint8)
    bar[:] = BACKGROUND_RGB
    t = np.linspace(1, 0, height)[:, None].repeat(width, axis=1)
    bar[:, :width] = colorize(t, 1.0, cmap=ERROR_CMAP)
    x = width + scale
    draw_text(bar, x, 0, format_scale(scale_max), scale, LABEL_RGB)
    draw_text(bar, x, height - 5 * scale, '0', scale, LABEL_RGB)
    return bar


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
    scale = max(1, H // 128)
    bar_width = max(6, W // 16)
    label_width = max(text_size(format_scale(scale_max), scale)[0], text_size('0', scale)[0]) + 2 * scale
    parts = [('reference', reference), ('generated', generated)] if layout == 'side' else []
    parts.append(('error', error_heatmap(error_map, mask, scale_max)))
    parts.append(('colorbar', _colour_bar(H, bar_width, label_width, scale, scale_max)))
    total = sum(p.shape[1] for _, p in parts) + gap * (len(parts) - 1)
    image = np.empty((max(H, 5 * scale), total, 3), dtype=np.uint8)
    image[:] = BACKGROUND_RGB
    panels = []
    x = 0
    for name, pixels in parts:
        image[:pixels.shape[0], x:x + pixels.shape[1]] = pixels
        panels.append(ImagePanel(name, x, 0, bar_width if name == 'colorbar' else pixels.shape[1], pixels.shape[0]))
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
