"""A GLFW window running Dear ImGui (pyimgui 2.0): shipped fonts, a style and UI scale that follow the window.

imgui's ini file goes into a folder the caller names (a per-user config folder), never the working
directory; without a folder no ini file is written at all.
"""

from __future__ import annotations

import pathlib

import imgui
from imgui.integrations.glfw import GlfwRenderer
import numpy as np

from . import glfw_window

FONT_DIR = pathlib.Path(__file__).resolve().parent / 'fonts'
SANS_FONT = FONT_DIR / 'DejaVuSans.ttf'
MONO_FONT = FONT_DIR / 'DejaVuSansMono.ttf'

#----------------------------------------------------------------------------

class _Renderer(GlfwRenderer):
    """GlfwRenderer fed by our window's callbacks; the wheel accumulates between frames."""

    def __init__(self, window):
        super().__init__(window, attach_callbacks=False)

    def scroll_callback(self, window, x_offset, y_offset):
        self.io.mouse_wheel_horizontal += x_offset
        self.io.mouse_wheel += y_offset

def font_size_for_window(width: float, height: float, min_size: float = 14, max_size: float = 24) -> float:
    """The font size (in screen coordinates) for a window of this size: the whole UI scales with it."""
    return float(np.clip(min(width / 85, height / 50), min_size, max_size))

