"""Export of spectra: PNG figures in the manner of the paper (matplotlib) and .npz arrays.

matplotlib is imported inside the functions that draw, so `import sg3` stays torch + numpy only.
The heatmap uses the live view's colour map (sg3.colormaps). Axes are in cycles per image; the markers are the layer's cutoff f_c, stopband f_t and the Nyquist
limit s/2 of its sampling rate. For separable (StyleGAN3-T) filters the passband is a square, for
radial (StyleGAN3-R) filters a disc; the heatmap draws the matching shape.
"""

from __future__ import annotations

import math
import os
from typing import Any, BinaryIO

import numpy as np

from sg3.colormaps import SPECTRUM_CMAP, matplotlib_colormap
from sg3.spectra import LayerDesign, Profile, Spectrum, radial_profile, slice_profiles, to_db

DB_RANGE = (-40.0, 20.0)                    # Colour range of the heatmap, as avg_spectra.py.
MARKERS = (                                 # (field, label, colour, line style).
    ('cutoff', 'cutoff $f_c$', 'tab:green', '-'),
    ('stopband', 'stopband $f_t$', 'tab:red', '--'),
    ('nyquist', 'Nyquist $s/2$', '0.6', ':'),              # Grey: seen on the dark heatmap and the white plots.
)


def _markers(design: LayerDesign | None) -> list[tuple[str, float, str, str, str]]:
    """(field, value in cycles per image, label, colour, style) for the design's known frequencies."""
    if design is None:
        return []
    result = []
    for field, label, colour, style in MARKERS:
        value = getattr(design, field)
        if value is not None:
            result.append((field, float(value), label, colour, style))
    return result


