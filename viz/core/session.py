"""Session files: the complete view state (every widget's state plus the app's view) as JSON."""

from __future__ import annotations

import json
import pathlib
from typing import Any

SESSION_FORMAT = 'sg3-viz-session'
SESSION_VERSION = 1


class SessionError(ValueError):
    """A session file that cannot be read or applied; the message names the file and the problem."""


def make_session(widget_states: dict[str, dict], app_state: dict[str, Any]) -> dict:
    return {'format': SESSION_FORMAT, 'version': SESSION_VERSION, 'widgets': widget_states, 'app': app_state}


def write_session(path: str | pathlib.Path, session: dict) -> pathlib.Path:
    path = pathlib.Path(path).expanduser()
    try:
        if path.parent != pathlib.Path(''):
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(session, indent=2) + '\n', encoding='utf-8')
    except OSError as e:
        raise SessionError(f'cannot write session file {str(path)!r}: {e.strerror or e}') from e
    return path


def read_session(path: str | pathlib.Path) -> dict:
    """Read and check the structure of a session file (the widgets check their own states)."""
    path = pathlib.Path(path).expanduser()
    try:
        text = path.read_text(encoding='utf-8')
    except OSError as e:
        raise SessionError(f'cannot read session file {str(path)!r}: {e.strerror or e}') from e
    try:
        session = json.loads(text)
    except ValueError as e:
        raise SessionError(f'session file {str(path)!r} is not valid JSON: {e}') from e
    if not isinstance(session, dict) or session.get('format') != SESSION_FORMAT:
        raise SessionError(f'session file {str(path)!r}: expected a JSON object with "format": "{SESSION_FORMAT}"')
    if session.get('version') != SESSION_VERSION:
        raise SessionError(f'session file {str(path)!r}: version {session.get("version")!r} is not supported; expected {SESSION_VERSION}')
    for key in ('widgets', 'app'):
        if not isinstance(session.get(key, {}), dict):
            raise SessionError(f'session file {str(path)!r}: "{key}" must be a JSON object')
    return session


def parse_app_state(app: dict, current: dict[str, Any], path: str | pathlib.Path) -> dict[str, Any]:
    """The app's view state from a session file's "app" object, checked; missing keys keep `current`.

    Keys: zoom (null = fit, or a number in (0, 64]), pan ([x, y] pixels), show_pane, filter, pane_width.
    """
    from viz.core.settings import Settings
    out = dict(current)
    for key in app:
        if key not in current:
            raise SessionError(f'session file {str(path)!r}: app.{key} is unknown; expected one of {", ".join(sorted(current))}')
    if 'zoom' in app:
        z = app['zoom']
        if z is not None and (isinstance(z, bool) or not isinstance(z, (int, float)) or not 0 < z <= 64):
            raise SessionError(f'session file {str(path)!r}: app.zoom = {z!r}; expected null (fit) or a number in (0, 64]')
        out['zoom'] = None if z is None else float(z)
    if 'pan' in app:
        p = app['pan']
        if not (isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p)):
            raise SessionError(f'session file {str(path)!r}: app.pan = {p!r}; expected [x, y] in pixels')
        out['pan'] = (float(p[0]), float(p[1]))
    try:
        checked = Settings(**{k: app.get(k, current[k]) for k in ('show_pane', 'filter', 'pane_width')})
    except ValueError as e:
        raise SessionError(f'session file {str(path)!r}: {e}') from e
    out.update(show_pane=checked.show_pane, filter=checked.filter, pane_width=checked.pane_width)
    return out
