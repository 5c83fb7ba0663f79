"""What every widget shares: the per-frame context from the app, and the Widget base class.

A widget draws its imgui controls inside the control pane (the app opens one collapsing header per
widget and calls `draw`) and returns its part of `RenderArgs`. Its state is a small dataclass so
reset is `self.state = State()`, and `get_state` / `set_state` turn it into JSON for session files.
Widgets never import torch.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
import typing
from typing import Any, ClassVar

import imgui

from viz.protocol import RenderResult

# Mouse buttons for drags in the image area (the app reports them in FrameContext.image_drag).
DRAG_BUTTON_LATENT = 0                          # Left drag: move the latent position.
DRAG_BUTTON_TRANSFORM = 1                       # Right drag: translate the input (with ctrl: rotate).

SEED_LIMIT = (1 << 31) - 1                      # Largest seed an imgui integer field holds (int32).

# Shortcut actions the app may put into FrameContext.keys.
KEY_ACTIONS = ('next_seed', 'prev_seed', 'next_seed_row', 'prev_seed_row', 'toggle_animation', 'reset_view')


@dataclasses.dataclass(frozen=True)
class ImageDrag:
    dx: float                                   # Drag delta this frame, in output-image pixels (right positive).
    dy: float                                   # Drag delta this frame, in output-image pixels (down positive).
    button: int = 0                             # Mouse button held (0 left, 1 right, 2 middle).
    shift: bool = False                         # Shift held (slow / fine drag).
    ctrl: bool = False
    alt: bool = False


@dataclasses.dataclass(frozen=True)
class FrameContext:
    result: RenderResult | None = None          # Newest render result (None before the first one).
    font_size: float = 13.0                     # Layout unit in pixels; widgets derive sizes from it.
    image_drag: ImageDrag | None = None         # Drag in the image area this frame, if any.
    keys: frozenset[str] = frozenset()          # Shortcut actions pressed this frame (KEY_ACTIONS).
    dropped_paths: tuple[str, ...] = ()         # Files dropped on the window this frame.
    frame_seconds: float = 0.0                  # Duration of the previous GUI frame (animation step).
    gui_frame_times: tuple[float, ...] = ()     # Recent GUI frame times in seconds, oldest first.
    config_dir: pathlib.Path = pathlib.Path('.')  # Per-user config folder.
    recent_sources: tuple[str, ...] = ()        # Recently loaded networks (persisted by the app), newest first.
    capture_dir: pathlib.Path | None = None     # The app's capture folder (exports go there); None = widget's own.


class Widget:
    """Base class. Subclasses set `title`, `field` and a nested `State` dataclass.

    `field` names the RenderArgs field that draw() returns; a tuple of names means draw() returns a
    tuple of parts in that order; None means draw() returns something for the app (not a request part).
    `request_parts(widget, returned)` turns any of these into a {field: part} dict."""

    title: ClassVar[str] = ''                   # Collapsing header text.
    field: ClassVar[str | tuple[str, ...] | None] = None

    @dataclasses.dataclass
    class State:
        pass

    def __init__(self) -> None:
        self.state = self.State()

    def reset(self) -> None:
        self.state = self.State()

    def draw(self, ctx: FrameContext) -> Any:
        raise NotImplementedError

    def get_state(self) -> dict:
        return state_to_dict(self.state)

    def set_state(self, d: dict) -> None:
        self.state = state_from_dict(self.State, d, self.title or type(self).__name__)

def request_parts(widget: Widget, returned: Any) -> dict[str, Any]:
    """{RenderArgs field: part} from what widget.draw() returned; {} for widgets outside the request."""
    if widget.field is None:
        return {}
    if isinstance(widget.field, tuple):
        assert isinstance(returned, tuple) and len(returned) == len(widget.field)
        return dict(zip(widget.field, returned))
    return {widget.field: returned}

# ----------------------------------------------------------------------------
# Small drawing helpers shared by the widgets.

ERROR_RGBA = (1.0, 0.4, 0.35, 1.0)
WARNING_RGBA = (1.0, 0.8, 0.3, 1.0)
DIM_RGBA = (0.65, 0.65, 0.65, 1.0)


def message(text: str, rgba: tuple[float, float, float, float] = ERROR_RGBA) -> None:
    """Wrapped coloured text, for inline errors and notes."""
    imgui.push_style_color(imgui.COLOR_TEXT, *rgba)
    try:
        imgui.text_wrapped(text)
    finally:
        imgui.pop_style_color()


def label_width(ctx: FrameContext) -> float:
    """Width of the label column, from the font size."""
    return ctx.font_size * 6.5


def current_network(ctx: FrameContext) -> Any:
    """The NetworkSummary of the newest result, or None."""
    return ctx.result.network if ctx.result is not None else None

# ----------------------------------------------------------------------------
# State <-> JSON with type checks derived from the State dataclass' annotations.


def state_to_dict(state: Any) -> dict:
    out = {}
    for f in dataclasses.fields(state):
        value = getattr(state, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def _matches(value: Any, tp: Any) -> tuple[bool, Any]:
    """Does a JSON value fit annotation tp? Returns (ok, converted value)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, getattr(__import__('types'), 'UnionType', None)):
        for arg in typing.get_args(tp):
            ok, conv = _matches(value, arg)
            if ok:
                return True, conv
        return False, None
    if tp is type(None):
        return value is None, None
    if tp is bool:
        return isinstance(value, bool), value
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return ok, float(value) if ok else None
    if tp is str:
        return isinstance(value, str), value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            return False, None
        args = typing.get_args(tp)
        item_tp = args[0] if args else Any
        items = []
        for item in value:
            ok, conv = _matches(item, item_tp) if item_tp is not Any else (True, item)
            if not ok:
                return False, None
            items.append(conv)
        return True, tuple(items)
    return True, value


def state_from_dict(cls: type, d: Any, where: str) -> Any:
    """Build a State from a dict; missing fields keep defaults; unknown or mistyped fields raise ValueError."""
    if not isinstance(d, dict):
        raise ValueError(f'{where}: expected a dict of settings, got {type(d).__name__}')
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in d.items():
        if key not in names:
            raise ValueError(f'{where}.{key}: unknown setting; expected one of {", ".join(names)}')
        ok, conv = _matches(value, hints[key])
        if not ok:
            raise ValueError(f'{where}.{key} = {value!r}: expected {_describe(hints[key])}')
        kwargs[key] = conv
    state = cls(**kwargs)
    check = getattr(state, 'validate', None)
    if check is not None:
        check(where)
    return state


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        return f'a list of {_describe(args[0]) if args else "values"}'
    if typing.get_args(tp):
        return ' or '.join(_describe(a) for a in typing.get_args(tp) if a is not Ellipsis)
    return {bool: 'true/false', int: 'an integer', float: 'a finite number', str: 'a string', type(None): 'null'}.get(tp, str(tp))