class ImguiWindow(glfw_window.GlfwWindow):
    """A GlfwWindow with an imgui context. Per frame: `begin_frame()`, imgui calls, `end_frame()`."""

    def __init__(self, *,
        config_dir: str | pathlib.Path | None = None,  # imgui.ini goes here; None = no ini file.
        font_sizes: tuple[int, ...] = tuple(range(12, 34, 2)),  # Sizes baked into the font atlas.
        min_font_size: float = 14,          # Font size range the window size maps to.
        max_font_size: float = 24,
        **window_kwargs,                    # Passed on to GlfwWindow.
    ):
        super().__init__(**window_kwargs)
        self.ui_scale = 1.0                 # Extra user scale on top of the window-derived size.
        self.min_font_size = min_font_size
        self.max_font_size = max_font_size
        self._imgui_context = imgui.create_context()
        self._io = imgui.get_io()           # Keep this object: it owns the ini file name's bytes.
        self.ini_path = None
        if config_dir is not None:
            config_dir = pathlib.Path(config_dir)
            config_dir.mkdir(parents=True, exist_ok=True)
            self.ini_path = config_dir / 'imgui.ini'
            self._io.ini_file_name = str(self.ini_path)
        else:
            self._io.ini_file_name = None
        self._io.config_windows_move_from_title_bar_only = True

        # Bake the fonts at the framebuffer's resolution and scale them back to screen coordinates.
        self._raster_scale = max(self.framebuffer_scale, 1.0)
        self._io.font_global_scale = 1.0 / self._raster_scale
        self._io.fonts.clear()
        self._fonts = {}
        for size in sorted(font_sizes):
            sans = self._io.fonts.add_font_from_file_ttf(str(SANS_FONT), size * self._raster_scale)
            mono = self._io.fonts.add_font_from_file_ttf(str(MONO_FONT), size * self._raster_scale)
            self._fonts[size] = (sans, mono)
        self._renderer = _Renderer(self.glfw_window)
        self._pressed_since_frame: set[int] = set()
        self._deferred_releases: list[tuple[int, int, int]] = []
        self._font_size = None
        self._frame_font = None
        self._apply_font_size()

    # Forward input to imgui. imgui reads key states once per frame, so a key pressed and released between
    # two frames (fast typing, a slow frame, scripted input) would be lost. So once a key is pressed, every
    # release until the next frame waits for the end of that frame: it sees the whole chord (Ctrl+A) held.
    def on_key(self, window, key, scancode, action, mods):
        if not 0 <= key < 512:
            return
        if action == glfw_window.glfw.PRESS:
            self._pressed_since_frame.add(key)
        elif action == glfw_window.glfw.RELEASE and (self._pressed_since_frame or self._deferred_releases):
            self._deferred_releases.append((key, scancode, mods))
            return
        self._renderer.keyboard_callback(window, key, scancode, action, mods)

    def _apply_deferred_releases(self) -> None:
        releases, self._deferred_releases = self._deferred_releases, []
        for key, scancode, mods in releases:
            self._renderer.keyboard_callback(self.glfw_window, key, scancode, glfw_window.glfw.RELEASE, mods)
    def on_char(self, window, codepoint):
        self._renderer.char_callback(window, codepoint)
    def on_scroll(self, window, dx, dy):
        self._renderer.scroll_callback(window, dx, dy)
    def on_resize(self, window, width, height):
        self._renderer.resize_callback(window, width, height)

    #------------------------------------------------------------------------

    @property
    def io(self):
        return self._io

    @property
    def font_size(self) -> float:
        """The current font size in screen coordinates: the layout unit."""
        return self._font_size

    @property
    def spacing(self) -> float:
        return round(self._font_size * 0.3)

    def font(self, mono: bool = False):
        """The sans (or monospace) font at the current size, for `imgui.push_font`."""
        return self._fonts[self._font_size][1 if mono else 0]

    def _apply_font_size(self) -> None:
        """Pick the baked size nearest to what the window size asks for, and scale the style to it."""
        width, height = self.window_size
        ui_scale = self.ui_scale * self.content_scale / self.framebuffer_scale
        target = font_size_for_window(width, height, self.min_font_size, self.max_font_size) * ui_scale
        size = min(self._fonts, key=lambda s: (abs(s - target), s))
        if size == self._font_size:
            return
        self._font_size = size
        self._set_style(size)

    def _set_style(self, font_size: float) -> None:
        s = imgui.get_style()
        spacing = round(font_size * 0.3)
        imgui.style_colors_dark(s)
        s.window_padding = (spacing, spacing)
        s.item_spacing = (spacing, spacing)
        s.item_inner_spacing = (spacing, spacing)
        s.frame_padding = (round(font_size * 0.3), round(font_size * 0.2))
        s.cell_padding = (round(font_size * 0.2), round(font_size * 0.1))
        s.indent_spacing = font_size
        s.columns_min_spacing = spacing
        s.scrollbar_size = round(font_size * 0.8)
        s.grab_min_size = round(font_size * 0.6)
        s.window_border_size = 1
        s.frame_border_size = 0
        s.window_rounding = 0
        s.frame_rounding = round(font_size * 0.15)
        s.grab_rounding = round(font_size * 0.15)
        s.window_min_size = (font_size * 4, font_size * 2)
        s.colors[imgui.COLOR_WINDOW_BACKGROUND] = (0.10, 0.10, 0.11, 1.0)
        s.colors[imgui.COLOR_POPUP_BACKGROUND] = (0.12, 0.12, 0.13, 0.98)

    def begin_frame(self, idle: bool = False) -> None:
        """Pace the frame, handle input, clear, and start an imgui frame with the current font."""
        super().begin_frame(idle=idle)
        self._apply_font_size()
        self._renderer.process_inputs()
        imgui.new_frame()
        self._pressed_since_frame.clear()   # This frame sees those keys held; later releases apply at once.
        self._frame_font = self.font()
        imgui.push_font(self._frame_font)

    def render_ui(self) -> None:
        """Draw the imgui frame on top of whatever was drawn so far (called by `end_frame`)."""
        imgui.pop_font()
        imgui.render()
        self._renderer.render(imgui.get_draw_data())

    def end_frame(self, read_back: bool = False) -> np.ndarray | None:
        """Finish the imgui frame, optionally read the frame back, and show it."""
        self.render_ui()
        self._apply_deferred_releases()     # Keys released while this frame saw them held: up for the next.
        pixels = self.read_pixels() if read_back else None
        super().end_frame()
        return pixels

    def close(self) -> None:
        if self._imgui_context is not None:
            if self.glfw_window is not None:
                glfw_window.glfw.make_context_current(self.glfw_window)
                self._renderer.shutdown()
            imgui.destroy_context(self._imgui_context)   # Writes the ini file, if any.
            self._imgui_context = None
        super().close()

#----------------------------------------------------------------------------
