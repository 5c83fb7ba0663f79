"""Files written whole or not at all: a temporary name beside the target, renamed over it when complete."""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import Any, BinaryIO, Callable, Iterator


def new_temporary(path: str) -> str:
    """Create an empty file beside `path` under a new temporary name, with the permissions a plain open() gives (0666
    less the umask; tempfile.mkstemp would make it private, 0600), and return its name."""
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        temp_path = os.path.join(folder, f'.{os.path.basename(path)}.{secrets.token_hex(4)}.part')
        try:
            os.close(os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_BINARY', 0), 0o666))
            return temp_path
        except FileExistsError:
            continue


@contextlib.contextmanager
def replacing(path: str) -> Iterator[str]:
    """Yield a temporary file's name beside `path`; renamed over `path` when the block completes, removed otherwise."""
    temp_path = new_temporary(path)
    try:
        yield temp_path
        os.replace(temp_path, path)
    finally:
        if os.path.exists(temp_path):
            os.remove(temp_path)


def atomic_write(path: str, write: Callable[[BinaryIO], Any]) -> str:
    """`write(f)` into a temporary file beside `path`, synced, then renamed over `path`; on failure nothing is left."""
    with replacing(path) as temp_path:
        with open(temp_path, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
    return path
