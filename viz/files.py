"""Files the application writes: numbered names that never overwrite anything, and atomic writes.

Every file the app writes goes through `atomic_write` (or `write_numbered`): the bytes go into a temporary file
in the same folder, which is flushed to disk and then renamed over the target, so a reader, a crash or a
failing writer never leaves half a file. Numbered files are `{stem}-{N:05d}.{ext}` with N one above the highest
number in the folder; the name is reserved by creating it exclusively, so concurrent writers never share one.
Standard library only: both the render side and the view core use it.
"""

from __future__ import annotations

import os
import pathlib
import re
import secrets
from typing import BinaryIO, Callable

from viz import faults


def numbered_path(
    folder: str | os.PathLike,              # Created if missing ('~' expanded).
    stem:   str,                            # File name stem, e.g. 'image' -> image-00001.png.
    ext:    str,                            # Extension without the dot ('' = none).
    directory: bool = False,                # Reserve an empty folder instead of a file.
) -> pathlib.Path:
    """Reserve and return `{stem}-{N:05d}.{ext}` in `folder`, N one above the highest existing one. The file (or
    folder) is created exclusively (empty): nothing is overwritten, and no other writer gets the same name."""
    folder = pathlib.Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    suffix = f'.{ext}' if ext else ''
    pattern = re.compile(rf'^{re.escape(stem)}-(\d+){re.escape(suffix)}$')
    number = max((int(m.group(1)) for p in folder.iterdir() if (m := pattern.match(p.name))), default=0) + 1
    while True:
        path = folder / f'{stem}-{number:05d}{suffix}'
        try:
            if directory:
                path.mkdir()
            else:
                with open(path, 'xb'):
                    pass
            return path
        except FileExistsError:
            number += 1


def _create_temporary(path: pathlib.Path) -> tuple[pathlib.Path, int]:
    """A new hidden file next to `path`, opened for writing, with the permissions a plain open() would give."""
    while True:
        temporary = path.with_name(f'.{path.name}.{secrets.token_hex(4)}.tmp')
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_BINARY', 0), 0o666)
        except FileExistsError:
            continue


def atomic_write(
    path:  str | os.PathLike,               # The file to write; replaced only once the write has succeeded.
    write: Callable[[BinaryIO], object],    # Writes the contents into the open binary file it is given.
) -> pathlib.Path:
    """Write `path` all at once: `write` fills a temporary file in the same folder, which is synced to disk and
    renamed over `path`. If `write` (or anything after it) fails, the temporary file is removed and `path` is
    left as it was."""
    path = pathlib.Path(path).expanduser()
    temporary, fd = _create_temporary(path)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(faults.wrap_write(f))         # The file itself unless a test injects a full disk (viz.faults).
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def write_numbered(
    folder: str | os.PathLike,              # Created if missing.
    stem:   str,                            # File name stem.
    ext:    str,                            # Extension without the dot.
    write:  Callable[[BinaryIO], object],   # Writes the contents into the open binary file it is given.
) -> pathlib.Path:
    """`atomic_write` to the next numbered name (numbered_path); on failure no file is left, not even the
    reserved name. Returns the path."""
    path = numbered_path(folder, stem, ext)
    try:
        return atomic_write(path, write)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
