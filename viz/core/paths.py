"""Paths and text the user typed or a file supplied. Paths are looked at without ever raising: a name can hold a NUL
byte, be longer than the system allows or start with an unknown ~user, and the views look at it every frame. Text
from a JSON file is checked to be text: JSON can spell a lone UTF-16 surrogate ("\\ud800"), which no display, file
name or UTF-8 file can take."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import stat
from typing import Any

SHORT = 200                                     # Characters of a name that messages show.


@dataclasses.dataclass(frozen=True)
class Probe:
    kind: str                                   # 'missing' | 'file' | 'folder' | 'other' | 'unusable'.
    path: pathlib.Path | None = None            # With '~' expanded; None when unusable.
    why: str = ''                               # Why it is unusable.


def probe(text: str) -> Probe:
    """What `text` names on this machine."""
    try:
        path = pathlib.Path(text).expanduser()
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return Probe('missing', path)
    except (OSError, ValueError, RuntimeError) as e:  # Too long, a NUL byte, an unknown ~user, no permission...
        return Probe('unusable', None, getattr(e, 'strerror', None) or str(e))
    return Probe('folder' if stat.S_ISDIR(mode) else 'file' if stat.S_ISREG(mode) else 'other', path)


def short(text: str) -> str:
    """`text` for a message: at most SHORT characters."""
    return text if len(text) <= SHORT else text[:SHORT - 1] + '\u2026'


def check_text(value: Any, where: str) -> None:
    """Raise ValueError naming the place (`where`.key[index]...) of the first string in a parsed JSON value that is not
    text (holds a lone surrogate)."""
    stack = [(value, where)]
    while stack:
        item, place = stack.pop()
        if isinstance(item, str):
            try:
                item.encode('utf-8')
            except UnicodeEncodeError:
                raise ValueError(f'{place} = {short(item)!r}: not text (it holds a lone surrogate such as \\ud800)') from None
        elif isinstance(item, dict):
            for key, child in item.items():
                stack.append((key, f'{place} (a key)'))
                stack.append((child, f'{place}.{key}'))
        elif isinstance(item, list):
            stack.extend((child, f'{place}[{index}]') for index, child in enumerate(item))


def name(value: Any, what: str) -> str:
    """`value` as a file name a user gave (a string or path of text); ValueError naming `what` otherwise."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise ValueError(f'{what} {value!r}: expected a file name')
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        raise ValueError(f'{what} {short(value)!r}: not text (it holds a lone surrogate such as \\ud800)') from None
    return value
