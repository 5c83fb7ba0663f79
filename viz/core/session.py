"""Session files: the view state (every controller's state plus the image view) as versioned JSON.

Version 2 (written now):

    {"format": "sg3-viz-session", "version": 2,
     "controllers": {"network": {...}, "latent": {...}, ...},   # ViewCore.controllers' states, by key
     "view": {"zoom": null, "pan": [0, 0], "show_pane": true, "filter": "nearest", "pane_width": 30},
     "timeline": {...}}                                         # optional: a timeline file's object (viz.core.timeline)

Missing controllers and fields keep their current values; unknown ones are errors. Version 1 files (the
widgets' states under "widgets", the view under "app") are converted on reading (`upgrade_v1`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib
import stat
from typing import Any

from viz.core import paths
from viz.core.settings import Settings
from viz.files import atomic_write

SESSION_FORMAT = 'sg3-viz-session'
SESSION_VERSION = 2
MAX_SESSION_BYTES = 4 << 20                     # Larger files are refused before parsing.
ZOOM_LIMIT = 64.0
MAX_INT_DIGITS = 40                             # Longer integers in a JSON file are refused (no field takes one).


class SessionError(ValueError):
    """A session file that cannot be read or applied; the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class ViewState:
    """How the image is shown: zoom (None = fit the area), pan in pixels, pane, filter."""
    zoom: float | None = None
    pan: tuple[float, float] = (0.0, 0.0)
    show_pane: bool = True
    filter: str = 'nearest'                     # 'nearest' | 'linear'.
    pane_width: float = 30.0                    # Control pane width in font sizes.

    def __post_init__(self) -> None:
        z = self.zoom
        if z is not None and (isinstance(z, bool) or not isinstance(z, (int, float)) or not 0 < z <= ZOOM_LIMIT):
            raise ValueError(f'view.zoom = {z!r}: expected null (fit) or a number in (0, {ZOOM_LIMIT:g}]')
        p = self.pan
        if not (isinstance(p, tuple) and len(p) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in p)):
            raise ValueError(f'view.pan = {p!r}: expected [x, y] in pixels')
        try:
            Settings(show_pane=self.show_pane, filter=self.filter, pane_width=self.pane_width)  # Same checks as the settings file.
        except ValueError as e:
            raise ValueError(str(e).replace('Settings.', 'view.')) from None

    def to_dict(self) -> dict:
        return {'zoom': self.zoom, 'pan': list(self.pan), 'show_pane': self.show_pane, 'filter': self.filter, 'pane_width': self.pane_width}

    @staticmethod
    def from_dict(d: Any, current: 'ViewState') -> 'ViewState':
        if not isinstance(d, dict):
            raise ValueError(f'view = {d!r}: expected a JSON object')
        names = {f.name for f in dataclasses.fields(ViewState)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f'view.{unknown[0]} is unknown; expected one of {", ".join(sorted(names))}')
        changes = dict(d)
        if isinstance(changes.get('pan'), list):
            changes['pan'] = tuple(changes['pan'])
        return dataclasses.replace(current, **changes)


def make_session(controllers: dict[str, dict], view: ViewState) -> dict:
    return {'format': SESSION_FORMAT, 'version': SESSION_VERSION, 'controllers': controllers, 'view': view.to_dict()}


def write_session(path: str | pathlib.Path, session: dict) -> pathlib.Path:
    """Write atomically into an existing folder (a missing folder is an error, not created silently)."""
    path = pathlib.Path(path).expanduser()
    if not path.parent.is_dir():
        raise SessionError(f'cannot write session file {str(path)!r}: the folder {str(path.parent)!r} does not exist')
    try:
        text = (json.dumps(session, indent=2) + '\n').encode('utf-8')
        atomic_write(path, lambda f: f.write(text))
    except OSError as e:
        raise SessionError(f'cannot write session file {str(path)!r}: {e.strerror or e}') from e
    return path


