"""The Visualizer: the window, the control pane of widgets, the image area, and the frame loop.

Each frame: poll the render worker, turn input into shortcut actions and image drags, let every widget
draw itself and return its part of the request, submit the combined `RenderArgs` if it changed, and
draw the newest image. The GUI thread never waits for the generator; with nothing to do it sleeps.

With the bfloat16 preview on, requests made while the user drags in the image or holds a control carry
`PerformanceArgs.interacting`; the frame the interaction ends submits the same request without it, so the
image left on screen is always the exact one. A preview image is tagged in the image area's lower right corner.
"""

from __future__ import annotations

import collections
import dataclasses
import importlib
import inspect
import json
import os
import pathlib
import pkgutil
import sys
import threading
import time
from typing import Any, Callable

import glfw
import imgui
import numpy as np

from gui_utils import imgui_utils, imgui_window
from viz.core import capture, session, settings as settings_mod, shortcuts
from viz.imgui import overlays as app_overlays
from viz.imgui.image_area import ImageArea
from viz.protocol import RenderArgs, RenderResult
from viz.render.worker import RenderWorker
from viz.imgui.widgets.base import KEY_ACTIONS, FrameContext, Widget, request_parts
from viz.imgui.widgets.capture import CaptureRequest

DEFAULT_SOURCE = 'builtin:sg3-t'
_HIDDEN_FLAGS = app_overlays.OVERLAY_FLAGS | imgui.WINDOW_NO_BACKGROUND


def discover_widgets() -> list[Widget]:
    """One instance of every widget in `viz.imgui.widgets`: its `WIDGET_CLASSES` if it has them, else every module's Widget subclasses."""
    import viz.imgui.widgets as package
    classes = list(getattr(package, 'WIDGET_CLASSES', ()))
    if not classes:
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if info.name == 'base' or info.name.startswith('_'):
                continue
            module = importlib.import_module(f'viz.imgui.widgets.{info.name}')
            classes += [c for _, c in inspect.getmembers(module, inspect.isclass)
                if issubclass(c, Widget) and c is not Widget and c.__module__ == module.__name__ and c.title]
        classes.sort(key=lambda c: (getattr(c, 'order', 100), c.__module__))
    return [c() for c in classes]


def leave_a_core_for_the_gui() -> None:
    """Run torch's CPU work on all cores but one, unless the user set a thread count (OMP_NUM_THREADS).

    With every core busy in torch, the GUI thread (and, under Xvfb, the software rasterizer) waits for CPU
    time and frames stutter; on a 2-core machine oversubscription even made renders several times slower.
    """
    if os.environ.get('OMP_NUM_THREADS') or os.environ.get('MKL_NUM_THREADS'):
        return
    import torch
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else (os.cpu_count() or 1)
    if cores > 1:
        torch.set_num_threads(max(1, min(torch.get_num_threads(), cores - 1)))


def in_background(render_fn: Callable, niceness: int = 5) -> Callable:
    """Wrap a render function so the thread running it yields the CPU to the GUI thread (Linux only).

    Linux gives each thread its own nice value; raising the render thread's lets the GUI thread (and the
    software rasterizer under Xvfb) run first when both want a core, and costs the render nothing when the
    GUI sleeps. Elsewhere setpriority() acts on whole processes, so nothing is changed.
    """
    lowered = threading.local()

    def render(*args, **kwargs):
        if not getattr(lowered, 'done', False):
            lowered.done = True
            if sys.platform.startswith('linux'):
                try:
                    tid = threading.get_native_id()
                    os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid) + niceness, 19))
                except OSError:
                    pass
        return render_fn(*args, **kwargs)
    return render


def widget_key(widget: Widget) -> str:
    """The widget's name in session files: its request field, else its class name."""
    return widget.field if isinstance(widget.field, str) else type(widget).__name__


