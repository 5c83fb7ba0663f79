"""Views in imgui's headless context (no window, no GL), drawn against a real ViewCore with a FakeWorker.

Input is real: the mouse and keyboard go through imgui's IO, and controls are found by the rectangles an
ItemRecorder records while drawing (named 'View title/label', as in the app's pane). Each frame does
what the app's frame does around the pane: poll the core, draw the views, `core.update(dt)`.
"""

from __future__ import annotations

import pathlib
import re
from typing import Callable

import imgui
import pytest

from gui_utils.imgui_utils import ItemRecorder, scoped_id
from tests.viz.coverage import assert_all_used, run_after_the_others
from tests.viz.fakes import FakeWorker, FrameDriver
from viz.core.view_core import ViewCore
from viz.imgui.views.base import Ui

FONT = 13.0
SIZE = (900, 1600)                              # Display size: every view fits in it unscrolled.
PRESSED: set[str] = set()                       # Every control a test pressed, dragged or typed into ('Title/label').
TEXT_FUNCTIONS = ('text', 'text_wrapped', 'text_colored', 'set_tooltip')


class Harness(FrameDriver):
    """One imgui context; draws views in a full-screen window each frame and plays input."""

    def __init__(self, core: ViewCore) -> None:
        self.core = core
        self.views: tuple = ()
        self.ui = Ui(font_size=FONT)
        self.context = imgui.create_context()
        io = imgui.get_io()
        io.display_size = SIZE
        io.delta_time = 1 / 60
        io.ini_file_name = None
        io.fonts.get_tex_data_as_rgba32()
        for idx, key in enumerate((imgui.KEY_ENTER, imgui.KEY_BACKSPACE, imgui.KEY_TAB, imgui.KEY_A)):
            io.key_map[key] = 100 + idx
        self.recorder = ItemRecorder()
        self.recorder.install()
        self.texts: list[str] = []              # Text drawn in the last frame (tooltips included).
        self.seen: set[str] = set()             # Every control drawn in any frame.
        self._text_originals = {name: getattr(imgui, name) for name in TEXT_FUNCTIONS}
        for name, original in self._text_originals.items():
            setattr(imgui, name, self._recording(original))

    def _recording(self, original):
        def wrapper(text, *args, **kwargs):
            self.texts.append(text)
            return original(text, *args, **kwargs)
        return wrapper

    def close(self) -> None:
        self.recorder.uninstall()
        for name, original in self._text_originals.items():
            setattr(imgui, name, original)
        imgui.destroy_context(self.context)

    # ------------------------------------------------------------------------
    # Frames.

    def show(self, *views) -> 'Harness':
        """Draw these views (in this order) from now on, and draw one frame."""
        self.views = views
        self.frame()
        return self

    def frame(self, dt: float = 0.0) -> None:
        """One app frame: poll, draw the views, update the core (advance by dt seconds, submit if changed)."""
        self.texts = []
        self.recorder.rects.clear()
        self.core.poll()
        imgui.new_frame()
        imgui.set_next_window_position(0, 0)
        imgui.set_next_window_size(*SIZE)
        imgui.begin('pane', flags=imgui.WINDOW_NO_TITLE_BAR | imgui.WINDOW_NO_MOVE)
        try:
            for view in self.views:
                with scoped_id(view.title):
                    view.draw(self.core, self.ui)
        finally:
            imgui.end()
            imgui.render()
        self.seen |= set(self.recorder.rects)
        self.core.update(dt)

    # ------------------------------------------------------------------------
    # What was drawn.

    def shown(self, fragment: str) -> bool:
        return any(fragment in text for text in self.texts)

    def drawn(self, label: str) -> bool:
        """Was a control with this label (or name suffix) drawn in the last frame?"""
        return any(key == label or key.endswith('/' + label) for key in self.recorder.rects)

    def key(self, label: str) -> str:
        """The full name of a control drawn in the last frame: the label itself, or the one name ending in '/label'."""
        rects = self.recorder.rects
        if label in rects:
            return label
        matches = [key for key in rects if key.endswith('/' + label)]
        if len(matches) != 1:                   # Not an assert: helpers keep their checks under python -O.
            raise AssertionError(f'{label!r} not drawn exactly once; drawn: {sorted(rects)}')
        return matches[0]

    def centre(self, label: str, fx: float = 0.5) -> tuple[float, float]:
        x0, y0, x1, y1 = self.recorder.rects[self.key(label)]
        return x0 + (x1 - x0) * fx, (y0 + y1) / 2

    # ------------------------------------------------------------------------
    # Input.

    def settle(self) -> None:
        """Two frames, so that popups and results that change the layout are in place before the mouse moves."""
        self.frame()
        self.frame()

    def hover(self, label: str, fx: float = 0.5) -> None:
        imgui.get_io().mouse_pos = self.centre(label, fx)
        self.frame()

    def click(self, label: str, fx: float = 0.5) -> None:
        """Move to the control, press, release, and draw a frame of the state the click left."""
        io = imgui.get_io()
        self.settle()
        PRESSED.add(self.key(label))
        io.mouse_pos = self.centre(label, fx)
        self.frame()
        io.mouse_down[0] = True
        self.frame()
        io.mouse_down[0] = False
        self.frame()
        self.frame()

    def drag(self, label: str, dx: float, dy: float = 0, steps: int = 5, fx: float = 0.5) -> None:
        io = imgui.get_io()
        self.settle()
        PRESSED.add(self.key(label))
        x, y = self.centre(label, fx)
        io.mouse_pos = (x, y)
        self.frame()
        io.mouse_down[0] = True
        self.frame()
        for step in range(1, steps + 1):
            io.mouse_pos = (x + dx * step / steps, y + dy * step / steps)
            self.frame()
        io.mouse_down[0] = False
        self.frame()
        self.frame()

    def type_text(self, label: str, text: str, enter: bool = True, fx: float = 0.2) -> None:
        """Click into a text field, select all, type `text`, press Enter (unless told not to)."""
        io = imgui.get_io()
        self.click(label, fx=fx)
        io.key_ctrl = True
        io.keys_down[io.key_map[imgui.KEY_A]] = True
        self.frame()
        io.keys_down[io.key_map[imgui.KEY_A]] = False
        io.key_ctrl = False
        for ch in text:
            io.add_input_character(ord(ch))
        self.frame()
        if enter:
            self.press(imgui.KEY_ENTER)

    def press(self, key: int) -> None:
        io = imgui.get_io()
        io.keys_down[io.key_map[key]] = True
        self.frame()
        io.keys_down[io.key_map[key]] = False
        self.frame()

    def click_away(self) -> None:
        """Click on empty space, so no control keeps the keyboard."""
        io = imgui.get_io()
        io.mouse_pos = (SIZE[0] - 5, SIZE[1] - 5)
        self.frame()
        io.mouse_down[0] = True
        self.frame()
        io.mouse_down[0] = False
        self.frame()


def make_core(tmp_path: pathlib.Path, worker: FakeWorker | None = None, **kwargs) -> ViewCore:
    """A ViewCore with a FakeWorker, a fresh config folder and a capture folder under tmp_path."""
    kwargs.setdefault('capture_dir', str(tmp_path / 'captures'))
    return ViewCore(worker or FakeWorker(), config_dir=tmp_path / 'config', **kwargs)


def _generic(name: str) -> str:
    """A control's name with the parts that vary with the data (W index, PSNR value) replaced."""
    name = re.sub(r'##([ks])\d+(/|$)', r'##\1*\2', name)  # The directions' per-direction name and slider.
    return re.sub(r'\d*##w\d+$', '##w*', re.sub(r'(^|/)PSNR .*##psnr$', r'\1##psnr', name))


def assert_every_control_pressed(request: pytest.FixtureRequest, harness: Harness, views: list, prepare: Callable[[Harness], None]) -> None:
    """Draw `views` through `prepare(harness)` (which brings the core into the states that show every control) and
    check that each control drawn was pressed by an earlier test of the calling module. Runs only after all of them."""
    run_after_the_others(request)
    harness.show(*views)
    prepare(harness)
    assert_all_used(harness.seen, PRESSED, _generic, 'pressed')
