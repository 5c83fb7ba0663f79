"""The imgui front end: the GLFW window, the control pane of views, the image area, and the frame loop.

Each frame: turn keys into shortcuts, mouse drags in the image into `ImageDrag`s and dropped files into
`drop` for the view core; let every view draw its section (clicks become `core.act` calls); let the core
poll the worker, step animations and submit the request if it changed; draw the newest image. The GUI
thread never waits for the generator; with nothing to do it sleeps until input or a result wakes it.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import pathlib
import sys
import time
from typing import Callable

import glfw
import imgui

from gui_utils import imgui_utils, imgui_window
from gui_utils.presentation import PresentTarget
from viz.core import figure_labels, settings as settings_mod, shortcuts, texts
from viz.core.view_core import QUIT_WAIT_S, ViewCore, Worker
from viz.imgui import annotations, overlays
from viz.imgui.image_area import ImageArea
from viz.imgui.views import VIEW_CLASSES
from viz.imgui.views.base import Ui

_HIDDEN_FLAGS = overlays.OVERLAY_FLAGS | imgui.WINDOW_NO_BACKGROUND
# No nav inputs: else imgui's Tab focusing would put the keyboard into the pane's first text field whenever Tab
# (the hide / show shortcut) is pressed after a click in the pane, and the shortcuts that follow would be typed there.
_PANE_FLAGS = (imgui.WINDOW_NO_TITLE_BAR | imgui.WINDOW_NO_RESIZE | imgui.WINDOW_NO_MOVE | imgui.WINDOW_NO_COLLAPSE
    | imgui.WINDOW_NO_SAVED_SETTINGS | imgui.WINDOW_NO_BRING_TO_FRONT_ON_FOCUS | imgui.WINDOW_NO_NAV_INPUTS)


class Visualizer:
    def __init__(self, make_worker: Callable[[Callable[[], None]], Worker], *,
        sources: tuple[str, ...] = (),              # Networks given on the command line; the first is opened.
        device: str | None = None,                  # Initial device ('auto', 'cpu', 'cuda', 'mps').
        capture_dir: str | None = None,             # Where captures go (default: settings, else ./captures).
        browse_dir: str | None = None,              # Folder the network section lists.
        session_file: str | None = None,            # Session to load at start.
        fps_limit: float | None = None,             # GUI frame-rate cap (default: settings).
        config_dir: pathlib.Path | None = None,     # Per-user config folder (default: settings.config_dir()).
        log: bool = False,                          # Print SUBMITTED / RENDERED / CAPTURED / MESSAGE / COMMAND lines.
        log_items: bool = False,                    # Print ITEM lines with control rectangles (UI automation).
        frame_log: str | None = None,               # Append per-frame GUI timings (JSON lines) to this file.
        window_size: tuple[int, int] | None = None, # Initial window size (default: settings).
        present: PresentTarget | None = None,       # Start in presentation mode there (F11 toggles it; default: full screen on monitor 0).
    ):
        config_dir = pathlib.Path(config_dir or settings_mod.config_dir())
        config_dir.mkdir(parents=True, exist_ok=True)
        saved, _warning = settings_mod.load_settings(config_dir)
        self.log_enabled = log
        self._frame_log = open(frame_log, 'a', encoding='utf-8') if frame_log else None
        width, height = window_size or (saved.window_width, saved.window_height)
        self.window = imgui_window.ImguiWindow(config_dir=config_dir, title='sg3-viz', window_width=width, window_height=height,
            fps_limit=fps_limit or saved.fps_limit, vsync=saved.vsync, clear_color=(0.16, 0.16, 0.17, 1))
        self.core = ViewCore(make_worker(self.window.wake), config_dir=config_dir, sources=sources, device=device,
            capture_dir=capture_dir, browse_dir=browse_dir, fps_limit=fps_limit, emit=self._emit)
        self.area = ImageArea(filter=self.core.view.filter)
        self.annotations = annotations.Annotations(self._emit)
        self.views = [cls() for cls in VIEW_CLASSES]
        self.open_sections = set(saved.open_sections)   # Titles of the pane's open sections (kept in the settings).
        self._sections_set = False                  # The sections were opened as saved (on the first frame).
        self._section_heights: dict[str, float] = {}  # Each section's height before the network being loaded was asked for.
        self.recorder = imgui_utils.ItemRecorder(on_change=self._log_item, texts=True) if log_items else None
        if self.recorder is not None:
            self.recorder.install()
        self._frame_times: collections.deque[float] = collections.deque(maxlen=240)
        self._uploaded = None                       # The image now in the texture.
        self._uploaded_stamp = 0                    # Stamp of the result whose image that is (frame log).
        self._drew_preview = False                  # This frame drew the image moved by the transform preview.
        self._last_view = None
        self._ready = False
        self.present_target = present or PresentTarget()
        self._presenting = False                    # What the window shows now (the core says what is asked).
        self.core.presenting = present is not None
        if session_file:
            self.core.load_session(session_file)

    # ------------------------------------------------------------------------
    # Helpers.

    def _emit(self, line: str) -> None:
        if self.log_enabled:
            print(line, flush=True)

    def _log_item(self, label: str, rect) -> None:
        print('ITEM ' + json.dumps({'label': label, 'rect': list(rect), **self.recorder.details[label]}), flush=True)

    # ------------------------------------------------------------------------
    # The frame loop.

    def run(self) -> int:
        """Run until the window closes. Returns the process exit code."""
        try:
            while not self.window.should_close():
                self.frame()
        finally:
            self.close()
        return 0

    def frame(self) -> None:
        core = self.core
        # Sleep until something happens: input (the window wakes itself), a render result (the worker calls
        # window.wake), or a drag or window capture in progress. A slow render thus costs the GUI nothing.
        idle = not (self.area.drag_button is not None or core.window_capture_pending)
        self.window.fps_limit = core.performance.state.fps_limit
        self.window.vsync = core.performance.state.vsync
        self.window.begin_frame(idle=idle)
        frame_start = time.perf_counter()
        core.poll()
        self._handle_keys()
        full = self._image_area()
        area = self._picture_area(full)
        self._handle_mouse(area)
        core.drop(self.window.take_dropped_paths())
        self._draw_pane()
        core.interacting = self.area.drag_button is not None or (imgui.is_any_item_active() and not imgui.get_io().want_text_input)
        core.update(self.window.last_frame_seconds)
        self._follow_presentation()
        title = texts.window_title(core)
        if title != texts.APP_TITLE and self.window.title != title:
            self.window.title = title
        if core.quit_requested:
            self.window.request_close()
        self._draw_image(area, full)
        self._draw_overlays(area, full)
        overlays.draw_help(core.help_requested, self.window.font_size, self.window.window_size)
        core.help_requested = False
        build_seconds = time.perf_counter() - frame_start
        pixels = self.window.end_frame(read_back=core.window_capture_pending)
        if pixels is not None:
            core.save_capture(pixels, 'window')
        work_seconds = time.perf_counter() - frame_start
        self._frame_times.append(work_seconds)
        if self._frame_log is not None:
            self._frame_log.write(json.dumps({'t': time.time(), 'interval': self.window.last_frame_seconds,
                'work': work_seconds, 'build': build_seconds, 'idle': idle, 'busy': core.render_pending(),
                'submitted': core.last_stamp, 'shown': self._uploaded_stamp, 'preview': self._drew_preview}) + '\n')
        if not self._ready:
            self._ready = True
            print('READY', flush=True)

    def close(self) -> None:
        """The window disappears first; then the settings are kept and the worker is stopped (waited for briefly)."""
        self.core.settings = dataclasses.replace(self.core.settings, open_sections=tuple(v.title for v in self.views
            if v.title in self.open_sections))
        size = self.window.window_size if self.window.glfw_window is not None else None
        if self.window.glfw_window is not None:
            glfw.hide_window(self.window.glfw_window)
        self.core.close(size, wait=QUIT_WAIT_S)
        if self.recorder is not None:
            self.recorder.uninstall()
        if self.window.glfw_window is not None:
            self.area.delete()
        self.window.close()
        if self._frame_log is not None:
            self._frame_log.close()
            self._frame_log = None

    # ------------------------------------------------------------------------
    # Input.

    def _handle_keys(self) -> None:
        io = imgui.get_io()
        if io.want_capture_keyboard or io.want_text_input:
            return
        ctrl = io.key_ctrl or (sys.platform == 'darwin' and io.key_super)
        if self.core.presenting and imgui.is_key_pressed(glfw.KEY_ESCAPE):
            self.core.act('app', 'toggle_presentation')
        for s in shortcuts.SHORTCUTS:
            if s.shift == bool(io.key_shift) and s.ctrl == bool(ctrl) and imgui.is_key_pressed(getattr(glfw, f'KEY_{s.key}'), s.repeat):
                self.core.shortcut(s.key, shift=s.shift, ctrl=s.ctrl)

    def _handle_mouse(self, area) -> None:
        """Wheel zoom and middle-drag pan change the core's view; left / right drags go to the controllers."""
        core = self.core
        self.area.view.zoom, self.area.view.pan = core.view.zoom, core.view.pan
        drag = self.area.handle_mouse(area, self.window.framebuffer_scale, core.facts.resolution if core.result else None,
            span=self._output_span())
        if (self.area.view.zoom, tuple(self.area.view.pan)) != (core.view.zoom, core.view.pan):
            core.set_view(zoom=self.area.view.zoom, pan=tuple(float(v) for v in self.area.view.pan))
        if drag is not None:
            core.image_drag(drag)

    def _follow_presentation(self) -> None:
        """Put the window into (or out of) presentation mode when the core asks: borderless full screen or fixed size."""
        core = self.core
        if core.presenting == self._presenting:
            return
        try:
            self.window.present(self.present_target if core.presenting else None)
        except ValueError as e:
            core.presenting = False
            core.show_message(f'Presentation mode: {e}', error=True)
            return
        self._presenting = core.presenting

    def _pane_width(self) -> float:
        if not self.core.view.show_pane or self.core.presenting:
            return 0.0
        width, _ = self.window.window_size
        return float(min(round(self.core.view.pane_width * self.window.font_size), width * 0.6))

    def _image_area(self) -> tuple[float, float, float, float]:
        """The image area in screen coordinates (x, y, w, h): right of the pane, above the status bar."""
        width, height = self.window.window_size
        pane = self._pane_width()
        status = 0.0 if self.core.presenting else overlays.status_height(self.window.font_size)
        return (pane, 0.0, max(width - pane, 1.0), float(max(height - status, 1)))

    def _picture_area(self, full) -> tuple[float, float, float, float]:
        """The part of the image area the picture fits into: all of it, less the margins an analysis picture keeps
        for its titles, numbers and axes."""
        return annotations.inset(full, annotations.margins(self.core.shown_result, self.window.font_size))

    def _panels(self) -> tuple[tuple[str, int, int, int, int], ...]:
        """(title, x, y, width, height) of the pictures the shown image is made of (the side-by-side heatmap), else ()."""
        return figure_labels.readout_panels(self.core.shown_result)

    def _output_span(self) -> int | None:
        """Width in shown-image pixels of one output image: one panel of the side-by-side heatmap, else None."""
        result = self.core.result
        view = result.analysis.equivariance if result is not None and result.analysis is not None else None
        return view.panels[0].width if view is not None and view.panels else None

    # ------------------------------------------------------------------------
    # Drawing.

    def _draw_pane(self) -> None:
        """The control pane: a toolbar, then one collapsing header per view."""
        pane = self._pane_width()
        if pane <= 0:
            return
        ui = Ui(font_size=self.window.font_size, gui_frame_times=tuple(self._frame_times), image_text=self._image_text(), emit=self._emit)
        imgui.set_next_window_position(0, 0)
        imgui.set_next_window_size(pane, self.window.window_size[1])
        imgui.begin('##controls', flags=_PANE_FLAGS)
        if imgui.button('Help (F1)'):
            self.core.act('app', 'help')
        imgui.same_line()
        if imgui.button('Hide pane (Tab)'):
            self.core.act('app', 'toggle_pane')
        imgui.same_line()
        if imgui.button('Present (F11)'):
            self.core.act('app', 'toggle_presentation')
        imgui_utils.tooltip('The image alone, full screen (or the --present size), for screen recorders; F11 or Escape leaves')
        hold = self._network_changing()
        for view in self.views:
            with imgui_utils.scoped_id(view.title):
                if not self._sections_set:
                    imgui.set_next_item_open(view.title in self.open_sections)
                expanded, _ = imgui.collapsing_header(view.title)
                (self.open_sections.add if expanded else self.open_sections.discard)(view.title)
                if expanded:
                    self._draw_section(view, ui, hold)
        self._sections_set = True
        imgui.end()

    def _network_changing(self) -> bool:
        """Is a network being opened (asked for and not yet rendered, or loading)?"""
        core = self.core
        shown = core.result.args.network.source if core.result is not None and core.result.args is not None else None
        return core.loading is not None or (shown is not None and shown != core.network.state.source)

    def _draw_section(self, view, ui: Ui, hold: bool) -> None:
        """One section's controls. While a network is being opened a section keeps at least the height it had
        before (its description lines give way to a loading line), so no control below moves."""
        top = imgui.get_cursor_pos_y()
        view.draw(self.core, ui)
        if hold:
            imgui_utils.keep_height(top, self._section_heights.get(view.title, 0.0))
        else:
            self._section_heights[view.title] = imgui.get_cursor_pos_y() - top

    def _image_text(self) -> str | None:
        return texts.image_text(self.area.image_size, self.area.zoom(self._picture_area(self._image_area()), self.window.framebuffer_scale),
            self.core.view.zoom is None)

    def _draw_image(self, area, full) -> None:
        core = self.core
        if core.shown_image is not None and core.shown_image is not self._uploaded:
            self.area.set_image(core.shown_image)
            self._uploaded = core.shown_image
            self._uploaded_stamp = core.result.stamp if core.result is not None else 0
        self.area.set_filter(core.view.filter)
        self.area.view.zoom, self.area.view.pan = core.view.zoom, core.view.pan
        warp = core.preview_warp() if core.shown_image is self._uploaded else None
        self._drew_preview = warp is not None and self.area.texture is not None
        view = self.area.draw(area, self.window.framebuffer_scale, self.window.framebuffer_size, warp=warp)
        if view is not None and not self._drew_preview:
            self.annotations.draw(core.shown_result, view[0], self.area.image_size, full, self.window.framebuffer_scale, self.window.font_size)
        if view is not None and view != self._last_view:
            self._last_view = view             # Rect, clip and zoom: a new image can fill the same rect.
            rect, clip, zoom = view
            self._emit(f'VIEW rect={json.dumps(list(rect))} clip={json.dumps(list(clip))} zoom={zoom:.6g}')

    def _draw_overlays(self, area, full) -> None:
        """Errors (of the newest render, or of the app such as a bad session file), the loading text and the
        preview tag over the image area `full`; the status bar, with info messages, below it. `area` is the part the
        picture fits into (the pixel readout and zoom are of it)."""
        fb_scale = self.window.framebuffer_scale
        shown = texts.overlay(self.core, self.area.pixel_text(area, fb_scale, self._panels()), self.area.zoom(area, fb_scale),
            self.area.image is not None)
        if self.core.presenting:                    # The image alone: only errors and loading text stay.
            overlays.draw_overlays(full, self.window.font_size, shown.errors, shown.loading, preview=False, status=None)
        else:
            overlays.draw_overlays(full, self.window.font_size, shown.errors, shown.loading, preview=shown.preview or self._drew_preview,
                status=shown.status, preview_text=texts.TRANSFORM_PREVIEW_TAG if self._drew_preview else texts.PREVIEW_TAG)
