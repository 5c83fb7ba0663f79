"""Small imgui helpers: scoped context managers and composite controls (pyimgui 2.0 / Dear ImGui 1.82)."""

from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator

import imgui
import imgui.internal

#----------------------------------------------------------------------------
# Context managers.

@contextlib.contextmanager
def grayed_out(condition: bool = True, reason: str | None = None) -> Iterator[None]:
    """Grey out and disable the controls drawn inside when `condition` holds; hovering shows `reason`.

    Dear ImGui 1.82 has no BeginDisabled, so this uses the internal ItemDisabled flag and a lower alpha.
    """
    if not condition:
        yield
        return
    imgui.internal.push_item_flag(imgui.internal.ITEM_DISABLED, True)
    imgui.push_style_var(imgui.STYLE_ALPHA, imgui.get_style().alpha * 0.45)
    imgui.begin_group()
    try:
        yield
    finally:
        imgui.end_group()
        imgui.pop_style_var()
        imgui.internal.pop_item_flag()
    if reason and imgui.is_item_hovered(imgui.HOVERED_ALLOW_WHEN_DISABLED):
        imgui.set_tooltip(reason)

@contextlib.contextmanager
def item_width(width: float | None) -> Iterator[None]:
    """Set the width of the controls drawn inside (None: leave as is; negative: leave that much room on the right)."""
    if width is None:
        yield
        return
    imgui.push_item_width(width)
    try:
        yield
    finally:
        imgui.pop_item_width()

@contextlib.contextmanager
def scoped_id(identifier: object) -> Iterator[None]:
    """Give the controls drawn inside unique ids, so equal labels in different places don't clash."""
    imgui.push_id(str(identifier))
    try:
        yield
    finally:
        imgui.pop_id()

@contextlib.contextmanager
def style_color(index: int, rgba: tuple[float, float, float, float]) -> Iterator[None]:
    imgui.push_style_color(index, *rgba)
    try:
        yield
    finally:
        imgui.pop_style_color()

#----------------------------------------------------------------------------
# Composite controls.

def visible_label(label: str) -> str:
    """The part of an imgui label that is shown ('Seed##latent' -> 'Seed')."""
    return label.split('##', 1)[0]

def keep_height(top: float, height: float) -> None:
    """Move the cursor down so that what was drawn since cursor y `top` (window coordinates) takes at least
    `height`: space kept for lines and bars that come and go, so the controls below them stay put."""
    gap = top + height - imgui.get_cursor_pos_y()
    if gap > 0:
        imgui.dummy(0, max(gap - imgui.get_style().item_spacing.y, 0.0))

def tooltip(text: str) -> None:
    """Show `text` while the previous control is hovered."""
    if text and imgui.is_item_hovered():
        imgui.set_tooltip(text)

_typing: set[str] = set()           # Sliders being typed into (Ctrl+click): they show their value inside meanwhile.

def slider(
    label: str,                     # Id of the slider ('##speed'); nothing is shown for it.
    value: float,                   # Current value.
    min_value: float,               # Slider range.
    max_value: float,
    *,
    integer: bool = False,          # An integer slider instead of a float one.
    format: str | None = None,      # printf format of the shown value ('%.2f seeds/s').
    width: float | None = None,     # Width of slider and value together; None = imgui's current item width.
    logarithmic: bool = False,      # Logarithmic scale (positive ranges).
    help: str | None = None,        # Tooltip of the slider.
    key: str | None = None,         # Names the slider among those of equal label (in other id scopes); None = label.
) -> tuple[bool, float]:
    """A slider with its value written beside it, right-aligned, where the grab never covers it (imgui writes it in the
    middle of the slider, where the grab passes). The space for the value fits the widest of the range's ends and the
    value, so nothing moves as the value changes. Typing a value (Ctrl+click) shows it inside, as imgui does."""
    format = format or ('%d' if integer else '%.3f')
    spacing = imgui.get_style().item_inner_spacing.x
    text_width = max(imgui.calc_text_size(format % v).x for v in (min_value, max_value, value))
    total = imgui.calculate_item_width() if width is None else width
    flags = imgui.SLIDER_FLAGS_LOGARITHMIC if logarithmic else 0
    key = key or label
    typing = key in _typing and imgui.get_io().want_text_input
    with item_width(max(total - text_width - spacing, imgui.get_frame_height() * 2)):
        with contextlib.nullcontext() if typing else style_color(imgui.COLOR_TEXT, (0.0, 0.0, 0.0, 0.0)):
            if integer:
                changed, new = imgui.slider_int(label, int(value), int(min_value), int(max_value), format, flags)
            else:
                changed, new = imgui.slider_float(label, float(value), float(min_value), float(max_value), format, flags)
    (_typing.add if imgui.is_item_active() else _typing.discard)(key)
    tooltip(help or '')
    shown = format % new
    imgui.same_line(spacing=spacing + max(text_width - imgui.calc_text_size(shown).x, 0.0))
    with scoped_id(f'{label}:value'):
        imgui.text(shown)
    return changed, new

