"""Capture controller: the one folder where captures (image, window) and exports (spectrum figures) go.
The saving itself is done by the view core (`ViewCore.act('app', 'capture_image')`)."""

from __future__ import annotations

import dataclasses

from viz.core import paths
from viz.core.controller import Controller

DEFAULT_FOLDER = 'captures'


def folder_problem(folder: str) -> str | None:
    """Why captures cannot go into `folder` (it is created on the first save if missing)."""
    if not folder.strip():
        return 'Enter a folder for captures.'
    found = paths.probe(folder)
    if found.kind == 'unusable':
        return f'{paths.short(folder)} is not a usable folder name ({found.why}).'
    if found.kind not in ('missing', 'folder'):
        return f'{paths.short(folder)} is a file, not a folder.'
    return None


class CaptureController(Controller):
    key = 'capture'
    title = 'Capture'
    ACTIONS = ('set', 'reset')

    @dataclasses.dataclass(frozen=True)
    class State:
        folder: str = DEFAULT_FOLDER            # Capture folder (created when needed).
