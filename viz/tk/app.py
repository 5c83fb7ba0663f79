"""The Tk front end: a ttk control pane of collapsible panels, the image area (pyopengltk, or a Tk PhotoImage),
a status bar, and an `after`-driven frame tick.

Each tick: let the core poll the worker, step animations and submit the request if it changed (`update`), bring
the panels up to date when anything they show changed, and draw the newest image. Input (keys, the mouse in the
image, a control) becomes core actions at once and asks for a tick; ticks keep to the FPS cap. The render thread
never touches Tk: its `wake` writes a byte to a pipe that Tk watches (where Tk can watch files), else sets a flag
that ticks poll while a render or command is under way. With nothing to do the window sleeps (a tick every
IDLE_SECONDS, for messages that time out).
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import pathlib
import sys
import threading
import time
import tkinter as tk
import tkinter.font as tkfont
from tkinter import ttk
from typing import Callable

import numpy as np

from gui_utils.presentation import PresentTarget
from viz.core import settings as settings_mod, shortcuts, texts
from viz.core.view_core import QUIT_WAIT_S, ViewCore, Worker
from viz.tk.image_area import ImageArea
from viz.tk.panels import PANEL_CLASSES
from viz.tk.panels.app import PerformancePanel
from viz.tk.widgets import PanelContext, ScrollPane, keeps_keyboard

IDLE_SECONDS = 0.5                              # Longest sleep with nothing to do.
POLL_SECONDS = 0.015                            # Poll for results at this interval where Tk cannot watch a pipe.
TIMES_SECONDS = 0.5                             # How often the performance panel's times are redrawn.
KEYSYMS = {'Right': 'RIGHT', 'Left': 'LEFT', 'Up': 'UP', 'Down': 'DOWN', 'space': 'SPACE', 'Tab': 'TAB', 'ISO_Left_Tab': 'TAB', 'F1': 'F1'}
NO_GL_ENV = 'SG3_VIZ_NO_GL'                     # Set to 1: draw through a Tk PhotoImage even where OpenGL works.
HELP_TITLE = 'Keyboard and mouse'


class DisplayUnavailableError(RuntimeError):
    """Tk cannot open a window (no display)."""


def key_name(keysym: str) -> str | None:
    """The viz.core.shortcuts name of a Tk keysym ('Right' -> 'RIGHT', 'q' -> 'Q'), or None."""
    return KEYSYMS.get(keysym) or (keysym.upper() if len(keysym) == 1 else None) or (keysym if keysym[:1] == 'F' and keysym[1:].isdigit() else None)


class Waker:
    """Wakes the Tk loop from any thread: a byte into a pipe Tk watches, or a flag the ticks poll."""

    def __init__(self, root: tk.Tk, on_wake: Callable[[], None]) -> None:
        self.flag = threading.Event()
        self._pipe: tuple[int, int] | None = None
        self._root = root
        if hasattr(root.tk, 'createfilehandler'):
            read, write = os.pipe()
            os.set_blocking(read, False)
            os.set_blocking(write, False)
            self._pipe = (read, write)
            root.tk.createfilehandler(read, tk.READABLE, lambda fd, mask: (self._drain(), on_wake()))

    @property
    def watched(self) -> bool:
        """Does Tk wake by itself (no polling needed)?"""
        return self._pipe is not None

    def wake(self) -> None:
        self.flag.set()
        if self._pipe is not None:
            try:
                os.write(self._pipe[1], b'x')
            except (BlockingIOError, OSError):  # Full (a wake is pending anyway) or closed (shutting down).
                pass

    def _drain(self) -> None:
        try:
            while os.read(self._pipe[0], 512):
                pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        if self._pipe is not None:
            self._root.tk.deletefilehandler(self._pipe[0])
            for fd in self._pipe:
                os.close(fd)
            self._pipe = None


class TkVisualizer:
    def __init__(self, make_worker: Callable[[Callable[[], None]], Worker], *,
        sources: tuple[str, ...] = (),              # Networks given on the command line; the first is opened.
        device: str | None = None,                  # Initial device.
        capture_dir: str | None = None,             # Where captures go (default: settings, else ./captures).
        browse_dir: str | None = None,              # Folder the network panel lists.
        session_file: str | None = None,            # Session to load at start.
        fps_limit: float | None = None,             # GUI frame-rate cap (default: settings).
        config_dir: pathlib.Path | None = None,     # Per-user config folder (default: settings.config_dir()).
        log: bool = False,                          # Print SUBMITTED / RENDERED / CAPTURED / MESSAGE / COMMAND / VIEW lines.
        log_items: bool = False,                    # Print ITEM lines with control rectangles (UI automation).
        frame_log: str | None = None,               # Append per-frame GUI timings (JSON lines) to this file.
        window_size: tuple[int, int] | None = None, # Initial window size (default: settings).
        use_gl: bool | None = None,                 # Draw with OpenGL (default: unless $SG3_VIZ_NO_GL=1).
        present: PresentTarget | None = None,       # Start in presentation mode: full screen, or a window of present.size.
    ):
        config_dir = pathlib.Path(config_dir or settings_mod.config_dir())
        config_dir.mkdir(parents=True, exist_ok=True)
        saved, _warning = settings_mod.load_settings(config_dir)
        self.log_enabled = log
        self.log_items = log_items
        self._frame_log = open(frame_log, 'a', encoding='utf-8') if frame_log else None
        try:
            self.root = tk.Tk(className='sg3-viz')
        except tk.TclError as e:
            raise DisplayUnavailableError(f'cannot open a Tk window ({e}); on a machine without a display run it under a '
                'virtual X server, e.g. `xvfb-run -a python visualizer.py --ui tk`') from None
        self.root.title(texts.APP_TITLE)
        width, height = window_size or (saved.window_width, saved.window_height)
        self.root.geometry(f'{width}x{height}')
        style = ttk.Style(self.root)
        if sys.platform.startswith('linux') and 'clam' in style.theme_names():
            style.theme_use('clam')                 # Tk's X11 default theme looks dated; Windows and macOS keep their native one.
        style.configure('TButton', width=-4, padding=(6, 2))
        style.configure('Section.TButton', anchor='w', font='TkHeadingFont', padding=(4, 2))
        self.em = int(tkfont.nametofont('TkDefaultFont').metrics('linespace'))
        self.waker = Waker(self.root, self.request_frame)
        self.core = ViewCore(make_worker(self.waker.wake), config_dir=config_dir, sources=sources, device=device,
            capture_dir=capture_dir, browse_dir=browse_dir, fps_limit=fps_limit, emit=self._emit)
        self._frame_times: collections.deque[float] = collections.deque(maxlen=240)
        self._held = False
        self._tick_id: str | None = None
        self._tick_due = 0.0
        self._last_tick = time.perf_counter()
        self._last_times = 0.0
        self._signature = None
        self._items: dict[str, list[int]] = {}
        self._layout_changed = True
        self._last_release: tuple[str, int] | None = None
        self._ready = False
        self._closed = False
        self._help: tk.Toplevel | None = None
        self._presenting = False
        self.present_target = present or PresentTarget()
        self._windowed_geometry = f'{width}x{height}'  # The window's geometry to restore after a fixed-size presentation.
        self.core.presenting = present is not None
        self._build(use_gl if use_gl is not None else os.environ.get(NO_GL_ENV, '') in ('', '0'), saved)
        if session_file:
            self.core.load_session(session_file)

    # ------------------------------------------------------------------------
    # Layout.

    def _build(self, use_gl: bool, saved: settings_mod.Settings) -> None:
        root = self.root
        root.columnconfigure(1, weight=1)
        root.rowconfigure(0, weight=1)
        right = ttk.Frame(root)
        right.grid(row=0, column=1, rowspan=2, sticky='nsew')
        self.area = ImageArea(right, self.core, self.request_frame, use_gl=use_gl, emit=self._emit)
        self.status = ttk.Label(right, anchor='w', padding=(6, 2))
        self.status.pack(side='bottom', fill='x')
        self.area.frame.pack(side='top', fill='both', expand=True)
        self.pane = ScrollPane(root, width=self._pane_width())
        toolbar = ttk.Frame(self.pane.inner)
        toolbar.pack(side='top', fill='x', pady=(0, 4))
        self.toolbar = {'Help (F1)': ttk.Button(toolbar, text='Help (F1)', command=lambda: self._act('app', 'help')),
            'Hide pane (Tab)': ttk.Button(toolbar, text='Hide pane (Tab)', command=lambda: self._act('app', 'toggle_pane'))}
        for button in self.toolbar.values():
            button.pack(side='left', padx=(0, 4))
        ctx = PanelContext(core=self.core, changed=self._panel_changed, hold=self._hold, em=self.em,
            frame_times=lambda: tuple(self._frame_times), image_text=self._image_text)
        self.panels = []
        self.headers: dict[str, ttk.Button] = {}
        self.bodies: dict[str, ttk.Frame] = {}
        for cls in PANEL_CLASSES:
            header = ttk.Button(self.pane.inner, style='Section.TButton')
            header.pack(side='top', fill='x', pady=(4, 0))
            body = ttk.Frame(self.pane.inner, padding=(8, 2, 0, 4))
            panel = cls(body, ctx)
            panel.frame.pack(fill='x')
            header.configure(command=lambda h=header, b=body, p=panel: self._toggle(h, b, p))
            self.headers[panel.title] = header
            self.bodies[panel.title] = body
            self._show_section(header, body, panel, panel.title in saved.open_sections)
            self.panels.append(panel)
        self._show_pane(self.core.view.show_pane)
        root.bind('<KeyPress>', self._key)
        root.bind('<KeyRelease>', self._key_release)
        root.bind('<ButtonPress>', self._click, add='+')
        root.bind('<Configure>', self._configured, add='+')
        root.bind('<MouseWheel>', self._pane_wheel, add='+')
        root.bind('<Button-4>', self._pane_wheel, add='+')
        root.bind('<Button-5>', self._pane_wheel, add='+')
        root.protocol('WM_DELETE_WINDOW', self.quit)

    def _pane_width(self) -> int:
        return int(round(self.core.view.pane_width * self.em))

    def _show_section(self, header: ttk.Button, body: ttk.Frame, panel, show: bool) -> None:
        header.configure(text=('\u25be ' if show else '\u25b8 ') + panel.title)
        if show:
            body.pack(side='top', fill='x', after=header)
        else:
            body.pack_forget()

    def _toggle(self, header: ttk.Button, body: ttk.Frame, panel) -> None:
        self._show_section(header, body, panel, not body.winfo_manager())
        self.request_frame()

    def _show_pane(self, show: bool) -> None:
        if show:
            self.pane.canvas.configure(width=min(self._pane_width(), int(self.root.winfo_width() * 0.6) or self._pane_width()))
            self.pane.grid(row=0, column=0, rowspan=2, sticky='ns')
        else:
            self.pane.grid_remove()
        self._pane_shown = show

    def _present(self, on: bool) -> None:
        """Presentation mode (F11): the image alone, full screen, for screen recorders."""
        self._presenting = on
        if on:
            self.status.pack_forget()
        else:
            self.status.pack(side='bottom', fill='x', before=self.area.frame)
        size = self.present_target.size
        if size is not None:                    # A fixed size (e.g. 1280x720 for a recorder); Tk cannot pick a monitor.
            if on:
                if self.root.winfo_ismapped():  # Before the window is shown, its geometry is a placeholder (1x1).
                    self._windowed_geometry = self.root.geometry()
                self.root.geometry(f'{size[0]}x{size[1]}')
            else:
                self.root.geometry(self._windowed_geometry)
            return
        try:
            self.root.attributes('-fullscreen', on)
        except tk.TclError:                     # A platform without full-screen windows: the window keeps its size.
            pass

    # ------------------------------------------------------------------------
    # Helpers.

    def _emit(self, line: str) -> None:
        if self.log_enabled:
            print(line, flush=True)

    def _act(self, target: str, name: str, *args) -> None:
        self.core.act(target, name, *args)
        self.request_frame()

    def _panel_changed(self) -> None:
        """A panel acted (or changed its own settings): refresh the panels on the next tick."""
        self._signature = None
        self.request_frame()

    def _hold(self, held: bool) -> None:
        self._held = held
        self.request_frame()

    def _image_text(self) -> str | None:
        return texts.image_text(self.area.image_size, self.area.zoom(), self.core.view.zoom is None)

    def _origin(self) -> tuple[int, int]:
        return self.root.winfo_rootx(), self.root.winfo_rooty()

    # ------------------------------------------------------------------------
    # Input.

    def _key(self, event) -> str | None:
        try:
            focus = self.root.focus_get()
        except (KeyError, tk.TclError):         # Focus in a widget Tcl made itself (a file dialog's).
            return None
        if keeps_keyboard(focus):
            if event.keysym == 'Escape':
                self.area.widget.focus_set()
            return None
        if event.keysym == 'Escape' and self.core.presenting:
            self.core.act('app', 'toggle_presentation')
            self.request_frame()
            return 'break'
        name = key_name(event.keysym)
        shift = bool(event.state & 0x1)
        ctrl = bool(event.state & 0x4) or (sys.platform == 'darwin' and bool(event.state & 0x8))
        found = shortcuts.find(name, shift=shift, ctrl=ctrl) if name else None
        if found is None:
            return None
        repeated = self._last_release == (event.keysym, event.time)   # X11 auto-repeat: a release and a press at once.
        if found.repeat or not repeated:
            self.core.shortcut(name, shift=shift, ctrl=ctrl)
            self.request_frame()
        return 'break'

    def _key_release(self, event) -> None:
        self._last_release = (event.keysym, event.time)

    def _click(self, event) -> None:
        """A click on anything but a text field gives the keyboard back to the shortcuts."""
        if not keeps_keyboard(event.widget) and event.widget is not self.area.widget:
            try:
                if keeps_keyboard(self.root.focus_get()):
                    self.area.widget.focus_set()
            except (KeyError, tk.TclError):
                pass

    def _pane_wheel(self, event) -> None:
        if not self.pane.contains(event.widget) or keeps_keyboard(event.widget):
            return
        notches = -1 if getattr(event, 'num', 0) == 4 else 1 if getattr(event, 'num', 0) == 5 else -int(event.delta / (120 if sys.platform == 'win32' else 1))
        self.pane.wheel(notches)

    def _configured(self, _event) -> None:
        self._layout_changed = True
        if self.log_items:
            self.request_frame()

    # ------------------------------------------------------------------------
    # The frame tick.

    def request_frame(self) -> None:
        """Tick as soon as the FPS cap allows."""
        self._schedule(self._last_tick + 1.0 / self.core.performance.state.fps_limit)

    def _schedule(self, due: float) -> None:
        if self._closed:
            return
        if self._tick_id is not None:
            if self._tick_due <= due:
                return
            self.root.after_cancel(self._tick_id)
        self._tick_due = due
        self._tick_id = self.root.after(max(int((due - time.perf_counter()) * 1000), 0), self.tick)

    def tick(self) -> None:
        self._tick_id = None
        core = self.core
        start = time.perf_counter()
        interval = start - self._last_tick
        self._last_tick = start
        self.waker.flag.clear()
        core.interacting = self.area.drag_button is not None or self._held
        core.update(interval)
        if core.quit_requested:
            self.quit()
            return
        if (core.view.show_pane and not core.presenting) != self._pane_shown:
            self._show_pane(core.view.show_pane and not core.presenting)
        if core.presenting != self._presenting:
            self._present(core.presenting)
        if core.help_requested:
            core.help_requested = False
            self.show_help()
        title = texts.window_title(core)
        if self.root.title() != title:
            self.root.title(title)
        self._refresh_panels(start)
        self.area.draw(self._origin())
        shown = texts.overlay(core, self.area.pixel_text(), self.area.zoom(), self.area.image is not None, note=self.area.note)
        self.area.show_overlay(shown)
        if self.status.cget('text') != shown.status:
            self.status.configure(text=shown.status)
        if core.window_capture_pending:
            core.save_capture(self.window_pixels(), 'window')
        if self.log_items and self._layout_changed:
            self._log_items()
        work = time.perf_counter() - start
        self._frame_times.append(work)
        if self._frame_log is not None:
            self._frame_log.write(json.dumps({'t': time.time(), 'interval': interval, 'work': work, 'idle': self._tick_id is None,
                'busy': core.render_pending(), 'ui': 'tk'}) + '\n')
        if not self._ready:
            self._ready = True
            print('READY', flush=True)
        self._schedule_next()

    def _schedule_next(self) -> None:
        core = self.core
        waiting = core.render_pending() or core.loading is not None or any(not s.finished for s in core.commands.values())
        if self.area.drag_button is not None or self._held:
            self.request_frame()
        elif waiting and (not self.waker.watched or self.waker.flag.is_set()):
            self._schedule(time.perf_counter() + (0 if self.waker.flag.is_set() else POLL_SECONDS))
        else:
            self._schedule(time.perf_counter() + IDLE_SECONDS)

    def _refresh_panels(self, now: float) -> None:
        core = self.core
        signature = (tuple(c.state for c in core.controllers.values()), core.result, core.loading, core.visible_message(), core.view,
            core.settings.recent, tuple(core.commands.values()), core.session_path, len(core.psnr_history), self.area.image_size,
            core.timeline, core.playhead, core.timeline_path)
        if signature != self._signature:
            self._signature = signature
            for panel in self.panels:
                panel.refresh()
        if now - self._last_times >= TIMES_SECONDS:
            self._last_times = now
            for panel in self.panels:
                if isinstance(panel, PerformancePanel) and panel.frame.winfo_ismapped():
                    panel.show_times()

    # ------------------------------------------------------------------------
    # Window captures, help, automation.

    def window_pixels(self) -> np.ndarray:
        """The window as shown on screen, uint8 [H, W, 3]."""
        from PIL import ImageGrab
        self.root.update_idletasks()
        x, y = self._origin()
        box = (x, y, x + self.root.winfo_width(), y + self.root.winfo_height())
        display = os.environ.get('DISPLAY') if sys.platform.startswith('linux') else None
        return np.asarray(ImageGrab.grab(bbox=box, xdisplay=display).convert('RGB'))

    def show_help(self) -> None:
        """The shortcut table in a small window; Close or Escape closes it."""
        if self._help is not None and self._help.winfo_exists():
            self._help.lift()
            return
        self._help = window = tk.Toplevel(self.root)
        window.title(HELP_TITLE)
        window.transient(self.root)
        frame = ttk.Frame(window, padding=12)
        frame.pack(fill='both', expand=True)
        for row, (keys, text) in enumerate(shortcuts.help_rows()):
            ttk.Label(frame, text=keys, font='TkHeadingFont').grid(row=row, column=0, sticky='w', padx=(0, 16), pady=1)
            ttk.Label(frame, text=text).grid(row=row, column=1, sticky='w', pady=1)
        close = ttk.Button(frame, text='Close', command=window.destroy)
        close.grid(row=len(shortcuts.help_rows()), column=0, columnspan=2, pady=(10, 0))
        window.bind('<Escape>', lambda e: window.destroy())
        close.focus_set()

    def _log_items(self) -> None:
        """ITEM lines for controls that appeared or moved: 'Panel/name' and [x0, y0, x1, y1] in window coordinates."""
        self._layout_changed = False
        ox, oy = self._origin()
        named = [(f'{title}/{title}', header) for title, header in self.headers.items()]
        named += [(f'{panel.title}/{name}', widget) for panel in self.panels for name, widget in panel.controls.items()]
        named += list(self.toolbar.items())
        for label, widget in named:
            if not widget.winfo_viewable():
                continue
            x, y = widget.winfo_rootx() - ox, widget.winfo_rooty() - oy
            rect = [x, y, x + widget.winfo_width(), y + widget.winfo_height()]
            if self._items.get(label) != rect:
                self._items[label] = rect
                print('ITEM ' + json.dumps({'label': label, 'rect': rect}), flush=True)

    # ------------------------------------------------------------------------
    # Running and closing.

    def run(self) -> int:
        """Run until the window closes. Returns the process exit code."""
        self.request_frame()
        try:
            self.root.mainloop()
        finally:
            self.close()
        return 0

    def quit(self) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._tick_id is not None:
            self.root.after_cancel(self._tick_id)
            self._tick_id = None
        try:
            size = (self.root.winfo_width(), self.root.winfo_height())
            self.root.withdraw()                    # The window disappears first.
            self.root.update_idletasks()
        except tk.TclError:
            size = None
        self.core.settings = dataclasses.replace(self.core.settings, open_sections=tuple(title for title, body in self.bodies.items()
            if body.winfo_manager()))
        self.core.close(size, wait=QUIT_WAIT_S)
        self.waker.close()
        self.area.close()
        try:
            self.root.destroy()
        except tk.TclError:
            pass
        if self._frame_log is not None:
            self._frame_log.close()
            self._frame_log = None
