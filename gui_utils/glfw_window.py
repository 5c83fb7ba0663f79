"""A GLFW window with an OpenGL context, frame pacing, cheap idling and read-back of the frame.

Knows nothing about imgui or GANs. The OpenGL context is 3.3 core profile, forward compatible (so the
same code runs on macOS); if the driver refuses that, the window falls back to a default context.
Under Xvfb and on many drivers vsync does nothing, so frames are paced by an FPS cap of our own.
"""

from __future__ import annotations

import logging
import os
import sys
import time

import glfw
import numpy as np
import OpenGL.GL as gl

from gui_utils.presentation import PresentTarget

_log = logging.getLogger(__name__)

#----------------------------------------------------------------------------

class DisplayUnavailableError(RuntimeError):
    """GLFW could not be initialised or could not open a window, usually because there is no display."""

_last_glfw_error: list[str] = []
_open_windows = 0   # GLFW is terminated when the last window closes.

def _on_glfw_error(code: int, description: bytes | str) -> None:
    text = description.decode(errors='replace') if isinstance(description, bytes) else str(description)
    _last_glfw_error[:] = [f'{text} (GLFW error {code:#x})']
    _log.debug('GLFW error %#x: %s', code, text)

def display_help() -> str:
    """One paragraph telling the user how to get a display, for error messages."""
    return ('No display is available for the window. Run it on a desktop session, or under a virtual X server, '
        'for example: xvfb-run -a -s "-screen 0 1600x1000x24" python visualizer.py')

