"""The user's settings and recent networks, kept as JSON in a per-user config folder.

The folder is `$SG3_VIZ_CONFIG_DIR` if set (tests use a temporary one), else `%APPDATA%/sg3-viz` on
Windows, else `$XDG_CONFIG_HOME/sg3-viz`, else `~/.config/sg3-viz`. imgui's ini file lives there too.
Never the working directory.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pathlib
import stat
import sys

from viz.core import paths
from viz.files import atomic_write

APP_NAME = 'sg3-viz'
CONFIG_DIR_ENV = 'SG3_VIZ_CONFIG_DIR'
SETTINGS_FILE = 'settings.json'
MAX_RECENT = 20
MAX_RECENT_FOLDERS = 8
MAX_SETTINGS_BYTES = 1 << 20                    # A larger settings file is ignored unread.
DEFAULT_OPEN_SECTIONS = ('Network', 'Latent', 'Input transform')  # Pane sections open on a first start.


def config_dir() -> pathlib.Path:
    """The per-user config folder (not created here)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return pathlib.Path(override).expanduser()
    if sys.platform == 'win32' and os.environ.get('APPDATA'):
        return pathlib.Path(os.environ['APPDATA']) / APP_NAME
    xdg = os.environ.get('XDG_CONFIG_HOME')
    base = pathlib.Path(xdg).expanduser() if xdg and os.path.isabs(os.path.expanduser(xdg)) else pathlib.Path.home() / '.config'
    return base / APP_NAME


@dataclasses.dataclass(frozen=True)
class Settings:
    recent: tuple[str, ...] = ()                # Recently loaded networks, newest first.
    capture_dir: str | None = None              # Where captures go; None = ./captures.
    browse_dir: str | None = None               # Folder the file browser shows; None = the working folder.
    recent_folders: tuple[str, ...] = ()        # Folders files were opened from in the browser, newest first.
    fps_limit: float = 60.0                     # GUI frame-rate cap.
    vsync: bool = False                         # Sync buffer swaps to the display.
    window_width: int = 1600                    # Last window size, in screen coordinates.
    window_height: int = 1000
    pane_width: float = 30.0                    # Control pane width in units of the font size.
    show_pane: bool = True                      # Control pane visible?
    filter: str = 'nearest'                     # Image filter when scaled: 'nearest' | 'linear'.
    open_sections: tuple[str, ...] = DEFAULT_OPEN_SECTIONS  # Titles of the pane sections left open.

    def __post_init__(self) -> None:
        for name in ('recent', 'recent_folders', 'open_sections'):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(s, str) for s in value):
                raise ValueError(f'Settings.{name} = {value!r}: expected a list of strings')
        for name in ('capture_dir', 'browse_dir'):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f'Settings.{name} = {value!r}: expected a folder path or null')
        if isinstance(self.fps_limit, bool) or not isinstance(self.fps_limit, (int, float)) or not (math.isfinite(self.fps_limit) and 1 <= self.fps_limit <= 1000):
            raise ValueError(f'Settings.fps_limit = {self.fps_limit!r}: expected a number of frames per second in [1, 1000]')
        for name in ('vsync', 'show_pane'):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f'Settings.{name} = {getattr(self, name)!r}: expected true or false')
        for name in ('window_width', 'window_height'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 200 <= value <= 16384:
                raise ValueError(f'Settings.{name} = {value!r}: expected an integer in [200, 16384]')
        if isinstance(self.pane_width, bool) or not isinstance(self.pane_width, (int, float)) or not 10 <= self.pane_width <= 80:
            raise ValueError(f'Settings.pane_width = {self.pane_width!r}: expected a number of font sizes in [10, 80]')
        if self.filter not in ('nearest', 'linear'):
            raise ValueError(f'Settings.filter = {self.filter!r}: expected nearest or linear')

    def with_recent(self, source: str) -> 'Settings':
        """A copy with `source` moved to the front of the recent list."""
        recent = (source,) + tuple(s for s in self.recent if s != source)
        return dataclasses.replace(self, recent=recent[:MAX_RECENT])

    def with_recent_folder(self, folder: str) -> 'Settings':
        """A copy with `folder` moved to the front of the recent folders."""
        folders = (folder,) + tuple(f for f in self.recent_folders if f != folder)
        return dataclasses.replace(self, recent_folders=folders[:MAX_RECENT_FOLDERS])

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d['recent'], d['recent_folders'], d['open_sections'] = list(self.recent), list(self.recent_folders), list(self.open_sections)
        return d

    @staticmethod
    def from_dict(d: dict) -> 'Settings':
        if not isinstance(d, dict):
            raise ValueError(f'settings: expected a JSON object, got {type(d).__name__}')
        names = {f.name for f in dataclasses.fields(Settings)}
        kwargs = {k: v for k, v in d.items() if k in names}   # Unknown keys (from other versions) are ignored.
        for name in ('recent', 'recent_folders', 'open_sections'):
            if isinstance(kwargs.get(name), list):
                kwargs[name] = tuple(kwargs[name])
        return Settings(**kwargs)


def load_settings(folder: pathlib.Path | None = None) -> tuple[Settings, str | None]:
    """The saved settings, or defaults plus a message saying why the file could not be used (never raises for
    what the file holds: a damaged settings file must not keep the app from starting)."""
    path = (folder or config_dir()) / SETTINGS_FILE
    if not path.exists():
        return Settings(), None
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise ValueError('it is not a regular file (a folder, pipe or device)')
        with open(path, 'rb') as f:
            data = f.read(MAX_SETTINGS_BYTES + 1)
        if len(data) > MAX_SETTINGS_BYTES:
            raise ValueError(f'it is larger than {MAX_SETTINGS_BYTES} bytes')
        parsed = json.loads(data.decode('utf-8-sig'), parse_constant=_reject_constant)
        paths.check_text(parsed, 'settings')
        return Settings.from_dict(parsed), None
    except (OSError, ValueError, TypeError, RecursionError) as e:
        return Settings(), f'Ignoring the settings file {path}: {e}'


def _reject_constant(name: str) -> None:
    raise ValueError(f'{name} is not a number JSON allows')


def save_settings(settings: Settings, folder: pathlib.Path | None = None) -> None:
    """Write the settings atomically (a crash never leaves half a file)."""
    folder = folder or config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    text = (json.dumps(settings.to_dict(), indent=2) + '\n').encode('utf-8')
    atomic_write(folder / SETTINGS_FILE, lambda f: f.write(text))
