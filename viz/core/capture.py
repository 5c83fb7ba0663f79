"""Save captures as numbered PNG files that never overwrite anything (written atomically, viz.files)."""

from __future__ import annotations

import pathlib

import numpy as np
from PIL import Image, PngImagePlugin

from viz import files


def save_png(
    image: np.ndarray,                          # uint8 [H, W, 3] or [H, W, 4].
    folder: str | pathlib.Path,                 # Created if missing.
    prefix: str,                                # File name stem, e.g. 'image' -> image-00001.png.
    text: dict[str, str] | None = None,         # PNG text chunks (e.g. the request as JSON).
) -> pathlib.Path:
    """Write `image` as `{prefix}-{N:05d}.png` with the next free number, and return the path."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f'capture image must be a uint8 [H, W, 3|4] array, got {getattr(image, "dtype", type(image))} '
            f'{list(getattr(image, "shape", []))}')
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_itxt(key, value)
    return files.write_numbered(folder, prefix, 'png', lambda f: Image.fromarray(image).save(f, format='PNG', pnginfo=info))
