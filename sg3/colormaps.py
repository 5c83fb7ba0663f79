"""The colour maps of the analysis pictures, one definition for the live views (viz.render.pictures) and the exported
figures (sg3.figures): 17 samples of matplotlib's viridis and inferno (sRGB, 0..255), linearly interpolated to 256."""

from __future__ import annotations

import functools

import numpy as np

_CONTROL_POINTS = {
    'viridis': ((68, 1, 84), (72, 24, 106), (71, 45, 123), (66, 64, 134), (59, 82, 139), (51, 99, 141), (44, 114, 142),
        (38, 130, 142), (33, 145, 140), (31, 160, 136), (40, 174, 128), (63, 188, 115), (94, 201, 98), (132, 212, 75),
        (173, 220, 48), (216, 226, 25), (253, 231, 37)),
    'inferno': ((0, 0, 4), (11, 7, 36), (33, 12, 74), (61, 9, 101), (87, 16, 110), (113, 25, 110), (138, 34, 106),
        (163, 44, 97), (188, 55, 84), (210, 70, 68), (228, 90, 49), (241, 115, 29), (249, 142, 9), (252, 172, 17),
        (249, 203, 53), (242, 234, 105), (252, 255, 164)),
}
NAMES = tuple(_CONTROL_POINTS)
SPECTRUM_CMAP = 'inferno'                       # Power spectra, live and exported.


@functools.lru_cache(maxsize=None)
def _table(name: str) -> np.ndarray:
    points = np.asarray(_CONTROL_POINTS[name], dtype=np.float64)
    t = np.linspace(0, 1, 256)
    knots = np.linspace(0, 1, len(points))
    table = np.stack([np.rint(np.interp(t, knots, points[:, c])) for c in range(3)], axis=1).astype(np.uint8)
    table.flags.writeable = False
    return table


def colormap(name: str) -> np.ndarray:
    """[256, 3] uint8 lookup table (read-only) of colour map `name` (one of NAMES)."""
    if name not in _CONTROL_POINTS:
        raise ValueError(f'colour map {name!r}: expected one of {", ".join(NAMES)}')
    return _table(name)


def matplotlib_colormap(name: str):
    """The same table as a matplotlib colour map (matplotlib is imported here, only when asked for)."""
    from matplotlib.colors import ListedColormap
    return ListedColormap(colormap(name) / 255.0, name=f'sg3-{name}')
