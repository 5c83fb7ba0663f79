"""Tk panels against a real ViewCore with a FakeWorker, in a real Tk root under Xvfb.

Input goes through the widgets themselves: `.invoke()` for buttons and checkbuttons, text typed into entries and
spinboxes followed by Return, a combobox's choice with its <<ComboboxSelected>>, a slider moved with `.set()`
(which runs its command as a drag does), drag handles with generated press / motion / release events. Each
frame does what the app's tick does around the pane: `core.update(dt)`, then every panel's `refresh`.
Every control a test touches is recorded, so a final test can check that none was left out.
"""

from __future__ import annotations

import pathlib
import re
import tkinter as tk
from tkinter import ttk

import pytest

from tests.viz.coverage import assert_all_used, run_after_the_others
from tests.viz.fakes import FakeWorker, FrameDriver
from viz.core.view_core import ViewCore
from viz.tk.widgets import PanelContext

TOUCHED: set[str] = set()                       # Every control a test used ('Panel title/name').


def make_core(tmp_path: pathlib.Path, worker: FakeWorker | None = None, **kwargs) -> ViewCore:
    """A ViewCore with a FakeWorker, a fresh config folder and a capture folder under tmp_path."""
    kwargs.setdefault('capture_dir', str(tmp_path / 'captures'))
    return ViewCore(worker or FakeWorker(), config_dir=tmp_path / 'config', **kwargs)


class Pane(FrameDriver):
    """Panels in a Tk root, drawn against `core`."""

    def __init__(self, root: tk.Tk, core: ViewCore) -> None:
        self.root, self.core = root, core
        self.dialogs: list[tuple[str, dict]] = []   # (which, options) of every file dialog asked for.
        self.answers: list[str] = []                # What the next file dialogs answer ('' = cancelled).
        self.ctx = PanelContext(core=core, changed=lambda: None, em=13, frame_times=lambda: (0.004, 0.006),
            image_text=lambda: 'Image 64x64, zoom 2x (fit)', ask_open=self._ask('open'), ask_save=self._ask('save'))
        self.held: list[bool] = []
        self.ctx.hold = self.held.append
        self.panels: dict[str, object] = {}
        self.box = ttk.Frame(root)
        self.box.pack(fill='both', expand=True)

    def _ask(self, which: str):
        def ask(**options) -> str:
            self.dialogs.append((which, options))
            return self.answers.pop(0) if self.answers else ''
        return ask

    def show(self, *classes) -> 'Pane':
        for cls in classes:
            panel = cls(self.box, self.ctx)
            panel.frame.pack(fill='x')
            self.panels[panel.title] = panel
        self.frame()
        return self

    def frame(self, dt: float = 0.0) -> None:
        """One tick: update the core (submit if changed), refresh the panels, let Tk process events."""
        self.core.update(dt)
        for panel in self.panels.values():
            panel.refresh()
        self.root.update()

    # ------------------------------------------------------------------------
    # Controls.

    def widget(self, name: str):
        """The control 'Title/name' (or 'name' if only one panel has it); marks it as touched."""
        title, _, short = name.rpartition('/')
        found = [(t, p.controls[short]) for t, p in self.panels.items() if short in p.controls and (not title or t == title)]
        if len(found) != 1:                     # Not an assert: helpers keep their checks under python -O.
            raise AssertionError(f'control {name!r} found {len(found)} times')
        TOUCHED.add(f'{found[0][0]}/{short}')
        return found[0][1]

    def text(self, name: str) -> str:
        return self.widget(name).get()

    def enabled(self, name: str) -> bool:
        return not self.widget(name).instate(['disabled'])

    def press(self, name: str) -> None:
        self.widget(name).invoke()
        self.frame()

    def type(self, name: str, text: str, key: str = '<Return>') -> None:
        """Replace the text of an entry or spinbox and press Return (or generate `key`; None = none)."""
        widget = self.widget(name)
        widget.focus_force()
        widget.delete(0, 'end')
        widget.insert(0, text)
        if key:
            widget.event_generate(key)
        self.frame()

    def step(self, name: str, up: bool = True) -> None:
        """A spinbox's arrow."""
        self.widget(name).event_generate('<<Increment>>' if up else '<<Decrement>>')
        self.frame()

    def choose(self, name: str, label: str) -> None:
        widget = self.widget(name)
        if label not in widget.cget('values'):
            raise AssertionError(f'{label!r} not offered by {name}: {widget.cget("values")}')
        widget.set(label)
        widget.event_generate('<<ComboboxSelected>>')
        self.frame()

    def slide(self, name: str, position: float) -> None:
        """Move a slider to `position` (in its own units: log10 of the value for logarithmic ones), as a drag does."""
        widget = self.widget(name)
        widget.event_generate('<ButtonPress-1>', x=1, y=1)
        widget.set(position)
        widget.event_generate('<ButtonRelease-1>', x=1, y=1)
        self.frame()

    def drag(self, name: str, dx: int, dy: int = 0, state: int = 0) -> None:
        """Press on a drag handle, move by (dx, dy) pixels in 4 steps (with modifier `state`), release."""
        widget = self.widget(name)
        self.root.update()
        x0, y0 = widget.winfo_rootx() + 3, widget.winfo_rooty() + 3
        widget.event_generate('<ButtonPress-1>', x=3, y=3, rootx=x0, rooty=y0)
        for i in range(1, 5):
            widget.event_generate('<B1-Motion>', x=3 + dx * i // 4, y=3 + dy * i // 4, rootx=x0 + dx * i // 4,
                rooty=y0 + dy * i // 4, state=0x100 | state)
        widget.event_generate('<ButtonRelease-1>', x=3 + dx, y=3 + dy, rootx=x0 + dx, rooty=y0 + dy)
        self.frame()

    def select(self, name: str, item: str) -> None:
        """Choose a row of a tree (by its id) or a list (by its text)."""
        widget = self.widget(name)
        if isinstance(widget, ttk.Treeview):
            widget.selection_set(item)
        else:
            index = list(widget.get(0, 'end')).index(item)
            widget.selection_clear(0, 'end')
            widget.selection_set(index)
            widget.event_generate('<<ListboxSelect>>')
        self.frame()
        self.frame()

    def shown(self, fragment: str) -> bool:
        """Is `fragment` in the text of any visible label, button or checkbutton of the panels?"""
        def walk(widget):
            yield widget
            for child in widget.winfo_children():
                yield from walk(child)
        for widget in walk(self.box):
            try:
                if widget.winfo_ismapped() and fragment in str(widget.cget('text')):
                    return True
            except tk.TclError:
                continue
        return False

    def close(self) -> None:
        self.box.destroy()


def generic(name: str) -> str:
    """A control's name with the parts that vary with the data (W index, keyframe number) replaced."""
    return re.sub(r'/(W|go|time|Set|Up|Down|Delete) \d+$', r'/\1 *', name)


def assert_every_control_touched(request: pytest.FixtureRequest, pane: Pane, classes, prepare) -> None:
    """Build `classes` through `prepare(pane)` (the states that show every control) and check that every control was
    touched by an earlier test of the calling module. Runs only after all of them."""
    run_after_the_others(request)
    pane.show(*classes)
    prepare(pane)
    assert_all_used([f'{title}/{name}' for title, panel in pane.panels.items() for name in panel.controls], TOUCHED, generic, 'touched')