class Visualizer:
    def __init__(self, *,
        sources: tuple[str, ...] = (),              # Networks given on the command line; the first is opened.
        device: str | None = None,                  # Initial device ('auto', 'cpu', 'cuda', 'mps').
        capture_dir: str | None = None,             # Where captures go (default: settings, else ./captures).
        browse_dir: str | None = None,              # Folder the network widget lists.
        session_file: str | None = None,            # Session to load at start.
        fps_limit: float | None = None,             # GUI frame-rate cap (default: settings).
        config_dir: pathlib.Path | None = None,     # Per-user config folder (default: settings.config_dir()).
        widgets: list[Widget] | None = None,        # Default: discover_widgets().
        render_fn: Callable | None = None,          # Default: viz.render.renderer.Renderer().
        log: bool = False,                          # Print SUBMITTED / RENDERED / CAPTURED / MESSAGE lines.
        log_items: bool = False,                    # Print ITEM lines with control rectangles (UI automation).
        frame_log: str | None = None,               # Append per-frame GUI timings (JSON lines) to this file.
        window_size: tuple[int, int] | None = None, # Initial window size (default: settings).
    ):
        self.config_dir = pathlib.Path(config_dir or settings_mod.config_dir())
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.settings, warning = settings_mod.load_settings(self.config_dir)
        for source in reversed(sources):
            self.settings = self.settings.with_recent(source)
        if capture_dir is not None:
            self.settings = dataclasses.replace(self.settings, capture_dir=str(pathlib.Path(capture_dir).expanduser().resolve()))
        if browse_dir is not None:
            self.settings = dataclasses.replace(self.settings, browse_dir=str(pathlib.Path(browse_dir).expanduser().resolve()))
        self.fps_limit = float(fps_limit or self.settings.fps_limit)
        self.log_enabled = log
        self._frame_log = open(frame_log, 'a', encoding='utf-8') if frame_log else None

        width, height = window_size or (self.settings.window_width, self.settings.window_height)
        self.window = imgui_window.ImguiWindow(config_dir=self.config_dir, title='sg3-viz', window_width=width,
            window_height=height, fps_limit=self.fps_limit, vsync=self.settings.vsync, clear_color=(0.16, 0.16, 0.17, 1))
        self.area = ImageArea(filter=self.settings.filter)
        self.recorder = imgui_utils.ItemRecorder(on_change=self._log_item) if log_items else None
        if self.recorder is not None:
            self.recorder.install()

        # Widgets, with the command line's choices put into their state.
        self.widgets = widgets if widgets is not None else discover_widgets()
        self._set_widget_option('source', sources[0] if sources else None)
        self._set_widget_option('device', device)
        self._set_widget_option('browse_dir', self.settings.browse_dir)
        self._set_widget_option('folder', self.settings.capture_dir)
        self._set_widget_option('fps_limit', self.fps_limit)
        self._set_widget_option('vsync', self.settings.vsync)

        # Frame state.
        self.result: RenderResult | None = None          # Newest final result.
        self.loading: str | None = None                  # Progress text while a network loads.
        self.last_args: RenderArgs | None = None         # Last submitted request.
        self.last_stamp = 0
        self.loaded_source: str | None = None
        self.message: tuple[str, bool, float] | None = None   # (text, is_error, time shown)
        self.session_path = session_file or 'session.json'
        self.capture_dir = pathlib.Path(self.settings.capture_dir or 'captures').expanduser()
        self.capture_window_pending = False
        self.show_help = False
        self._frame_times = collections.deque(maxlen=240)
        self._capture_widget: Widget | None = None       # The widget that asks for captures (told the outcome).
        self._ready = False
        self._args_changed = True
        self._last_view = None
        self.shown_precision = 'float32'                 # Precision of the image in the texture ('bfloat16' = preview).
        if warning:
            self.show_message(warning, error=True)

        if render_fn is None:
            from viz.render.renderer import Renderer
            leave_a_core_for_the_gui()
            render_fn = Renderer()
        self.worker = RenderWorker(in_background(render_fn), on_result=self.window.wake)
        if session_file:
            self.load_session(session_file)

    #------------------------------------------------------------------------
    # Helpers.

    def _emit(self, line: str) -> None:
        if self.log_enabled:
            print(line, flush=True)

    def _log_item(self, label: str, rect) -> None:
        print('ITEM ' + json.dumps({'label': label, 'rect': list(rect)}), flush=True)

    def show_message(self, text: str, error: bool = False, about_capture: bool = False) -> None:
        """Show `text` in the window (errors on top of the image, the rest in the status bar)."""
        self.message = (text, error, time.monotonic())
        report = getattr(self._capture_widget, 'report', None)
        if about_capture and report is not None:
            report(text, error)
        self._emit(f'MESSAGE level={"error" if error else "info"} text={json.dumps(text)}')

    def _set_widget_option(self, name: str, value: Any) -> None:
        """Put a command-line choice into the state of the widget that has a field of that name."""
        if value is None:
            return
        for widget in self.widgets:
            state = widget.get_state()
            if name in state:
                widget.set_state({**state, name: value})
                return

    def _widget_option(self, name: str, default: Any) -> Any:
        """A setting some widget holds in its state (e.g. the performance widget's FPS cap)."""
        for widget in self.widgets:
            if hasattr(widget.state, name):
                return getattr(widget.state, name)
        return default

    def _save_settings(self) -> None:
        try:
            settings_mod.save_settings(self.settings, self.config_dir)
        except OSError as e:
            self.show_message(f'Could not save settings in {self.config_dir}: {e}', error=True)

    #------------------------------------------------------------------------
    # Sessions and captures.

    def session_state(self) -> dict:
        widgets = {widget_key(w): w.get_state() for w in self.widgets}
        app = {'zoom': self.area.view.zoom, 'pan': list(self.area.view.pan), 'show_pane': self.settings.show_pane,
            'filter': self.settings.filter, 'pane_width': self.settings.pane_width}
        return session.make_session(widgets, app)

    def save_session(self, path: str) -> None:
        try:
            written = session.write_session(path, self.session_state())
            self.show_message(f'Session saved to {written}')
        except session.SessionError as e:
            self.show_message(str(e), error=True)

    def load_session(self, path: str) -> bool:
        """Apply a session file; on any problem keep the current state and show the error."""
        try:
            data = session.read_session(path)
            by_key = {widget_key(w): w for w in self.widgets}
            unknown = sorted(set(data.get('widgets', {})) - set(by_key))
            if unknown:
                raise session.SessionError(f'session file {path!r}: unknown widget(s) {", ".join(unknown)}; expected {", ".join(sorted(by_key))}')
            current = {'zoom': self.area.view.zoom, 'pan': self.area.view.pan, 'show_pane': self.settings.show_pane,
                'filter': self.settings.filter, 'pane_width': self.settings.pane_width}
            view = session.parse_app_state(data.get('app', {}), current, path)
            old = {k: w.get_state() for k, w in by_key.items()}
            try:
                for key, state in data.get('widgets', {}).items():
                    by_key[key].set_state(state)
            except ValueError as e:
                for key, state in old.items():
                    by_key[key].set_state(state)
                raise session.SessionError(f'session file {path!r}: {e}') from e
        except session.SessionError as e:
            self.show_message(str(e), error=True)
            return False
        self.area.view.zoom, self.area.view.pan = view['zoom'], view['pan']
        self.settings = dataclasses.replace(self.settings, show_pane=view['show_pane'], filter=view['filter'],
            pane_width=view['pane_width'])
        self.area.set_filter(self.settings.filter)
        self.session_path = str(path)
        self.show_message(f'Session loaded from {path}')
        return True

    def capture_image(self) -> pathlib.Path | None:
        """Save the shown image at the generator's resolution."""
        if self.area.image is None:
            self.show_message('Nothing to capture yet: no image has been rendered.', error=True, about_capture=True)
            return None
        args = self.result.args if self.result is not None else None
        text = {'sg3-viz:args': json.dumps(args.to_dict())} if args is not None else None
        return self._save_capture(self.area.image, 'image', text)

    def _save_capture(self, pixels: np.ndarray, kind: str, text=None) -> pathlib.Path | None:
        try:
            path = capture.save_png(pixels, self.capture_dir, kind, text)
        except (OSError, ValueError) as e:
            self.show_message(f'Could not save the {kind} capture in {self.capture_dir}: {e}', error=True, about_capture=True)
            return None
        self._emit(f'CAPTURED kind={kind} path={json.dumps(str(path.resolve()))}')
        self.show_message(f'Saved {path}', about_capture=True)
        return path

    def _handle_capture_request(self, widget: Widget, request: CaptureRequest) -> None:
        self.capture_dir = pathlib.Path(request.folder).expanduser()
        self._capture_widget = widget
        if request.save_image:
            self.capture_image()
        if request.save_window:
            self.capture_window_pending = True

    #------------------------------------------------------------------------
    # The frame loop.

    def run(self) -> int:
        """Run until the window closes. Returns the process exit code."""
        try:
            while not self.window.should_close():
                self.frame()
        finally:
            self.close()
        return 0

    def render_pending(self) -> bool:
        """Is a submitted request still without its final result?"""
        return self.last_stamp != 0 and (self.result is None or self.result.stamp != self.last_stamp)

    def frame(self) -> None:
        # Sleep until something happens: input (the window wakes itself), a render result (the worker calls
        # window.wake), or a drag or window capture in progress. A slow render thus costs the GUI nothing.
        idle = not (self.area.drag_button is not None or self.capture_window_pending)
        self.fps_limit = float(self._widget_option('fps_limit', self.fps_limit))
        self.window.fps_limit = self.fps_limit
        self.window.vsync = bool(self._widget_option('vsync', self.settings.vsync))
        self.window.begin_frame(idle=idle)
        frame_start = time.perf_counter()
        self._poll_results()
        actions = self._shortcut_actions()
        self._handle_app_actions(actions)
        area = self._image_area()
        drag = self.area.handle_mouse(area, self.window.framebuffer_scale,
            self.result.image_resolution if self.result is not None else None, span=self._output_span())
        dropped = self._handle_drops()
        ctx = FrameContext(result=self.result, font_size=self.window.font_size, image_drag=drag,
            keys=frozenset(a for a in actions if a in KEY_ACTIONS), dropped_paths=dropped,
            frame_seconds=self.window.last_frame_seconds, gui_frame_times=tuple(self._frame_times),
            config_dir=self.config_dir, recent_sources=self.settings.recent, capture_dir=self.capture_dir)
        args = self._draw_pane(ctx, area)
        self._submit(self._mark_interaction(args))
        self._draw_image(area)
        self._draw_overlays(area)
        app_overlays.draw_help(self.show_help, self.window.font_size, self.window.window_size)
        self.show_help = False
        build_seconds = time.perf_counter() - frame_start
        pixels = self.window.end_frame(read_back=self.capture_window_pending)
        if pixels is not None:
            self.capture_window_pending = False
            self._save_capture(pixels, 'window')
        work_seconds = time.perf_counter() - frame_start
        self._frame_times.append(work_seconds)
        if self._frame_log is not None:
            self._frame_log.write(json.dumps({'t': time.time(), 'interval': self.window.last_frame_seconds,
                'work': work_seconds, 'build': build_seconds, 'idle': idle, 'busy': self.render_pending()}) + '\n')
        if not self._ready:
            self._ready = True
            print('READY', flush=True)

    def _poll_results(self) -> None:
        result = self.worker.poll()
        if result is None:
            return
        if result.loading is not None:
            self.loading = result.loading
            return
        self.loading = None
        if result.error == 'cancelled':
            return
        self.result = result
        if result.image is not None:
            self.area.set_image(result.image)
            self.shown_precision = result.precision
        if result.network is not None and result.network.source != self.loaded_source:
            self.loaded_source = result.network.source
            self.window.title = f'sg3-viz - {self.loaded_source}'
            if self.settings.recent[:1] != (self.loaded_source,):
                self.settings = self.settings.with_recent(self.loaded_source)
                self._save_settings()
        size = 'none' if result.image is None else f'{result.image.shape[1]}x{result.image.shape[0]}'
        self._emit(f'RENDERED stamp={result.stamp} seconds={result.render_seconds:.4f} size={size} error={json.dumps(result.error)}')

    def user_interacting(self) -> bool:
        """Is the user dragging in the image area (any button) or holding a control? Text fields do not count:
        their edits go out while they keep the keyboard, and must be rendered exactly."""
        if self.area.drag_button is not None:
            return True
        return imgui.is_any_item_active() and not imgui.get_io().want_text_input

    def _mark_interaction(self, args: RenderArgs | None) -> RenderArgs | None:
        """Set PerformanceArgs.interacting (only with the preview on) on requests that change during an
        interaction, and keep it until the interaction ends: a click that changes nothing submits nothing,
        and the release submits the exact re-render."""
        if args is None or not args.performance.preview_bf16:
            return args
        last = self.last_args
        was = last is not None and last.performance.interacting
        if was:
            last = dataclasses.replace(last, performance=dataclasses.replace(last.performance, interacting=False))
        if self.user_interacting() and (was or args != last):
            return dataclasses.replace(args, performance=dataclasses.replace(args.performance, interacting=True))
        return args

    def _submit(self, args: RenderArgs | None) -> None:
        self._args_changed = args is not None and args != self.last_args
        if not self._args_changed:
            return
        self.last_args = args
        self.last_stamp = self.worker.submit(args)
        self._emit(f'SUBMITTED stamp={self.last_stamp} args={json.dumps(args.to_dict())}')

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
        if self.window.glfw_window is not None:
            w, h = self.window.window_size
            if w >= 200 and h >= 200:
                self.settings = dataclasses.replace(self.settings, window_width=w, window_height=h)
            self.settings = dataclasses.replace(self.settings, fps_limit=min(max(self.fps_limit, 1.0), 1000.0),
                vsync=bool(self.window.vsync), capture_dir=str(self.capture_dir))
            self._save_settings()
        if self.recorder is not None:
            self.recorder.uninstall()
        if self.window.glfw_window is not None:
            self.area.delete()
        self.window.close()
        if self._frame_log is not None:
            self._frame_log.close()
            self._frame_log = None

    #------------------------------------------------------------------------
    # Input.

    def _shortcut_actions(self) -> set[str]:
        io = imgui.get_io()
        if io.want_capture_keyboard or io.want_text_input:
            return set()
        ctrl = io.key_ctrl or (sys.platform == 'darwin' and io.key_super)
        actions = set()
        for s in shortcuts.SHORTCUTS:
            if s.shift != bool(io.key_shift) or s.ctrl != bool(ctrl):
                continue
            if imgui.is_key_pressed(getattr(glfw, f'KEY_{s.key}'), s.repeat):
                actions.add(s.action)
        return actions

    def _handle_app_actions(self, actions: set[str]) -> None:
        if 'quit' in actions:
            self.window.request_close()
        if 'capture_image' in actions:
            self.capture_image()
        if 'capture_window' in actions:
            self.capture_window_pending = True
        if 'toggle_pane' in actions:
            self.settings = dataclasses.replace(self.settings, show_pane=not self.settings.show_pane)
        if 'zoom_fit' in actions:
            self.area.view.reset()
        if 'zoom_1' in actions:
            self.area.view.zoom, self.area.view.pan = 1.0, (0.0, 0.0)
        if 'help' in actions:
            self.show_help = True

    def _pane_width(self) -> float:
        if not self.settings.show_pane:
            return 0.0
        width, _ = self.window.window_size
        return float(min(round(self.settings.pane_width * self.window.font_size), width * 0.6))

    def _image_area(self) -> tuple[float, float, float, float]:
        """The image area in screen coordinates (x, y, w, h): right of the pane, above the status bar."""
        width, height = self.window.window_size
        pane = self._pane_width()
        return (pane, 0.0, max(width - pane, 1.0), float(max(height - app_overlays.status_height(self.window.font_size), 1)))

    def _output_span(self) -> int | None:
        """Width in shown-image pixels of one output image: one panel of the side-by-side heatmap, else None."""
        analysis = self.result.analysis if self.result is not None else None
        view = analysis.equivariance if analysis is not None else None
        return view.panels[0].width if view is not None and view.panels else None

    def _handle_drops(self) -> tuple[str, ...]:
        """Session files dropped on the window are loaded here; everything else goes to the widgets."""
        others = []
        for path in self.window.take_dropped_paths():
            if path.lower().endswith('.json'):
                self.load_session(path)
            else:
                others.append(path)
        return tuple(others)

    #------------------------------------------------------------------------
    # Drawing.

    def _draw_pane(self, ctx: FrameContext, area) -> RenderArgs | None:
        """Draw the control pane; every widget returns its part of the request (collapsed ones draw hidden)."""
        parts: dict[str, Any] = {}
        f = self.window.font_size
        pane = self._pane_width()
        collapsed = list(self.widgets)
        if pane > 0:
            _, height = self.window.window_size
            imgui.set_next_window_position(0, 0)
            imgui.set_next_window_size(pane, height)
            imgui.begin('##controls', flags=imgui.WINDOW_NO_TITLE_BAR | imgui.WINDOW_NO_RESIZE | imgui.WINDOW_NO_MOVE
                | imgui.WINDOW_NO_COLLAPSE | imgui.WINDOW_NO_SAVED_SETTINGS | imgui.WINDOW_NO_BRING_TO_FRONT_ON_FOCUS)
            self._draw_toolbar()
            collapsed = []
            for widget in self.widgets:
                with imgui_utils.scoped_id(widget_key(widget)):
                    expanded, _ = imgui.collapsing_header(widget.title, flags=imgui.TREE_NODE_DEFAULT_OPEN)
                    if expanded:
                        self._call_widget(widget, ctx, parts)
                    else:
                        collapsed.append(widget)
            self._draw_view_section(area)
            self._draw_session_section()
            imgui.end()
        if collapsed:
            # Hidden widgets still update their state (animation, shortcuts) and return their part.
            imgui.set_next_window_position(-10 * f, -10 * f)
            imgui.set_next_window_size(f, f)
            imgui.begin('##hidden-widgets', flags=_HIDDEN_FLAGS)
            for widget in collapsed:
                with imgui_utils.scoped_id(widget_key(widget)):
                    self._call_widget(widget, ctx, parts)
            imgui.end()
        try:
            return RenderArgs(**parts)
        except ValueError as e:
            self.show_message(f'Invalid request: {e}', error=True)
            return None

    def _call_widget(self, widget: Widget, ctx: FrameContext, parts: dict) -> None:
        returned = widget.draw(ctx)
        if isinstance(returned, CaptureRequest):
            self._handle_capture_request(widget, returned)
        parts.update({k: v for k, v in request_parts(widget, returned).items() if v is not None})

    def _draw_toolbar(self) -> None:
        if imgui.button('Help (F1)'):
            self.show_help = True
        imgui.same_line()
        if imgui.button('Hide pane (Tab)'):
            self.settings = dataclasses.replace(self.settings, show_pane=False)

    def _draw_view_section(self, area) -> None:
        expanded, _ = imgui.collapsing_header('View')
        if not expanded:
            return
        if self.area.image is not None:
            size = self.area.image_size
            zoom = self.area.zoom(area, self.window.framebuffer_scale)
            imgui.text(f'Image {size[0]}x{size[1]}, zoom {zoom:.3g}x' + (' (fit)' if self.area.view.zoom is None else ''))
        if imgui.button('Fit (F)'):
            self.area.view.reset()
        imgui.same_line()
        if imgui.button('1:1 (1)'):
            self.area.view.zoom, self.area.view.pan = 1.0, (0.0, 0.0)
        imgui.same_line()
        changed, smooth = imgui.checkbox('Smooth scaling', self.settings.filter == 'linear')
        if changed:
            self.settings = dataclasses.replace(self.settings, filter='linear' if smooth else 'nearest')
            self.area.set_filter(self.settings.filter)

    def _draw_session_section(self) -> None:
        expanded, _ = imgui.collapsing_header('Session')
        if not expanded:
            return
        with imgui_utils.item_width(-self.window.font_size * 4):
            _, self.session_path = imgui.input_text('File##session', self.session_path, 1024)
        if imgui.button('Save session'):
            self.save_session(self.session_path)
        imgui.same_line()
        if imgui.button('Load session'):
            self.load_session(self.session_path)

    def _draw_image(self, area) -> None:
        view = self.area.draw(area, self.window.framebuffer_scale, self.window.framebuffer_size)
        if view is not None and view[:2] != self._last_view:
            self._last_view = view[:2]
            rect, clip, zoom = view
            self._emit(f'VIEW rect={json.dumps(list(rect))} clip={json.dumps(list(clip))} zoom={zoom:.6g}')

    def _draw_overlays(self, area) -> None:
        """Errors (of the newest render, or of the app such as a bad session file), the loading text and the
        preview tag over the image; the status bar, with info messages, below it."""
        message = app_overlays.visible_message(self.message, time.monotonic())
        errors = [self.result.error] if self.result is not None and self.result.error else []
        status = self._status_text(area)
        if message is not None and message[1]:
            errors.append(message[0])
        elif message is not None:
            status = f'{status}   {message[0]}' if status else message[0]
        loading = self.loading or ('Loading...' if self.area.image is None and self.render_pending() else None)
        app_overlays.draw_overlays(area, self.window.font_size, errors, loading,
            preview=self.area.image is not None and self.shown_precision == 'bfloat16', status=status)

    def _status_text(self, area) -> str:
        """The status bar's text without messages (see app_overlays.status_text)."""
        return app_overlays.status_text(self.area, area, self.window.framebuffer_scale, self.result, self.render_pending())
