"""Capture controller: the one folder where captures (image, window) and exports (spectrum figures) go.
The saving itself is done by the view core (`ViewCore.act('app', 'capture_image')`)."""

from __future__ import annotations

import dataclasses
import pathlib

from viz.core.controller import Controller

DEFAULT_FOLDER = 'captures'


def folder_problem(folder: str) -> str | None:
    """Why captures cannot go into `folder` (it is created on the first save if missing)."""
    if not folder.strip():
        return 'Enter a folder for captures.'
    path = pathlib.Path(folder).expanduser()
    if path.exists() and not path.is_dir():
        return f'{folder} is a file, not a folder.'
    return None


class CaptureController(Controller):
    key = 'capture'
    title = 'Capture'
    ACTIONS = ('set', 'reset')

    @dataclasses.dataclass(frozen=True)
    class State:
        folder: str = DEFAULT_FOLDER            # Capture folder (created when needed).