def init_glfw() -> None:
    """Initialise GLFW, raising DisplayUnavailableError with a helpful message if that is impossible."""
    glfw.set_error_callback(_on_glfw_error)
    if sys.platform.startswith('linux') and not (os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')):
        raise DisplayUnavailableError(f'Neither DISPLAY nor WAYLAND_DISPLAY is set. {display_help()}')
    if not glfw.init():
        reason = _last_glfw_error[0] if _last_glfw_error else 'unknown reason'
        raise DisplayUnavailableError(f'GLFW failed to initialise: {reason}. {display_help()}')

def _fit_to_screen(width: int, height: int) -> tuple[int, int]:
    """Shrink a requested window size to the primary monitor's work area, if GLFW knows it."""
    monitor = glfw.get_primary_monitor()
    if not monitor:
        return width, height
    _x, _y, area_width, area_height = glfw.get_monitor_workarea(monitor)
    if area_width > 0 and area_height > 0:
        width, height = min(width, area_width), min(height, area_height)
    return width, height

#----------------------------------------------------------------------------

class GlfwWindow:
    """A window with an OpenGL context. Drive it with `begin_frame()` ... `end_frame()` in a loop."""

    def __init__(self,
        title: str = 'GlfwWindow',         # Window title.
        window_width: int = 1600,          # Initial size in screen coordinates.
        window_height: int = 1000,
        fps_limit: float = 60,             # Frame-rate cap; the loop sleeps the rest of each frame.
        vsync: bool = False,               # Ask the driver to sync swaps to the display (a no-op on some).
        core_profile: bool = True,         # Try a 3.3 core-profile context first.
        visible: bool = True,              # Show the window at once.
        idle_timeout: float = 0.5,         # Longest sleep while idle, in seconds.
        clear_color: tuple[float, float, float, float] = (0, 0, 0, 1),
    ):
        global _open_windows
        assert window_width > 0 and window_height > 0
        init_glfw()
        window_width, window_height = _fit_to_screen(window_width, window_height)
        self._glfw_window = None
        self.context_kind = 'default'
        if core_profile:
            glfw.default_window_hints()
            glfw.window_hint(glfw.VISIBLE, visible)
            glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
            glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
            glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
            glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
            self._glfw_window = glfw.create_window(window_width, window_height, title, None, None)
            if self._glfw_window:
                self.context_kind = 'core'
            else:
                _log.warning('No OpenGL 3.3 core-profile context (%s); trying a default context.',
                    _last_glfw_error[0] if _last_glfw_error else 'unknown reason')
        if not self._glfw_window:
            glfw.default_window_hints()
            glfw.window_hint(glfw.VISIBLE, visible)
            self._glfw_window = glfw.create_window(window_width, window_height, title, None, None)
        if not self._glfw_window:
            reason = _last_glfw_error[0] if _last_glfw_error else 'unknown reason'
            if _open_windows == 0:
                glfw.terminate()
            raise DisplayUnavailableError(f'GLFW could not open a window with an OpenGL context: {reason}. {display_help()}')

        # Make the context current and set up input handling.
        _open_windows += 1
        glfw.make_context_current(self._glfw_window)
        glfw.set_input_mode(self._glfw_window, glfw.STICKY_MOUSE_BUTTONS, True)
        self._title = title
        self._fps_limit = float(fps_limit)
        self._vsync = None
        self.vsync = vsync
        self.idle_timeout = float(idle_timeout)
        self.clear_color = clear_color
        self._dropped_paths: list[str] = []
        self._windowed: tuple[int, int, int, int] | None = None  # Position and size to restore after presentation.
        self._events_seen = True
        self._wake_requested = False
        self._frames_since_event = 0
        self._frame_start = None
        self._last_frame_start = 0.0
        self.last_frame_seconds = 0.0   # Time from one frame start to the next, including pacing.
        self.last_work_seconds = 0.0    # Time between begin_frame() returning and end_frame() finishing.
        self._install_callbacks()

    def _install_callbacks(self) -> None:
        w = self._glfw_window
        glfw.set_key_callback(w, lambda *a: self._event(self.on_key, *a))
        glfw.set_char_callback(w, lambda *a: self._event(self.on_char, *a))
        glfw.set_cursor_pos_callback(w, lambda *a: self._event(self.on_cursor_pos, *a))
        glfw.set_mouse_button_callback(w, lambda *a: self._event(self.on_mouse_button, *a))
        glfw.set_scroll_callback(w, lambda *a: self._event(self.on_scroll, *a))
        glfw.set_window_size_callback(w, lambda *a: self._event(self.on_resize, *a))
        glfw.set_drop_callback(w, lambda *a: self._event(self._on_drop, *a))
        glfw.set_window_close_callback(w, lambda *a: self._event(lambda *_: None, *a))
        glfw.set_window_focus_callback(w, lambda *a: self._event(lambda *_: None, *a))

    def _event(self, handler, *args) -> None:
        self._events_seen = True
        handler(*args)

    # Input hooks for subclasses; each is called from the GLFW callback of the same name.
    def on_key(self, window, key, scancode, action, mods): pass
    def on_char(self, window, codepoint): pass
    def on_cursor_pos(self, window, x, y): pass
    def on_mouse_button(self, window, button, action, mods): pass
    def on_scroll(self, window, dx, dy): pass
    def on_resize(self, window, width, height): pass

    def _on_drop(self, window, paths) -> None:
        self._dropped_paths.extend(os.fsdecode(p) for p in paths)

    #------------------------------------------------------------------------

    @property
    def glfw_window(self):
        return self._glfw_window

    @property
    def title(self) -> str:
        return self._title

    @title.setter
    def title(self, value: str) -> None:
        if value != self._title:
            self._title = value
            glfw.set_window_title(self._glfw_window, value)

    @property
    def fps_limit(self) -> float:
        return self._fps_limit

    @fps_limit.setter
    def fps_limit(self, value: float) -> None:
        if not value > 0:
            raise ValueError(f'fps_limit must be a positive number of frames per second, got {value!r}')
        self._fps_limit = float(value)

    @property
    def vsync(self) -> bool:
        return self._vsync

    @vsync.setter
    def vsync(self, value: bool) -> None:
        value = bool(value)
        if value != self._vsync:
            glfw.swap_interval(1 if value else 0)
            self._vsync = value

    @property
    def window_size(self) -> tuple[int, int]:
        """(width, height) in screen coordinates, the coordinates of mouse positions; (0, 0) once closed."""
        return tuple(glfw.get_window_size(self._glfw_window)) if self._glfw_window else (0, 0)

    @property
    def framebuffer_size(self) -> tuple[int, int]:
        """(width, height) in pixels, the coordinates of OpenGL drawing and read-back; (0, 0) once closed."""
        return tuple(glfw.get_framebuffer_size(self._glfw_window)) if self._glfw_window else (0, 0)

    @property
    def framebuffer_scale(self) -> float:
        """Framebuffer pixels per screen coordinate (2 on a macOS retina display, else usually 1)."""
        ww, _ = self.window_size
        fw, _ = self.framebuffer_size
        return fw / ww if ww > 0 else 1.0

    @property
    def content_scale(self) -> float:
        """The desktop's UI scale for this window (1 on a standard display)."""
        if not self._glfw_window:
            return 1.0
        sx, sy = glfw.get_window_content_scale(self._glfw_window)
        return max(float(sx), float(sy), 0.5)

    def set_size(self, width: int, height: int) -> None:
        glfw.set_window_size(self._glfw_window, int(width), int(height))

    def present(self, target: 'PresentTarget | None') -> None:
        """Presentation: borderless full screen on a monitor, or a borderless window of a fixed size (e.g. for a screen
        recorder); None restores the decorated window as it was."""
        w = self._glfw_window
        if w is None:
            return
        if target is None:
            if self._windowed is not None:
                x, y, width, height = self._windowed
                glfw.set_window_monitor(w, None, x, y, width, height, 0)
                glfw.set_window_attrib(w, glfw.DECORATED, True)
                self._windowed = None
            return
        if self._windowed is None:
            self._windowed = (*glfw.get_window_pos(w), *glfw.get_window_size(w))
        if target.size is not None:
            glfw.set_window_monitor(w, None, *glfw.get_window_pos(w), *target.size, 0)
            glfw.set_window_attrib(w, glfw.DECORATED, False)
            glfw.set_window_size(w, *target.size)
            return
        monitors = glfw.get_monitors() or []
        if not 0 <= target.monitor < len(monitors):
            raise ValueError(f'monitor {target.monitor}: this display has {len(monitors)} monitor(s); expected 0 to {len(monitors) - 1}')
        mode = glfw.get_video_mode(monitors[target.monitor])
        glfw.set_window_monitor(w, monitors[target.monitor], 0, 0, mode.size.width, mode.size.height, mode.refresh_rate)

    def take_dropped_paths(self) -> tuple[str, ...]:
        """Paths dropped on the window since the last call."""
        paths, self._dropped_paths = tuple(self._dropped_paths), []
        return paths

    def should_close(self) -> bool:
        return self._glfw_window is None or bool(glfw.window_should_close(self._glfw_window))

    def request_close(self) -> None:
        if self._glfw_window:
            glfw.set_window_should_close(self._glfw_window, True)

    def close(self) -> None:
        global _open_windows
        if self._glfw_window is not None:
            glfw.make_context_current(None)
            glfw.destroy_window(self._glfw_window)
            self._glfw_window = None
            _open_windows -= 1
            if _open_windows == 0:
                glfw.terminate()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    #------------------------------------------------------------------------

    def wake(self) -> None:
        """Ask for a frame soon, from any thread (e.g. when a background result is ready): ends an idle sleep."""
        self._wake_requested = True
        glfw.post_empty_event()

    def wait_for_frame(self, idle: bool = False) -> None:
        """Sleep until the next frame is due, handling input events meanwhile.

        The FPS cap is strict: input arriving early wakes the thread to run its callbacks but does not start
        the frame sooner. With `idle`, and no input in the last few frames, the sleep lasts until an event
        arrives, `wake()` is called, or `idle_timeout` passes, so an unchanging window costs almost nothing.
        """
        deadline = self._last_frame_start + 1.0 / self._fps_limit
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                break
            glfw.wait_events_timeout(remaining)
        glfw.poll_events()
        if self._events_seen:
            self._frames_since_event = 0
            self._events_seen = False
        else:
            self._frames_since_event += 1
        if idle and self._frames_since_event >= 3 and not self._wake_requested:
            glfw.wait_events_timeout(self.idle_timeout)
            glfw.poll_events()
            if self._events_seen:
                self._frames_since_event = 0
                self._events_seen = False
        self._wake_requested = False
        now = time.perf_counter()
        self.last_frame_seconds = now - self._last_frame_start if self._last_frame_start else 0.0
        self._last_frame_start = now

    def begin_frame(self, idle: bool = False) -> None:
        """Pace, handle events, make the context current and clear the frame."""
        self.wait_for_frame(idle=idle)
        self._frame_start = time.perf_counter()
        glfw.make_context_current(self._glfw_window)
        fw, fh = self.framebuffer_size
        gl.glViewport(0, 0, fw, fh)
        gl.glClearColor(*self.clear_color)
        gl.glClear(gl.GL_COLOR_BUFFER_BIT)

    def read_pixels(self) -> np.ndarray:
        """The frame drawn so far as uint8 [H, W, 3], top row first. Call before `end_frame()`."""
        fw, fh = self.framebuffer_size
        gl.glPixelStorei(gl.GL_PACK_ALIGNMENT, 1)
        gl.glReadBuffer(gl.GL_BACK)
        data = gl.glReadPixels(0, 0, fw, fh, gl.GL_RGB, gl.GL_UNSIGNED_BYTE)
        pixels = np.frombuffer(data, dtype=np.uint8).reshape(fh, fw, 3)   # [H, W, 3], bottom row first
        return pixels[::-1].copy()

    def end_frame(self) -> None:
        """Show the frame."""
        glfw.swap_buffers(self._glfw_window)
        if self._frame_start is not None:
            self.last_work_seconds = time.perf_counter() - self._frame_start

#----------------------------------------------------------------------------