def read_json(
    path:      pathlib.Path,                    # The file.
    what:      str,                             # What it is, for messages: 'session file', 'timeline file'.
    max_bytes: int,                             # Larger files are refused before parsing.
    error:     type[ValueError] = ValueError,   # The exception raised, its message naming the file.
) -> Any:
    """The parsed JSON of a file the user chose (NaN and Infinity refused; a UTF-8 byte order mark is allowed).
    Only regular files are read (a pipe or a device could block or never end), and at most `max_bytes` of them."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise error(f'{what} {str(path)!r} is not a regular file (a folder, pipe or device); expected a {what}')
        with open(path, 'rb') as f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise error(f'{what} {str(path)!r} is {max(info.st_size, len(data))} bytes; expected at most {max_bytes} (is it a {what}?)')
        text = data.decode('utf-8-sig')
    except (OSError, UnicodeDecodeError) as e:
        raise error(f'cannot read {what} {str(path)!r}: {getattr(e, "strerror", None) or e}') from e
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except RecursionError:
        raise error(f'{what} {str(path)!r} is not valid JSON: it is nested more deeply than any {what} is') from None
    except ValueError as e:
        raise error(f'{what} {str(path)!r} is not valid JSON: {e}') from e
    try:
        paths.check_text(data, 'the file')
    except ValueError as e:
        raise error(f'{what} {str(path)!r}: {e}') from None
    return data


def read_session(path: str | pathlib.Path) -> dict:
    """Read a session file and check its structure; version 1 files come back as version 2."""
    path = pathlib.Path(path).expanduser()
    session = read_json(path, 'session file', MAX_SESSION_BYTES, SessionError)
    if not isinstance(session, dict) or session.get('format') != SESSION_FORMAT:
        raise SessionError(f'session file {str(path)!r}: expected a JSON object with "format": "{SESSION_FORMAT}"')
    version = session.get('version')
    if version == 1:
        session = upgrade_v1(session, path)
    elif version != SESSION_VERSION:
        raise SessionError(f'session file {str(path)!r}: version {version!r} is not supported; expected 1 or {SESSION_VERSION}')
    for key in ('controllers', 'view', 'timeline'):
        if not isinstance(session.get(key, {}), dict):
            raise SessionError(f'session file {str(path)!r}: "{key}" must be a JSON object')
    unknown = sorted(set(session) - {'format', 'version', 'controllers', 'view', 'timeline'})
    if unknown:
        raise SessionError(f'session file {str(path)!r}: unknown entry "{unknown[0]}"; expected format, version, controllers, view, timeline')
    return session


def _reject_constant(name: str) -> Any:
    raise ValueError(f'{name} is not a number JSON allows')


def _parse_int(text: str) -> int:
    if len(text.lstrip('-')) > MAX_INT_DIGITS:
        raise ValueError(f'an integer of {len(text.lstrip("-"))} digits ({text[:12]}...): no setting takes a number that large')
    return int(text)

# ----------------------------------------------------------------------------
# Version 1.

_V1_KEYS = {'network': 'network', 'latent': 'latent', 'mix': 'mix', 'TruncNoiseWidget': 'trunc_noise', 'transform': 'transform',
    'layer': 'layer', 'performance': 'performance', 'CaptureWidget': 'capture'}
_V1_EQUIVARIANCE = {'mode': 'eq_mode', 'layout': 'eq_layout', 'auto_scale': 'eq_auto_scale', 'scale_max': 'eq_scale_max',
    'samples': 'metrics_samples', 'seed': 'metrics_seed'}
_V1_SPECTRUM = {'enabled': 'spectrum', 'beta': 'spectrum_beta', 'db_low': 'spectrum_db_low', 'db_high': 'spectrum_db_high',
    'channels': 'spectrum_channels', 'average_seeds': 'average_seeds', 'show_average': 'show_average'}


def upgrade_v1(session: dict, path: str | pathlib.Path) -> dict:
    """A version 1 session as version 2: widget keys become controller keys; the equivariance and spectrum
    widgets' states merge into the analysis controller's; the spectrum's export folder becomes the capture
    folder when the file names none."""
    widgets, app = session.get('widgets', {}), session.get('app', {})
    if not isinstance(widgets, dict) or not isinstance(app, dict):
        raise SessionError(f'session file {str(path)!r}: "widgets" and "app" must be JSON objects')
    controllers: dict[str, Any] = {}
    for name, state in widgets.items():
        if name in _V1_KEYS:
            controllers[_V1_KEYS[name]] = state
            continue
        renames = {'EquivarianceWidget': _V1_EQUIVARIANCE, 'SpectrumWidget': _V1_SPECTRUM}.get(name)
        if renames is None:
            raise SessionError(f'session file {str(path)!r}: unknown widget {name!r} (version 1); expected one of '
                f'{", ".join(sorted([*_V1_KEYS, "EquivarianceWidget", "SpectrumWidget"]))}')
        if not isinstance(state, dict):
            raise SessionError(f'session file {str(path)!r}: widgets.{name} must be a JSON object')
        state = dict(state)
        folder = state.pop('export_dir', None)
        if folder is not None and 'CaptureWidget' not in widgets:
            controllers['capture'] = {'folder': folder}
        analysis = controllers.setdefault('analysis', {})
        for key, value in state.items():
            analysis[renames.get(key, f'{name}.{key}')] = value
    return {'format': SESSION_FORMAT, 'version': SESSION_VERSION, 'controllers': controllers, 'view': app}
