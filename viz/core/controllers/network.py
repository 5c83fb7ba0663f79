"""Network controller: which generator to load (path, URL or built-in) and which one inside the file."""

from __future__ import annotations

import dataclasses
from typing import Any

from viz.core import paths
from viz.core.controller import ActionError, Controller, Facts
from viz.protocol import NetworkArgs

BUILTINS = ('builtin:sg3-t', 'builtin:sg3-r', 'builtin:sg2')
NETWORK_SUFFIXES = ('.pkl', '.safetensors')


def source_problem(source: str) -> str | None:
    """A note for sources that cannot work as typed (shown inline; the request still goes out)."""
    text = source.strip()
    if not text:
        return 'Enter a file path, an http(s) URL or a built-in name.'
    if text.startswith(('builtin:', 'http://', 'https://')):
        return None
    found = paths.probe(text)
    if found.kind == 'unusable':
        return f'{paths.short(text)} is not a usable file name ({found.why}).'
    if found.kind == 'missing':
        return f'No such file: {paths.short(text)}'
    if found.kind == 'folder':
        return f'{paths.short(text)} is a folder; pick a network file in it (Open...).'
    return None


class NetworkController(Controller):
    key = 'network'
    title = 'Network'
    ACTIONS = ('load', 'set_key', 'set_browse_dir', 'reset')

    @dataclasses.dataclass(frozen=True)
    class State:
        source: str = BUILTINS[0]               # What is requested.
        key: str | None = None                  # Generator inside the file; None = the loader's default.
        browse_dir: str = ''                    # Folder the file browser shows; '' = the working folder.

    def load(self, source: str) -> None:
        """Request `source` (a path, URL or builtin:NAME; surrounding blanks are dropped)."""
        if not isinstance(source, str):
            raise ActionError(f'network source {source!r}: expected a file path, an http(s) URL or builtin:NAME')
        self.update(source=source.strip())

    def set_key(self, key: str | None) -> None:
        """Which generator inside the file ('G_ema', 'G'); empty or None = the loader's default."""
        if key is not None and not isinstance(key, str):
            raise ActionError(f'network key {key!r}: expected a name such as G_ema or G, or nothing')
        self.update(key=(key or '').strip() or None)

    def set_browse_dir(self, folder: str) -> None:
        self.update(browse_dir=folder)

    def to_args(self, facts: Facts) -> dict[str, Any]:
        return {'network': NetworkArgs(source=self.state.source, key=self.state.key)}
