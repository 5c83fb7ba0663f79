"""The file browser both front ends show: a folder's subfolders and the files the app opens (networks, sessions,
timelines), its parent, recent folders and a typed path. No toolkit.

The folder shown is the network controller's `browse_dir` (remembered in the settings); moving to another folder
is `core.act('network', 'set_browse_dir', folder)` and opening a file is `core.act('app', 'open', path)`, which
loads a network, or a session or timeline for a .json file. What stays here is the view's own state: the listing,
the selected entry, the typed path and a note.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from typing import Any

from viz.core import paths
from viz.core.controllers.network import NETWORK_SUFFIXES

OPENED_SUFFIXES = NETWORK_SUFFIXES + ('.json',)   # Sessions and timelines are JSON files.
KIND_TAGS = {'parent': '', 'folder': '', 'network': 'network', 'json': 'session / timeline'}


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str                                   # As listed ('..' for the parent).
    path: str                                   # Absolute path.
    kind: str                                   # 'parent' | 'folder' | 'network' | 'json'.

    @property
    def label(self) -> str:
        """'../', 'name/' for folders, the file name for files."""
        return self.name + '/' if self.kind in ('parent', 'folder') else self.name

    @property
    def is_folder(self) -> bool:
        return self.kind in ('parent', 'folder')


@dataclasses.dataclass(frozen=True)
class Listing:
    folder: str                                 # What was asked for, as given.
    entries: tuple[Entry, ...] = ()             # Parent first, then folders, then files, each sorted by name.
    note: str | None = None                     # Why nothing is listed, or that nothing matched.


def kind_of(name: str) -> str | None:
    """'network' or 'json' for a file the browser lists, else None."""
    lower = name.lower()
    return 'network' if lower.endswith(NETWORK_SUFFIXES) else 'json' if lower.endswith('.json') else None


def list_folder(folder: str) -> Listing:
    """The folder's parent, subfolders and openable files (hidden ones left out), or a note saying why not."""
    found = paths.probe(folder)
    if found.kind != 'folder':
        return Listing(folder, note=f'Not a folder: {paths.short(folder)}' + (f' ({found.why})' if found.why else ''))
    path = found.path.resolve()
    entries = [Entry('..', str(path.parent), 'parent')] if path.parent != path else []
    folders, files = [], []
    try:
        with os.scandir(path) as scan:
            for item in scan:
                if item.name.startswith('.'):
                    continue
                try:
                    if item.is_dir():
                        folders.append(Entry(item.name, str(path / item.name), 'folder'))
                    elif item.is_file() and kind_of(item.name):
                        files.append(Entry(item.name, str(path / item.name), kind_of(item.name)))
                except OSError:                 # A broken entry (permissions, a vanished file): left out.
                    continue
    except OSError as e:
        return Listing(folder, tuple(entries), f'Cannot list {paths.short(folder)}: {e.strerror or e}')
    order = lambda e: (e.name.lower(), e.name)  # noqa: E731
    note = None if files else 'No networks (.pkl, .safetensors), sessions or timelines (.json) here.'
    return Listing(folder, tuple(entries + sorted(folders, key=order) + sorted(files, key=order)), note)


class FileBrowser:
    """One front end's browser: the listing of the controller's folder, the selected entry and the typed path."""

    def __init__(self) -> None:
        self.listing: Listing | None = None
        self.selected = 0                       # Index into listing.entries.
        self.typed = ''                         # The path field's text.
        self.note: str | None = None            # What the last typed path or action said (shown over the listing's note).

    def folder(self, core: Any) -> str:
        """The folder to show: the controller's, else the working folder."""
        return core.network.state.browse_dir or os.getcwd()

    def sync(self, core: Any, force: bool = False) -> Listing:
        """The listing of the current folder, listed again when the folder changed or when `force`d (Refresh)."""
        folder = self.folder(core)
        if force or self.listing is None or self.listing.folder != folder:
            self.listing = list_folder(folder)
            self.typed, self.note = folder, None
            files = [i for i, e in enumerate(self.listing.entries) if not e.is_folder]
            self.selected = files[0] if files else 0
        return self.listing

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self.listing.entries if self.listing is not None else ()

    def move(self, delta: int) -> None:
        """Move the selection by `delta` entries (arrow keys), staying inside the list."""
        if self.entries:
            self.selected = min(max(self.selected + delta, 0), len(self.entries) - 1)

    def activate(self, core: Any, index: int | None = None) -> bool:
        """Enter the folder or open the file at `index` (default: the selected one); True when a file was opened."""
        index = self.selected if index is None else index
        if not 0 <= index < len(self.entries):
            return False
        entry = self.entries[index]
        self.selected = index
        if entry.is_folder:
            core.act('network', 'set_browse_dir', entry.path)
            return False
        core.act('app', 'open', entry.path)
        return True

    def up(self, core: Any) -> None:
        parent = next((e for e in self.entries if e.kind == 'parent'), None)
        if parent is not None:
            core.act('network', 'set_browse_dir', parent.path)

    def submit(self, core: Any, text: str) -> bool:
        """A typed path (relative to the shown folder): a folder is shown, a file opened; True when a file was opened."""
        text = text.strip()
        if not text:
            return False
        if not os.path.isabs(os.path.expanduser(text)):
            text = os.path.join(self.folder(core), text)
        found = paths.probe(text)
        if found.kind == 'folder':
            core.act('network', 'set_browse_dir', str(found.path.resolve()))
            return False
        if found.kind == 'file':
            core.act('app', 'open', str(found.path.resolve()))
            return True
        self.typed = text
        self.note = (f'No such file or folder: {paths.short(text)}' if found.kind == 'missing' else
            f'{paths.short(text)} is not a file or folder' + (f' ({found.why})' if found.why else ''))
        return False


def recent_folders(core: Any) -> list[str]:
    """Folders files were opened from, newest first, those that still exist."""
    return [folder for folder in core.settings.recent_folders if pathlib.Path(folder).is_dir()]
