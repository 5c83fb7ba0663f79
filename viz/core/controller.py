"""What every controller shares: the Controller base class, the plain input events, and state <-> JSON.

A controller is the toolkit-free half of a pane section: a frozen `State` dataclass, the actions it accepts
(methods named in `ACTIONS`, called through `ViewCore.act`), `step(dt)` for animation, and `to_args()` for
its part of `RenderArgs`. Views draw `state` and call actions; they never change state themselves. So a
script, a test, a timeline or another toolkit drives the app exactly as the imgui window does.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, ClassVar

from viz.protocol import NetworkSummary, RenderResult

# Mouse buttons for drags in the image area.
DRAG_BUTTON_LATENT = 0                          # Left drag: move the latent position.
DRAG_BUTTON_TRANSFORM = 1                       # Right drag: translate the input (with ctrl: rotate).
DEFAULT_RESOLUTION = 256                        # Output size assumed before the first result arrives.


@dataclasses.dataclass(frozen=True)
class ImageDrag:
    dx: float                                   # Drag delta this frame, in output-image pixels (right positive).
    dy: float                                   # Drag delta this frame, in output-image pixels (down positive).
    button: int = 0                             # Mouse button held (0 left, 1 right, 2 middle).
    shift: bool = False                         # Shift held (slow / fine drag).
    ctrl: bool = False
    alt: bool = False


@dataclasses.dataclass(frozen=True)
class Facts:
    """What controllers may know about the rendered network: from the newest result, read-only."""
    result: RenderResult | None = None          # Newest final result (None before the first one).

    @property
    def network(self) -> NetworkSummary | None:
        return self.result.network if self.result is not None else None

    @property
    def resolution(self) -> int:
        """The generator's output size in pixels (DEFAULT_RESOLUTION before the first result)."""
        r = self.result
        return int(r.image_resolution) if r is not None and r.image_resolution else DEFAULT_RESOLUTION


class ActionError(ValueError):
    """An action the controller does not have, or a value it cannot take; the message says what was expected."""


class Controller:
    """Base class. Subclasses set `key`, `title`, `ACTIONS` and a nested frozen `State` dataclass."""

    key: ClassVar[str] = ''                     # Name in session files and in ViewCore.act.
    title: ClassVar[str] = ''                   # Section title in the front ends.
    ACTIONS: ClassVar[tuple[str, ...]] = ('reset',)  # Methods a view, a shortcut or a script may call.

    @dataclasses.dataclass(frozen=True)
    class State:
        pass

    def __init__(self) -> None:
        self.state = self.State()

    # ------------------------------------------------------------------------
    # Actions.

    def update(self, **changes: Any) -> None:
        """Replace fields of the state; the new state is checked as a session file's would be."""
        self.state = state_from_dict(self.State, {**state_to_dict(self.state), **_jsonable(changes)}, self.title or self.key)

    def set(self, **changes: Any) -> None:
        """The generic action of a view's field edit: `act('latent', 'set', speed=0.5)`."""
        self.update(**changes)

    def reset(self) -> None:
        self.state = self.State()

    # ------------------------------------------------------------------------
    # Per frame.

    def step(self, dt: float, facts: Facts) -> None:
        """Advance animations by dt seconds."""

    def image_drag(self, drag: ImageDrag, facts: Facts) -> None:
        """A drag in the image area."""

    def to_args(self, facts: Facts) -> dict[str, Any]:
        """{RenderArgs field: part} this controller contributes ({} for those outside the request)."""
        return {}

    def on_result(self, result: RenderResult) -> None:
        """A new final result arrived (e.g. to record history)."""

    # ------------------------------------------------------------------------
    # Sessions.

    def get_state(self) -> dict:
        return state_to_dict(self.state)

    def set_state(self, d: Any) -> None:
        self.state = state_from_dict(self.State, d, self.title or self.key)

# ----------------------------------------------------------------------------
# State <-> JSON with type checks derived from the State dataclass' annotations.


def _jsonable(changes: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}


def state_to_dict(state: Any) -> dict:
    return _jsonable({f.name: getattr(state, f.name) for f in dataclasses.fields(state)})


def _matches(value: Any, tp: Any) -> tuple[bool, Any]:
    """Does a JSON value fit annotation tp? Returns (ok, converted value)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
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
        return isinstance(value, str) and _is_text(value), value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            return False, None
        args = typing.get_args(tp)
        items = []
        for item in value:
            ok, conv = _matches(item, args[0]) if args else (True, item)
            if not ok:
                return False, None
            items.append(conv)
        return True, tuple(items)
    return False, None


def _is_text(value: str) -> bool:
    """False for a string no display or file name can take (a lone surrogate, which JSON and Python can spell)."""
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return True


def state_from_dict(cls: type, d: Any, where: str) -> Any:
    """Build a State from a dict; missing fields keep defaults; unknown or mistyped fields raise ActionError."""
    if not isinstance(d, dict):
        raise ActionError(f'{where}: expected a dict of settings, got {type(d).__name__}')
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in d.items():
        if key not in names:
            raise ActionError(f'{where}.{key}: unknown setting; expected one of {", ".join(names)}')
        ok, conv = _matches(value, hints[key])
        if not ok:
            raise ActionError(f'{where}.{key} = {value!r}: expected {_describe(hints[key])}')
        kwargs[key] = conv
    state = cls(**kwargs)
    check = getattr(state, 'validate', None)
    if check is not None:
        try:
            check(where)
        except ValueError as e:
            raise ActionError(str(e)) from None
    return state


def _describe(tp: Any) -> str:
    if typing.get_origin(tp) is tuple:
        args = typing.get_args(tp)
        return f'a list of {_describe(args[0]) if args else "values"}'
    if typing.get_args(tp):
        return ' or '.join(_describe(a) for a in typing.get_args(tp) if a is not Ellipsis)
    return {bool: 'true/false', int: 'an integer', float: 'a finite number', str: 'a string of text', type(None): 'null'}.get(tp, str(tp))


def clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)
