"""Save captures as numbered PNG files that never overwrite anything."""

from __future__ import annotations

import pathlib
import re

import numpy as np
from PIL import Image, PngImagePlugin


def _next_number(folder: pathlib.Path, prefix: str) -> int:
    pattern = re.compile(rf'^{re.escape(prefix)}-(\d+)\.png$')
    numbers = [int(m.group(1)) for p in folder.iterdir() if (m := pattern.match(p.name))]
    return max(numbers, default=0) + 1


def save_png(
    image: np.ndarray,                          # uint8 [H, W, 3] or [H, W, 4].
    folder: str | pathlib.Path,                 # Created if missing.
    prefix: str,                                # File name stem, e.g. 'image' -> image-00001.png.
    text: dict[str, str] | None = None,         # PNG text chunks (e.g. the request as JSON).
) -> pathlib.Path:
    """Write `image` as `{prefix}-{N:05d}.png` with the next free number, and return the path.

    The file is created exclusively, so a concurrent writer or an existing file is never overwritten.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f'capture image must be a uint8 [H, W, 3|4] array, got {getattr(image, "dtype", type(image))} '
            f'{list(getattr(image, "shape", []))}')
    folder = pathlib.Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_itxt(key, value)
    number = _next_number(folder, prefix)
    while True:
        path = folder / f'{prefix}-{number:05d}.png'
        try:
            with open(path, 'xb') as f:
                Image.fromarray(image).save(f, format='PNG', pnginfo=info)
            return path
        except FileExistsError:
            number += 1