def slider_with_reset(
    label: str,                     # Shown after the slider; also the id ('Psi##trunc').
    value: float,                   # Current value.
    min_value: float,               # Slider range.
    max_value: float,
    default: float,                 # The value Reset restores; Reset is greyed out at this value.
    *,
    integer: bool = False,          # An integer slider instead of a float one.
    format: str | None = None,      # printf format of the shown value.
    width: float | None = None,     # Width of the slider and its value; None = imgui's current item width.
    logarithmic: bool = False,      # Logarithmic scale (positive ranges).
    help: str | None = None,        # Tooltip of the slider.
) -> tuple[bool, float]:
    """A slider (its value beside it) followed by a Reset button and the label. Returns (changed, value)."""
    with scoped_id(label):
        changed, new = slider('##slider', value, min_value, max_value, integer=integer, format=format, width=width,
            logarithmic=logarithmic, help=help, key=label)
        imgui.same_line()
        with grayed_out(new == default):
            if imgui.button('Reset'):
                changed, new = True, default
        text = visible_label(label)
        if text:
            imgui.same_line()
            imgui.text(text)
    return changed, new

def modifier_speed(fast: float = 10.0, slow: float = 0.1) -> float:
    """Speed factor from the held modifiers: Shift = fast, Ctrl (Cmd on macOS) or Alt = slow, else 1."""
    io = imgui.get_io()
    if io.key_shift:
        return fast
    if io.key_ctrl or io.key_alt or (sys.platform == 'darwin' and io.key_super):
        return slow
    return 1.0

def drag_button(
    label: str,                     # Button text (and id).
    width: float = 0,               # Button width; 0 = fit the text.
    *,
    speed: float = 1.0,             # Value units per mouse pixel at normal speed.
    fast: float = 10.0,             # Factor while Shift is held.
    slow: float = 0.1,              # Factor while Ctrl or Alt is held.
    help: str | None = None,        # Tooltip; a line about the modifiers is added.
) -> tuple[bool, float, float]:
    """A button to drag: returns (dragging, dx, dy) with the mouse motion since last frame times the speed."""
    imgui.button(label, width=width)
    tip = (help + '\n' if help else '') + 'Drag to change; hold Shift for fast, Ctrl or Alt for slow.'
    tooltip(tip)
    if not imgui.is_item_active():
        return False, 0.0, 0.0
    dx, dy = imgui.get_mouse_drag_delta(0, 0.0)
    imgui.reset_mouse_drag_delta(0)
    factor = speed * modifier_speed(fast, slow)
    return True, dx * factor, dy * factor

def drag_float_fast_slow(
    label: str,                     # Label (and id).
    value: float,                   # Current value.
    speed: float,                   # Value units per mouse pixel at normal speed.
    *,
    fast: float = 10.0,             # Factor while Shift is held.
    slow: float = 0.1,              # Factor while Ctrl or Alt is held.
    min_value: float = 0.0,         # Clamp range; min == max means unbounded.
    max_value: float = 0.0,
    format: str = '%.3f',
) -> tuple[bool, float]:
    """A drag field whose speed follows the modifiers (imgui's own Shift/Alt factors are undone first)."""
    io = imgui.get_io()
    builtin = (10.0 if io.key_shift else 1.0) * (0.01 if io.key_alt else 1.0)
    effective = speed * modifier_speed(fast, slow) / builtin
    changed, new = imgui.drag_float(label, float(value), effective, min_value, max_value, format)
    tooltip('Drag to change, double-click to type; hold Shift for fast, Ctrl or Alt for slow.')
    return changed, new

#----------------------------------------------------------------------------
# Automation: record where labelled controls are drawn.

RECORDED_FUNCTIONS = (
    'button', 'small_button', 'checkbox', 'radio_button', 'selectable', 'collapsing_header', 'tree_node',
    'input_int', 'input_float', 'input_text', 'input_double',
    'slider_float', 'slider_int', 'slider_angle', 'drag_float', 'drag_int', 'drag_float2', 'drag_int2',
    'slider_float2', 'slider_int2', 'input_float2', 'input_int2', 'combo', 'begin_combo', 'listbox',
    'color_edit3', 'color_edit4', 'invisible_button', 'arrow_button',
)

