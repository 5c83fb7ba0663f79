"""Save captures as numbered PNG files that never overwrite anything (written atomically, viz.files), and read back
the request a capture was rendered from (its PNG text, `ARGS_KEY`)."""

from __future__ import annotations

import json
import pathlib
import struct
import zlib
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

from viz import files
from viz.core import paths
from viz.protocol import RenderArgs

ARGS_KEY = 'sg3-viz:args'                       # PNG text key of a capture's request (JSON).


class CaptureError(ValueError):
    """A capture whose request cannot be read; the message names the file and the field."""


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


def read_request(path: str | pathlib.Path) -> RenderArgs:
    """The request a capture was rendered from: the JSON under ARGS_KEY in its PNG text, checked field by field.
    Only the chunks before the pixels are read (the pixels are never decoded). Raises CaptureError."""
    found = paths.probe(str(path))
    where = f'capture {str(found.path or path)!r}'
    if found.kind != 'file':
        raise CaptureError(f'{where}: no such file' if found.kind == 'missing' else f'{where}: not a file; expected a PNG capture'
            + (f' ({found.why})' if found.why else ''))
    path = found.path
    try:
        with Image.open(path, formats=['PNG']) as image:
            text = image.info.get(ARGS_KEY)
    except Image.DecompressionBombError as e:
        raise CaptureError(f'{where}: {e}') from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error) as e:  # PIL's ways of saying "not a PNG I can read".
        raise CaptureError(f'{where}: not a readable PNG image ({type(e).__name__}: {e})') from None
    if text is None:
        raise CaptureError(f'{where}: no request in the image; expected a PNG text chunk {ARGS_KEY!r} (captures of sg3-viz have one)')
    if not isinstance(text, str):
        raise CaptureError(f'{where}: the {ARGS_KEY!r} text is not text')
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:
        raise CaptureError(f'{where}: the {ARGS_KEY!r} text is not valid JSON: {e}') from None
    try:
        paths.check_text(data, 'RenderArgs')
        return RenderArgs.from_dict(data)
    except ValueError as e:
        raise CaptureError(f'{where}: {e}') from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f'{name} is not a number JSON allows')