def _wrapped_db(spectrum: Spectrum, db_range: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Heatmap in dB, symmetric: the -Nyquist row and column repeated at +Nyquist (as avg_spectra.py)."""
    db = to_db(spectrum.power, db_range=None)
    db = np.concatenate([db, db[:1]], axis=0)
    db = np.concatenate([db, db[:, :1]], axis=1)
    db = np.clip(db, db_range[0] - 1, db_range[1] + 1)                          # Keep contour levels finite.
    fy = np.append(spectrum.freqs_y, -spectrum.freqs_y[0]) * spectrum.sampling_rate
    fx = np.append(spectrum.freqs_x, -spectrum.freqs_x[0]) * spectrum.sampling_rate
    return fx, fy, db


def make_spectrum_figure(
    spectrum: Spectrum,                     # From sg3.spectra (cycles per pixel and the sampling rate).
    design:   LayerDesign | None = None,    # Markers to draw; None = none.
    db_range: tuple[float, float] = DB_RANGE,   # Colour and plot range in dB.
    title:    str | None = None,            # Figure title; None = the layer name.
    dpi:      float = 100,                  # Resolution.
) -> Any:
    """A matplotlib Figure: heatmap, radial profile and 0 / 45 degree slices, with the markers."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, Rectangle

    low, high = db_range
    radial = bool(getattr(design, 'radial', False))
    fig = Figure(figsize=[16, 4.8], dpi=dpi, layout='constrained')
    axes = fig.subplots(1, 3, width_ratios=[1.15, 1, 1])
    if title is None:
        title = design.name if design is not None else 'power spectrum'
    fig.suptitle(f'{title}  ({spectrum.count} image{"s" if spectrum.count != 1 else ""}, Kaiser beta {spectrum.beta:g}, '
        f'sampling rate {spectrum.sampling_rate:g})')

    # Heatmap in cycles per image with the design drawn over it.
    ax = axes[0]
    fx, fy, db = _wrapped_db(spectrum, db_range)
    levels = np.linspace(low, high, num=13)
    filled = ax.contourf(fx, fy, db, levels=levels, extend='both', cmap=matplotlib_colormap(SPECTRUM_CMAP))   # As the live view.
    ax.contour(fx, fy, db, levels=levels, linestyles='solid', linewidths=0.5, colors='white', alpha=0.2)
    fig.colorbar(filled, ax=ax, ticks=levels[::2], label='dB')
    for field, value, label, colour, style in _markers(design):
        if field != 'nyquist' and radial:
            patch = Circle((0, 0), value, fill=False, edgecolor=colour, linestyle=style, linewidth=1.5, label=label)
        else:
            patch = Rectangle((-value, -value), 2 * value, 2 * value, fill=False, edgecolor=colour, linestyle=style, linewidth=1.5, label=label)
        patch.set_gid(field)
        ax.add_patch(patch)
    reach = max([fx[-1], fy[-1]] + [value for _f, value, *_rest in _markers(design)]) * 1.06   # Keep markers on the border visible.
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect('equal')
    ax.set_xlabel('horizontal frequency (cycles per image)')
    ax.set_ylabel('vertical frequency (cycles per image)')
    if design is not None and _markers(design):
        ax.legend(loc='upper right', fontsize='small')

    # Radial profile and slices with the same markers.
    slice0, slice45 = slice_profiles(spectrum)
    _profile_axes(axes[1], [(radial_profile(spectrum), 'radial mean')], design, 1.0, low, high, 'Radial profile')
    diagonal = 1.0 if radial else math.sqrt(2)                                  # A square passband reaches sqrt(2) f along 45 degrees.
    _profile_axes(axes[2], [(slice0, '0\u00b0 slice'), (slice45, '45\u00b0 slice')], design, diagonal, low, high, 'Slices')
    return fig


def _profile_axes(ax: Any, profiles: list[tuple[Profile, str]], design: LayerDesign | None, diagonal: float,
        low: float, high: float, title: str) -> None:
    for profile, label in profiles:
        ax.plot(profile.freqs_per_image, to_db(profile.power, db_range=None), label=label)
    for field, value, label, colour, style in _markers(design):
        ax.axvline(value, color=colour, linestyle=style, linewidth=1.2, label=label, gid=field)
        if diagonal != 1.0 and len(profiles) > 1:
            ax.axvline(value * diagonal, color=colour, linestyle=style, linewidth=0.8, alpha=0.5, gid=f'{field}_45')
    ax.set_title(title)
    ax.set_xlim(0, max(p.freqs_per_image[-1] for p, _ in profiles))
    ax.set_ylim(low - 10, high + 10)
    ax.set_xlabel('frequency (cycles per image)')
    ax.set_ylabel('power (dB)')
    ax.grid(True, alpha=0.3)
    ax.legend(loc='upper right', fontsize='small')


def _target(path: str | os.PathLike | BinaryIO) -> str | BinaryIO:
    """A file path (its folder created) or an open binary file, as given."""
    if hasattr(path, 'write'):
        return path
    path = os.fspath(path)
    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def spectrum_figure(
    spectrum: Spectrum,                     # The spectrum to draw.
    design:   LayerDesign | None,           # The layer's design (markers), or None.
    path:     str | os.PathLike | BinaryIO, # Where to write the PNG: a path or an open binary file.
    db_range: tuple[float, float] = DB_RANGE,   # Colour and plot range in dB.
    title:    str | None = None,            # Figure title; None = the layer name.
    dpi:      float = 100,                  # Resolution.
) -> str | BinaryIO:
    """Write the spectrum figure as a PNG; returns the path (or the file)."""
    path = _target(path)
    fig = make_spectrum_figure(spectrum, design, db_range=db_range, title=title, dpi=dpi)
    fig.savefig(path, format='png')
    return path


def export_npz(
    spectrum: Spectrum,                     # The spectrum to store.
    design:   LayerDesign | None,           # The layer's design, or None.
    path:     str | os.PathLike | BinaryIO, # Where to write the .npz: a path or an open binary file.
) -> str | BinaryIO:
    """Store the spectrum, its profiles and the design. Also writes `spectrum` (uncentred) and
    `image_size` (the sampling rate), the two arrays NVIDIA's avg_spectra.py reads."""
    path = _target(path)
    radial = radial_profile(spectrum)
    slice0, slice45 = slice_profiles(spectrum)
    as_float = lambda v: np.nan if v is None else float(v)
    arrays = dict(
        power=spectrum.power, freqs_x=spectrum.freqs_x, freqs_y=spectrum.freqs_y,
        freqs_x_per_image=spectrum.freqs_x_per_image, freqs_y_per_image=spectrum.freqs_y_per_image,
        sampling_rate=spectrum.sampling_rate, count=spectrum.count, beta=spectrum.beta, interp=spectrum.interp,
        radial_freqs=radial.freqs, radial_power=radial.power,
        slice0_freqs=slice0.freqs, slice0_power=slice0.power, slice45_freqs=slice45.freqs, slice45_power=slice45.power,
        spectrum=np.fft.ifftshift(spectrum.power), image_size=int(round(spectrum.sampling_rate)),
    )
    if design is not None:
        arrays.update(layer=design.name, cutoff=as_float(design.cutoff), stopband=as_float(design.stopband),
            half_width=as_float(design.half_width), nyquist=design.nyquist, margin=design.margin,
            size=np.array(design.size), radial_filter=bool(getattr(design, 'radial', False)))
    np.savez(path, **arrays)
    return path