TEXT_FUNCTIONS = ('text', 'text_colored', 'text_wrapped', 'label_text', 'bullet_text')

class ItemRecorder:
    """While installed, records the screen rectangle of each labelled control every frame.

    It wraps the module-level functions of `imgui` (so code calling `imgui.button(...)` is seen), and is
    meant for UI automation such as end-to-end tests, which need to know where to click. A control is
    named by the ids pushed with `imgui.push_id` around it and its label, joined by '/' (e.g.
    'latent/##seed'). `on_change(name, rect)` is called when a control first appears or moves.

    With `texts`, plain text is recorded too, named by its place: '#text3' is the fourth text drawn in its id
    scope this frame. `details[name]` says whether the text fits: `text` is the width of the shown label (or
    text), `clip` the right edge of the window's content region and `scrolls` whether that window scrolls
    sideways (then items beyond `clip` are scrolled, not cut off).
    """

    def __init__(self, on_change: Callable[[str, tuple[float, float, float, float]], None] | None = None, texts: bool = False):
        self.rects: dict[str, tuple[float, float, float, float]] = {}
        self.details: dict[str, dict] = {}
        self.on_change = on_change
        self.texts = texts
        self._originals: dict[str, Callable] = {}
        self._ids: list[str] = []
        self._text_count: dict[str, int] = {}
        self._frame = -1.0

    def _record(self, key: str, shown: str) -> None:
        x0, y0 = imgui.get_item_rect_min()
        x1, y1 = imgui.get_item_rect_max()
        rect = (round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1))
        padding = float(int(imgui.get_style().window_padding[0] * 0.5))
        clip = imgui.get_window_position()[0] + imgui.get_window_content_region_max()[0] + padding
        detail = {'text': round(imgui.calc_text_size(shown).x, 1) if shown else 0.0, 'clip': round(clip, 1),
            'scrolls': imgui.get_scroll_max_x() > 0, 'window': [round(v, 1) for v in imgui.get_window_position()]}
        if self.rects.get(key) != rect or self.details.get(key) != detail:
            self.rects[key] = rect
            self.details[key] = detail
            if self.on_change is not None:
                self.on_change(key, rect)

    def _wrap(self, name: str, original: Callable) -> Callable:
        def wrapper(label, *args, **kwargs):
            result = original(label, *args, **kwargs)
            self._record('/'.join(self._ids + [label]), visible_label(label) if isinstance(label, str) else '')
            return result
        wrapper.__wrapped__ = original
        return wrapper

    def _wrap_text(self, original: Callable) -> Callable:
        def wrapper(text, *args, **kwargs):
            result = original(text, *args, **kwargs)
            if imgui.get_time() != self._frame:
                self._frame, self._text_count = imgui.get_time(), {}
            scope = '/'.join(self._ids)
            count = self._text_count.get(scope, 0)
            self._text_count[scope] = count + 1
            self._record('/'.join(self._ids + [f'#text{count}']), str(text).split('\n')[0])
            return result
        wrapper.__wrapped__ = original
        return wrapper

    def _wrap_push_id(self, original: Callable) -> Callable:
        def push_id(str_id):
            self._ids.append(str(str_id))
            return original(str_id)
        push_id.__wrapped__ = original
        return push_id

    def _wrap_pop_id(self, original: Callable) -> Callable:
        def pop_id():
            if self._ids:
                self._ids.pop()
            return original()
        pop_id.__wrapped__ = original
        return pop_id

    def install(self) -> None:
        for name in RECORDED_FUNCTIONS:
            original = getattr(imgui, name, None)
            if original is not None and name not in self._originals:
                self._originals[name] = original
                setattr(imgui, name, self._wrap(name, original))
        for name in TEXT_FUNCTIONS if self.texts else ():
            if name not in self._originals:
                self._originals[name] = getattr(imgui, name)
                setattr(imgui, name, self._wrap_text(self._originals[name]))
        if 'push_id' not in self._originals:
            self._originals['push_id'] = imgui.push_id
            self._originals['pop_id'] = imgui.pop_id
            imgui.push_id = self._wrap_push_id(imgui.push_id)
            imgui.pop_id = self._wrap_pop_id(imgui.pop_id)

    def uninstall(self) -> None:
        for name, original in self._originals.items():
            setattr(imgui, name, original)
        self._originals.clear()
        self._ids.clear()

#----------------------------------------------------------------------------
