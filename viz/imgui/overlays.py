"""What the Visualizer draws over and around the image area: errors, the loading text and the bf16 preview tag
on top of the image, the status bar below it, and the keyboard-and-mouse help popup.

Plain imgui drawing from values the caller passes in; the state (newest result, messages, whether help was
asked for) is the view core's.
"""

from __future__ import annotations

from typing import Callable, Sequence

import glfw
import imgui

from viz.core import shortcuts, texts
from viz.imgui.image_area import ImageArea, Rect
from viz.protocol import RenderResult

ERROR_COLOR = (1.0, 0.45, 0.40, 1.0)
PREVIEW_COLOR = (1.0, 0.78, 0.25, 1.0)          # The "bf16 preview" tag over a lower-precision image.
PREVIEW_TAG = texts.PREVIEW_TAG
HELP_TITLE = 'Keyboard and mouse'
OVERLAY_FLAGS = (imgui.WINDOW_NO_DECORATION | imgui.WINDOW_NO_INPUTS | imgui.WINDOW_NO_MOVE | imgui.WINDOW_NO_SAVED_SETTINGS
    | imgui.WINDOW_NO_FOCUS_ON_APPEARING | imgui.WINDOW_NO_NAV | imgui.WINDOW_ALWAYS_AUTO_RESIZE)


def status_height(font_size: float) -> float:
    """Height of the status bar below the image area, in screen units."""
    return float(round(font_size * 1.6))


def status_text(
    image_area: ImageArea,                      # The shown image, its view and the mouse over it.
    rect:       Rect,                           # The image area (x, y, w, h) in screen coordinates.
    fb_scale:   float,                          # Framebuffer pixels per screen unit.
    result:     RenderResult | None,            # The newest final result.
    pending:    bool,                           # A submitted request is still without its result.
) -> str:
    """The status bar's text: the pixel under the cursor, the zoom, the render time, and 'rendering...'."""
    return texts.status_text(image_area.pixel_text(rect, fb_scale), image_area.zoom(rect, fb_scale), result, pending,
        image_area.image is not None)


def _overlay(name: str, x: float, y: float, draw: Callable[[], None], pivot=(0.0, 0.0), alpha=0.75) -> None:
    """A small undecorated window that ignores input, with its `pivot` corner at (x, y), filled by `draw`."""
    imgui.set_next_window_position(x, y, pivot_x=pivot[0], pivot_y=pivot[1])
    imgui.set_next_window_bg_alpha(alpha)
    imgui.begin(name, flags=OVERLAY_FLAGS)
    draw()
    imgui.end()


def draw_overlays(
    rect:      Rect,                            # The image area (x, y, w, h) in screen coordinates.
    font_size: float,                           # The window's font size (the layout unit).
    errors:    Sequence[str],                   # Drawn wrapped at the top of the image area.
    loading:   str | None,                      # Drawn in the middle of the image area; None = nothing.
    preview:   bool,                            # Tag the image in the lower right corner as a bf16 preview.
    status:    str | None,                      # The status bar's text; None = no status bar (presentation mode).
    preview_text: str = PREVIEW_TAG,            # The tag's text ('preview' for the transform preview).
) -> None:
    """Errors, the loading text and the preview tag on top of the image area; the status bar below it."""
    ax, ay, aw, ah = rect
    pad = font_size * 0.5
    wrap = max(aw - 4 * pad, font_size * 10)

    def wrapped(text, color=None):
        imgui.push_text_wrap_pos(wrap)
        if color is None:
            imgui.text(text)
        else:
            imgui.text_colored(text, *color)
        imgui.pop_text_wrap_pos()

    # Draw over the image: errors at the top, the tag in the lower right corner, loading text in the middle.
    if errors:
        _overlay('##error', ax + pad, ay + pad, lambda: [wrapped(e, ERROR_COLOR) for e in errors], alpha=0.85)
    if preview:
        _overlay('##precision', ax + aw - pad, ay + ah - pad, lambda: imgui.text_colored(preview_text, *PREVIEW_COLOR),
            pivot=(1.0, 1.0))
    if loading is not None:
        _overlay('##loading', ax + aw / 2, ay + ah / 2, lambda: wrapped(loading), pivot=(0.5, 0.5))

    # Draw the status bar below the image.
    if status is None:
        return
    imgui.set_next_window_position(ax, ay + ah)
    imgui.set_next_window_size(aw, status_height(font_size))
    imgui.begin('##status', flags=OVERLAY_FLAGS & ~imgui.WINDOW_ALWAYS_AUTO_RESIZE)
    imgui.text(status)
    imgui.end()


def draw_help(open_now: bool, font_size: float, window_size: tuple[int, int]) -> None:
    """The shortcut table as a modal popup in the middle of the window: opened when `open_now`, drawn every
    frame while open, closed by its button or Escape."""
    if open_now:
        imgui.open_popup(HELP_TITLE)
    width, height = window_size
    imgui.set_next_window_position(width / 2, height / 2, imgui.ALWAYS, 0.5, 0.5)
    if imgui.begin_popup_modal(HELP_TITLE, flags=imgui.WINDOW_ALWAYS_AUTO_RESIZE | imgui.WINDOW_NO_MOVE)[0]:
        rows = shortcuts.help_rows()
        column = max(imgui.calc_text_size(keys).x for keys, _ in rows) + font_size * 1.5
        for keys, text in rows:
            imgui.text(keys)
            imgui.same_line(column)
            imgui.text(text)
        imgui.spacing()
        if imgui.button('Close', width=font_size * 6) or imgui.is_key_pressed(glfw.KEY_ESCAPE):
            imgui.close_current_popup()
        imgui.end_popup()
